"""Reads over the registry: filtered lists and the industry overview (from stored results only)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.http import QueryDict

from nfmaturity.accounts.access import AnyUser
from nfmaturity.assessments.access import visible_assessments
from nfmaturity.assessments.models import Assessment, GradeLevel, Result
from nfmaturity.assessments.selectors import assessments_with_results
from nfmaturity.enterprises import regions
from nfmaturity.enterprises.models import Enterprise, Metal, SectorChoice, SizeClass

GRADE_LABELS = dict(GradeLevel.choices)


@dataclass(frozen=True)
class RegistryFilter:
    q: str = ""
    city: str = ""
    sector: str = ""
    metal: str = ""
    size: str = ""

    @classmethod
    def from_query(cls, query: QueryDict) -> RegistryFilter:
        def pick(name: str, allowed: set[str]) -> str:
            value = query.get(name, "")
            return value if value in allowed else ""

        return cls(
            q=query.get("q", "").strip()[:100],
            city=pick("city", {r.code for r in guangxi_cities()}),
            sector=pick("sector", set(SectorChoice.values)),
            metal=pick("metal", set(Metal.values)),
            size=pick("size", set(SizeClass.values)),
        )


def guangxi_cities() -> list[regions.Region]:
    return [r for r in regions.regions().values() if r.parent == "450000"]


def _latest_result() -> QuerySet[Result]:
    return Result.objects.filter(assessment__enterprise=OuterRef("pk")).order_by(
        "-assessment__submitted_at", "-version"
    )


def with_latest_result(queryset: QuerySet[Enterprise]) -> QuerySet[Enterprise]:
    latest = _latest_result()
    return queryset.annotate(
        latest_grade=Subquery(latest.values("grade")[:1]),
        latest_total=Subquery(latest.values("total_shown")[:1]),
        latest_at=Subquery(latest.values("assessment__submitted_at")[:1]),
    )


def registry_rows(queryset: QuerySet[Enterprise], filters: RegistryFilter) -> QuerySet[Enterprise]:
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
    return with_latest_result(queryset).order_by("name")


def assessments_for_profile(
    user: AnyUser, enterprise: Enterprise
) -> list[tuple[Assessment, Result | None, int]]:
    return assessments_with_results(visible_assessments(user).filter(enterprise=enterprise))


def enterprise_count() -> int:
    return Enterprise.objects.count()


def industry_overview() -> dict[str, Any]:
    """Counts over each enterprise's latest stored result: grade distribution, by city and by size."""
    rows = list(with_latest_result(Enterprise.objects.all()).values("region_code", "size", "latest_grade"))
    assessed = [r for r in rows if r["latest_grade"] is not None]
    grades = Counter(r["latest_grade"] for r in assessed)
    city_names = {c.code[:4]: c.name for c in guangxi_cities()}
    by_city: dict[str, Counter[int]] = {}
    for r in assessed:
        city = city_names.get(r["region_code"][:4], "其他地区")
        by_city.setdefault(city, Counter())[r["latest_grade"]] += 1
    by_size: dict[str, Counter[int]] = {}
    for r in assessed:
        by_size.setdefault(SizeClass(r["size"]).label, Counter())[r["latest_grade"]] += 1
    levels = list(range(6))
    return {
        "enterprises": len(rows),
        "assessed": len(assessed),
        "grade_labels": [GRADE_LABELS[g] for g in levels],
        "grade_short": ["未达一级", "一级", "二级", "三级", "四级", "五级"],
        "grade_counts": [grades.get(g, 0) for g in levels],
        "by_city": sorted(
            ((city, [c.get(g, 0) for g in levels], sum(c.values())) for city, c in by_city.items()),
            key=lambda t: -t[2],
        ),
        "by_size": [(size, [c.get(g, 0) for g in levels], sum(c.values())) for size, c in by_size.items()],
    }
