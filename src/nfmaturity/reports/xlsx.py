"""The Excel export of a stored result: overview, every requirement with its rating (for a formal assessment the
settled one, and each expert's own when the reader may see them), sub-domain and level scores, and the
improvement plan's actions when the enterprise has a plan.

Every figure is the stored ``Result``'s (read through ``assessments.report.stored_figures``), shown truncated to
two decimals as everywhere else, with the exact fraction beside it. Text is always written as a text cell, never
as a formula, whatever it starts with (``=``, ``+``, ``-``, ``@``): a note typed by a user stays a note.

The pre-filled workbook for the next assessment is ``next_workbook``: the self-assessment workbook (format 2 of
``workbook.xlsx``) with this result's ratings filled in and no assessment id, so it imports into any new
self-assessment of the same sector and standard version.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from fractions import Fraction
from io import BytesIO
from typing import Any

from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.styles import Alignment, Font, NamedStyle, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.worksheet.worksheet import Worksheet

from nfmaturity.assessments.catalogs import catalog, sector_view
from nfmaturity.assessments.models import Result
from nfmaturity.assessments.report import Figures, stored_figures
from nfmaturity.catalog.model import LEVELS, Sector
from nfmaturity.reports.selectors import ExpertColumn, GivenRating, expert_columns, is_formal, ratings_of
from nfmaturity.scoring.display import format_truncated
from nfmaturity.scoring.grading import THRESHOLD_READING
from nfmaturity.scoring.ratings import Rating
from nfmaturity.workbook.xlsx import FORMULA_STARTS, Prefill, workbook_bytes

CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HEADER_STYLE, WRAP_STYLE = "导出表头", "导出换行"
Value = str | int | Decimal | None


def _text(ws: Worksheet, row: int, column: int, value: Value) -> Cell:
    """One cell; a string is a text cell (never a formula), with Excel's quote prefix where Excel would
    otherwise re-read it as one; characters XML cannot carry are dropped."""
    cell = ws.cell(row=row, column=column)
    assert isinstance(cell, Cell)
    if isinstance(value, str):
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
        if not value:
            return cell
        cell.value = value
        cell.data_type = "s"
        if value.startswith(FORMULA_STARTS):
            cell.quotePrefix = True
    elif value is not None:
        cell.value = value
        if isinstance(value, Decimal):
            cell.number_format = "0.00"
    return cell


def _figure(value: Fraction | None) -> Decimal | None:
    """The shown (truncated two-decimal) figure as a number, so a spreadsheet can sort and sum it."""
    return None if value is None else Decimal(format_truncated(value))


def _exact(value: Fraction | None) -> str:
    return "" if value is None else str(value)


def _header(ws: Worksheet, row: int, names: Sequence[str], widths: Sequence[float]) -> None:
    for column, (name, width) in enumerate(zip(names, widths, strict=True), start=1):
        _text(ws, row, column, name).style = HEADER_STYLE
        letter = get_column_letter(column)
        if (ws.column_dimensions[letter].width or 0) < width:
            ws.column_dimensions[letter].width = width


def _styles(wb: Workbook) -> None:
    # Named styles, assigned by name: styling cell by cell attribute by attribute is what makes openpyxl slow.
    wb.add_named_style(
        NamedStyle(
            HEADER_STYLE,
            font=Font(bold=True, color="FFFFFF"),
            fill=PatternFill("solid", fgColor="1F4E79"),
            alignment=Alignment(horizontal="center", vertical="center", wrap_text=True),
        )
    )
    wb.add_named_style(NamedStyle(WRAP_STYLE, alignment=Alignment(vertical="top", wrap_text=True)))


def build_xlsx(
    result: Result, *, expert_detail: bool = False, plan_rows: Sequence[Sequence[Value]] = ()
) -> bytes:
    """The Excel export of ``result``. ``expert_detail`` adds each expert's own ratings (formal assessments,
    for readers who may see them); ``plan_rows`` is the improvement plan's table (``reports.jobs.plan_rows``)."""
    assessment = result.assessment
    view = sector_view(assessment.catalog_version, assessment.sector)
    figures = stored_figures(assessment, result)
    given = ratings_of(result)
    formal = is_formal(result)
    experts = expert_columns(result) if formal and expert_detail else []

    wb = Workbook()
    _styles(wb)
    summary = wb.active
    assert summary is not None
    summary.title = "概况"
    _overview(summary, result, figures, formal)
    _ratings(wb.create_sheet("评分明细"), view, given, formal, experts)
    _scores(wb.create_sheet("子域得分"), figures)
    if plan_rows:
        _plan(wb.create_sheet("改进计划"), plan_rows)
    for sheet in wb.worksheets:  # printed: each sheet as wide as one A4 page, as long as it needs
        sheet.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
        sheet.page_setup.fitToWidth = 1
        sheet.page_setup.fitToHeight = 0
        sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
        sheet.page_setup.orientation = "portrait" if sheet is summary else "landscape"
        sheet.print_title_rows = None if sheet is summary else "1:1"
    buffer = BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def _overview(ws: Worksheet, result: Result, figures: Figures, formal: bool) -> None:
    assessment = result.assessment
    enterprise = assessment.enterprise
    created = timezone.localtime(result.created_at).strftime("%Y-%m-%d %H:%M")
    facts: list[tuple[str, Value]] = [
        ("企业名称", enterprise.name),
        ("统一社会信用代码", enterprise.uscc or ""),
        ("评估对象", assessment.subject),
        ("评估环节", assessment.get_sector_display()),
        ("评估类型", assessment.get_kind_display()),
        ("评估编号", str(assessment.pk)),
        ("结果版本", f"第 {result.version} 版（{created}）"),
        ("标准版本", result.catalog_version),
        ("标准内容摘要（SHA-256）", result.catalog_hash),
        ("总分 S（0–5，截断保留两位小数）", _figure(figures.total)),
        ("总分精确值", _exact(figures.total)),
        ("成熟度等级", figures.grade.label),
        (
            "连续满足的最高等级",
            f"{LEVELS[figures.consecutive_level - 1].label}" if figures.consecutive_level else "无",
        ),
        ("等级跳跃警示", figures.warning or "无"),
        ("计分规则", f"{THRESHOLD_READING}；各项得分截断（不四舍五入）保留两位小数显示"),
    ]
    if formal:
        formal_row = getattr(assessment, "formal", None)
        if formal_row is not None:
            facts.insert(5, ("评估机构", formal_row.body.name))
            facts.insert(6, ("结果编号", formal_row.result_number or "未发布"))
    ws.column_dimensions["A"].width = 30
    ws.column_dimensions["B"].width = 56  # the facts' values: the content hash, the 等级跳跃 sentence
    _text(ws, 1, 1, "有色金属行业数字化转型成熟度评估结果").font = Font(bold=True, size=14)
    line = 3
    for label, value in facts:
        _text(ws, line, 1, label).font = Font(bold=True)
        # The style first: assigning a named style resets the quote prefix _text sets on formula-like text.
        ws.cell(row=line, column=2).style = WRAP_STYLE
        _text(ws, line, 2, value).alignment = Alignment(horizontal="left", vertical="top", wrap_text=True)
        line += 1
    line += 1
    _header(ws, line, ("等级", "得分", "精确值", "是否满足（≥ 0.8）", "计入总分"), (30, 16, 24, 18, 12))
    for level in figures.levels:
        line += 1
        _text(ws, line, 1, level.label)
        _text(ws, line, 2, _figure(level.score))
        _text(ws, line, 3, _exact(level.score))
        _text(ws, line, 4, "满足" if level.met else "未满足")
        _text(ws, line, 5, _figure(level.counted))
    line += 2
    _header(ws, line, ("能力域", "成熟度（0–5）", "精确值"), (30, 16, 24))
    for name, maturity in figures.domains:
        line += 1
        _text(ws, line, 1, name)
        _text(ws, line, 2, _figure(maturity))
        _text(ws, line, 3, _exact(maturity))


def _ratings(
    ws: Worksheet,
    view: Any,
    given: dict[str, GivenRating],
    formal: bool,
    experts: list[ExpertColumn],
) -> None:
    names = ["序号", "能力域", "能力子域", "等级", "条目", "要求内容", "评分", "分值", "不适用理由"]
    widths: list[float] = [6, 12, 16, 8, 5, 60, 12, 6, 22]
    if formal:
        names += ["确定方式", "合议理由"]
        widths += [10, 24]
    else:
        names += ["备注"]
        widths += [24]
    names += [f"{e.title}评分" for e in experts]
    widths += [12] * len(experts)
    _header(ws, 1, names, widths)
    ws.freeze_panes = "C2"
    rows = {row.id: row for row in view.rows}
    line = 1
    for serial, requirement in enumerate(view.catalog.requirements(), start=1):
        line += 1
        row = rows[requirement.row]
        rating = given.get(requirement.id)
        value = Rating(rating.value) if rating is not None else None
        score = value.score if value is not None else None
        cells: list[Value] = [
            serial,
            row.domain,
            row.name,
            requirement.level.label,
            requirement.number,
            requirement.text,
            value.label if value is not None else "未评分",
            None if score is None else Decimal(format_truncated(score, 1)),
            rating.reason if rating is not None else "",
        ]
        if formal:
            cells += [rating.method if rating else "", rating.note if rating else ""]
        else:
            cells += [rating.note if rating else ""]
        cells += [
            Rating(e.ratings[requirement.id]).label if requirement.id in e.ratings else "未评分"
            for e in experts
        ]
        ws.cell(row=line, column=6).style = WRAP_STYLE  # before the value: see _overview
        for column, cell_value in enumerate(cells, start=1):
            _text(ws, line, column, cell_value)
    ws.auto_filter.ref = f"A1:{get_column_letter(len(names))}{line}"


def _scores(ws: Worksheet, figures: Figures) -> None:
    names = ["能力域", "能力子域", *[level.label for level in LEVELS], "成熟度（0–5）"]
    _header(ws, 1, names, [12, 22, *[10] * len(LEVELS), 12])
    ws.freeze_panes = "C2"
    line = 1
    for row in figures.rows:
        line += 1
        _text(ws, line, 1, row.row.domain)
        _text(ws, line, 2, row.row.name)
        for i, (cell_score, _css, _target) in enumerate(row.cells, start=3):
            _text(ws, line, i, "—" if cell_score is None else _figure(cell_score))
        _text(ws, line, 3 + len(LEVELS), _figure(row.maturity))
    line += 2
    _text(ws, line, 1, "“—”：标准在该等级没有要求或要求均不适用，该子域不参与该等级计分。")


def _plan(ws: Worksheet, plan_rows: Sequence[Sequence[Value]]) -> None:
    header, *body = plan_rows
    _header(ws, 1, [str(h) for h in header], [max(10.0, min(50.0, 2.2 * len(str(h)) + 6)) for h in header])
    for line, values in enumerate(body, start=2):
        for column, value in enumerate(values, start=1):
            _text(ws, line, column, value)


def next_workbook(result: Result, *, exported_at: datetime | None = None) -> bytes:
    """The self-assessment workbook with ``result``'s ratings filled in, for the enterprise's next
    self-assessment: no assessment id, so it imports into a new one (same sector and standard version)."""
    assessment = result.assessment
    prefill = {
        requirement_id: Prefill(Rating(r.value), r.reason, "" if is_formal(result) else r.note)
        for requirement_id, r in ratings_of(result).items()
    }
    return workbook_bytes(
        catalog(assessment.catalog_version),
        Sector(assessment.sector),
        prefill,
        exported_at=exported_at or timezone.now(),
    )
