"""Load and validate a catalog version from the YAML files in ``catalog/data/<code>-<version>/``.

The files are parsed into strict schemas (unknown keys are errors), then checked against the rules the
rest of the platform relies on. Every problem is reported as one ``CatalogError`` naming the file, the
path inside it and what is wrong, in Chinese.
"""

from __future__ import annotations

import functools
import hashlib
import re
from collections import Counter
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from nfmaturity.catalog.model import (
    Absence,
    Catalog,
    Domain,
    Grade,
    Level,
    Note,
    NoteKind,
    Requirement,
    Row,
    Section,
    SubdomainType,
    Table1Entry,
)

_T = TypeVar("_T", bound=BaseModel)

DEFAULT_VERSION = "2024"
CODE = "nfdt"
SECTION_FILES: tuple[Section, ...] = (Section.COMMON, Section.MINING, Section.SMELTING, Section.PROCESSING)
TYPE_TOTALS = {SubdomainType.COMMON: Decimal(30), SubdomainType.SECTOR: Decimal(70)}
# Notes of these kinds describe a row or a table as a whole, not the requirement on the lines they cite.
ROW_LEVEL_KINDS = {NoteKind.STRUCTURE, NoteKind.ABSENT, NoteKind.MERGED}


class CatalogError(Exception):
    """The catalog files are wrong. ``file`` and ``path`` say where; ``message`` is Chinese."""

    def __init__(self, file: str, path: str, message: str) -> None:
        super().__init__(f"{file}：{path}：{message}")
        self.file = file
        self.path = path
        self.message = message


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _RawDomain(_Strict):
    name: str
    order: int


class _RawTable1(_Strict):
    name: str
    domain: str
    type: SubdomainType
    weight: Decimal
    order: int
    line: int


class _RawGrade(_Strict):
    level: int
    name: str
    lower: Decimal
    upper: Decimal
    upper_closed: bool
    band_as_written: str
    description: str
    line: int


class _RawStandard(_Strict):
    code: str
    version: str
    title: str
    source: str
    domains: list[_RawDomain]
    table1: list[_RawTable1]
    grades: list[_RawGrade]


class _RawRequirement(_Strict):
    id: str
    line: int
    text: str
    written_number: str | None = None


class _RawRow(_Strict):
    key: str
    name: str
    domain: str
    covers: list[str]
    order: int
    line: int
    group_label: str | None = None
    levels: dict[str, list[_RawRequirement]]


class _RawAbsence(_Strict):
    subdomain: str
    note: str


class _RawNote(_Strict):
    id: str
    kind: NoteKind
    lines: list[int]
    text: str
    row: str | None = None
    level: int | None = None


class _RawSection(_Strict):
    section: Section
    title: str
    lines: list[int]
    rows: list[_RawRow]
    absent: list[_RawAbsence]
    notes: list[_RawNote]


def data_dir(version: str = DEFAULT_VERSION) -> Path:
    return Path(str(resources.files("nfmaturity.catalog") / "data" / f"{CODE}-{version}"))


def available_versions() -> list[str]:
    base = Path(str(resources.files("nfmaturity.catalog") / "data"))
    return sorted(p.name.removeprefix(f"{CODE}-") for p in base.iterdir() if p.is_dir())


@functools.lru_cache(maxsize=8)
def load_catalog(version: str = DEFAULT_VERSION) -> Catalog:
    """Load, validate and cache one catalog version shipped with the package."""
    directory = data_dir(version)
    if not directory.is_dir():
        raise CatalogError(str(directory), "", f"没有版本为“{version}”的评估标准目录")
    return load_directory(directory)


@functools.lru_cache(maxsize=8)
def content_hash(version: str = DEFAULT_VERSION) -> str:
    """SHA-256 over the catalog's data files (names and bytes, in name order).

    An assessment pins this, not only the version label: a corrected file shipped under the same
    version would otherwise re-score old assessments against different text or weights.
    """
    directory = data_dir(version)
    if not directory.is_dir():
        raise CatalogError(str(directory), "", f"没有版本为“{version}”的评估标准目录")
    digest = hashlib.sha256()
    for path in sorted(directory.glob("*.yaml")):
        digest.update(path.name.encode() + b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()


@functools.lru_cache(maxsize=8)
def grade_table(version: str = DEFAULT_VERSION) -> tuple[Grade, ...]:
    """Table 3 of one catalog version, read without the requirement tables.

    Database choices are built from it when Django loads the models, where loading the whole catalog
    would add most of a second to every process start. Same file and checks as ``load_catalog``.
    """
    directory = data_dir(version)
    if not directory.is_dir():
        raise CatalogError(str(directory), "", f"没有版本为“{version}”的评估标准目录")
    standard = _parse(directory / "standard.yaml", _RawStandard)
    _check_grades("standard.yaml", standard.grades)
    return _grades(standard)


def load_directory(directory: Path) -> Catalog:
    standard = _parse(directory / "standard.yaml", _RawStandard)
    sections = {s: _parse(directory / f"{s.value}.yaml", _RawSection) for s in SECTION_FILES}
    return _build(directory, standard, sections)


def _parse(path: Path, schema: type[_T]) -> _T:
    try:
        data: Any = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise CatalogError(path.name, "", f"无法读取文件：{exc.strerror}") from exc
    except yaml.YAMLError as exc:
        raise CatalogError(path.name, "", f"YAML 格式错误：{exc}") from exc
    try:
        return schema.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise CatalogError(path.name, where, _pydantic_message(first["type"], first["msg"])) from exc


def _pydantic_message(kind: str, msg: str) -> str:
    messages = {
        "extra_forbidden": "不允许的字段",
        "missing": "缺少必填字段",
        "enum": "取值不在允许范围内",
        "decimal_parsing": "不是有效的十进制数",
        "int_parsing": "不是有效的整数",
        "string_type": "应为文本",
        "list_type": "应为列表",
    }
    return f"{messages.get(kind, '内容不合要求')}（{msg}）"


_ID = re.compile(
    r"^(?P<code>[a-z]+):(?P<version>[^:]+):(?P<section>[a-z]+):(?P<key>[^:]+):S(?P<level>[1-5]):(?P<n>\d+)$"
)


def _build(directory: Path, std: _RawStandard, sections: dict[Section, _RawSection]) -> Catalog:
    sfile = "standard.yaml"
    if std.code != CODE:
        raise CatalogError(sfile, "code", f"标准代号应为“{CODE}”")
    if directory.name != f"{std.code}-{std.version}":
        raise CatalogError(sfile, "version", f"版本“{std.version}”与目录名“{directory.name}”不一致")

    domain_names = [d.name for d in std.domains]
    _unique(sfile, "domains", domain_names, "能力域")
    table1_names = [t.name for t in std.table1]
    _unique(sfile, "table1", table1_names, "能力子域")
    for i, entry in enumerate(std.table1):
        if entry.domain not in domain_names:
            raise CatalogError(
                sfile, f"table1.{i}.domain", f"能力子域“{entry.name}”的能力域“{entry.domain}”未定义"
            )
        if entry.weight <= 0:
            raise CatalogError(sfile, f"table1.{i}.weight", f"能力子域“{entry.name}”的权重必须大于0")
    for kind, total in TYPE_TOTALS.items():
        got = sum((t.weight for t in std.table1 if t.type == kind), Decimal(0))
        if got != total:
            raise CatalogError(sfile, "table1", f"{kind.value}能力子域权重合计为{got}%，应为{total}%")
    for d in domain_names:
        if not any(t.domain == d for t in std.table1):
            raise CatalogError(sfile, "domains", f"能力域“{d}”下没有能力子域")
    _check_grades(sfile, std.grades)

    table1 = {t.name: t for t in std.table1}
    domains = tuple(
        Domain(
            name=d.name,
            order=d.order,
            weight=sum((t.weight for t in std.table1 if t.domain == d.name), Decimal(0)),
        )
        for d in sorted(std.domains, key=lambda d: d.order)
    )

    rows: list[Row] = []
    absences: list[Absence] = []
    notes: list[Note] = []
    seen_ids: set[str] = set()
    for section, raw in sections.items():
        built_rows, built_absences, built_notes = _build_section(std, table1, section, raw, seen_ids)
        rows += built_rows
        absences += built_absences
        notes += built_notes

    return Catalog(
        code=std.code,
        version=std.version,
        title=std.title,
        source=std.source,
        domains=domains,
        table1=tuple(
            Table1Entry(
                name=t.name, domain=t.domain, type=t.type, weight=t.weight, order=t.order, line=t.line
            )
            for t in std.table1
        ),
        grades=_grades(std),
        rows=tuple(rows),
        absences=tuple(absences),
        notes=tuple(notes),
    )


def _grades(std: _RawStandard) -> tuple[Grade, ...]:
    return tuple(
        Grade(
            level=g.level,
            name=g.name,
            lower=g.lower,
            upper=g.upper,
            upper_closed=g.upper_closed,
            description=g.description,
        )
        for g in std.grades
    )


def _check_grades(sfile: str, grades: list[_RawGrade]) -> None:
    if [g.level for g in grades] != [1, 2, 3, 4, 5]:
        raise CatalogError(sfile, "grades", "评估结论应依次为一级至五级")
    for i, g in enumerate(grades):
        if g.lower >= g.upper:
            raise CatalogError(sfile, f"grades.{i}", f"{g.name}的得分区间下限应小于上限")
        if i and grades[i - 1].upper != g.lower:
            raise CatalogError(sfile, f"grades.{i}", f"{g.name}的下限应等于上一级的上限（区间须首尾相接）")
        if g.upper_closed != (i == len(grades) - 1):
            raise CatalogError(sfile, f"grades.{i}", "只有最高一级的得分区间上限为闭区间")


def _build_section(
    std: _RawStandard,
    table1: dict[str, _RawTable1],
    section: Section,
    raw: _RawSection,
    seen_ids: set[str],
) -> tuple[list[Row], list[Absence], list[Note]]:
    file = f"{section.value}.yaml"
    if raw.section != section:
        raise CatalogError(file, "section", f"应为“{section.value}”")
    expected_type = SubdomainType.COMMON if section == Section.COMMON else SubdomainType.SECTOR

    note_ids = [n.id for n in raw.notes]
    _unique(file, "notes", note_ids, "疑点编号")
    row_ids = {f"{std.code}:{std.version}:{section.value}:{r.key}" for r in raw.rows}
    for i, n in enumerate(raw.notes):
        if n.row is not None and n.row not in row_ids:
            raise CatalogError(file, f"notes.{i}.row", f"疑点 {n.id} 指向不存在的行“{n.row}”")
        if n.level is not None and n.level not in range(1, 6):
            raise CatalogError(file, f"notes.{i}.level", f"疑点 {n.id} 的等级应为1–5")
        if not n.lines:
            raise CatalogError(file, f"notes.{i}.lines", f"疑点 {n.id} 须注明原文行号")

    covered: Counter[str] = Counter()
    rows: list[Row] = []
    for ri, r in enumerate(raw.rows):
        path = f"rows.{ri}"
        row_id = f"{std.code}:{std.version}:{section.value}:{r.key}"
        if not r.covers:
            raise CatalogError(file, f"{path}.covers", f"“{r.name}”未注明覆盖哪些表1能力子域")
        for c in r.covers:
            if c not in table1:
                raise CatalogError(file, f"{path}.covers", f"“{r.name}”覆盖的“{c}”不是表1中的能力子域")
            entry = table1[c]
            if entry.type != expected_type:
                raise CatalogError(
                    file, f"{path}.covers", f"“{c}”是{entry.type.value}指标，不应出现在{section.label}中"
                )
            if entry.domain != r.domain:
                raise CatalogError(
                    file, f"{path}.domain", f"“{r.name}”写在能力域“{r.domain}”下，但“{c}”属于“{entry.domain}”"
                )
            covered[c] += 1
        if set(r.levels) != {lv.label for lv in Level}:
            raise CatalogError(file, f"{path}.levels", f"“{r.name}”应有且只有 S1–S5 五个等级")
        requirements: list[Requirement] = []
        for level in Level:
            reqs = r.levels[level.label]
            if not reqs and not any(
                x.kind == NoteKind.EMPTY and x.row == row_id and x.level == level.value for x in raw.notes
            ):
                raise CatalogError(
                    file,
                    f"{path}.levels.{level.label}",
                    f"“{r.name}”{level.label} 没有要求，且未在疑点中记为空单元格",
                )
            for number, req in enumerate(reqs, start=1):
                rpath = f"{path}.levels.{level.label}.{number - 1}"
                expected_id = f"{row_id}:{level.label}:{number}"
                if req.id != expected_id:
                    raise CatalogError(file, f"{rpath}.id", f"编号应为“{expected_id}”，实为“{req.id}”")
                if req.id in seen_ids:
                    raise CatalogError(file, f"{rpath}.id", f"要求编号“{req.id}”重复")
                if not _ID.match(req.id):
                    raise CatalogError(file, f"{rpath}.id", f"要求编号“{req.id}”格式不正确")
                if not req.text.strip():
                    raise CatalogError(file, f"{rpath}.text", "要求正文为空")
                seen_ids.add(req.id)
                attached = tuple(
                    x.id for x in raw.notes if x.kind not in ROW_LEVEL_KINDS and req.line in x.lines
                )
                requirements.append(
                    Requirement(
                        id=req.id,
                        row=row_id,
                        level=level,
                        number=number,
                        text=req.text,
                        line=req.line,
                        notes=attached,
                    )
                )
        rows.append(
            Row(
                id=row_id,
                key=r.key,
                name=r.name,
                section=section,
                domain=r.domain,
                type=expected_type,
                covers=tuple(r.covers),
                weight=sum((table1[c].weight for c in r.covers), Decimal(0)),
                order=r.order,
                line=r.line,
                requirements=tuple(requirements),
                notes=tuple(
                    n.id
                    for n in raw.notes
                    if n.kind in ROW_LEVEL_KINDS and (n.row == row_id or r.line in n.lines)
                ),
            )
        )

    for name, count in covered.items():
        if count > 1:
            raise CatalogError(file, "rows", f"表1能力子域“{name}”在{section.label}中被计算了{count}次")
    absences: list[Absence] = []
    for ai, a in enumerate(raw.absent):
        if a.subdomain in covered:
            raise CatalogError(file, f"absent.{ai}", f"“{a.subdomain}”已有对应行，不能再记为缺失")
        if a.note not in note_ids:
            raise CatalogError(file, f"absent.{ai}.note", f"缺失说明指向不存在的疑点“{a.note}”")
        absences.append(Absence(section=section, subdomain=a.subdomain, note=a.note))
    absent_names = {a.subdomain for a in raw.absent}
    for name, entry in table1.items():
        if entry.type == expected_type and name not in covered and name not in absent_names:
            raise CatalogError(
                file, "absent", f"表1能力子域“{name}”在{section.label}中既没有对应行，也未记为缺失"
            )

    notes = [
        Note(
            id=n.id,
            section=section,
            kind=n.kind,
            lines=tuple(n.lines),
            text=n.text,
            row=n.row,
            level=Level(n.level) if n.level is not None else None,
        )
        for n in raw.notes
    ]
    return rows, absences, notes


def _unique(file: str, path: str, values: list[str], what: str) -> None:
    dupes = [v for v, c in Counter(values).items() if c > 1]
    if dupes:
        raise CatalogError(file, path, f"{what}重复：{'、'.join(dupes)}")
