"""The assessment report as Word (.docx, python-docx), with the same content as the PDF (``reports.content``).

Real heading styles (Word's navigation pane and its table of contents work), a TOC field that Word fills in when
the document is opened (``w:updateFields``), tables with repeated header rows, charts as PNG (matplotlib with the
Noto CJK font given by path), page numbers in the footer and the enterprise in the header. Chinese text needs the
``w:eastAsia`` font set on every style as well as the Latin one.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

from docx import Document
from docx.document import Document as DocumentObject
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor
from docx.styles.style import ParagraphStyle
from docx.table import Table, _Cell
from docx.text.paragraph import Paragraph

from nfmaturity.assessments.models import Result
from nfmaturity.reports import charts
from nfmaturity.reports.content import Field, ReportContent, Standout, report_content
from nfmaturity.reports.fonts import DOCX_BODY_FONT, DOCX_HEADING_FONT
from nfmaturity.reports.qr import qr_png

BLUE = RGBColor(0x1F, 0x4E, 0x79)
GREY = RGBColor(0x5B, 0x67, 0x75)
HEADER_FILL = "E8EEF5"
PAGE_WIDTH_MM = 167  # A4 less the margins below
# The results page's heat bands (same colours as the PDF).
HEAT_FILLS = {
    "heat-4": "9FD8AE",
    "heat-3": "CDEBD5",
    "heat-2": "FBE7B5",
    "heat-1": "F9CFA6",
    "heat-0": "F2B8B5",
    "heat-none": "F4F6F8",
}
CHAPTERS = (
    "一、基本情况",
    "二、总体评估",
    "三、分析报告",
    "四、优秀经验",
    "五、短板不足",
    "六、改造建议",
    "七、不适用要求及理由",
    "八、证据索引",
    "九、评估方法说明",
    "十、评估组与合议",
    "十一、再次论证记录",
    "十二、签字页",
)


def _set_font(
    style: ParagraphStyle, name: str, size: float | None = None, *, bold: bool | None = None
) -> None:
    style.font.name = name
    r_pr = style.element.get_or_add_rPr()
    fonts = r_pr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        r_pr.append(fonts)
    for attribute in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(attribute), name)
    if size is not None:
        style.font.size = Pt(size)
    if bold is not None:
        style.font.bold = bold


def _styles(document: DocumentObject) -> None:
    styles = document.styles
    normal = styles["Normal"]
    assert isinstance(normal, ParagraphStyle)
    _set_font(normal, DOCX_BODY_FONT, 10.5)
    normal.paragraph_format.space_after = Pt(4)
    normal.paragraph_format.line_spacing = 1.35
    for name, size in (("Title", 22), ("Heading 1", 16), ("Heading 2", 13), ("Heading 3", 11)):
        style = styles[name]
        assert isinstance(style, ParagraphStyle)
        _set_font(style, DOCX_HEADING_FONT, size, bold=True)
        style.font.color.rgb = BLUE
        style.paragraph_format.space_before = Pt(12 if name != "Heading 3" else 8)
        style.paragraph_format.space_after = Pt(6)
        style.paragraph_format.keep_with_next = True


def _field(paragraph: Paragraph, instruction: str, placeholder: str = "") -> None:
    """A Word field (PAGE, NUMPAGES, TOC …) in ``paragraph``."""
    run = paragraph.add_run()
    begin = OxmlElement("w:fldChar")
    begin.set(qn("w:fldCharType"), "begin")
    run._r.append(begin)
    run = paragraph.add_run()
    text = OxmlElement("w:instrText")
    text.set(qn("xml:space"), "preserve")
    text.text = f" {instruction} "
    run._r.append(text)
    run = paragraph.add_run()
    separate = OxmlElement("w:fldChar")
    separate.set(qn("w:fldCharType"), "separate")
    run._r.append(separate)
    paragraph.add_run(placeholder)
    run = paragraph.add_run()
    end = OxmlElement("w:fldChar")
    end.set(qn("w:fldCharType"), "end")
    run._r.append(end)


def _update_fields_on_open(document: DocumentObject) -> None:
    """Word fills the table of contents and the page numbers in when it opens the file."""
    update = OxmlElement("w:updateFields")
    update.set(qn("w:val"), "true")
    document.settings.element.append(update)


def _shade(cell: _Cell, fill: str) -> None:
    properties = cell._tc.get_or_add_tcPr()
    shading = OxmlElement("w:shd")
    shading.set(qn("w:val"), "clear")
    shading.set(qn("w:color"), "auto")
    shading.set(qn("w:fill"), fill)
    properties.append(shading)


def _repeat_header(table: Table) -> None:
    row_properties = table.rows[0]._tr.get_or_add_trPr()
    header = OxmlElement("w:tblHeader")
    header.set(qn("w:val"), "true")
    row_properties.append(header)


def _set_cell(
    cell: _Cell, text: str, *, bold: bool = False, right: bool = False, size: float | None = None
) -> None:
    paragraph = cell.paragraphs[0]
    run = paragraph.add_run(text)
    run.bold = bold
    if size is not None:
        run.font.size = Pt(size)
    paragraph.paragraph_format.space_after = Pt(0)
    if right:
        paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT


def _table(
    document: DocumentObject,
    header: Sequence[str],
    rows: Sequence[Sequence[str]],
    *,
    widths: Sequence[float] | None = None,  # millimetres
    numeric: Sequence[int] = (),
    fills: Sequence[Sequence[str | None]] | None = None,
    size: float = 9,
) -> Table:
    table: Table = document.add_table(rows=1 + len(rows), cols=len(header))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    all_rows = table.rows
    for i, (cell, text) in enumerate(zip(all_rows[0].cells, header, strict=True)):
        _set_cell(cell, text, bold=True, right=i in numeric, size=size)
        _shade(cell, HEADER_FILL)
    _repeat_header(table)
    for r, values in enumerate(rows):
        cells = all_rows[r + 1].cells
        for i, (cell, text) in enumerate(zip(cells, values, strict=True)):
            _set_cell(cell, text, right=i in numeric, size=size)
            if fills is not None and fills[r][i]:
                _shade(cell, fills[r][i] or "")
    if widths is not None:
        _widths(table, widths)
    return table


def _widths(table: Table, widths: Sequence[float]) -> None:
    """Column widths in millimetres: Word reads the cells' widths, LibreOffice the table grid; set both."""
    table.autofit = False
    for column, width in zip(table.columns, widths, strict=True):
        column.width = Mm(width)
    for row in table.rows:
        for cell, width in zip(row.cells, widths, strict=True):
            cell.width = Mm(width)


def _fields(document: DocumentObject, fields: Sequence[Field], *, label_width: float = 45) -> Table:
    table: Table = document.add_table(rows=len(fields), cols=2)
    table.style = "Table Grid"
    for row, f in zip(table.rows, fields, strict=True):
        label, value = row.cells
        _set_cell(label, f.label, size=9.5)
        _shade(label, "F4F6F8")
        _set_cell(value, f.value, size=9.5)
    _widths(table, (label_width, PAGE_WIDTH_MM - label_width))
    return table


def _paragraph(document: DocumentObject, text: str, *, muted: bool = False, bold_lead: str = "") -> Paragraph:
    paragraph = document.add_paragraph()
    if bold_lead:
        paragraph.add_run(bold_lead).bold = True
    run = paragraph.add_run(text)
    if muted:
        run.font.color.rgb = GREY
    return paragraph


def _page_break(document: DocumentObject) -> None:
    document.add_paragraph().add_run().add_break(WD_BREAK.PAGE)


def _cover(document: DocumentObject, c: ReportContent) -> None:
    kind = document.add_paragraph()
    kind.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = kind.add_run(f"【{c.kind}】")
    run.font.color.rgb = BLUE
    title = document.add_paragraph(c.title, style="Title")
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    name = document.add_paragraph()
    name.alignment = WD_ALIGN_PARAGRAPH.CENTER
    name_run = name.add_run(c.enterprise)
    name_run.bold = True
    name_run.font.size = Pt(17)
    document.add_paragraph()
    _fields(document, c.cover, label_width=40)
    grade = document.add_paragraph()
    grade.alignment = WD_ALIGN_PARAGRAPH.CENTER
    grade.paragraph_format.space_before = Pt(18)
    grade.add_run("评估等级\n").font.color.rgb = GREY
    grade_run = grade.add_run(c.grade)
    grade_run.bold = True
    grade_run.font.size = Pt(20)
    grade_run.font.color.rgb = BLUE
    grade.add_run(f"\n总分 S = {c.total}（满分 5）")
    if c.verification_url:
        picture = document.add_paragraph()
        picture.alignment = WD_ALIGN_PARAGRAPH.CENTER
        picture.add_run().add_picture(io.BytesIO(qr_png(c.verification_url)), width=Mm(30))
        verify = document.add_paragraph()
        verify.alignment = WD_ALIGN_PARAGRAPH.CENTER
        verify_run = verify.add_run(
            f"扫码或访问下列地址核验本结果（结果编号 {c.result_number}）：\n{c.verification_url}"
        )
        verify_run.font.size = Pt(8.5)
    if c.self_assessment_notice:
        notice = document.add_paragraph()
        notice.alignment = WD_ALIGN_PARAGRAPH.CENTER
        notice.paragraph_format.space_before = Pt(18)
        notice_run = notice.add_run(c.self_assessment_notice)
        notice_run.font.color.rgb = RGBColor(0xB7, 0x79, 0x1F)
    date = document.add_paragraph()
    date.alignment = WD_ALIGN_PARAGRAPH.CENTER
    date.add_run(f"报告生成日期：{c.generated_at}").font.color.rgb = GREY


def _header_footer(document: DocumentObject, c: ReportContent) -> None:
    section = document.sections[0]
    section.different_first_page_header_footer = True  # the cover carries neither
    header = section.header.paragraphs[0]
    header.text = c.footer
    header.runs[0].font.size = Pt(8.5)
    header.runs[0].font.color.rgb = GREY
    footer = section.footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    footer.add_run("第 ")
    _field(footer, "PAGE", "1")
    footer.add_run(" 页 / 共 ")
    _field(footer, "NUMPAGES", "1")
    footer.add_run(" 页")
    for run in footer.runs:
        run.font.size = Pt(8.5)


def _toc(document: DocumentObject, chapters: Sequence[str]) -> None:
    heading = document.add_paragraph()
    heading.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = heading.add_run("目　录")
    run.bold = True
    run.font.size = Pt(16)
    # Until Word updates the field (it is asked to on opening), the chapter titles stand in for it.
    _field(document.add_paragraph(), 'TOC \\o "1-2" \\h \\z \\u', "\n".join(chapters))
    note = _paragraph(
        document, "（目录页码由 Word 在打开文档时更新；如未更新，请右键单击目录选择“更新域”。）", muted=True
    )
    note.runs[0].font.size = Pt(8.5)
    _page_break(document)


def _overall(document: DocumentObject, c: ReportContent) -> None:
    document.add_heading(CHAPTERS[1], level=1)
    _fields(
        document,
        (
            Field("总分 S", c.total),
            Field("评估等级", c.grade),
            Field("连续满足的最高等级", c.consecutive_level),
        ),
    )
    if c.warning:
        warning = _paragraph(document, c.warning, bold_lead="警示：")
        warning.paragraph_format.space_before = Pt(6)
        for run in warning.runs:
            run.font.color.rgb = RGBColor(0xC0, 0x39, 0x2B)
    _paragraph(document, c.grade_description, bold_lead="等级含义（表3）：")
    if c.formal and c.formal.overall:
        _paragraph(document, c.formal.overall, bold_lead="评估组总体评价：")
    document.add_heading("各等级得分（满足线 0.8）", level=2)
    document.add_picture(
        io.BytesIO(
            charts.levels_png(
                [line.label for line in c.levels],
                [line.fraction for line in c.levels],
                [line.score for line in c.levels],
            )
        ),
        width=Mm(140),
    )
    header = ["等级", "得分", "是否满足", "计入总分"]
    rows = [[line.label, line.score, "满足" if line.met else "未满足", line.counted] for line in c.levels]
    total_row = ["总分", "", "", c.total]
    if c.change:
        header += ["上次得分", "变化"]
        rows = [
            [*row, line.previous or "—", line.delta or "—"] for row, line in zip(rows, c.levels, strict=True)
        ]
        total_row += [c.change.previous_total, c.change.total_delta]
    _table(document, header, [*rows, total_row], numeric=(1, 3, 4, 5))
    if c.change:
        _paragraph(
            document,
            f"与上次评估比较：上次评估为{c.change.label}，总分 {c.change.previous_total}，{c.change.previous_grade}；"
            f"本次总分 {c.total}，变化 {c.change.total_delta}（按两次显示值相减）。",
        )
    else:
        _paragraph(
            document, "本企业（同一评估对象、同一环节）此前没有已提交的评估，无法比较变化。", muted=True
        )


def _analysis(document: DocumentObject, c: ReportContent) -> None:
    document.add_heading(CHAPTERS[2], level=1)
    document.add_heading("能力域成熟度雷达图（0–5）", level=2)
    document.add_picture(
        io.BytesIO(charts.radar_png([d.name for d in c.domains], [d.value for d in c.domains])), width=Mm(110)
    )
    header = ["能力域", *c.level_labels, "成熟度"]
    rows = [[d.name, *(cell.shown for cell in d.levels), d.maturity] for d in c.domains]
    fills: list[list[str | None]] = [
        [None, *(HEAT_FILLS[cell.heat] for cell in d.levels), None] for d in c.domains
    ]
    if c.change:
        header.append("较上次")
        rows = [[*row, d.change or "—"] for row, d in zip(rows, c.domains, strict=True)]
        fills = [[*f, None] for f in fills]
    _table(document, header, rows, numeric=tuple(range(1, len(header))), fills=fills)
    document.add_heading("同类企业对比", level=2)
    if c.peer:
        _paragraph(
            document,
            f"对比组：{c.peer.group}（本企业之外 {c.peer.others} 家，取各企业最近一次已提交的评估）。"
            f"本企业总分高于对比组中 {c.peer.total_percentile}% 的企业（并列计一半）；各能力域成熟度的位置如下"
            "（只给百分位，不显示任何其他企业的分数）。",
        )
        _table(document, [name for name, _ in c.peer.domains], [[f"{p}%" for _, p in c.peer.domains]], size=8)
    else:
        _paragraph(
            document, "同一环节、同等规模（或同种金属）的可比企业不足 5 家，不作同类对比。", muted=True
        )
    document.add_heading("能力子域 × 等级得分热力表", level=2)
    sub_rows = []
    sub_fills: list[list[str | None]] = []
    for d in c.domains:
        for s in d.subdomains:
            sub_rows.append([s.domain, s.name, *(cell.shown for cell in s.cells), s.maturity])
            sub_fills.append([None, None, *(HEAT_FILLS[cell.heat] for cell in s.cells), None])
    _table(
        document,
        ["能力域", "能力子域", *c.level_labels, "成熟度"],
        sub_rows,
        widths=(24, 38, 17, 17, 17, 17, 17, 20),
        numeric=(2, 3, 4, 5, 6, 7),
        fills=sub_fills,
        size=8,
    )
    _paragraph(
        document,
        "色块：深绿 1.00，浅绿 ≥ 0.8，黄 0.5–0.8，橙 < 0.5，红 0；“—”：该子域不参与该等级计分。",
        muted=True,
    )


def _standouts(document: DocumentObject, title: str, text: str, lines: Sequence[Standout]) -> None:
    document.add_heading(title, level=1)
    if text:
        for paragraph in (p for p in text.splitlines() if p.strip()):
            _paragraph(document, paragraph.strip())
    if lines:
        _table(
            document,
            ["能力域", "能力子域", "成熟度（0–5）"],
            [[s.domain, s.name, s.maturity] for s in lines],
            widths=(50, 70, 47),
            numeric=(2,),
        )
    elif not text:
        _paragraph(document, "暂无。", muted=True)


def _advice(document: DocumentObject, c: ReportContent) -> None:
    document.add_heading(CHAPTERS[5], level=1)
    document.add_heading("企业整体层面", level=2)
    for paragraph in c.advice.enterprise_level:
        _paragraph(document, paragraph)
    document.add_heading("具体场景层面", level=2)
    _paragraph(document, c.advice.plan_note, muted=True)
    saved = c.advice.saved_plan
    for scenario in c.advice.scenarios:
        document.add_heading(
            f"{scenario.scenario}（{len(scenario.actions)} 项，约 {scenario.effort} 人周）", level=3
        )
        header = ["等级", "能力域 / 子域", "需建设的能力", "现状 → 目标", "人周"]
        rows = [
            [
                a.level,
                f"{a.domain} / {a.subdomain}" + (f" 第{a.number}条" if a.number else ""),
                a.title,
                f"{a.have} → {a.build}",
                str(a.effort),
            ]
            for a in scenario.actions
        ]
        widths: tuple[float, ...] = (12, 33, 80, 30, 12)
        if saved:
            header.append("负责人 / 期限 / 状态")
            rows = [
                [*row, f"{a.owner or '—'} / {a.due or '—'} / {a.status}"]
                for row, a in zip(rows, scenario.actions, strict=True)
            ]
            widths = (11, 28, 58, 26, 11, 33)
        _table(document, header, rows, widths=widths, numeric=(4,))


def _formal(document: DocumentObject, c: ReportContent) -> None:
    formal = c.formal
    if formal is None:
        return
    document.add_heading(CHAPTERS[9], level=1)
    document.add_heading("评估组成员", level=2)
    _table(
        document,
        ["姓名", "职务", "职称", "专业领域", "保密承诺签署"],
        [[t.name, t.role, t.title, t.disciplines, t.signed] for t in formal.team],
        widths=(28, 18, 35, 50, 36),
    )
    document.add_heading("评分合议情况", level=2)
    _fields(document, formal.consensus, label_width=70)
    if formal.final_conclusion:
        document.add_heading("最终结论（末次会议）", level=2)
        _paragraph(document, formal.final_conclusion)
    document.add_heading(CHAPTERS[10], level=1)
    if formal.contests:
        _table(
            document,
            ["要求", "企业异议理由", "处理结果", "评估组答复", "评分变化"],
            [[p.requirement, p.argument, p.state, p.answer, p.change] for p in formal.contests],
            widths=(30, 45, 20, 45, 27),
        )
    else:
        _paragraph(document, "受评估方在结果沟通阶段未提出异议。")
    _page_break(document)
    document.add_heading(CHAPTERS[11], level=1)
    _paragraph(document, "评估组确认：本报告所列评估结果由评估组依据标准独立评分、合议确定，内容真实、准确。")
    _paragraph(document, f"结果编号：{c.result_number}　　校验码：{formal.check_code}")
    table = document.add_table(rows=len(formal.signatories), cols=3)
    for row, who in zip(table.rows, formal.signatories, strict=True):
        for cell, text in zip(row.cells, (who, "签字：", "日期："), strict=True):
            _set_cell(cell, text, size=10.5)
            cell.paragraphs[0].paragraph_format.space_before = Pt(18)


def content_to_docx(c: ReportContent) -> bytes:
    document = Document()
    _styles(document)
    section = document.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(25), Mm(22)
    section.left_margin, section.right_margin = Mm(23), Mm(20)
    properties = document.core_properties
    properties.title = f"{c.title} · {c.enterprise}"
    properties.author = c.body
    properties.subject = f"{c.sector}{c.kind} {c.grade}"
    _header_footer(document, c)
    _cover(document, c)
    _page_break(document)
    _toc(document, CHAPTERS if c.formal else CHAPTERS[:9])
    document.add_heading(CHAPTERS[0], level=1)
    _fields(document, c.basics)
    if c.formal and c.formal.meetings:
        document.add_heading("评估过程", level=2)
        _fields(document, (Field("评估机构", c.formal.body), *c.formal.meetings))
    _overall(document, c)
    _analysis(document, c)
    _standouts(document, CHAPTERS[3], c.strengths_text, c.strengths)
    _standouts(document, CHAPTERS[4], c.weaknesses_text, c.weaknesses)
    _advice(document, c)
    document.add_heading(CHAPTERS[6], level=1)
    if c.not_applicable:
        _table(
            document,
            ["要求", "能力域", "要求内容", "不适用理由"],
            [[n.label, n.domain, n.text, n.reason] for n in c.not_applicable],
            widths=(35, 20, 67, 45),
        )
    else:
        _paragraph(document, "本次评估没有评为“不适用”的要求。")
    document.add_heading(CHAPTERS[7], level=1)
    if c.evidence:
        _table(
            document,
            ["支撑的要求", "证据", "方式", "日期", "SHA-256（前12位）"],
            [[e.requirements, e.name, e.method, e.date, e.digest] for e in c.evidence],
            widths=(40, 45, 25, 24, 33),
        )
    else:
        _paragraph(document, "本次评估未上传证据文件。")
    document.add_heading(CHAPTERS[8], level=1)
    _fields(document, c.methodology)
    _formal(document, c)
    _update_fields_on_open(document)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def build_docx(result: Result) -> bytes:
    """The report of a stored result as .docx bytes."""
    return content_to_docx(report_content(result))
