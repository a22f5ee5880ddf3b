"""The offline self-assessment workbook (.xlsx): writing one, reading a filled one back.

The workbook records the catalog code, version and sector in a hidden sheet, so a filled file can be
read back safely: a workbook for another sector or another version of the standard is refused, not
silently mis-scored. One downloaded for an assessment also records the assessment, the export time and,
per requirement, the version of the platform rating it carried, so an import can find the ratings that
changed online after the download. Text columns are protected; the rating, reason and note columns are open.

Reading goes through ``safe_read`` (uploads are hostile until proved otherwise); every failure is a
``WorkbookError``.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Mapping
from copy import copy
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from io import BytesIO
from pathlib import Path
from typing import Any, BinaryIO

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.styles import Alignment, Border, Font, NamedStyle, PatternFill, Protection, Side
from openpyxl.styles.fonts import DEFAULT_FONT
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.worksheet.worksheet import Worksheet

from nfmaturity.catalog.model import Catalog, Sector
from nfmaturity.scoring.ratings import RATING_LABELS, Rating, UnknownRatingError, parse_rating
from nfmaturity.workbook.limits import NOTE_MAX_CHARS, REASON_MAX_CHARS, WORKBOOK_MAX_ROWS
from nfmaturity.workbook.safe_read import Cell as XCell
from nfmaturity.workbook.safe_read import (
    CellKind,
    PackageError,
    Sheet,
    check_size,
    iter_rows,
    read_capped,
    read_sheets,
)

FORMAT = "nfm-self-assessment"
FORMAT_VERSION = "2"  # 2: per-row rating versions, assessment id and export time in the meta sheet
READABLE_FORMAT_VERSIONS = ("1", "2")
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
VERSION_KEY = "rating_version"  # meta row: (key, requirement id, version)
# What Excel may take for the start of a formula when a user edits the cell.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
BEIJING = timezone(timedelta(hours=8))
# File-level problems are one sentence; row problems are listed up to this many, then counted.
MAX_PROBLEMS = 50
# Named cell styles of the data rows (they show in Excel's style gallery under these names).
STYLE_TEXT, STYLE_ID, STYLE_OPEN = "评估表文字", "评估表编号", "评估表填写"
# Columns read from the 自评估 sheet: ours, and room for a few a user added before unprotecting it.
READ_COLUMNS = 2 * len(COLUMNS)
META_ROWS = 50  # key/value rows of the meta sheet besides the per-requirement versions
KIND_NAMES = {
    CellKind.FORMULA: "没有计算结果的公式",
    CellKind.ERROR: "错误值",
    CellKind.BOOL: "逻辑值",
    CellKind.DATE: "日期",
}


class WorkbookError(Exception):
    """A workbook cannot be read. ``problems`` lists every problem found, in Chinese.

    A problem with the file as a whole (not a spreadsheet, damaged, hostile, another format) is one
    sentence; problems with rows name each row as people read it: 第12行（组织建设 S1 第1条）.
    """

    def __init__(self, file: str, problems: list[str]) -> None:
        super().__init__(f"{file}：" + "；".join(problems))
        self.file = file
        self.problems = problems


@dataclass(frozen=True)
class FilledRow:
    row_number: int  # the spreadsheet row, as the user sees it
    requirement_id: str
    rating: Rating | None  # None: the cell is blank (nothing typed), never "erase"
    na_reason: str  # "" when blank
    note: str  # "" when blank
    # The platform's rating version this row carried when it was exported (0: it carried no rating);
    # None when the workbook carries no versions (a blank ``nfm catalog export``, or format 1).
    version: int | None = None
    # How to point a person at this row: "第12行（组织建设 S1 第1条）".
    place: str = ""


@dataclass(frozen=True)
class FilledWorkbook:
    file: str
    code: str
    version: str
    sector: Sector
    rows: tuple[FilledRow, ...]
    assessment_id: int | None = None  # the platform assessment it was downloaded from
    exported_at: datetime | None = None  # timezone-aware


@dataclass(frozen=True)
class Prefill:
    """A rating already given (on the platform), written into the workbook so offline work goes on from it."""

    rating: Rating
    na_reason: str = ""
    note: str = ""
    version: int = 0  # the platform's RatingRecord.version, recorded per row to detect later online edits


def write_workbook(
    catalog: Catalog,
    sector: Sector,
    target: Path | BinaryIO,
    prefill: Mapping[str, Prefill] | None = None,
    *,
    assessment_id: int | None = None,
    exported_at: datetime | None = None,
) -> None:
    """Write the self-assessment workbook for ``sector``: blank, or with the ratings of ``prefill``.

    A workbook downloaded for an assessment (``assessment_id`` given) records, per requirement, the
    version of the rating it carried (``Prefill.version``; 0: none), so an import can tell which platform
    ratings changed after the download. Without an assessment id no version is recorded: versions only
    mean something against the assessment they were read from. The record is keyed by requirement id in the hidden sheet, so
    sorting or filtering the rows in Excel does not detach a version from its row.
    """
    if exported_at is None:
        exported_at = datetime.now(UTC)
    elif exported_at.tzinfo is None:
        raise ValueError("exported_at must be timezone-aware")
    view = catalog.for_sector(sector)
    carries_versions = assessment_id is not None
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

    _register_styles(wb, border, open_fill)
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
            ws.cell(row=line, column=COL[name]).style = STYLE_ID if name == "要求编号" else STYLE_TEXT
            _put(ws, line, COL[name], value)
        # openpyxl cannot auto-fit: give each row the height its longest wrapped cell needs.
        ws.row_dimensions[line].height = LINE_HEIGHT * max(
            _wrapped_lines(str(values.get(name) or ""), dict(COLUMNS)[name]) for name in WRAPPED
        )
        for name in EDITABLE:
            ws.cell(row=line, column=COL[name]).style = STYLE_OPEN
        given = (prefill or {}).get(req.id)
        if given is not None:
            _put(ws, line, COL["评分"], given.rating.label)
            _put(ws, line, COL["不适用理由"], given.na_reason)
            _put(ws, line, COL["备注"], given.note)
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
        f"导出时间：{exported_at.astimezone(BEIJING).strftime('%Y-%m-%d %H:%M')}（北京时间）"
        + (f"　自评估编号：{assessment_id}" if assessment_id is not None else "")
        + f"　要求条数：{last - 1}"
        + (f"　已带入平台上的评分 {len(prefill)} 项" if prefill else ""),
        "",
        "填写方法：",
        "1. 在“自评估”表的“评分”列逐条选择：全部满足（1）、大部分满足（0.8）、部分满足（0.5）、不满足（0）或不适用。",
        "2. 选择“不适用”时必须在“不适用理由”列写明理由，否则导入时会被拒绝。",
        "3. “备注”列可填写证据、说明等；要求内容、编号等列已锁定，请勿修改或删除行。",
        "4. 填好后可在平台“自评估 → 导入工作簿”导入，或用命令 nfm score 文件.xlsx 计算得分。",
        "5. 本工作簿只能用于上述行业与标准版本；其他行业或版本的工作簿会被拒绝导入。",
        "6. 导入时，空白单元格表示“未填写”，不会清除平台上已有的评分、说明或理由；"
        "下载后在平台上又修改过的条目会列为冲突，由您逐条决定保留哪一个。",
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
            ("assessment", "" if assessment_id is None else str(assessment_id)),
            ("exported_at", exported_at.isoformat()),
        ],
        start=1,
    ):
        _put(meta, i, 1, key)
        _put(meta, i, 2, value)
    if carries_versions:
        given_versions = {rid: p.version for rid, p in (prefill or {}).items()}
        for i, req in enumerate(view.requirements(), start=meta.max_row + 1):
            _put(meta, i, 1, VERSION_KEY)
            _put(meta, i, 2, req.id)
            _put(meta, i, 3, str(given_versions.get(req.id, 0)))
    meta.sheet_state = "veryHidden"
    meta.protection.sheet = True
    wb.active = 0
    wb.save(target)


def _register_styles(wb: Workbook, border: Border, open_fill: PatternFill) -> None:
    """The data rows' cell styles, registered once as named styles.

    openpyxl hashes a style each time one attribute is assigned, so styling 8 000 cells attribute by
    attribute took most of the export's time; assigning a named style by name does not.
    """
    top = Alignment(vertical="top", wrap_text=True)
    wb.add_named_style(NamedStyle(STYLE_TEXT, font=copy(DEFAULT_FONT), alignment=top, border=border))
    id_font = Font(color="808080", size=8)
    wb.add_named_style(
        NamedStyle(
            STYLE_ID, font=id_font, alignment=Alignment(vertical="top", wrap_text=False), border=border
        )
    )
    wb.add_named_style(
        NamedStyle(
            STYLE_OPEN,
            font=copy(DEFAULT_FONT),
            alignment=top,
            border=border,
            fill=open_fill,
            protection=Protection(locked=False),
        )
    )


def workbook_bytes(
    catalog: Catalog,
    sector: Sector,
    prefill: Mapping[str, Prefill] | None = None,
    *,
    assessment_id: int | None = None,
    exported_at: datetime | None = None,
) -> bytes:
    buffer = BytesIO()
    write_workbook(catalog, sector, buffer, prefill, assessment_id=assessment_id, exported_at=exported_at)
    return buffer.getvalue()


def _put(ws: Worksheet, row: int, column: int, value: str | int | None) -> Cell:
    """Write a value; text is always a text cell, never a formula, whatever it starts with.

    openpyxl turns a string starting with "=" into a formula, and Excel re-reads a cell starting with
    "=", "+", "-" or "@" as a formula once a user edits it: user text (notes, reasons) gets the text
    type and Excel's quote prefix, so it stays text. Characters XML cannot carry are dropped.
    """
    cell = ws.cell(row=row, column=column)
    assert isinstance(cell, Cell)  # a fresh sheet has no merged cells
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
    return cell


def read_workbook(source: Path | BinaryIO | bytes, name: str | None = None) -> FilledWorkbook:
    """Read a filled workbook safely. Raises ``WorkbookError`` listing every problem found.

    Nothing but ``WorkbookError`` leaves this function for any input: a hostile or damaged file is one
    sentence, bad rows are listed by row. This checks the file's own structure and values; whether every
    requirement of the catalog is present and rated is the caller's check (it needs the catalog of the
    recorded version), and so is whether the sector and assessment are the ones expected.
    """
    file = name or (source.name if isinstance(source, Path) else "上传的文件")
    try:
        data = _load(source)
        sheets = read_sheets(
            data,
            {SHEET: (READ_COLUMNS, WORKBOOK_MAX_ROWS + 1), META_SHEET: (3, WORKBOOK_MAX_ROWS + META_ROWS)},
        )
    except PackageError as exc:
        raise WorkbookError(file, [str(exc)]) from None
    if META_SHEET not in sheets or SHEET not in sheets:
        raise WorkbookError(file, ["不是本平台导出的自评估工作簿（缺少工作表“自评估”或版本信息）"])
    meta, versions = _read_meta(file, sheets[META_SHEET])
    if meta.get("format") != FORMAT:
        raise WorkbookError(file, ["不是本平台导出的自评估工作簿（格式标记不符）"])
    if meta.get("format_version") not in READABLE_FORMAT_VERSIONS:
        raise WorkbookError(
            file, [f"工作簿格式版本“{meta.get('format_version')}”不受支持，请重新导出空白工作簿"]
        )
    try:
        sector = Sector(meta.get("sector", ""))
    except ValueError:
        raise WorkbookError(file, [f"工作簿记录的行业“{meta.get('sector')}”无效"]) from None
    assessment_id, exported_at = _read_origin(file, meta)
    rows = _read_rows(file, sheets[SHEET], versions)
    return FilledWorkbook(
        file=file,
        code=meta.get("code", ""),
        version=meta.get("version", ""),
        sector=sector,
        rows=rows,
        assessment_id=assessment_id,
        exported_at=exported_at,
    )


def _load(source: Path | BinaryIO | bytes) -> bytes:
    if isinstance(source, bytes):
        check_size(len(source))
        return source
    if isinstance(source, Path):
        try:
            with source.open("rb") as stream:
                return read_capped(stream)
        except FileNotFoundError:
            raise PackageError("无法读取文件：文件不存在") from None
        except IsADirectoryError:
            raise PackageError("无法读取文件：这是一个文件夹") from None
        except OSError as exc:
            raise PackageError(f"无法读取文件：{exc.strerror or '读取失败'}") from None
    return read_capped(source)


def _read_meta(file: str, sheet: Sheet) -> tuple[dict[str, str], dict[str, int] | None]:
    meta: dict[str, str] = {}
    versions: dict[str, int] = {}
    for _, cells in iter_rows(sheet):
        key = _plain(cells.get(1))
        if key == VERSION_KEY:
            rid, raw = _plain(cells.get(2)), _plain(cells.get(3))
            if not rid or not raw.isdigit() or len(raw) > 12:
                raise WorkbookError(file, ["工作簿的隐藏版本信息已损坏，请重新下载离线评估表"])
            versions[rid] = int(raw)
        elif key:
            meta[key] = _plain(cells.get(2))
    return meta, (versions if versions or meta.get("assessment") else None)


def _read_origin(file: str, meta: Mapping[str, str]) -> tuple[int | None, datetime | None]:
    raw_id, raw_time = meta.get("assessment", ""), meta.get("exported_at", "")
    if raw_id and (not raw_id.isdigit() or len(raw_id) > 12):
        raise WorkbookError(file, ["工作簿记录的自评估编号已损坏，请重新下载离线评估表"])
    exported_at = None
    if raw_time:
        try:
            exported_at = datetime.fromisoformat(raw_time)
        except ValueError:
            exported_at = None
        if exported_at is None or exported_at.tzinfo is None:
            raise WorkbookError(file, ["工作簿记录的导出时间已损坏，请重新下载离线评估表"])
    return (int(raw_id) if raw_id else None), exported_at


def _read_rows(file: str, sheet: Sheet, versions: Mapping[str, int] | None) -> tuple[FilledRow, ...]:
    header = {_plain(cell): col for col, cell in sheet.rows.get(1, {}).items()}
    missing_cols = [name for name, _ in COLUMNS if name not in header]
    if missing_cols:
        raise WorkbookError(file, [f"工作表“自评估”缺少列：{'、'.join(missing_cols)}"])
    col = {name: header[name] for name, _ in COLUMNS}
    problems: list[str] = []
    rows: list[FilledRow] = []
    seen: dict[str, int] = {}
    for row_number, cells in iter_rows(sheet):
        if row_number == 1:
            continue
        req_id = _plain(cells.get(col["要求编号"]))
        place = _place(row_number, cells, col, req_id)
        if not req_id:
            if any(cells.get(col[name]) is not None for name in EDITABLE):
                problems.append(f"{place}：缺少要求编号")
            continue
        if req_id in seen:
            problems.append(f"{place}：要求编号 {req_id} 与第{seen[req_id]}行重复")
            continue
        seen[req_id] = row_number
        found: list[str] = []
        rating = _rating(cells.get(col["评分"]), found)
        reason = _free_text(cells.get(col["不适用理由"]), "不适用理由", REASON_MAX_CHARS, found)
        note = _free_text(cells.get(col["备注"]), "备注", NOTE_MAX_CHARS, found)
        if rating == Rating.NOT_APPLICABLE and not reason and not found:
            found.append("选择“不适用”必须填写不适用理由")
        if found:
            problems += [f"{place}：{p}" for p in found]
            continue
        version = None if versions is None else versions.get(req_id)
        rows.append(FilledRow(row_number, req_id, rating, reason, note, version, place))
    if problems:
        if len(problems) > MAX_PROBLEMS:
            problems = [*problems[:MAX_PROBLEMS], f"另有 {len(problems) - MAX_PROBLEMS} 处问题未列出"]
        raise WorkbookError(file, problems)
    return tuple(rows)


def _place(row_number: int, cells: Mapping[int, XCell], col: Mapping[str, int], req_id: str) -> str:
    """The row as people read it: 第12行（组织建设 S1 第1条）, from the sheet's own locked text."""
    subdomain = _plain(cells.get(col["能力子域"]))
    level = _plain(cells.get(col["等级"]))
    number = _plain(cells.get(col["条目"]))
    if subdomain and level and number:
        return f"第{row_number}行（{subdomain} {level} 第{number}条）"
    return f"第{row_number}行（{req_id}）" if req_id else f"第{row_number}行"


def _rating(cell: XCell | None, found: list[str]) -> Rating | None:
    if cell is None:
        return None
    if cell.kind == CellKind.FORMULA:
        found.append("评分是没有计算结果的公式，请直接从下拉列表选择评分")
        return None
    if cell.kind == CellKind.TEXT:
        raw: object = cell.text.strip()
        if raw == "":
            return None
    elif cell.kind == CellKind.NUMBER:
        try:
            number = float(cell.text)
        except ValueError:
            number = math.nan
        if not math.isfinite(number):
            found.append(f"评分“{cell.text[:20]}”不是有效的数值，请从下拉列表选择评分")
            return None
        raw = number
    else:
        found.append(f"评分不能是{KIND_NAMES[cell.kind]}“{cell.text[:20]}”，请从下拉列表选择评分")
        return None
    try:
        return parse_rating(raw)
    except UnknownRatingError as exc:
        found.append(str(exc))
        return None


def _free_text(cell: XCell | None, column: str, limit: int, found: list[str]) -> str:
    if cell is None:
        return ""
    if cell.kind in (CellKind.FORMULA, CellKind.ERROR):
        found.append(f"{column}不能是{KIND_NAMES[cell.kind]}，请直接填写文字")
        return ""
    text = cell.text.strip()
    if len(text) > limit:
        found.append(f"{column}有 {len(text)} 个字，超过 {limit} 字的上限")
    return text


def _plain(cell: XCell | None) -> str:
    """A label cell's text (a number reads as written); anything else reads as blank."""
    if cell is None or cell.kind not in (CellKind.TEXT, CellKind.NUMBER):
        return ""
    return cell.text.strip()


def _wrapped_lines(text: str, width: int) -> int:
    """How many lines ``text`` takes in a wrapped column ``width`` units wide (CJK characters count two)."""
    if not text:
        return 1
    lines = 0
    for part in text.split("\n"):
        units = sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in part)
        lines += max(1, -(-units // max(1, width - 2)))
    return lines
