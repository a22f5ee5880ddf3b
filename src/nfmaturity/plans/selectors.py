"""Reads of stored plans (other apps — reports, exports — read plans only through here)."""

from __future__ import annotations

from django.db.models import Prefetch

from nfmaturity.assessments.models import Assessment
from nfmaturity.plans.models import ImprovementPlan, PlanAction


def current_plan(assessment: Assessment) -> ImprovementPlan | None:
    """The enterprise's saved plan made from ``assessment`` (the newest one), with its actions prefetched in
    roadmap order; None when none was saved."""
    return (
        ImprovementPlan.objects.filter(assessment=assessment, superseded=False)
        .select_related("result")
        .prefetch_related(Prefetch("actions", queryset=PlanAction.objects.order_by("position")))
        .order_by("-pk")
        .first()
    )
