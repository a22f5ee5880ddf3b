"""Report files of a stored result: the downloads panel (asks for a file, shows its progress, then the link),
the download itself, and the pre-filled workbook for the next self-assessment. Every request for a file and
every download is audited.

Every view reads the result through ``reports.access`` (the assessment's own access rules; the same 404 for
missing and not yours). Files are served only from here, never from a static or media URL.
"""

from __future__ import annotations

from urllib.parse import quote

from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect
from django.views.decorators.http import require_http_methods, require_safe

from nfmaturity.accounts.fragment_pages import fragment_or_page, wants_fragment
from nfmaturity.accounts.requests import AuthenticatedRequest
from nfmaturity.assessments.access import get_assessment_for_user
from nfmaturity.assessments.selectors import latest_result
from nfmaturity.audit.models import AuditAction
from nfmaturity.audit.services import record_event
from nfmaturity.reports import files, jobs
from nfmaturity.reports.access import ResultAccess, get_report_for_user, get_result_for_user
from nfmaturity.reports.models import ReportFormat, ReportState
from nfmaturity.reports.selectors import files_of_assessment
from nfmaturity.reports.xlsx import CONTENT_TYPE, next_workbook


def _panel_context(access: ResultAccess) -> dict[str, object]:
    result = access.result
    mine = list(files_of_assessment(result.assessment, expert_detail=access.expert_detail))
    current = {r.format: r for r in mine if r.result_id == result.pk}
    excel = current.get(ReportFormat.XLSX)
    if excel is not None and excel.is_done and files.is_stale(excel, jobs.plan_changed_at(result)):
        del current[ReportFormat.XLSX]  # made before the plan last changed: offered to be made again
    for report in current.values():
        if files.abandoned(report):  # shown as failed, with a retry (no write in a GET)
            report.state, report.error = ReportState.FAILED, files.ABANDONED
    formats = [(fmt, current.get(fmt.value)) for fmt in ReportFormat]
    return {
        "result": result,
        "assessment": result.assessment,
        "formats": formats,
        "older": [r for r in mine if r.result_id != result.pk and r.is_done],
        "pending": any(r is not None and r.is_pending for _, r in formats),
        "expert_detail": access.expert_detail,
    }


def _attachment(filename: str) -> str:
    return f"attachment; filename*=UTF-8''{quote(filename)}"


@login_required
@require_http_methods(["GET", "POST"])
def panel(request: AuthenticatedRequest, result_pk: int) -> HttpResponse:
    """GET: the panel (a fragment for htmx, a page of its own otherwise). POST ``format``: ask for that file
    (reused when finished or on its way; a failed one is queued again), then show the panel."""
    access = get_result_for_user(request.user, result_pk)
    status = 200
    if request.method == "POST":
        try:
            fmt = ReportFormat(request.POST.get("format", ""))
        except ValueError:
            fmt = None
        if fmt is None:
            status = 422
        else:
            asked = files.request_report(
                result=access.result,
                fmt=fmt,
                actor=request.user,
                expert_detail=access.expert_detail,
                changed_since=jobs.plan_changed_at(access.result) if fmt == ReportFormat.XLSX else None,
            )
            if asked.queued:
                jobs.enqueue(asked.report.pk)
            if not wants_fragment(request):
                return redirect("reports:panel", result_pk=result_pk)
    return fragment_or_page(
        request, "reports/files_panel.html", "reports/files_page.html", _panel_context(access), status=status
    )


@login_required
@require_safe
def assessment_panel(request: HttpRequest, assessment_pk: int) -> HttpResponse:
    """The panel of a submitted self-assessment's latest result (what its results page includes)."""
    assessment = get_assessment_for_user(request.user, assessment_pk)
    result = latest_result(assessment)
    if result is None:
        raise Http404
    access = get_result_for_user(request.user, result.pk)
    return fragment_or_page(
        request, "reports/files_panel.html", "reports/files_page.html", _panel_context(access)
    )


@login_required
@require_safe
def download(request: AuthenticatedRequest, pk: int) -> HttpResponseBase:
    report, _access = get_report_for_user(request.user, pk)
    if not report.is_done:
        raise Http404
    try:
        handle = files.file_path(report).open("rb")
    except FileNotFoundError:
        raise Http404 from None
    try:
        files.record_download(
            report, request.user, organisation_id=report.result.assessment.enterprise.organisation_id
        )
    except BaseException:
        handle.close()
        raise
    response = FileResponse(handle, content_type=files.CONTENT_TYPES[ReportFormat(report.format)])
    response["Content-Disposition"] = _attachment(files.download_name(report))
    response["Content-Length"] = str(report.size or 0)
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_safe
def next_workbook_download(request: AuthenticatedRequest, result_pk: int) -> HttpResponse:
    access = get_result_for_user(request.user, result_pk)
    assessment = access.result.assessment
    data = next_workbook(access.result)
    with transaction.atomic():
        record_event(
            actor=request.user,
            action=AuditAction.NEXT_WORKBOOK_DOWNLOADED,
            obj=access.result,
            organisation_id=assessment.enterprise.organisation_id,
            new={"assessment": assessment.pk, "version": access.result.version},
        )
    response = HttpResponse(data, content_type=CONTENT_TYPE)
    name = f"下次自评估预填工作簿-{assessment.enterprise.name}-{assessment.get_sector_display()}-{assessment.catalog_version}.xlsx"
    response["Content-Disposition"] = _attachment(name)
    response["Cache-Control"] = "private, no-store"
    return response
