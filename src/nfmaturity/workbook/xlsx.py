"""The offline self-assessment workbook (.xlsx): writing a blank one, reading a filled one back.

The workbook records the catalog code, version and sector in a hidden sheet, so a filled file can be
read back safely: a workbook for another sector or another version of the standard is refused, not
silently mis-scored. Text columns are protected; the rating, reason and note columns are open.
"""

from __future__ import annotations

import unicodedata
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from io import BytesIO
from pathlib import Path
from typing import Any, BinaryIO

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.properties import PageSetupProperties

from nfmaturity.catalog.model import Catalog, Sector
from nfmaturity.scoring.ratings import RATING_LABELS, Rating, UnknownRatingError, parse_rating

FORMAT = "nfm-self-assessment"
FORMAT_VERSION = "1"
SHEET = "自评估"
META_SHEET = "_meta"
GUIDE_SHEET = "填写说明"

# (header, width in Excel character units). The requirement id is last: the file is read back by it, a
# person filling the sheet does not need it.
COLUMNS: tuple[tuple[str, int], ...] = (
    ("序号", 6),
    ("能力域", 11),
    ("能力子域", 14),
    ("等级", 6),
    ("条目", 5),
    ("要求内容", 62),
    ("原文疑点", 24),
    ("评分", 12),
    ("不适用理由", 22),
    ("备注", 22),
    ("要求编号", 34),
)
WRAPPED = ("能力子域", "要求内容", "原文疑点", "不适用理由", "备注")
LINE_HEIGHT = 15.0  # points per wrapped line at the default 11 pt font
COL = {name: i for i, (name, _) in enumerate(COLUMNS, start=1)}
EDITABLE = ("评分", "不适用理由", "备注")
RATING_CHOICES = [RATING_LABELS[r] for r in Rating]


class WorkbookError(Exception):
    """A workbook cannot be read. ``problems`` lists every problem found, in Chinese."""

    def __init__(self, file: str, problems: list[str]) -> None:
        super().__init__(f"{file}：" + "；".join(problems))
        self.file = file
        self.problems = problems


@dataclass(frozen=True)
class FilledRow:
    row_number: int  # the spreadsheet row, as the user sees it
    requirement_id: str
    rating: Rating | None  # None: not rated yet
    na_reason: str
    note: str


@dataclass(frozen=True)
class FilledWorkbook:
    file: str
    code: str
    version: str
    sector: Sector
    rows: tuple[FilledRow, ...]


@dataclass(frozen=True)
class Prefill:
    """A rating already given (on the platform), written into the workbook so offline work goes on from it."""

    rating: Rating
    na_reason: str = ""
    note: str = ""


def write_workbook(
    catalog: Catalog,
    sector: Sector,
    target: Path | BinaryIO,
    prefill: Mapping[str, Prefill] | None = None,
) -> None:
    """Write the self-assessment workbook for ``sector``: blank, or with the ratings of ``prefill``."""
    view = catalog.for_sector(sector)
    notes = {n.id: n for n in view.notes}
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = SHEET

    header_fill = PatternFill("solid", fgColor="1F4E79")
    open_fill = PatternFill("solid", fgColor="FFF9E5")
    thin = Side(style="thin", color="BFBFBF")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    for col, (name, width) in enumerate(COLUMNS, start=1):
        cell = ws.cell(row=1, column=col, value=name)
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = header_fill
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        cell.border = border
        ws.column_dimensions[get_column_letter(col)].width = width
    ws.row_dimensions[1].height = 24
    ws.freeze_panes = "B2"

    rows = {row.id: row for row in view.rows}
    line = 2
    for serial, req in enumerate(view.requirements(), start=1):
        row = rows[req.row]
        note_text = "；".join(f"{n}：{notes[n].text}" for n in req.notes if n in notes)
        values: dict[str, Any] = {
            "序号": serial,
            "要求编号": req.id,
            "能力域": row.domain,
            "能力子域": row.name,
            "等级": req.level.label,
            "条目": req.number,
            "要求内容": req.text,
            "原文疑点": note_text,
        }
        for name, value in values.items():
            cell = ws.cell(row=line, column=COL[name], value=value)
            cell.alignment = Alignment(vertical="top", wrap_text=True)
            cell.border = border
        id_cell = ws.cell(row=line, column=COL["要求编号"])
        id_cell.font = Font(color="808080", size=8)
        id_cell.alignment = Alignment(vertical="top", wrap_text=False)
        # openpyxl cannot auto-fit: give each row the height its longest wrapped cell needs.
        ws.row_dimensions[line].height = LINE_HEIGHT * max(
            _wrapped_lines(str(values.get(name) or ""), dict(COLUMNS)[name]) for name in WRAPPED
        )
        given = (prefill or {}).get(req.id)
        if given is not None:
            ws.cell(row=line, column=COL["评分"], value=given.rating.label)
            ws.cell(row=line, column=COL["不适用理由"], value=given.na_reason or None)
            ws.cell(row=line, column=COL["备注"], value=given.note or None)
        for name in EDITABLE:
            open_cell = ws.cell(row=line, column=COL[name])
            open_cell.protection = Protection(locked=False)
            open_cell.fill = open_fill
            open_cell.border = border
            open_cell.alignment = Alignment(vertical="top", wrap_text=True)
        line += 1
    last = line - 1

    rating_col = get_column_letter(COL["评分"])
    validation = DataValidation(
        type="list",
        formula1='"' + ",".join(RATING_CHOICES) + '"',
        allow_blank=True,
        showErrorMessage=True,
        errorTitle="评分无效",
        error="请从下拉列表中选择：" + "、".join(RATING_CHOICES),
        promptTitle="评分",
        prompt="全部满足=1，大部分满足=0.8，部分满足=0.5，不满足=0；选“不适用”须填写理由",
        showInputMessage=True,
    )
    validation.add(f"{rating_col}2:{rating_col}{last}")
    ws.add_data_validation(validation)
    ws.auto_filter.ref = f"A1:{get_column_letter(len(COLUMNS))}{last}"
    ws.protection.sheet = True
    ws.protection.autoFilter = False
    ws.protection.sort = False
    ws.protection.formatColumns = False
    ws.protection.formatRows = False
    ws.print_title_rows = "1:1"
    ws.page_setup.orientation = "landscape"
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.page_setup.paperSize = ws.PAPERSIZE_A4

    guide = wb.create_sheet(GUIDE_SHEET)
    guide_lines = [
        f"{view.title}",
        f"自评估工作簿 · {sector.label}企业 · 标准版本 {view.code}-{view.version}",
        f"生成时间：{datetime.now().strftime('%Y-%m-%d %H:%M')}　要求条数：{last - 1}"
        + (f"　已带入平台上的评分 {len(prefill)} 项" if prefill else ""),
        "",
        "填写方法：",
        "1. 在“自评估”表的“评分”列逐条选择：全部满足（1）、大部分满足（0.8）、部分满足（0.5）、不满足（0）或不适用。",
        "2. 选择“不适用”时必须在“不适用理由”列写明理由，否则导入时会被拒绝。",
        "3. “备注”列可填写证据、说明等；要求内容、编号等列已锁定，请勿修改或删除行。",
        "4. 填好后可在平台“自评估 → 导入工作簿”导入，或用命令 nfm score 文件.xlsx 计算得分。",
        "5. 本工作簿只能用于上述行业与标准版本；其他行业或版本的工作簿会被拒绝导入。",
        "",
        "原文疑点：标注的要求在标准原文中有错字、编号异常等情况，平台照录原文，说明见“原文疑点”列。",
    ]
    for i, text in enumerate(guide_lines, start=1):
        cell = guide.cell(row=i, column=1, value=text)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        if i <= 2:
            cell.font = Font(bold=True, size=13 if i == 1 else 11)
    guide.column_dimensions["A"].width = 110
    guide.protection.sheet = True

    meta = wb.create_sheet(META_SHEET)
    for i, (key, value) in enumerate(
        [
            ("format", FORMAT),
            ("format_version", FORMAT_VERSION),
            ("code", view.code),
            ("version", view.version),
            ("sector", sector.value),
            ("requirements", str(last - 1)),
        ],
        start=1,
    ):
        meta.cell(row=i, column=1, value=key)
        meta.cell(row=i, column=2, value=value)
    meta.sheet_state = "veryHidden"
    meta.protection.sheet = True
    wb.active = 0
    wb.save(target)


def workbook_bytes(catalog: Catalog, sector: Sector, prefill: Mapping[str, Prefill] | None = None) -> bytes:
    buffer = BytesIO()
    write_workbook(catalog, sector, buffer, prefill)
    return buffer.getvalue()


def read_workbook(source: Path | BinaryIO, name: str | None = None) -> FilledWorkbook:
    """Read a filled workbook. Raises ``WorkbookError`` listing every problem found.

    This checks the file's own structure and values; whether every requirement of the catalog is
    present and rated is the caller's check (it needs the catalog of the recorded version).
    """
    file = name or (source.name if isinstance(source, Path) else "上传的文件")
    try:
        wb = load_workbook(source, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise WorkbookError(file, ["无法读取文件：不是有效的 Excel（.xlsx）工作簿"]) from exc
    if META_SHEET not in wb.sheetnames or SHEET not in wb.sheetnames:
        raise WorkbookError(file, ["不是本平台导出的自评估工作簿（缺少工作表“自评估”或版本信息）"])
    meta = {
        str(r[0].value): str(r[1].value)
        for r in wb[META_SHEET].iter_rows(max_col=2)
        if r[0].value is not None
    }
    if meta.get("format") != FORMAT:
        raise WorkbookError(file, ["不是本平台导出的自评估工作簿（格式标记不符）"])
    if meta.get("format_version") != FORMAT_VERSION:
        raise WorkbookError(
            file, [f"工作簿格式版本“{meta.get('format_version')}”不受支持，请重新导出空白工作簿"]
        )
    try:
        sector = Sector(meta.get("sector", ""))
    except ValueError as exc:
        raise WorkbookError(file, [f"工作簿记录的行业“{meta.get('sector')}”无效"]) from exc

    ws = wb[SHEET]
    header = [c.value for c in next(ws.iter_rows(min_row=1, max_row=1))]
    missing_cols = [name for name, _ in COLUMNS if name not in header]
    if missing_cols:
        raise WorkbookError(file, [f"工作表“自评估”缺少列：{'、'.join(missing_cols)}"])
    index = {name: header.index(name) for name, _ in COLUMNS}

    problems: list[str] = []
    rows: list[FilledRow] = []
    seen: dict[str, int] = {}
    for row_number, values in enumerate(ws.iter_rows(min_row=2, values_only=True), start=2):
        req_id = _text(values[index["要求编号"]])
        raw_rating = values[index["评分"]]
        reason = _text(values[index["不适用理由"]])
        note = _text(values[index["备注"]])
        if not req_id:
            if raw_rating not in (None, "") or reason or note:
                problems.append(f"第{row_number}行：缺少要求编号")
            continue
        if req_id in seen:
            problems.append(f"第{row_number}行：要求编号 {req_id} 与第{seen[req_id]}行重复")
            continue
        seen[req_id] = row_number
        rating: Rating | None = None
        if raw_rating is not None and _text(raw_rating) != "":
            try:
                rating = parse_rating(raw_rating if not isinstance(raw_rating, str) else raw_rating.strip())
            except UnknownRatingError as exc:
                problems.append(f"第{row_number}行（{req_id}）：{exc}")
                continue
        if rating == Rating.NOT_APPLICABLE and not reason:
            problems.append(f"第{row_number}行（{req_id}）：选择“不适用”必须填写不适用理由")
        rows.append(FilledRow(row_number, req_id, rating, reason, note))
    if problems:
        raise WorkbookError(file, problems)
    return FilledWorkbook(
        file=file,
        code=meta.get("code", ""),
        version=meta.get("version", ""),
        sector=sector,
        rows=tuple(rows),
    )


def _wrapped_lines(text: str, width: int) -> int:
    """How many lines ``text`` takes in a wrapped column ``width`` units wide (CJK characters count two)."""
    if not text:
        return 1
    lines = 0
    for part in text.split("\n"):
        units = sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in part)
        lines += max(1, -(-units // max(1, width - 2)))
    return lines


def _text(value: object) -> str:
    return "" if value is None else str(value).strip()
