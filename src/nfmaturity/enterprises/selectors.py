"""Reads over the registry alone: the list filters.

Reads that join enterprises with assessment results live in ``nfmaturity.web.selectors``: the registry
sits below the assessments layer and must not import it.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.http import QueryDict
from django.utils import timezone

from nfmaturity.audit.models import AuditEvent
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
            # A NUL character (typed or pasted, "%00" in the address) is a 500 on PostgreSQL, never a match.
            q=query.get("q", "").replace("\x00", "").strip()[:100],
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


def last_profile_change(enterprise: Enterprise) -> str:
    """Who changed the profile last and when, in words ("企业管理员（张三） 2026-11-26 10:02"), from the audit log."""
    event = (
        AuditEvent.objects.filter(object_type=Enterprise._meta.label_lower, object_id=str(enterprise.pk))
        .select_related("actor")
        .order_by("-at", "-pk")
        .first()
    )
    if event is None:
        return ""
    who = (event.actor.get_full_name() or event.actor.get_username()) if event.actor else "系统"
    return f"{who} {timezone.localtime(event.at):%Y-%m-%d %H:%M}"
