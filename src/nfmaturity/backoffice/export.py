"""The audit log as an Excel workbook, written in bounded memory.

openpyxl's write-only mode streams rows to a temporary file instead of keeping a cell object each, and
the events are read in keyset chunks, each described with a fixed number of queries. Every text cell is
a text cell: a reason or a name starting with "=" is written as text with Excel's quote prefix (the rule
``workbook.xlsx`` follows for user text), so opening the file never runs a formula someone typed.
"""

from __future__ import annotations

import tempfile
from typing import IO, TYPE_CHECKING

from django.db.models import QuerySet
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from nfmaturity.audit.models import AuditEvent
from nfmaturity.backoffice.audit_log import chunks
from nfmaturity.backoffice.describe import EventRow, describe_events
from nfmaturity.workbook.xlsx import FORMULA_STARTS

if TYPE_CHECKING:  # the write-only sheet's class is only importable from a private module
    from openpyxl.worksheet._write_only import WriteOnlyWorksheet

# Beyond this the export stops and says so in its first row: narrow the filters instead.
EXPORT_MAX_ROWS = 100_000
COLUMNS: tuple[tuple[str, float], ...] = (
    ("时间", 19),
    ("操作人", 22),
    ("操作人所属机构", 24),
    ("事项", 16),
    ("对象", 48),
    ("所属机构", 24),
    ("变更（原 → 新）", 48),
    ("理由", 30),
)
_BOLD = Font(bold=True)
_WRAP = Alignment(vertical="top", wrap_text=True)


def text_cell(ws: WriteOnlyWorksheet, value: str) -> Cell:
    """A cell that holds ``value`` as text, whatever it starts with."""
    value = ILLEGAL_CHARACTERS_RE.sub("", value)
    cell = WriteOnlyCell(ws, value=value or None)
    if value:
        cell.data_type = "s"  # openpyxl would take a leading "=" for a formula
        if value.startswith(FORMULA_STARTS):
            cell.quotePrefix = True  # and Excel would, once someone edits the cell
    return cell


def _row(ws: WriteOnlyWorksheet, row: EventRow) -> list[Cell]:
    when = WriteOnlyCell(ws, value=row.at.replace(tzinfo=None))
    when.number_format = "yyyy-mm-dd hh:mm:ss"
    cells = [
        when,
        text_cell(ws, row.actor),
        text_cell(ws, row.actor_organisation),
        text_cell(ws, row.action),
        text_cell(ws, row.subject),
        text_cell(ws, row.organisation),
        text_cell(ws, "\n".join(str(c) for c in row.changes)),
        text_cell(ws, row.reason),
    ]
    for cell in cells[4:]:
        cell.alignment = _WRAP
    return cells


def write_audit_workbook(
    events: QuerySet[AuditEvent], target: IO[bytes], *, scope: str, limit: int = EXPORT_MAX_ROWS
) -> int:
    """Write the newest ``limit`` events of ``events`` to ``target``; returns how many were written."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("审计日志")
    for i, (_, width) in enumerate(COLUMNS):
        ws.column_dimensions[get_column_letter(i + 1)].width = width
    ws.freeze_panes = "A3"
    # The first row says what the file holds (a write-only sheet cannot go back, so a cut is noted last).
    ws.append([text_cell(ws, scope)])
    header = []
    for name, _ in COLUMNS:
        cell = text_cell(ws, name)
        cell.font = _BOLD
        header.append(cell)
    ws.append(header)
    written, truncated = 0, False
    for chunk in chunks(events, limit=limit + 1):  # one more than the cap, to know whether it cut
        if written + len(chunk) > limit:
            chunk, truncated = chunk[: limit - written], True
        for row in describe_events(chunk):
            ws.append(_row(ws, row))
        written += len(chunk)
    if truncated:
        ws.append([text_cell(ws, f"仅导出了最新的 {limit} 条；更早的记录请缩小时间范围后分批导出。")])
    wb.save(target)
    return written


def audit_workbook_file(events: QuerySet[AuditEvent], *, scope: str) -> IO[bytes]:
    """The workbook in a temporary file (on disk beyond a few MB), rewound for the response to stream."""
    target = tempfile.SpooledTemporaryFile(max_size=4 * 1024 * 1024)  # noqa: SIM115 - the response closes it
    write_audit_workbook(events, target, scope=scope)
    target.seek(0)
    return target
