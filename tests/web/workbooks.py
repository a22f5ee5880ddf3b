"""Filled offline workbooks for the tests, made from the catalog's own blank workbook."""

from __future__ import annotations

from collections.abc import Callable
from io import BytesIO

from openpyxl import load_workbook

from nfmaturity.assessments.catalogs import catalog
from nfmaturity.catalog.model import Sector
from nfmaturity.workbook.xlsx import SHEET, workbook_bytes


def filled_workbook(sector: str, rate: Callable[[str, int], str | None], version: str = "2024") -> bytes:
    """A workbook where each row gets ``rate(requirement_id, row_number)`` in 评分 (None leaves it blank)."""
    wb = load_workbook(BytesIO(workbook_bytes(catalog(version), Sector(sector))))
    ws = wb[SHEET]
    header = [c.value for c in ws[1]]
    id_col, rating_col, reason_col = (
        header.index("要求编号") + 1,
        header.index("评分") + 1,
        header.index("不适用理由") + 1,
    )
    for row in range(2, ws.max_row + 1):
        rid = ws.cell(row, id_col).value
        if not rid:
            continue
        value = rate(str(rid), row)
        if value is not None:
            ws.cell(row, rating_col).value = value
            if value == "不适用":
                ws.cell(row, reason_col).value = "无该工序"
    out = BytesIO()
    wb.save(out)
    return out.getvalue()
