"""The catalog against the standard's own text, read independently of the catalog files.

The seed's appendix tables are cut into sentences here with a deliberately simple reader (it knows nothing
of rows, levels or item splitting); every sentence must appear in the catalog of the same section, and
every sentence of the catalog must appear in the seed. Only the two fragments the catalog drops as
conversion debris are allowed to be missing, and they must really be missing.
"""

from __future__ import annotations

import re
from collections import Counter
from decimal import Decimal
from pathlib import Path

import pytest

from nfmaturity.catalog.loader import load_catalog
from nfmaturity.catalog.model import Catalog, Level, NoteKind, Section

SEED = Path(__file__).resolve().parent.parent / "data" / "standard-002.txt"

# (first line, last line) of each table in the seed.
SECTIONS = {
    Section.COMMON: (357, 605),
    Section.MINING: (606, 1047),
    Section.SMELTING: (1048, 1759),
    Section.PROCESSING: (1761, 2262),
}
# Cells that are table structure, not requirement text.
STRUCTURE = {
    "能力域", "能力子域", "序号", "评估指标", "S1", "S2", "S3", "S4", "S5",
    "组织", "技术", "数据", "资源", "数字化运营", "数字化生产", "数字化服务", "数字化成效",
    "技术创新（含研发管理）", "服务产品、能力、交付及运行", "服务能力、交付及运行",
}  # fmt: skip
# Debris the catalog drops on purpose: (line, exact text removed from that line).
DROPPED = {387: "4.与发展。", 677: "1.应具备动态获取用户地块、"}

NUMBER_AT_START = re.compile(r"^\d{1,2}(?:\s*[.．、])?\s*(?=\D)")
NUMBER_INLINE = re.compile(r"(?<=[。；;])\s*\d{1,2}[.．]")
SENTENCE = re.compile(r"[。；;！？|]")
NOISE = re.compile(r"[\s，,、：:（）()“”\"'．.\u3000]")


def normalise(text: str) -> str:
    return NOISE.sub("", text)


def sentences(text: str) -> list[str]:
    return [s for s in (normalise(p) for p in SENTENCE.split(text)) if len(s) >= 2]


def seed_lines() -> list[str]:
    return SEED.read_text(encoding="utf-8").split("\n")


def table1_names() -> set[str]:
    return {t.name for t in load_catalog().table1}


def seed_stream(section: Section) -> str:
    """The section's text with item numbers removed and "|" where a new cell or item starts."""
    lines = seed_lines()
    first, last = SECTIONS[section]
    names = table1_names() | STRUCTURE
    out: list[str] = []
    for no in range(first, last + 1):
        raw = lines[no - 1]
        if no in DROPPED:
            assert DROPPED[no] in raw
            raw = raw.replace(DROPPED[no], "")
        starts_cell = raw.lstrip(" ").startswith("\t")
        text = raw.replace("\t", " ").strip()
        if not text or text in names or text.startswith("表B."):
            out.append("|")
            continue
        numbered = NUMBER_AT_START.match(text)
        text = NUMBER_INLINE.sub("|", NUMBER_AT_START.sub("", text))
        out.append(("|" if starts_cell or numbered else "") + text)
    return "".join(out)


def catalog_texts(catalog: Catalog, section: Section) -> list[str]:
    return [r.text for row in catalog.rows_of(section) for r in row.requirements]


@pytest.mark.parametrize("section", list(SECTIONS))
def test_every_seed_sentence_is_in_the_catalog(section: Section) -> None:
    catalog = load_catalog()
    haystack = "|".join(normalise(t) for t in catalog_texts(catalog, section))
    found = sentences(seed_stream(section))
    missing = [s for s in found if s not in haystack]
    assert not missing, f"{len(missing)} sentences of the seed are not in the catalog: {missing[:5]}"
    assert len(found) > 100


@pytest.mark.parametrize("section", list(SECTIONS))
def test_every_catalog_sentence_is_in_the_seed(section: Section) -> None:
    catalog = load_catalog()
    haystack = normalise(seed_stream(section).replace("|", ""))
    extra = [s for t in catalog_texts(catalog, section) for s in sentences(t) if s not in haystack]
    assert not extra, f"catalog text not in the seed: {extra[:5]}"


def test_dropped_debris_is_not_in_the_catalog_and_is_noted() -> None:
    catalog = load_catalog()
    everything = "|".join(normalise(r.text) for r in catalog.requirements())
    for line, fragment in DROPPED.items():
        body = normalise(NUMBER_AT_START.sub("", fragment))
        assert body not in everything
        assert any(n.kind == NoteKind.DROPPED and line in n.lines for n in catalog.notes), line


def test_requirement_counts_per_section_and_level() -> None:
    """The figures the closing note reports; a change to the reading of the seed must update them."""
    catalog = load_catalog()
    counts = {
        section: Counter(r.level for row in catalog.rows_of(section) for r in row.requirements)
        for section in Section
    }
    as_lists = {s.value: [counts[s][lv] for lv in Level] for s in Section}
    assert as_lists == {
        "common": [28, 37, 38, 38, 36],
        "mining": [61, 74, 79, 69, 72],
        "smelting": [106, 107, 121, 107, 104],
        "processing": [73, 74, 77, 81, 62],
    }
    assert sum(1 for _ in catalog.requirements()) == 1444


def test_table1_weights_match_the_seed() -> None:
    """Table 1 read straight from the seed: 4 cells per row, blank domain/type cells inherit."""
    lines = seed_lines()
    cells: list[str] = []
    for no in range(86, 290):  # Table 1 ends before 计算方法
        raw = lines[no - 1]
        if raw.startswith("\t"):
            cells.append(raw[1:].strip())
        elif raw.strip() and cells:
            cells[-1] = (cells[-1] + raw).strip()
    rows = [cells[i : i + 4] for i in range(0, len(cells) - 3, 4)]
    domain = kind = ""
    seed_table = {}
    for d, name, k, weight in rows:
        domain, kind = d.strip() or domain, k.strip() or kind
        seed_table[name] = (domain, kind, Decimal(weight.rstrip("%")))
    catalog = load_catalog()
    assert {t.name: (t.domain, t.type.value, t.weight) for t in catalog.table1} == seed_table
    assert len(seed_table) == 38


def test_grade_descriptions_are_the_seed_text() -> None:
    text = SEED.read_text(encoding="utf-8")
    for grade in load_catalog().grades:
        assert grade.description in text
