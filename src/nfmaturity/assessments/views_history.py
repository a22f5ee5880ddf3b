"""An enterprise's assessment history and the comparison of two submitted results (stored results only)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from nfmaturity.assessments import comparison
from nfmaturity.assessments.access import get_enterprise_assessments_for_user, visible_assessments
from nfmaturity.assessments.models import AssessmentState
from nfmaturity.assessments.selectors import assessments_with_results


@login_required
@require_safe  # pages that only read: a POST is refused before any lookup
def history(request: HttpRequest, enterprise_pk: int) -> HttpResponse:
    enterprise = get_enterprise_assessments_for_user(request.user, enterprise_pk)
    rows = assessments_with_results(visible_assessments(request.user).filter(enterprise=enterprise))
    submitted = [(a, r) for a, r, _ in rows if r is not None]
    return render(
        request,
        "assessments/history.html",
        {"enterprise": enterprise, "rows": rows, "submitted": submitted},
    )


@login_required
@require_safe
def compare(request: HttpRequest, enterprise_pk: int) -> HttpResponse:
    enterprise = get_enterprise_assessments_for_user(request.user, enterprise_pk)
    pool = visible_assessments(request.user).filter(enterprise=enterprise, state=AssessmentState.SUBMITTED)
    submitted = list(pool.select_related("unit").order_by("submitted_at"))
    by_pk = {a.pk: a for a in submitted}

    def pick(name: str, default: int) -> int | None:
        raw = request.GET.get(name, "")
        if raw.isdigit() and int(raw) in by_pk:
            return int(raw)
        return submitted[default].pk if len(submitted) >= 2 else None

    before_pk, after_pk = pick("a", -2), pick("b", -1)
    diff = None
    if before_pk is not None and after_pk is not None:
        diff = comparison.compare_results(by_pk[before_pk], by_pk[after_pk])
    return render(
        request,
        "assessments/compare.html",
        {"enterprise": enterprise, "submitted": submitted, "diff": diff, "a": before_pk, "b": after_pk},
    )
