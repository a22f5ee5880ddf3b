"""Reads that join the registry with stored assessment results, and what the statistics count.

They live here, above both apps, so that ``enterprises`` never imports ``assessments``: the registry
knows nothing of scores, and the pages that show both are composed in the web layer.

What a statistic counts (docs/access.md): verified enterprises inside the viewer's jurisdiction, never demo
ones, except in a demo database (every enterprise is a demo one), where the figures count the demo data
and say so. Pending and rejected enterprises are listed for those who verify them, never counted.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from django.db.models import Count, F, OuterRef, QuerySet, Subquery

from nfmaturity.accounts.access import AnyUser

# Whom statistics count (verified; real unless the whole database is demo data) is defined once, in the analytics
# layer below, so the analytics dashboard and these pages count alike; re-exported under the old names.
from nfmaturity.analytics.selectors import DEMO as DEMO
from nfmaturity.analytics.selectors import counted as counted
from nfmaturity.analytics.selectors import is_demo_database as is_demo_database
from nfmaturity.assessments.access import visible_assessments
from nfmaturity.assessments.models import (
    Assessment,
    AssessmentState,
    GradeLevel,
    Result,
)
from nfmaturity.assessments.selectors import assessments_with_results
from nfmaturity.enterprises import regions
from nfmaturity.enterprises.access import jurisdiction_of, overseen_enterprises
from nfmaturity.enterprises.models import Enterprise, SizeClass, VerificationState
from nfmaturity.enterprises.selectors import RegistryFilter, filter_registry


def counted_enterprise_count() -> tuple[int, bool]:
    """How many enterprises the platform counts, and whether that figure is demo data."""
    demo = is_demo_database()
    return counted(Enterprise.objects.all(), demo=demo).count(), demo


def _latest_result() -> QuerySet[Result]:
    return Result.objects.filter(
        assessment__enterprise=OuterRef("pk"), assessment__state=AssessmentState.SUBMITTED
    ).order_by("-assessment__submitted_at", "-version")


def with_latest_result(queryset: QuerySet[Enterprise]) -> QuerySet[Enterprise]:
    latest = _latest_result()
    return queryset.annotate(
        latest_grade=Subquery(latest.values("grade")[:1]),
        latest_total=Subquery(latest.values("total_shown")[:1]),
        latest_at=Subquery(latest.values("assessment__submitted_at")[:1]),
    )


def registry_rows(
    queryset: QuerySet[Enterprise], filters: RegistryFilter, *, with_scores: bool
) -> QuerySet[Enterprise]:
    """The registry list. Scores only for those who may read the enterprises' submitted results (the
    regulators overseeing them, the platform admin): an assessment body gets the bare profiles."""
    rows = filter_registry(queryset, filters)
    if with_scores:
        rows = with_latest_result(rows)
    return rows.order_by("name")


def assessments_for_profile(
    user: AnyUser, enterprise: Enterprise
) -> list[tuple[Assessment, Result | None, int]]:
    return assessments_with_results(visible_assessments(user).filter(enterprise=enterprise))


def _subdivision_label(jurisdiction: str, code: str) -> str:
    region = regions.regions().get(code)
    name = region.name if region is not None else code
    # An enterprise registered at the jurisdiction's own level (e.g. "广西（全省）") has no finer division.
    return f"{name}（未细分）" if code == jurisdiction else name


def industry_overview(user: AnyUser) -> dict[str, Any]:
    """The regulator dashboard over the enterprises ``user`` oversees, each counted by its latest submitted
    result: grade distribution, by subdivision of the jurisdiction, by size."""
    jurisdiction = jurisdiction_of(user)
    if jurisdiction is None:
        raise ValueError("industry_overview is for regulators and the platform admin")
    scope = overseen_enterprises(user)
    demo = is_demo_database()
    states = {
        row["verification"]: row["n"]
        for row in scope.values("verification").annotate(n=Count("pk")).order_by()
    }
    # Counted in the database over the stored pointer to each enterprise's latest result (LatestResult, one
    # join, kept by submit_assessment); one row per (division, size, grade) comes back, not one per enterprise.
    groups = list(
        counted(scope, demo=demo)
        .values("region_code", "size", latest_grade=F("latest_result__grade"))
        .annotate(n=Count("pk"))
        .order_by()
    )
    enterprises = sum(g["n"] for g in groups)
    assessed = [g for g in groups if g["latest_grade"] is not None]
    grades: Counter[int] = Counter()
    by_region: dict[str, Counter[int]] = {}  # by division code, so ties are listed in GB/T 2260 order
    by_size: dict[str, Counter[int]] = {}
    for g in assessed:
        grades[g["latest_grade"]] += g["n"]
        by_region.setdefault(regions.subdivision(jurisdiction, g["region_code"]), Counter())[
            g["latest_grade"]
        ] += g["n"]
        by_size.setdefault(SizeClass(g["size"]).label, Counter())[g["latest_grade"]] += g["n"]
    levels = list(GradeLevel.values)
    return {
        "jurisdiction_name": regions.jurisdiction_name(jurisdiction),
        "demo": demo,
        "enterprises": enterprises,
        "assessed": sum(grades.values()),
        "pending": states.get(VerificationState.PENDING, 0),
        "rejected": states.get(VerificationState.REJECTED, 0),
        "grade_labels": list(GradeLevel.labels),
        # Column heads: "二级 场景级" → "二级"; "未达到一级" stays whole.
        "grade_short": [label.split(" ")[0] for label in GradeLevel.labels],
        "grade_counts": [grades.get(g, 0) for g in levels],
        "region_heading": regions.subdivision_heading(jurisdiction),
        "by_region": [
            (_subdivision_label(jurisdiction, code), [c.get(g, 0) for g in levels], sum(c.values()))
            for code, c in sorted(by_region.items(), key=lambda item: (-sum(item[1].values()), item[0]))
        ],
        "by_size": [
            (size.label, [by_size[size.label].get(g, 0) for g in levels], sum(by_size[size.label].values()))
            for size in SizeClass
            if size.label in by_size
        ],
    }
