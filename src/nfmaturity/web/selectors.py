"""Reads that join the registry with stored assessment results.

They live here, above both apps, so that ``enterprises`` never imports ``assessments``: the registry
knows nothing of scores, and the pages that show both are composed in the web layer.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from django.db.models import OuterRef, QuerySet, Subquery

from nfmaturity.accounts.access import AnyUser
from nfmaturity.assessments.access import visible_assessments
from nfmaturity.assessments.models import Assessment, GradeLevel, Result
from nfmaturity.assessments.selectors import assessments_with_results
from nfmaturity.enterprises.models import Enterprise, SizeClass
from nfmaturity.enterprises.selectors import RegistryFilter, filter_registry, guangxi_cities


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
    return with_latest_result(filter_registry(queryset, filters)).order_by("name")


def assessments_for_profile(
    user: AnyUser, enterprise: Enterprise
) -> list[tuple[Assessment, Result | None, int]]:
    return assessments_with_results(visible_assessments(user).filter(enterprise=enterprise))


def industry_overview() -> dict[str, Any]:
    """Counts over each enterprise's latest stored result: grade distribution, by city and by size."""
    latest_grade = Subquery(_latest_result().values("grade")[:1])
    rows = list(
        Enterprise.objects.annotate(latest_grade=latest_grade).values("region_code", "size", "latest_grade")
    )
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
    levels = list(GradeLevel.values)
    return {
        "enterprises": len(rows),
        "assessed": len(assessed),
        "grade_labels": list(GradeLevel.labels),
        # Column heads: "二级 场景级" → "二级"; "未达到一级" stays whole.
        "grade_short": [label.split(" ")[0] for label in GradeLevel.labels],
        "grade_counts": [grades.get(g, 0) for g in levels],
        "by_city": sorted(
            ((city, [c.get(g, 0) for g in levels], sum(c.values())) for city, c in by_city.items()),
            key=lambda t: -t[2],
        ),
        "by_size": [(size, [c.get(g, 0) for g in levels], sum(c.values())) for size, c in by_size.items()],
    }
