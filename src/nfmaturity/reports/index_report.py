"""The jurisdiction's yearly 数字化转型指数报告 (issue 12 point 5), as PDF and as Word, from one content model.

Every figure comes from the analytics selectors over the stored results: each counted enterprise by its last
result submitted in the year (``selectors.year_figures``), its grade distribution, the breakdowns by city, sector,
metal and size, the domains weakest first, and the movers (grade of the last result of the year against the
previous year's). Not the dashboard's year filter (whose *latest* result is from the year): a past year's report
would lose every enterprise that has assessed since (QA12-F1). For the current year the two agree.
The PDF goes through ``reports.pdf.html_to_pdf`` (WeasyPrint, CJK faces) with SVG charts drawn here; the Word
file is written with python-docx with a matplotlib chart, as the assessment report does.

The files are built by the background worker (``jobs.generate_index``), asked for on the page in
``reports.index_views``; ``reports.index_files`` says who may see them and when a finished one is reused.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from html import escape
from typing import Any

from django.template.loader import render_to_string
from django.utils import timezone
from docx import Document
from docx.shared import Mm, Pt

from nfmaturity.accounts.access import AnyUser
from nfmaturity.analytics import selectors
from nfmaturity.analytics.filters import DashboardFilter
from nfmaturity.assessments.models import GradeLevel
from nfmaturity.enterprises import regions
from nfmaturity.enterprises.access import jurisdiction_of
from nfmaturity.enterprises.models import SizeClass
from nfmaturity.reports.charts import SVG_FONT
from nfmaturity.reports.fonts import DOCX_BODY_FONT, register_for_matplotlib
from nfmaturity.reports.pdf import STATIC, html_to_pdf

BAR = "#2b6cb0"
WEAK = "#d08a16"
MOVERS_LISTED = 200  # the table lists at most this many movers each way; the counts cover all of them

# Its own layout on top of the report defaults (a file: the CSP test forbids <style> in templates).
STYLESHEET = STATIC / "index_report.css"


@dataclass
class Row:
    label: str
    enterprises: int
    average: Decimal | None
    good_share: Decimal | None
    grades: list[int]


@dataclass
class MoverRow:
    name: str
    region: str
    size: str
    before: str
    after: str


@dataclass
class IndexReport:
    jurisdiction_name: str
    year: int
    generated_at: datetime
    demo: bool
    assessed: int
    average: Decimal | None
    good: int
    good_share: Decimal | None
    previous_assessed: int
    previous_average: Decimal | None
    previous_good_share: Decimal | None
    grade_labels: list[str]
    grade_short: list[str]
    grade_counts: list[int]
    region_heading: str
    by_region: list[Row]
    by_sector: list[Row]
    by_metal: list[Row]
    by_size: list[Row]
    domains: list[dict[str, Any]]
    rose: int
    fell: int
    risers: list[MoverRow]
    fallers: list[MoverRow]

    @property
    def title(self) -> str:
        return f"{self.jurisdiction_name}有色金属行业{self.year}年数字化转型指数报告"


def _rows(tallies: list[selectors.Tally]) -> list[Row]:
    return [Row(t.label, t.assessed, t.average, t.good_share, t.grade_counts) for t in tallies if t.assessed]


def build_index_report(user: AnyUser, year: int) -> IndexReport:
    jurisdiction = jurisdiction_of(user)
    if jurisdiction is None:
        raise ValueError("the index report is for regulators and the platform admin")
    board = selectors.year_figures(user, year)
    previous = selectors.year_figures(user, year - 1).overall
    moved = selectors.movers(user, DashboardFilter(), year)
    labels = dict(GradeLevel.choices)
    sizes = dict(SizeClass.choices)

    def mover_row(m: selectors.Mover) -> MoverRow:
        city = regions.city_of(m.region_code)
        region = regions.full_name(m.region_code).split(" ", 1)[-1] if city else m.region_code
        return MoverRow(m.name, region, sizes.get(m.size, m.size), labels[m.before], labels[m.after])

    risers = [m for m in moved if m.after > m.before]
    fallers = [m for m in moved if m.after < m.before]
    return IndexReport(
        jurisdiction_name=regions.jurisdiction_name(jurisdiction),
        year=year,
        generated_at=timezone.localtime(),
        demo=board.viewer.demo,
        assessed=board.overall.assessed,
        average=board.overall.average,
        good=board.overall.good,
        good_share=board.overall.good_share,
        previous_assessed=previous.assessed,
        previous_average=previous.average,
        previous_good_share=previous.good_share,
        grade_labels=list(GradeLevel.labels),
        grade_short=[label.split(" ")[0] for label in GradeLevel.labels],
        grade_counts=board.overall.grade_counts,
        region_heading=board.region_heading,
        by_region=_rows(board.by_region),
        by_sector=_rows(board.by_sector),
        by_metal=_rows(board.by_metal),
        by_size=_rows(board.by_size),
        domains=board.domains,
        rose=len(risers),
        fell=len(fallers),
        risers=[mover_row(m) for m in risers[:MOVERS_LISTED]],
        fallers=[mover_row(m) for m in sorted(fallers, key=lambda m: (m.after - m.before, m.name))][
            :MOVERS_LISTED
        ],
    )


# ---- charts (SVG for the PDF) ------------------------------------------------------------------------------


def bars_svg(
    labels: list[str], values: list[float], shown: list[str], *, maximum: float, width: int = 520
) -> str:
    """Horizontal bars, each with its printed figure (the chart never shows a number the table does not)."""
    row, left, right = 26, 120, 60
    height = row * len(labels) + 10
    span = width - left - right
    top = maximum or 1.0
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" '
        f'height="{height}" class="chart" {SVG_FONT} role="img">'
    ]
    for i, (label, value, text) in enumerate(zip(labels, values, shown, strict=True)):
        y = 5 + i * row
        parts.append(
            f'<text x="{left - 8}" y="{y + 15}" font-size="11" text-anchor="end">{escape(label)}</text>'
            f'<rect x="{left}" y="{y + 4}" width="{span * max(0.0, value) / top:.1f}" height="14" fill="{BAR}"/>'
            f'<text x="{left + span * max(0.0, value) / top + 6:.1f}" y="{y + 15}" font-size="11">{escape(text)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _distribution_chart(report: IndexReport) -> str:
    counts = list(reversed(report.grade_counts))
    return bars_svg(
        list(reversed(report.grade_labels)),
        [float(n) for n in counts],
        [str(n) for n in counts],
        maximum=float(max(counts) if counts else 0),
    )


def _domain_chart(report: IndexReport) -> str:
    rows = [d for d in report.domains if d["figures"][0] is not None]
    return bars_svg(
        [d["name"] for d in rows],
        [float(d["figures"][0]) for d in rows],
        [str(d["figures"][0]) for d in rows],
        maximum=5.0,
    )


def render_html(report: IndexReport) -> str:
    return render_to_string(
        "reports/index_report.html",
        {
            "r": report,
            "distribution_chart": _distribution_chart(report),
            "domain_chart": _domain_chart(report),
            "summary": _summary(report),
            "movers_text": _movers_text(report),
            "method": METHOD,
            "grades": list(zip(report.grade_labels, report.grade_counts, strict=True))[::-1],
            "movers": [("升级企业", report.risers), ("降级企业", report.fallers)],
            "sections": [
                (report.region_heading, report.by_region),
                ("按环节", report.by_sector),
                ("按金属", report.by_metal),
                ("按企业规模", report.by_size),
            ],
        },
    )


def build_pdf(report: IndexReport) -> bytes:
    return html_to_pdf(render_html(report), stylesheets=(STYLESHEET,))


# ---- Word ------------------------------------------------------------------------------------------------


def _chart_png(labels: list[str], values: list[float], shown: list[str], *, maximum: float) -> bytes:
    family = register_for_matplotlib()
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    with plt.rc_context(
        {"font.family": "sans-serif", "font.sans-serif": [family], "axes.unicode_minus": False}
    ):
        figure = plt.figure(figsize=(5.6, 0.35 * len(labels) + 0.6), dpi=150)
        axes = figure.add_subplot()
        positions = list(range(len(labels)))[::-1]
        axes.barh(positions, values, color=BAR, height=0.6)
        for position, value, text in zip(positions, values, shown, strict=True):
            axes.text(value + maximum * 0.01, position, text, va="center", fontsize=8)
        axes.set_yticks(positions)
        axes.set_yticklabels(labels, fontsize=8)
        axes.set_xlim(0, (maximum or 1.0) * 1.12)
        for side in ("top", "right"):
            axes.spines[side].set_visible(False)
        figure.tight_layout()
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png")
        plt.close(figure)
    return buffer.getvalue()


def _table(
    document: Any,
    heads: list[str],
    rows: list[list[str]],
    *,
    size: float | None = None,
    widths: list[float] | None = None,
) -> None:
    """A grid table; ``size`` (points) for wide ones, ``widths`` (mm per column) so a long name gets the room
    (Word otherwise splits the page evenly and wraps a company name over four lines)."""
    table = document.add_table(rows=1, cols=len(heads))
    table.style = "Table Grid"
    if widths is not None:
        table.autofit = False
    for values in [heads, *rows]:
        cells = table.rows[0].cells if values is heads else table.add_row().cells
        for i, (cell, text) in enumerate(zip(cells, values, strict=True)):
            cell.text = text
            if widths is not None:
                cell.width = Mm(widths[i])
            if size is not None:
                for paragraph in cell.paragraphs:
                    for run in paragraph.runs:
                        run.font.size = Pt(size)


def _figure(value: Decimal | None, suffix: str = "") -> str:
    return "—" if value is None else f"{value}{suffix}"


def build_docx(report: IndexReport) -> bytes:
    document = Document()
    for style in ("Normal", "Heading 1", "Heading 2", "Title"):
        font = document.styles[style].font
        font.name = DOCX_BODY_FONT
        element = document.styles[style].element
        element.rPr.rFonts.set(
            "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}eastAsia", DOCX_BODY_FONT
        )
    document.styles["Normal"].font.size = Pt(10.5)
    section = document.sections[0]
    section.left_margin = section.right_margin = Mm(20)
    document.add_heading(report.title, level=0)
    document.add_paragraph(_summary(report))
    if report.demo:
        document.add_paragraph("本报告依据演示数据生成，所有企业均为虚构，不代表任何真实企业。")
    document.add_heading("一、等级分布", level=1)
    counts = list(reversed(report.grade_counts))
    document.add_picture(
        io.BytesIO(
            _chart_png(
                list(reversed(report.grade_labels)),
                [float(n) for n in counts],
                [str(n) for n in counts],
                maximum=float(max(counts) if counts else 0),
            )
        ),
        width=Mm(150),
    )
    _table(
        document,
        ["等级", "企业数"],
        [[label, str(n)] for label, n in zip(report.grade_labels, report.grade_counts, strict=True)],
    )
    document.add_heading("二、分地区、环节、金属与规模", level=1)
    for title, rows in (
        (report.region_heading, report.by_region),
        ("按环节", report.by_sector),
        ("按金属", report.by_metal),
        ("按企业规模", report.by_size),
    ):
        document.add_heading(title, level=2)
        if not rows:
            document.add_paragraph("本年度没有提交的评估。")
            continue
        # The same columns as the PDF's table: the grade counts of each group too.
        _table(
            document,
            ["分组", "企业数", *report.grade_short, "平均总分", "二级及以上占比"],
            [
                [
                    r.label,
                    str(r.enterprises),
                    *(str(n) for n in r.grades),
                    _figure(r.average),
                    _figure(r.good_share, "%"),
                ]
                for r in rows
            ],
            size=8,
        )
    document.add_heading("三、能力域短板（由弱到强）", level=1)
    _table(
        document,
        ["能力域", "平均成熟度", "S1", "S2", "S3", "S4", "S5"],
        [[d["name"], *(_figure(f) for f in d["figures"])] for d in report.domains],
    )
    document.add_heading(f"四、等级变化（{report.year - 1} 年 → {report.year} 年）", level=1)
    document.add_paragraph(_movers_text(report))
    for title, moved in (("升级企业", report.risers), ("降级企业", report.fallers)):
        if moved:
            document.add_heading(title, level=2)
            _table(
                document,
                ["企业", "地区", "规模", f"{report.year - 1} 年", f"{report.year} 年"],
                [[m.name, m.region, m.size, m.before, m.after] for m in moved],
                size=8,
                widths=[62, 40, 14, 27, 27],
            )
    document.add_heading("五、统计口径", level=1)
    document.add_paragraph(METHOD)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


METHOD = (
    "统计对象为管辖范围内已核验的企业（演示企业不计入真实数据），每家企业取其在报告年度内最近一次提交的评估结果"
    "（自评估或正式评估），读取平台保存的结果，不重新计分。平均值按精确值计算，显示时截断保留两位小数。"
    "等级变化比较企业在上一年度与报告年度各自最后一次提交结果的等级。"
)


def _summary(report: IndexReport) -> str:
    text = (
        f"{report.year} 年，{report.jurisdiction_name}共有 {report.assessed} 家已核验企业提交了数字化转型成熟度评估，"
        f"平均总分 {_figure(report.average)}，二级及以上 {report.good} 家，占 {_figure(report.good_share, '%')}。"
    )
    if report.previous_assessed:
        text += (
            f"上一年度为 {report.previous_assessed} 家，平均总分 {_figure(report.previous_average)}，"
            f"二级及以上占 {_figure(report.previous_good_share, '%')}。"
        )
    weakest = [d["name"] for d in report.domains[:2]]
    if weakest:
        text += f"平均成熟度最低的能力域是{'、'.join(weakest)}。"
    return text


def _movers_text(report: IndexReport) -> str:
    return (
        f"两个年度都有结果的企业中，等级上升 {report.rose} 家、下降 {report.fell} 家"
        f"（表中各列出至多 {MOVERS_LISTED} 家，升级按升幅从大到小）。"
    )
