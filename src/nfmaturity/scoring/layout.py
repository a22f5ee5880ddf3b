"""The catalog arranged the way formulas (1)–(3) walk it: level → domain → row (cell) → requirements.

Arranging a catalog of a thousand requirements costs about a millisecond, more than scoring it, so the last few
layouts are kept (keyed by the catalog object, which the layout holds, so the key stays valid).
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from math import lcm

from nfmaturity.catalog.model import LEVELS, Domain, Requirement, Row, SectorCatalog


@dataclass(frozen=True)
class Cell:
    """One row of the catalog at one level: the requirements of one table cell."""

    row: Row
    weight: Fraction  # w: the row's Table 1 percentage (summed over the sub-domains a merged row covers)
    units: int  # the same weight as a whole number (times a factor common to the catalog)
    requirements: tuple[Requirement, ...]


@dataclass(frozen=True)
class DomainLevel:
    """One domain at one level, with its rows that have requirements there (empty cells are left out)."""

    domain: Domain
    weight: Fraction  # α: fixed by Table 1, whatever the sector table lacks
    units: int  # α as a whole number (times a factor common to the catalog)
    cells: tuple[Cell, ...]


@dataclass(frozen=True)
class Layout:
    catalog: SectorCatalog
    levels: tuple[
        tuple[DomainLevel, ...], ...
    ]  # index 0 is S1; every domain at every level, in catalog order
    requirement_ids: tuple[str, ...]  # catalog order
    known: frozenset[str]

    def cells(self, level_index: int) -> tuple[Cell, ...]:
        return tuple(cell for dl in self.levels[level_index] for cell in dl.cells)


_CACHE_SIZE = 8
_cache: dict[int, Layout] = {}


def layout_of(catalog: SectorCatalog) -> Layout:
    layout = _cache.get(id(catalog))  # the cached layout keeps its catalog alive, so the id is not reused
    if layout is None:
        layout = _arrange(catalog)
        if len(_cache) >= _CACHE_SIZE:
            del _cache[next(iter(_cache))]
        _cache[id(catalog)] = layout
    return layout


def _arrange(catalog: SectorCatalog) -> Layout:
    by_cell: dict[tuple[str, int], list[Requirement]] = {}
    for requirement in catalog.requirements():
        by_cell.setdefault((requirement.row, requirement.level), []).append(requirement)
    rows_of: dict[str, list[Row]] = {domain.name: [] for domain in catalog.domains}
    for row in catalog.rows:
        rows_of[row.domain].append(row)
    row_weights = {row.id: Fraction(row.weight) for row in catalog.rows}
    row_scale = lcm(*(w.denominator for w in row_weights.values()))
    domain_weights = {d.name: Fraction(d.weight) for d in catalog.domains}
    domain_scale = lcm(*(w.denominator for w in domain_weights.values()))
    levels = tuple(
        tuple(
            DomainLevel(
                domain,
                domain_weights[domain.name],
                int(domain_weights[domain.name] * domain_scale),
                tuple(
                    Cell(
                        row,
                        row_weights[row.id],
                        int(row_weights[row.id] * row_scale),
                        tuple(by_cell[row.id, level]),
                    )
                    for row in rows_of[domain.name]
                    if (row.id, level) in by_cell
                ),
            )
            for domain in catalog.domains
        )
        for level in LEVELS
    )
    ids = tuple(r.id for r in catalog.requirements())
    return Layout(catalog, levels, ids, frozenset(ids))
