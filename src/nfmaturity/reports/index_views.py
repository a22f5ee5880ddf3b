"""The 数字化转型指数报告 page: pick a year and a format, the file is built in the background with its progress
shown (htmx polls the list), then downloaded; earlier files stay listed. Regulators and the platform admin only
(everyone else gets 404); files are read through ``index_files.get_index_file_for_user``."""

from __future__ import annotations

from urllib.parse import quote

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpResponse, HttpResponseBase
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_safe

from nfmaturity.accounts.fragment_pages import fragment_or_page, wants_fragment
from nfmaturity.accounts.requests import AuthenticatedRequest
from nfmaturity.enterprises import regions
from nfmaturity.reports import files, index_files, jobs
from nfmaturity.reports.index_files import Requester
from nfmaturity.reports.models import IndexReportFile, ReportFormat

YEARS_OFFERED = 8


def _years() -> list[int]:
    this = timezone.localdate().year
    return list(range(this, this - YEARS_OFFERED, -1))


def _requester(request: AuthenticatedRequest) -> Requester:
    requester = index_files.requester_of(request.user)
    if requester is None:
        raise Http404
    return requester


def _panel_context(requester: Requester) -> dict[str, object]:
    listing = index_files.files_of(requester)
    return {
        "rows": listing.rows,
        "current_stamp": listing.current_stamp,
        "pending": listing.pending,
        "jurisdiction_name": regions.jurisdiction_name(requester.jurisdiction),
    }


@login_required
@require_http_methods(["GET", "POST"])
def index_page(request: AuthenticatedRequest) -> HttpResponse:
    """GET: the page. POST ``year`` and ``format``: ask for that file (reused when built from the same data and
    finished or on its way; a failed one is queued again), then show the list (htmx) or the page."""
    requester = _requester(request)
    years = _years()
    source = request.POST if request.method == "POST" else request.GET
    year_text = source.get("year", "")
    year = int(year_text) if year_text.isdigit() and int(year_text) in years else None
    status = 200
    if request.method == "POST":
        fmt = ReportFormat(source["format"]) if source.get("format") in index_files.FORMATS else None
        if fmt is None or year is None:
            status = 422
        else:
            asked = index_files.request_index_report(actor=request.user, year=year, fmt=fmt)
            if asked.queued:
                jobs.enqueue_index(asked.report.pk)
            if not wants_fragment(request):
                return redirect(f"{reverse('reports:index_report')}?year={year}")
    context = _panel_context(requester) | {"years": years, "year": year or years[0]}
    return fragment_or_page(
        request, "reports/index_files_panel.html", "reports/index_page.html", context, status=status
    )


@login_required
@require_safe
def index_panel(request: AuthenticatedRequest) -> HttpResponse:
    """The list of the requester's index files (what the page polls while one is being built); opened on its
    own, the page around it (``accounts.fragment_pages``)."""
    years = _years()
    context = _panel_context(_requester(request)) | {"years": years, "year": years[0]}
    return fragment_or_page(request, "reports/index_files_panel.html", "reports/index_page.html", context)


def download_name(report: IndexReportFile) -> str:
    name = regions.jurisdiction_name(report.jurisdiction)
    return (
        f"{name}有色金属行业{report.year}年数字化转型指数报告{files.EXTENSIONS[ReportFormat(report.format)]}"
    )


@login_required
@require_safe
def index_download(request: AuthenticatedRequest, pk: int) -> HttpResponseBase:
    report = index_files.get_index_file_for_user(request.user, pk)
    if not report.is_done:
        raise Http404
    try:
        handle = files.file_path(report).open("rb")
    except FileNotFoundError:
        raise Http404 from None
    try:
        files.record_download(report, request.user, organisation_id=report.organisation_id)
    except BaseException:
        handle.close()
        raise
    response = FileResponse(handle, content_type=files.CONTENT_TYPES[ReportFormat(report.format)])
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(download_name(report))}"
    response["Content-Length"] = str(report.size or 0)
    response["Cache-Control"] = "private, no-store"
    return response
