"""The catalog versions the web app assesses with, loaded once per process.

An assessment pins ``catalog_version``; every later read goes through ``sector_catalog`` with that
version, so loading a newer standard never changes an old assessment.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from django.conf import settings

from nfmaturity.catalog.loader import DEFAULT_VERSION, load_catalog
from nfmaturity.catalog.model import Catalog, Note, Requirement, Row, Sector, SectorCatalog


def current_version() -> str:
    return settings.NFM_CATALOG_VERSION or DEFAULT_VERSION


@cache
def catalog(version: str) -> Catalog:
    return load_catalog(version)


@dataclass(frozen=True)
class SectorView:
    """A sector catalog plus the lookups every page needs, computed once per process."""

    catalog: SectorCatalog
    rows: tuple[Row, ...]  # in questionnaire order: domain order, then row order
    row_index: dict[str, int]  # Row.id → position in ``rows`` (used in URLs)
    requirements: dict[str, Requirement]
    notes: dict[str, Note]
    domain_order: tuple[str, ...]

    @property
    def requirement_count(self) -> int:
        return len(self.requirements)


@cache
def sector_view(version: str, sector: str) -> SectorView:
    sector_catalog = catalog(version).for_sector(Sector(sector))
    domain_rank = {d.name: d.order for d in sector_catalog.domains}
    rows = tuple(
        sorted(sector_catalog.rows, key=lambda r: (domain_rank[r.domain], r.section != "common", r.order))
    )
    return SectorView(
        catalog=sector_catalog,
        rows=rows,
        row_index={row.id: i for i, row in enumerate(rows)},
        requirements=sector_catalog.requirement_map(),
        notes={n.id: n for n in sector_catalog.notes},
        domain_order=tuple(d.name for d in sorted(sector_catalog.domains, key=lambda d: d.order)),
    )
