"""The results page and its click-to-explain partials. All figures come from the scoring engine."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from nfmaturity.assessments import report
from nfmaturity.assessments.access import can_fill, get_assessment_for_user


@login_required
def results(request: HttpRequest, pk: int) -> HttpResponse:
    assessment = get_assessment_for_user(request.user, pk)
    context = report.results_context(assessment)
    context["can_fill"] = assessment.is_draft and can_fill(request.user, assessment)
    return render(request, "assessments/results.html", context)


@login_required
def explain(request: HttpRequest, pk: int) -> HttpResponse:
    assessment = get_assessment_for_user(request.user, pk)
    target = request.GET.get("target", "total")
    try:
        context = report.explain_context(assessment, target)
    except (KeyError, ValueError, IndexError):
        raise Http404 from None
    return render(request, "assessments/_explain.html", {"assessment": assessment, **context})
