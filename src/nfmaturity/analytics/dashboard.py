"""The dashboard's figures as the page shows them: every number with the link to the enterprises behind it,
and the heat map's colour classes.

A link carries the page's filters plus the number's own constraint (a grade, a region, a status…), so the
drill-down list counts exactly the enterprises the number counted (tests/analytics/test_dashboard_drill.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from urllib.parse import urlencode

from django.urls import reverse

from nfmaturity.analytics.filters import DashboardFilter
from nfmaturity.analytics.selectors import GOOD_GRADE, Tally

# Heat-map bands over the average maturity (0..5): the class names are in dashboard.css, the number is
# always in the cell as well (colour alone says nothing to a screen reader or a colour-blind reader).
HEAT_BANDS = (
    (Decimal("0.5"), "heat-0"),
    (Decimal("1"), "heat-1"),
    (Decimal("1.5"), "heat-2"),
    (Decimal("2"), "heat-3"),
    (Decimal("3"), "heat-4"),
)
HEAT_TOP = "heat-5"
HEAT_LEGEND = ("< 0.5", "0.5–1", "1–1.5", "1.5–2", "2–3", "≥ 3")
HEAT_CLASSES = (*(name for _, name in HEAT_BANDS), HEAT_TOP)


def heat_class(value: Decimal | None) -> str:
    if value is None:
        return "heat-none"
    for upper, name in HEAT_BANDS:
        if value < upper:
            return name
    return HEAT_TOP


def query_string(filters: DashboardFilter, **extra: object) -> str:
    params = {**filters.params(), **{k: str(v) for k, v in extra.items() if v not in (None, "")}}
    return urlencode(params)


def drill_url(filters: DashboardFilter, **extra: object) -> str:
    query = query_string(filters, **extra)
    return _list_url() + (f"?{query}" if query else "")


def _list_url() -> str:
    # Reversed once per request's worth of links would be hundreds of reverse() calls per dashboard.
    global _LIST_URL
    if _LIST_URL is None:
        _LIST_URL = reverse("analytics:enterprises")
    return _LIST_URL


_LIST_URL: str | None = None


@dataclass
class Cell:
    value: object
    url: str


@dataclass
class TallyRow:
    label: str
    enterprises: Cell
    assessed: Cell
    grades: list[Cell]
    average: Decimal | None
    good: Cell
    good_share: Decimal | None


def tally_row(tally: Tally, filters: DashboardFilter) -> TallyRow:
    """One row of a breakdown table, each count linked to its list."""
    narrowed = filters.with_(**_as_filter(tally.params))
    extra = {k: v for k, v in tally.params.items() if k not in _FILTER_KEYS}
    return TallyRow(
        label=tally.label,
        enterprises=Cell(tally.enterprises, drill_url(narrowed, **extra)),
        assessed=Cell(tally.assessed, drill_url(narrowed, status="assessed", **extra)),
        grades=[Cell(n, drill_url(narrowed, grade=g, **extra)) for g, n in tally.grade_cells],
        average=tally.average,
        good=Cell(tally.good, drill_url(narrowed, min_grade=int(GOOD_GRADE), **extra)),
        good_share=tally.good_share,
    )


_FILTER_KEYS = {"region", "sector", "metal", "size", "above", "year"}


def _as_filter(params: dict[str, str]) -> dict[str, object]:
    out: dict[str, object] = {}
    for key, value in params.items():
        if key in _FILTER_KEYS:
            out[key] = int(value) if key == "year" else value
    return out


def tally_rows(tallies: list[Tally], filters: DashboardFilter) -> list[TallyRow]:
    return [tally_row(t, filters) for t in tallies]
