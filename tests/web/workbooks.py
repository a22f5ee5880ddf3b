"""Filled offline workbooks for the tests, made from the catalog's own blank workbook."""

from __future__ import annotations

from collections.abc import Callable
from io import BytesIO

from nfmaturity.assessments.catalogs import catalog
from nfmaturity.catalog.model import Sector
from nfmaturity.scoring.ratings import Rating, UnknownRatingError, parse_rating
from nfmaturity.workbook.xlsx import COL, Prefill, write_workbook
from tests.hostile import SHEET_XML, _cells, _edit, _text_cell

NA_REASON = "无该工序"


def filled_workbook(sector: str, rate: Callable[[str, int], str | None], version: str = "2024") -> bytes:
    """A workbook where each row gets ``rate(requirement_id, row_number)`` in 评分 (None leaves it blank).

    Like a blank export that a user filled in: no assessment id, no rating versions. A value that is no
    rating (say "很好") is typed into the cell as text, as a user would.
    """
    view = catalog(version).for_sector(Sector(sector))
    prefill: dict[str, Prefill] = {}
    typed: dict[str, str] = {}
    rating_column = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"[COL["评分"] - 1]
    for row, requirement in enumerate(view.requirements(), start=2):
        value = rate(requirement.id, row)
        if value is None:
            continue
        try:
            rating = parse_rating(value)
        except UnknownRatingError:
            typed[f"{rating_column}{row}"] = _text_cell(f"{rating_column}{row}", value)
            continue
        prefill[requirement.id] = Prefill(rating, NA_REASON if rating == Rating.NOT_APPLICABLE else "")
    out = BytesIO()
    write_workbook(catalog(version), Sector(sector), out, prefill)
    data = out.getvalue()
    return _edit(data, {SHEET_XML: lambda xml: _cells(xml, typed)}) if typed else data
