"""Reads over the registry alone: the list filters.

Reads that join enterprises with assessment results live in ``nfmaturity.web.selectors``: the registry
sits below the assessments layer and must not import it.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.http import QueryDict

from nfmaturity.enterprises.models import Enterprise, Metal, SectorChoice, SizeClass


@dataclass(frozen=True)
class RegistryFilter:
    q: str = ""
    city: str = ""
    sector: str = ""
    metal: str = ""
    size: str = ""

    @classmethod
    def from_query(cls, query: QueryDict, *, cities: Collection[str]) -> RegistryFilter:
        """``cities``: the city codes this viewer may filter by (those of his jurisdiction)."""

        def pick(name: str, allowed: Collection[str]) -> str:
            value = query.get(name, "")
            return value if value in allowed else ""

        return cls(
            q=query.get("q", "").strip()[:100],
            city=pick("city", cities),
            sector=pick("sector", set(SectorChoice.values)),
            metal=pick("metal", set(Metal.values)),
            size=pick("size", set(SizeClass.values)),
        )


def filter_registry(queryset: QuerySet[Enterprise], filters: RegistryFilter) -> QuerySet[Enterprise]:
    if filters.q:
        queryset = queryset.filter(Q(name__icontains=filters.q) | Q(uscc__icontains=filters.q))
    if filters.city:
        queryset = queryset.filter(region_code__startswith=filters.city[:4])
    if filters.sector:
        # JSON list membership, written so it works on SQLite and PostgreSQL alike.
        queryset = queryset.filter(sectors__icontains=f'"{filters.sector}"')
    if filters.metal:
        queryset = queryset.filter(metals__icontains=f'"{filters.metal}"')
    if filters.size:
        queryset = queryset.filter(size=filters.size)
    return queryset
