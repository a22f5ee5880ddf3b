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
from openpyxl.styles import Font, NamedStyle
from openpyxl.utils import get_column_letter

from nfmaturity.audit.models import AuditEvent
from nfmaturity.backoffice.audit_log import chunks
from nfmaturity.backoffice.describe import EventRow, describe_events
from nfmaturity.workbook.xlsx import FORMULA_STARTS

if TYPE_CHECKING:  # the write-only sheet's class is only importable from a private module
    from openpyxl.worksheet._write_only import WriteOnlyWorksheet

# Beyond this the export stops and says so in its last row: narrow the filters instead.
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
# Cell styles are registered once by name: openpyxl hashes a style on every attribute assigned to a cell,
# which cost more than writing the row (the same finding as in workbook.xlsx). Changes are joined with
# "；" on one line rather than wrapped, which would need a style on every cell.
STYLE_TIME = "审计时间"


def text_cell(ws: WriteOnlyWorksheet, value: str) -> Cell | str | None:
    """``value`` as a text cell, whatever it starts with.

    Plain text goes in as a plain string (openpyxl makes it a text cell, and a quarter faster than a cell
    object); text that openpyxl or Excel would take for a formula gets a cell forced to text, with Excel's
    quote prefix.
    """
    value = ILLEGAL_CHARACTERS_RE.sub("", value)
    if not value:
        return None
    if not value.startswith(FORMULA_STARTS):
        return value
    cell = WriteOnlyCell(ws, value=value)
    cell.data_type = "s"  # openpyxl would take a leading "=" for a formula
    cell.quotePrefix = True  # and Excel would, once someone edits the cell
    return cell


def _row(ws: WriteOnlyWorksheet, row: EventRow) -> list[Cell | str | None]:
    when = WriteOnlyCell(ws, value=row.at.replace(tzinfo=None))
    when.style = STYLE_TIME
    return [
        when,
        text_cell(ws, row.actor),
        text_cell(ws, row.actor_organisation),
        text_cell(ws, row.action),
        text_cell(ws, row.subject),
        text_cell(ws, row.organisation),
        text_cell(ws, "；".join(str(c) for c in row.changes)),
        text_cell(ws, row.reason),
    ]


def write_audit_workbook(
    events: QuerySet[AuditEvent], target: IO[bytes], *, scope: str, limit: int = EXPORT_MAX_ROWS
) -> int:
    """Write the newest ``limit`` events of ``events`` to ``target``; returns how many were written."""
    wb = Workbook(write_only=True)
    wb.add_named_style(NamedStyle(STYLE_TIME, number_format="yyyy-mm-dd hh:mm:ss"))
    ws = wb.create_sheet("审计日志")
    for i, (_, width) in enumerate(COLUMNS):
        ws.column_dimensions[get_column_letter(i + 1)].width = width
    ws.freeze_panes = "A3"
    # The first row says what the file holds (a write-only sheet cannot go back, so a cut is noted last).
    ws.append([text_cell(ws, scope)])
    header = []
    for name, _ in COLUMNS:
        cell = WriteOnlyCell(ws, value=name)
        cell.font = Font(bold=True)
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
