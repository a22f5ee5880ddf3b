"""The golden table (golden.yaml): ratings pattern → level scores → total → grade, checked exactly."""

from __future__ import annotations

import functools
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
import yaml

from nfmaturity.catalog.loader import load_catalog
from nfmaturity.catalog.model import Sector, SectorCatalog
from nfmaturity.scoring.aggregate import score
from nfmaturity.scoring.ratings import Rating

from .factory import TABLE1, build_catalog, fill, na_reasons_for

GOLDEN = yaml.safe_load((Path(__file__).parent / "golden.yaml").read_text(encoding="utf-8"))


def exact(value: Any) -> Fraction:
    return Fraction(str(value))


def expand(values: Any) -> Any:
    """ "全部满足×5" → five ratings; a single rating stays as it is."""
    if not isinstance(values, list):
        return values
    out = []
    for value in values:
        label, _, count = str(value).partition("×")
        out += [label] * (int(count) if count else 1)
    return out


@functools.cache
def golden_catalog(name: str) -> SectorCatalog:
    spec = GOLDEN["catalogs"][name]
    if "real" in spec:
        return load_catalog().for_sector(Sector(spec["real"]))
    if "table1" in spec:
        counts = spec["table1"]["requirements"]
        absent = set(spec["table1"].get("absent", []))
        spec = {
            domain: {
                "weight": sum(subs.values()),
                "rows": {
                    n: {"weight": w, "requirements": counts} for n, w in subs.items() if n not in absent
                },
            }
            for domain, subs in TABLE1.items()
        }
    return build_catalog(spec)


def golden_ratings(catalog: SectorCatalog, pattern: dict[str, Any]) -> dict[str, Rating]:
    overrides = {
        row: {level: expand(v) for level, v in levels.items()}
        for row, levels in pattern.items()
        if row != "default"
    }
    known = {row.name for row in catalog.rows}
    assert set(overrides) <= known, set(overrides) - known
    return fill(catalog, pattern.get("default", Rating.NONE), overrides)


@pytest.mark.parametrize("case", GOLDEN["cases"], ids=[c["name"] for c in GOLDEN["cases"]])
def test_golden_case(case: dict[str, Any]) -> None:
    catalog = golden_catalog(case["catalog"])
    ratings = golden_ratings(catalog, case["ratings"])
    result = score(catalog, ratings, na_reasons=na_reasons_for(ratings))
    expect = case["expect"]
    assert result.level_scores == tuple(exact(v) for v in expect["levels"])
    assert result.total == exact(expect["total"])
    assert result.grade.level == expect["grade"]
    assert result.consecutive_level == expect["consecutive"]
    assert (result.warning is not None) == expect["warning"]
    domains = {d.domain.name: d for d in result.domains}
    for name, levels in expect.get("domains", {}).items():
        assert domains[name].level_scores == tuple(None if v is None else exact(v) for v in levels), name
    rows = {r.row.name: r for r in result.rows}
    for name, levels in expect.get("rows", {}).items():
        assert rows[name].level_scores == tuple(None if v is None else exact(v) for v in levels), name


def test_golden_table_covers_every_band_edge_and_just_below() -> None:
    totals = {exact(c["expect"]["total"]) for c in GOLDEN["cases"]}
    for edge in ("0.8", "1.8", "2.8", "3.8", "5"):
        assert exact(edge) in totals, edge
    for below in ("0.79", "1.79", "2.79", "3.79", "4.79"):
        assert exact(below) in totals, below
