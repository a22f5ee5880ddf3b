"""The workbook format: what it records, how it reads back (also after Excel re-saves it), user text as text."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
import zipfile
from datetime import UTC, datetime, timedelta, timezone
from functools import cache
from io import BytesIO
from pathlib import Path

import pytest

from nfmaturity.catalog.loader import load_catalog
from nfmaturity.catalog.model import Sector
from nfmaturity.scoring.ratings import Rating
from nfmaturity.workbook.limits import NOTE_MAX_CHARS, REASON_MAX_CHARS
from nfmaturity.workbook.xlsx import FORMAT_VERSION, Prefill, WorkbookError, read_workbook, workbook_bytes
from tests.hostile import META_XML, NOTE, RATING, REASON, SHEET_XML, _cells, _edit, _text_cell

EXPORTED = datetime(2025, 3, 4, 5, 6, 7, tzinfo=timezone(timedelta(hours=8)))
IDS = [r.id for r in load_catalog("2024").for_sector(Sector.SMELTING).requirements()]
# Text a user might type that spreadsheets take for a formula.
INJECTIONS = [
    '=HYPERLINK("http://127.0.0.1:9/","点我")',
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1)",
    "\t=1",
    "\r=1",
]


@cache
def exported() -> bytes:
    prefill = {
        IDS[0]: Prefill(Rating.FULL, "", "现场查看", version=3),
        IDS[1]: Prefill(Rating.NOT_APPLICABLE, "无此工序", "", version=7),
        **{IDS[2 + i]: Prefill(Rating.PARTLY, text, text, version=1) for i, text in enumerate(INJECTIONS)},
    }
    return workbook_bytes(
        load_catalog("2024"), Sector.SMELTING, prefill, assessment_id=42, exported_at=EXPORTED
    )


def sheet_xml(data: bytes) -> str:
    with zipfile.ZipFile(BytesIO(data)) as zf:
        return zf.read(SHEET_XML).decode()


def test_an_exported_workbook_records_versions_assessment_and_time() -> None:
    filled = read_workbook(exported(), name="x.xlsx")
    assert (filled.assessment_id, filled.exported_at, filled.sector) == (42, EXPORTED, Sector.SMELTING)
    assert filled.exported_at is not None and filled.exported_at.utcoffset() == timedelta(hours=8)
    rows = {r.requirement_id: r for r in filled.rows}
    assert len(rows) == len(IDS)
    first, second, blank = rows[IDS[0]], rows[IDS[1]], rows[IDS[-1]]
    assert (first.rating, first.note, first.version, first.place) == (
        Rating.FULL,
        "现场查看",
        3,
        "第2行（组织建设 S1 第1条）",
    )
    assert (second.rating, second.na_reason, second.version) == (Rating.NOT_APPLICABLE, "无此工序", 7)
    # A requirement without a rating carried version 0; its blank cells read as "nothing typed".
    assert (blank.rating, blank.na_reason, blank.note, blank.version) == (None, "", "", 0)


def test_a_blank_export_carries_no_versions_and_no_assessment() -> None:
    filled = read_workbook(workbook_bytes(load_catalog("2024"), Sector.MINING), name="blank.xlsx")
    assert filled.assessment_id is None and filled.exported_at is not None
    # The export time defaults to now, timezone-aware.
    assert abs(filled.exported_at - datetime.now(UTC)) < timedelta(minutes=5)
    assert {r.version for r in filled.rows} == {None}
    assert {(r.rating, r.na_reason, r.note) for r in filled.rows} == {(None, "", "")}


def test_a_naive_export_time_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        workbook_bytes(load_catalog("2024"), Sector.MINING, exported_at=datetime(2025, 1, 1))


def test_versions_follow_their_rows_when_the_user_sorts_the_sheet() -> None:
    """Excel's sort moves whole rows; the versions are keyed by requirement id, so they stay right."""

    def reverse_rows(xml: str) -> str:
        head, _, rest = xml.partition("<sheetData>")
        body, _, tail = rest.partition("</sheetData>")
        rows = re.findall(r"<row .*?</row>", body, flags=re.S)
        header, data = rows[0], rows[1:]
        renumbered = []
        for new_number, row in enumerate(reversed(data), start=2):
            old = re.match(r'<row r="(\d+)"', row)
            assert old is not None
            renumbered.append(re.sub(rf'(r="[A-Z]*){old.group(1)}"', rf'\g<1>{new_number}"', row))
        return head + "<sheetData>" + header + "".join(renumbered) + "</sheetData>" + tail

    filled = read_workbook(_edit(exported(), {SHEET_XML: reverse_rows}), name="sorted.xlsx")
    rows = {r.requirement_id: r for r in filled.rows}
    assert (rows[IDS[0]].row_number, rows[IDS[0]].version, rows[IDS[0]].rating) == (
        len(IDS) + 1,
        3,
        Rating.FULL,
    )
    assert (rows[IDS[1]].version, rows[IDS[-1]].version, rows[IDS[-1]].row_number) == (7, 0, 2)


def test_a_format_1_workbook_still_reads_without_versions() -> None:
    def as_format_1(xml: str) -> str:
        xml = xml.replace(f"<t>{FORMAT_VERSION}</t>", "<t>1</t>", 1)
        # Format 1 had no origin and no per-row versions.
        return re.sub(
            r'<row r="\d+"[^>]*>(?:(?!</row>).)*<t>(?:assessment|exported_at|rating_version)</t>.*?</row>',
            "",
            xml,
            flags=re.S,
        )

    filled = read_workbook(_edit(exported(), {META_XML: as_format_1}), name="old.xlsx")
    assert (filled.assessment_id, filled.exported_at) == (None, None)
    assert {r.version for r in filled.rows} == {None}
    assert next(r for r in filled.rows if r.requirement_id == IDS[0]).rating == Rating.FULL


def test_an_unknown_format_version_is_refused() -> None:
    data = _edit(exported(), {META_XML: lambda x: x.replace(f"<t>{FORMAT_VERSION}</t>", "<t>9</t>", 1)})
    with pytest.raises(WorkbookError, match="格式版本“9”不受支持"):
        read_workbook(data, name="future.xlsx")


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda x: x.replace("<t>42</t>", "<t>4x2</t>", 1), "自评估编号已损坏"),
        (lambda x: re.sub(r"<t>\d{4}-\d\d-\d\dT[^<]*</t>", "<t>昨天</t>", x, count=1), "导出时间已损坏"),
        (
            lambda x: re.sub(r"<t>2025-03-04T05:06:07\+08:00</t>", "<t>2025-03-04T05:06:07</t>", x),
            "导出时间已损坏",
        ),
        (lambda x: x.replace("<t>3</t>", "<t>三</t>", 1), "版本信息已损坏"),
    ],
)
def test_a_damaged_meta_sheet_is_one_sentence(edit: object, message: str) -> None:
    with pytest.raises(WorkbookError) as caught:
        read_workbook(_edit(exported(), {META_XML: edit}), name="meta.xlsx")
    assert len(caught.value.problems) == 1 and message in caught.value.problems[0]


def test_user_text_is_written_as_text_never_as_a_formula() -> None:
    xml = sheet_xml(exported())
    assert "<f>" not in xml and "<f " not in xml
    for row, text in enumerate(INJECTIONS, start=4):
        for column in (REASON, NOTE):
            cell = re.search(rf'<c r="{column}{row}"[^>]*>.*?</c>', xml)
            assert cell is not None, (column, row)
            assert 't="inlineStr"' in cell.group(0)
            # Read as XML: openpyxl escapes differently with lxml and with the standard library.
            assert "".join(ET.fromstring(cell.group(0)).itertext()).strip() == text.strip()
    # Excel's quote prefix keeps them text even after the user edits the cell.
    with zipfile.ZipFile(BytesIO(exported())) as zf:
        styles = zf.read("xl/styles.xml").decode()
    assert 'quotePrefix="1"' in styles
    rows = {r.requirement_id: r for r in read_workbook(exported(), name="x.xlsx").rows}
    for i, text in enumerate(INJECTIONS):
        assert rows[IDS[2 + i]].note == text.strip()


def test_control_characters_a_user_typed_do_not_break_the_export() -> None:
    data = workbook_bytes(
        load_catalog("2024"), Sector.SMELTING, {IDS[0]: Prefill(Rating.FULL, "", "甲\x00乙\x0b丙\x1f丁", 1)}
    )
    assert next(r for r in read_workbook(data).rows if r.requirement_id == IDS[0]).note == "甲乙丙丁"


def as_excel_saves_it(data: bytes) -> bytes:
    """Excel stores text in a shared-strings part (with rich runs and phonetic guides) and numbers as numbers."""
    members = {}
    with zipfile.ZipFile(BytesIO(data)) as zf:
        members = {i.filename: zf.read(i) for i in zf.infolist()}
    strings: list[str] = []

    def share(match: re.Match[str]) -> str:
        strings.append(match.group(2))
        return f'<c r="{match.group(1)}" t="s"><v>{len(strings) - 1}</v></c>'

    ns = 'xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
    for part in (SHEET_XML, META_XML):
        xml = members[part].decode()
        xml = re.sub(r'<c r="([A-Z]+\d+)"[^>]*t="inlineStr"[^>]*><is><t[^>]*>(.*?)</t></is></c>', share, xml)
        # Some writers use a namespace prefix on every element; the reader must not care.
        xml = re.sub(r"<(/?)([a-zA-Z]+)", r"<\1x:\2", xml).replace(
            '<x:worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"',
            f"<x:worksheet {ns}",
        )
        members[part] = xml.encode()
    items = "".join(
        f"<si><r><t>{s[:1]}</t></r><r><t>{s[1:]}</t></r><rPh sb='0' eb='1'><t>ヨミ</t></rPh></si>"
        if s == "全部满足"
        else f"<si><t>{s}</t></si>"
        for s in strings
    )
    members["xl/sharedStrings.xml"] = (
        '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">' + items + "</sst>"
    ).encode()
    rels = members["xl/_rels/workbook.xml.rels"].decode()
    members["xl/_rels/workbook.xml.rels"] = rels.replace(
        "</Relationships>",
        '<Relationship Id="rId9" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
        'sharedStrings" Target="sharedStrings.xml"/></Relationships>',
    ).encode()
    out = BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, content in members.items():
            zf.writestr(name, content)
    return out.getvalue()


def test_a_workbook_resaved_by_excel_reads_the_same() -> None:
    original = read_workbook(exported(), name="x.xlsx")
    resaved = read_workbook(as_excel_saves_it(exported()), name="x.xlsx")
    assert resaved == original


def test_numbers_and_cached_formula_results_are_ratings() -> None:
    data = _edit(
        exported(),
        {
            SHEET_XML: lambda x: _cells(
                x,
                {
                    f"{RATING}20": f'<c r="{RATING}20"><v>0.8</v></c>',
                    f"{RATING}21": f'<c r="{RATING}21"><v>1</v></c>',
                    f"{RATING}22": f'<c r="{RATING}22" t="str"><f>"部分满足"</f><v>部分满足</v></c>',
                    f"{RATING}23": f'<c r="{RATING}23" t="str"><f>""</f><v></v></c>',
                    f"{NOTE}24": f'<c r="{NOTE}24"><v>2023</v></c>',
                    f"{RATING}25": _text_cell(f"{RATING}25", "  "),
                },
            )
        },
    )
    rows = {r.row_number: r for r in read_workbook(data, name="x.xlsx").rows}
    assert [rows[n].rating for n in (20, 21, 22, 23, 25)] == [
        Rating.MOSTLY,
        Rating.FULL,
        Rating.PARTLY,
        None,
        None,
    ]
    assert rows[24].note == "2023"


def test_a_path_that_is_missing_or_a_folder(tmp_path: Path) -> None:
    for path, message in ((tmp_path / "none.xlsx", "文件不存在"), (tmp_path, "文件夹")):
        with pytest.raises(WorkbookError, match=message):
            read_workbook(path)


def test_row_problems_are_listed_up_to_a_limit() -> None:
    data = _edit(
        exported(),
        {
            SHEET_XML: lambda x: _cells(
                x, {f"{RATING}{n}": _text_cell(f"{RATING}{n}", "很好") for n in range(2, 80)}
            )
        },
    )
    with pytest.raises(WorkbookError) as caught:
        read_workbook(data, name="x.xlsx")
    assert len(caught.value.problems) == 51 and caught.value.problems[-1] == "另有 28 处问题未列出"


# CI installs LibreOffice (scripts/test.sh), so there the check always runs; elsewhere it may be skipped.
@pytest.mark.skipif(
    not (shutil.which("soffice") or shutil.which("libreoffice")) and not os.environ.get("CI"),
    reason="LibreOffice 未安装",
)
def test_libreoffice_keeps_user_text_as_text(tmp_path: Path) -> None:  # pragma: no cover - needs LibreOffice
    source = tmp_path / "x.xlsx"
    source.write_bytes(exported())
    office = shutil.which("soffice") or shutil.which("libreoffice")
    assert office is not None
    subprocess.run(
        [office, "--headless", "--convert-to", "csv", "--outdir", str(tmp_path), str(source)],
        check=True,
        capture_output=True,
        timeout=120,
    )
    text = (tmp_path / "x.csv").read_text(encoding="utf-8", errors="replace")
    assert "@SUM(1)" in text and "-2+3" in text


def test_a_workbook_at_every_text_limit_still_reads() -> None:
    """The caps refuse bombs, not the most a user can type: every row at the note and reason limits, the same
    text pasted into each row (the most compressible legitimate sheet: 13 MB of XML at 99:1)."""
    note, reason = "说明" * (NOTE_MAX_CHARS // 2), "理由" * (REASON_MAX_CHARS // 2)
    prefill = {rid: Prefill(Rating.NOT_APPLICABLE, reason, note, version=1) for rid in IDS}
    data = workbook_bytes(load_catalog("2024"), Sector.SMELTING, prefill, assessment_id=1)
    rows = read_workbook(data, name="full.xlsx").rows
    assert len(rows) == len(IDS) and {(r.note, r.na_reason) for r in rows} == {(note, reason)}
