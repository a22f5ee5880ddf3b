"""The results page and its on-demand fragments (explanation side panel, improvement plan).

The page itself reads the stored result of a submitted assessment and runs neither the explanation nor the
planner; the fragments load when asked for. A submitted result never changes, so its explanation fragments are
cached as rendered, by (result id, catalog content hash, target); the plan is cached in ``report``.

The fragments are also plain links (middle-click, a bookmark, no JavaScript): a request that is not htmx's
gets a full page around the same fragment, with the site's navigation and a way back to the results. The
answer depends on the ``HX-Request`` header, so both kinds say ``Vary: HX-Request``.
"""

from __future__ import annotations

import re

from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.views.decorators.http import require_safe

from nfmaturity.accounts.fragment_pages import fragment_html_or_page
from nfmaturity.assessments import report
from nfmaturity.assessments.access import can_fill, get_assessment_for_user
from nfmaturity.assessments.errors import AssessmentError
from nfmaturity.assessments.models import Assessment
from nfmaturity.assessments.selectors import latest_result

EXPLAIN_CACHE_SECONDS = 24 * 3600
# What may be explained; checked before the target is used in a cache key.
EXPLAIN_TARGET = re.compile(r"total|level:[1-5]|cell:\d{1,3}:[1-5]")
# The other figures a standalone explanation page links to (the cells are reached from the results table).
EXPLAIN_PAGE_TARGETS = (("total", "总分 S"), *((f"level:{n}", f"S{n} 等级得分") for n in range(1, 6)))


@login_required
@require_safe  # pages that only read: a POST is refused before any lookup
def results(request: HttpRequest, pk: int) -> HttpResponse:
    assessment = get_assessment_for_user(request.user, pk)
    fillable = assessment.is_draft and can_fill(request.user, assessment)
    try:
        context = report.results_context(assessment)
    except AssessmentError as exc:  # a draft whose catalog content changed since it started
        return render(
            request,
            "assessments/results.html",
            {"assessment": assessment, "can_fill": fillable, "error": exc.message},
            status=409,
        )
    context["can_fill"] = fillable
    return render(request, "assessments/results.html", context)


def _answer(
    request: HttpRequest,
    assessment: Assessment,
    html: str,
    page_template: str,
    extra: dict[str, object] | None = None,
    status: int = 200,
) -> HttpResponse:
    """The fragment as it is for htmx; a full page that includes it for anything else (a link opened on its
    own), as every fragment of the platform answers (``accounts.fragment_pages``). The page adds only the
    navigation's own reads; the htmx answer costs what it always did."""
    context = {"assessment": assessment, **(extra or {})}
    return fragment_html_or_page(request, html, page_template, context, status=status)


def _fragment_error(template: str, request: HttpRequest, message: str) -> str:
    """A refusal shown where the fragment would go (htmx swaps 409 answers, see base.html)."""
    return render_to_string(template, {"kind": "error", "message": message}, request)


@login_required
@require_safe
def explain(request: HttpRequest, pk: int) -> HttpResponse:
    assessment = get_assessment_for_user(request.user, pk)
    target = request.GET.get("target", "total")
    if not EXPLAIN_TARGET.fullmatch(target):
        raise Http404
    page = "assessments/explain_page.html"
    extra: dict[str, object] = {"target": target, "targets": EXPLAIN_PAGE_TARGETS}
    key = None
    if report.is_stored(assessment):
        result = latest_result(assessment)
        if result is not None:
            key = f"nfm:explain:v1:{result.pk}:{result.catalog_hash}:{target}"
            html = cache.get(key)
            if html is not None:
                return _answer(request, assessment, html, page, extra)
    try:
        context = report.explain_context(assessment, target)
    except AssessmentError as exc:
        error = _fragment_error("assessments/_explain.html", request, exc.message)
        return _answer(request, assessment, error, page, extra, status=409)
    except (KeyError, ValueError, IndexError, StopIteration):
        raise Http404 from None
    html = render_to_string("assessments/_explain.html", {"assessment": assessment, **context}, request)
    if key is not None:
        cache.set(key, html, EXPLAIN_CACHE_SECONDS)
    return _answer(request, assessment, html, page, extra)


@login_required
@require_safe
def plan(request: HttpRequest, pk: int) -> HttpResponse:
    assessment = get_assessment_for_user(request.user, pk)
    raw_target = request.GET.get("target", "")
    target = int(raw_target) if raw_target.isdigit() else None
    path = request.GET.get("path", report.PATH_CONSECUTIVE)
    page_template = "assessments/plan_page.html"
    try:
        summary, choices = report.plan_summary(assessment, target, path)
    except AssessmentError as exc:
        error = _fragment_error("assessments/_plan.html", request, exc.message)
        return _answer(request, assessment, error, page_template, status=409)
    page = None
    if summary is not None:
        page = Paginator(summary.actions, report.PLAN_PAGE_SIZE).get_page(request.GET.get("page"))
    html = render_to_string(
        "assessments/_plan.html",
        {
            "assessment": assessment,
            "summary": summary,
            "choices": choices,
            "page": page,
            "provisional": not report.is_stored(assessment),
            "paths": (report.PATH_CONSECUTIVE, report.PATH_LITERAL),
        },
        request,
    )
    return _answer(request, assessment, html, page_template)
