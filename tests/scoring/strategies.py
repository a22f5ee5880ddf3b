"""Hypothesis strategies: small random sector catalogs and complete ratings for them."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from hypothesis import strategies as st

from nfmaturity.catalog.model import SectorCatalog
from nfmaturity.scoring.ratings import Rating

from .factory import build_catalog

SCORED = (Rating.NONE, Rating.PARTLY, Rating.MOSTLY, Rating.FULL)


@st.composite
def catalogs(
    draw: st.DrawFn, max_domains: int = 3, max_rows: int = 3, max_per_cell: int = 3
) -> SectorCatalog:
    """1–3 domains of 1–3 rows; cells of 0–3 requirements; every level has at least one requirement."""
    spec: dict[str, Any] = {}
    for d in range(draw(st.integers(1, max_domains))):
        rows = {}
        for r in range(draw(st.integers(1, max_rows))):
            weight = draw(st.sampled_from(["1", "2", "3", "1.5", "5"]))
            counts = draw(st.lists(st.integers(0, max_per_cell), min_size=5, max_size=5))
            rows[f"d{d}r{r}"] = {"weight": weight, "requirements": counts}
        absent = Decimal(
            draw(st.sampled_from(["0", "0", "1", "2.5"]))
        )  # Table 1 sub-domains the sector lacks
        spec[f"域{d}"] = {"weight": sum((Decimal(r["weight"]) for r in rows.values()), absent), "rows": rows}
    first = next(iter(next(iter(spec.values()))["rows"].values()))
    first["requirements"] = [max(c, 1) for c in first["requirements"]]
    return build_catalog(spec)


@st.composite
def assessments(
    draw: st.DrawFn, catalog: SectorCatalog | None = None, not_applicable: bool = True
) -> tuple[SectorCatalog, dict[str, Rating]]:
    """A catalog and a complete rating of it; 不适用 never empties a whole level."""
    catalog = catalog or draw(catalogs())
    choices = (*SCORED, Rating.NOT_APPLICABLE) if not_applicable else SCORED
    ratings = {r.id: draw(st.sampled_from(choices)) for r in catalog.requirements()}
    for level in range(1, 6):
        at_level = [r.id for r in catalog.requirements() if r.level == level]
        if all(ratings[i] is Rating.NOT_APPLICABLE for i in at_level):
            ratings[at_level[0]] = draw(st.sampled_from(SCORED))
    return catalog, ratings
