"""Techno-economic indicator pages (an enterprise's years, the yearly form) and the two fragments loaded on
demand beside the maturity result: the indicators panel (enterprise page, results page) and the peer benchmark
(results page). Fragments keep those pages' own query counts unchanged; the peer benchmark opened on its own is
a page around the same fragment (``accounts.fragment_pages``)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_safe

from nfmaturity.accounts.fragment_pages import fragment_or_page, varies, wants_fragment
from nfmaturity.accounts.requests import AuthenticatedRequest
from nfmaturity.analytics import services
from nfmaturity.analytics.forms import IndicatorForm, indicator_initial
from nfmaturity.analytics.indicators import (
    DEFINITIONS,
    FIRST_YEAR,
    benchmark,
    can_report,
    get_enterprise_for_indicators,
    reports_of,
    sees_indicators,
)
from nfmaturity.analytics.models import IndicatorReport
from nfmaturity.analytics.peers import MIN_OTHERS, peer_position
from nfmaturity.analytics.references import REFERENCES
from nfmaturity.assessments.access import get_assessment_for_user
from nfmaturity.assessments.models import AssessmentState
from nfmaturity.assessments.selectors import latest_result


def _years_to_report() -> list[int]:
    this_year = timezone.localdate().year
    return [this_year, this_year - 1]


@login_required
@require_safe
def indicators_page(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    enterprise = get_enterprise_for_indicators(request.user, pk)
    reports = reports_of(enterprise)
    return render(
        request,
        "analytics/indicators_page.html",
        {
            "enterprise": enterprise,
            "benchmarks": [benchmark(r, enterprise) for r in reports],
            "can_report": can_report(request.user, enterprise),
            "years_to_report": _years_to_report(),
            "reported_years": {r.year for r in reports},
            "references": REFERENCES,
            "min_others": MIN_OTHERS,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def indicators_edit(request: AuthenticatedRequest, pk: int, year: int) -> HttpResponse:
    enterprise = get_enterprise_for_indicators(request.user, pk, write=True)
    if not FIRST_YEAR <= year <= timezone.localdate().year:
        raise Http404
    report = IndicatorReport.objects.filter(enterprise=enterprise, year=year).first()
    initial = indicator_initial(report) if report is not None else {}
    form = IndicatorForm(request.POST if request.method == "POST" else None, initial=initial)
    context = {"enterprise": enterprise, "year": year, "definitions": DEFINITIONS, "report": report}
    if request.method == "POST" and form.is_valid():
        version = form.cleaned_data.get("version")
        try:
            services.save_indicators(
                enterprise=enterprise,
                year=year,
                values=form.values(),
                base_version=version,
                actor=request.user,
            )
        except services.StaleError as exc:
            form.add_error(None, exc.message)
            newer = IndicatorReport.objects.filter(enterprise=enterprise, year=year).first()
            # What was typed stays in the form; the saved figures are shown beside it, and the next save is
            # based on them.
            data = request.POST.copy()
            data["version"] = str(newer.version) if newer is not None else ""
            form.data = data
            return render(
                request,
                "analytics/indicators_form.html",
                {**context, "form": form, "newer": benchmark(newer) if newer is not None else None},
                status=409,
            )
        messages.success(request, f"已保存 {year} 年度技术经济指标")
        return redirect("analytics:indicators", enterprise.pk)
    status = 422 if request.method == "POST" else 200
    return render(request, "analytics/indicators_form.html", {**context, "form": form}, status=status)


@login_required
@require_safe
def indicators_panel(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    enterprise = get_enterprise_for_indicators(request.user, pk)
    if not wants_fragment(request):  # opened on its own: the indicators page the card summarises
        return varies(redirect("analytics:indicators", enterprise.pk))
    latest = IndicatorReport.objects.filter(enterprise=enterprise).order_by("-year").first()
    return varies(
        render(
            request,
            "analytics/indicators_panel.html",
            {
                "enterprise": enterprise,
                "bench": benchmark(latest, enterprise) if latest is not None else None,
                "can_report": can_report(request.user, enterprise),
            },
        )
    )


@login_required
@require_safe
def peer_panel(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """The results page's peer block: a submitted assessment's stored result among its peers (k ≥ 5), and the
    enterprise's latest indicators for those who may read them."""
    assessment = get_assessment_for_user(request.user, pk)
    position = None
    result = None
    if assessment.state == AssessmentState.SUBMITTED:
        result = latest_result(assessment)
        if result is not None:
            position = peer_position(result)
    enterprise = assessment.enterprise
    latest = None
    show_indicators = sees_indicators(request.user, enterprise)
    if show_indicators:
        latest = IndicatorReport.objects.filter(enterprise=enterprise).order_by("-year").first()
    # Loaded into the results page by htmx; opened on its own (its <noscript> link, a new tab) it is a page.
    return fragment_or_page(
        request,
        "analytics/peers_panel.html",
        "analytics/peers_page.html",
        {
            "assessment": assessment,
            "submitted": result is not None,
            "position": position,
            "min_others": MIN_OTHERS,
            "enterprise": enterprise,
            "show_indicators": show_indicators,
            "bench": benchmark(latest) if latest is not None else None,
            "can_report": can_report(request.user, enterprise),
        },
    )
