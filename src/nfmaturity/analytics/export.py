"""The dashboard and its drill-down lists as Excel workbooks, written in bounded memory.

openpyxl's write-only mode streams rows to a temporary file instead of keeping a cell object each; the list
is read from the database with a server-side cursor in chunks (``QuerySet.iterator``) as plain tuples, so
50 000 enterprises never sit in memory at once (bench/analytics.py prints the peak RSS growth). Every text
cell is text: a name starting with "=" is written with Excel's quote prefix, so opening the file never runs
a formula someone typed (the rule ``workbook.xlsx`` and the audit export follow).
"""

from __future__ import annotations

import tempfile
import zipfile
from collections.abc import Iterable, Sequence
from datetime import datetime
from decimal import Decimal
from typing import IO, TYPE_CHECKING, Any, ClassVar, cast
from xml.sax.saxutils import escape

from django.db.models import QuerySet
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from nfmaturity.analytics.dashboard import tally_rows
from nfmaturity.analytics.filters import DashboardFilter
from nfmaturity.analytics.selectors import DOMAIN_LEVELS, Dashboard, DomainFigures, Tally
from nfmaturity.assessments.models import SCORE_COLUMNS, AssessmentKind, GradeLevel
from nfmaturity.enterprises import regions
from nfmaturity.enterprises.models import Enterprise, Metal, SectorChoice, SizeClass
from nfmaturity.workbook.xlsx import FORMULA_STARTS

if TYPE_CHECKING:  # the write-only sheet's class is only importable from a private module
    from openpyxl.worksheet._write_only import WriteOnlyWorksheet

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CHUNK = 2000
LEVEL_HEADS = ["平均成熟度", "S1", "S2", "S3", "S4", "S5"]
assert len(LEVEL_HEADS) == len(SCORE_COLUMNS)

Value = Cell | str | int | float | Decimal | datetime | None


def text_cell(ws: WriteOnlyWorksheet, value: str) -> Cell | str | None:
    """``value`` as a text cell whatever it starts with (a leading "=" gets Excel's quote prefix)."""
    value = ILLEGAL_CHARACTERS_RE.sub("", value)
    if not value:
        return None
    if not value.startswith(FORMULA_STARTS):
        return value
    cell = WriteOnlyCell(ws, value=value)
    cell.data_type = "s"  # openpyxl would take a leading "=" for a formula
    cell.quotePrefix = True  # and Excel would, once someone edits the cell
    return cell


def _sheet(wb: Workbook, title: str, scope: str, heads: Sequence[tuple[str, float]]) -> WriteOnlyWorksheet:
    ws: Any = wb.create_sheet(title)  # typed as a plain Worksheet by the stubs
    for i, (_, width) in enumerate(heads):
        ws.column_dimensions[get_column_letter(i + 1)].width = width
    ws.freeze_panes = "A3"
    ws.append([text_cell(ws, scope)])
    header = []
    for name, _ in heads:
        cell = WriteOnlyCell(ws, value=name)
        cell.font = Font(bold=True)
        header.append(cell)
    ws.append(header)
    return cast("WriteOnlyWorksheet", ws)


def _row(ws: WriteOnlyWorksheet, values: Iterable[object]) -> list[Value]:
    out: list[Value] = []
    for value in values:
        if isinstance(value, str):
            out.append(text_cell(ws, value))
        elif isinstance(value, datetime):
            out.append(timezone.localtime(value).replace(tzinfo=None))
        else:
            out.append(value)  # type: ignore[arg-type]
    return out


def scope_line(
    title: str, jurisdiction_name: str, filters: DashboardFilter, extra: Sequence[str] = ()
) -> str:
    now = timezone.localtime()
    parts = [
        title,
        f"管辖范围 {jurisdiction_name}",
        *filters.chips(),
        *extra,
        f"导出时间 {now:%Y-%m-%d %H:%M}",
    ]
    return " · ".join(parts)


# ---- the drill-down list ---------------------------------------------------------------------------------

LIST_HEADS: tuple[tuple[str, float], ...] = (
    ("企业名称", 34),
    ("统一社会信用代码", 22),
    ("地区", 30),
    ("规模", 8),
    ("规上", 6),
    ("环节", 14),
    ("主要金属", 14),
    ("最近总分", 10),
    ("最近等级", 14),
    ("评估类型", 10),
    ("提交时间", 19),
)


def _clean(text: str) -> str:
    """Text as XML character data: control characters XML cannot hold dropped, markup escaped."""
    text = ILLEGAL_CHARACTERS_RE.sub("", text)
    if "&" in text or "<" in text or ">" in text:
        text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text


class SheetStream:
    """One worksheet streamed straight into an .xlsx (a zip of XML parts), for lists of tens of thousands of rows.

    openpyxl's write-only mode spends about 30 µs a cell (measured: 24 s for the 50 000-row list on a loaded
    two-core machine, two thirds of it in its per-cell writer); this writes each row as one string, about 1 µs
    a cell. Every text is an inline string cell, which Excel never evaluates; text starting like a formula also
    carries the quote-prefix style, so it stays text when someone edits the cell (the rule of the other exports).
    Numbers are written as numbers; nothing else (dates go in as text, "2026-05-01 10:00").
    """

    _PARTS: ClassVar[dict[str, str]] = {
        "[Content_Types].xml": (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/worksheets/sheet1.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
            '<Override PartName="/xl/styles.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
            "</Types>"
        ),
        "_rels/.rels": (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" '
            'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
            'Target="xl/workbook.xml"/></Relationships>'
        ),
        "xl/_rels/workbook.xml.rels": (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" '
            'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
            'Target="worksheets/sheet1.xml"/>'
            '<Relationship Id="rId2" '
            'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" '
            'Target="styles.xml"/></Relationships>'
        ),
        # Cell styles: 0 plain, 1 bold (the header), 2 quote-prefixed text.
        "xl/styles.xml": (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            '<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font>'
            '<font><b/><sz val="11"/><name val="Calibri"/></font></fonts>'
            '<fills count="2"><fill><patternFill patternType="none"/></fill>'
            '<fill><patternFill patternType="gray125"/></fill></fills>'
            '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
            '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
            '<cellXfs count="3"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
            '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>'
            '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0" quotePrefix="1"/></cellXfs>'
            '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
            "</styleSheet>"
        ),
    }

    def __init__(
        self, target: IO[bytes], title: str, widths: Sequence[float], *, freeze_row: int = 0
    ) -> None:
        self._zip = zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1)
        for name, text in self._PARTS.items():
            self._zip.writestr(name, text)
        self._zip.writestr(
            "xl/workbook.xml",
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
            f'<sheets><sheet name="{escape(title)}" sheetId="1" r:id="rId1"/></sheets></workbook>',
        )
        self._sheet = self._zip.open("xl/worksheets/sheet1.xml", "w", force_zip64=True)
        self._letters = [get_column_letter(i + 1) for i in range(max(len(widths), 1) + 8)]
        pane = (
            f'<pane ySplit="{freeze_row}" topLeftCell="A{freeze_row + 1}" activePane="bottomLeft" state="frozen"/>'
            if freeze_row
            else ""
        )
        cols = "".join(
            f'<col min="{i + 1}" max="{i + 1}" width="{width}" customWidth="1"/>'
            for i, width in enumerate(widths)
        )
        self._write(
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            f'<sheetViews><sheetView workbookViewId="0">{pane}</sheetView></sheetViews>'
            f"<cols>{cols}</cols><sheetData>"
        )
        self.rows = 0

    def _write(self, text: str) -> None:
        self._sheet.write(text.encode("utf-8"))

    def append(self, values: Sequence[object], *, bold: bool = False) -> None:
        self.rows += 1
        r = self.rows
        cells = []
        for letter, value in zip(self._letters, values, strict=False):
            if type(value) is str:  # the common case first: most cells are text
                if not value:
                    continue
                text = _clean(value)
                style = ' s="1"' if bold else ' s="2"' if text.startswith(FORMULA_STARTS) else ""
                cells.append(
                    f'<c r="{letter}{r}" t="inlineStr"{style}><is><t xml:space="preserve">{text}</t></is></c>'
                )
            elif value is None:
                continue
            elif isinstance(value, bool):
                cells.append(
                    f'<c r="{letter}{r}" t="inlineStr"><is><t>{"是" if value else "否"}</t></is></c>'
                )
            elif isinstance(value, int | float | Decimal):
                cells.append(f'<c r="{letter}{r}"><v>{value}</v></c>')
            else:
                text = _clean(str(value))
                cells.append(
                    f'<c r="{letter}{r}" t="inlineStr"><is><t xml:space="preserve">{text}</t></is></c>'
                )
        self._write(f'<row r="{r}">{"".join(cells)}</row>')

    def close(self) -> None:
        self._write("</sheetData></worksheet>")
        self._sheet.close()
        self._zip.close()


def write_list_workbook(
    rows: QuerySet[Enterprise], target: IO[bytes], *, scope: str, domain: str = ""
) -> int:
    """The drill-down list (already filtered and ordered) to ``target``; returns how many rows."""
    levels = [f"domain_{level}" for level in DOMAIN_LEVELS] if domain else []
    heads = [
        *LIST_HEADS,
        *([(f"{domain}成熟度", 14)] if domain else []),
        *((f"{domain} {level.upper()}", 10) for level in DOMAIN_LEVELS if domain),
    ]
    sheet = SheetStream(target, "企业清单", [w for _, w in heads], freeze_row=2)
    sheet.append([scope])
    sheet.append([name for name, _ in heads], bold=True)
    fields = [
        "name",
        "uscc",
        "region_code",
        "size",
        "above_scale",
        "sectors",
        "metals",
        "latest_total",
        "latest_grade",
        "latest_kind",
        "latest_at",
        *(["domain_maturity", *levels] if domain else []),
    ]
    places: dict[str, str] = {}
    grades = dict(GradeLevel.choices)
    kinds = dict(AssessmentKind.choices)
    sizes = dict(SizeClass.choices)
    sectors = dict(SectorChoice.choices)
    metals = dict(Metal.choices)
    here = timezone.get_current_timezone()
    written = 0
    for values in rows.values_list(*fields).iterator(chunk_size=CHUNK):
        name, uscc, region, size, above, sector_list, metal_list, total, grade, kind, at, *rest = values
        if region not in places:
            places[region] = regions.full_name(region)
        row: list[object] = [
            name,
            uscc or "",
            places[region],
            sizes.get(size, size),
            "是" if above else "否",
            "、".join(sectors.get(s, s) for s in sector_list or []),
            "、".join(metals.get(m, m) for m in metal_list or []),
            total,
            grades.get(grade, "未评估") if grade is not None else "未评估",
            kinds.get(kind, "") if kind else "",
            at.astimezone(here).strftime("%Y-%m-%d %H:%M") if at is not None else "",
        ]
        # Truncated to two places as the pages show them; a level the domain does not take part in stays empty.
        row.extend(
            figure.quantize(Decimal("0.01"), rounding="ROUND_DOWN") if figure is not None else None
            for figure in rest
        )
        sheet.append(row)
        written += 1
    sheet.close()
    return written


def spooled(write: Any, *args: Any, **kwargs: Any) -> IO[bytes]:
    """Run ``write(…, target, …)`` into a temporary file (on disk beyond a few MB), rewound for streaming."""
    target = tempfile.SpooledTemporaryFile(max_size=4 * 1024 * 1024)  # noqa: SIM115 - the response closes it
    write(*args, target, **kwargs)
    target.seek(0)
    return target


# ---- the dashboard's tables ------------------------------------------------------------------------------

TALLY_HEADS_BASE: tuple[tuple[str, float], ...] = (("分组", 22), ("企业数", 9), ("有结果", 9))


def _tally_sheet(
    wb: Workbook, title: str, scope: str, tallies: list[Tally], filters: DashboardFilter, short: list[str]
) -> None:
    heads = [
        *TALLY_HEADS_BASE,
        *((s, 9) for s in short),
        ("平均总分", 10),
        ("二级及以上", 10),
        ("二级及以上占比 %", 14),
    ]
    ws = _sheet(wb, title, scope, heads)
    for row in tally_rows(tallies, filters):
        ws.append(
            _row(
                ws,
                [
                    row.label,
                    row.enterprises.value,
                    row.assessed.value,
                    *(c.value for c in row.grades),
                    row.average,
                    row.good.value,
                    row.good_share,
                ],
            )
        )


def write_dashboard_workbook(
    board: Dashboard,
    figures: DomainFigures,
    trends: list[dict[str, Any]],
    target: IO[bytes],
    *,
    scope: str,
) -> None:
    filters = board.viewer.filters
    wb = Workbook(write_only=True)
    short = board.grade_short
    ws = _sheet(wb, "概览", scope, (("指标", 30), ("数值", 14)))
    overall = board.overall
    for label, value in (
        ("已核验企业（计入统计）", overall.enterprises),
        ("有已提交结果", overall.assessed),
        ("平均总分", overall.average),
        ("二级及以上", overall.good),
        ("二级及以上占比 %", overall.good_share),
        ("从未提交评估", board.never),
        ("正在填写评估", board.drafts),
        ("最近结果超过一年", board.stale),
        ("待核验（不计入）", board.pending),
        ("未通过核验（不计入）", board.rejected),
        *((f"等级：{label}", n) for label, n in zip(board.grade_labels, overall.grade_counts, strict=True)),
    ):
        ws.append(_row(ws, [label, value]))
    for title, tallies in (
        (board.region_heading, board.by_region),
        ("按环节", board.by_sector),
        ("按金属", board.by_metal),
        ("按规模", board.by_size),
        ("按规上规下", board.by_above),
        ("按最近提交年份", board.by_year),
        ("按评估类型", board.by_kind),
    ):
        _tally_sheet(wb, title, scope, tallies, filters, short)
    ws = _sheet(
        wb, "能力域（由弱到强）", scope, [("能力域", 22), *((h, 11) for h in LEVEL_HEADS), ("结果数", 9)]
    )
    for d in figures.domains:
        ws.append(_row(ws, [d["name"], *d["figures"], d["results"]]))
    heads = [("地区", 18), *((name, 12) for name in figures.heat_domains)]
    ws = _sheet(wb, "热力图（平均成熟度）", scope, heads)
    for label, _, cells in figures.heat_rows:
        ws.append(_row(ws, [label, *cells]))
    ws = _sheet(
        wb,
        "逐年趋势",
        scope,
        (("提交年份", 10), ("结果数", 9), ("平均总分", 10), ("二级及以上", 10), ("二级及以上占比 %", 14)),
    )
    for t in trends:
        ws.append(_row(ws, [t["year"], t["results"], t["average"], t["good"], t["good_share"]]))
    wb.save(target)


def write_subdomain_workbook(rows: list[dict[str, Any]], target: IO[bytes], *, scope: str) -> None:
    """One domain's sub-domain averages as the sub-domain page shows them (weakest first)."""
    wb = Workbook(write_only=True)
    ws = _sheet(
        wb, "能力子域（由弱到强）", scope, [("能力子域", 30), *((h, 11) for h in LEVEL_HEADS), ("结果数", 9)]
    )
    for d in rows:
        ws.append(_row(ws, [d["name"], *d["figures"], d["results"]]))
    wb.save(target)
