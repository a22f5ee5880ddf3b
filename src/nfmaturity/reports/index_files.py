"""The yearly 数字化转型指数报告 as queued files: asking for one, who may see it, what the page lists.

A regulator (or the platform admin) asks for a year and a format; the request is one row, built by the worker
(``jobs.generate_index``) with its progress, then downloaded. The file belongs to the requester's organisation
(``audience``) and covers the requester's jurisdiction, as the dashboard does.

When is a finished file reused rather than built again? When it was built from the same data: ``data_stamp``
is a digest of what the report reads in the jurisdiction (the enterprises counted and their verification, the
latest-result pointers, the stored results), computed with a few aggregate queries when the file is asked for.
Same audience, jurisdiction, year, format and stamp: the finished file is handed back (and a pending one is
waited for; a failed one is queued again). Any change of the data gives a new stamp, so a new file; the earlier
files stay listed, marked as built from older data.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.db.models import Count, Max, Q, Sum
from django.http import Http404

from nfmaturity.accounts.access import AnyUser, membership_of
from nfmaturity.assessments.models import LatestResult, Result
from nfmaturity.audit.models import AuditAction
from nfmaturity.audit.services import record_event
from nfmaturity.enterprises.access import in_jurisdiction, jurisdiction_of
from nfmaturity.enterprises.models import Enterprise, VerificationState
from nfmaturity.reports import files
from nfmaturity.reports.models import ADMINS, IndexReportFile, ReportFormat, ReportState

FORMATS = (ReportFormat.PDF, ReportFormat.DOCX)
LISTED = 30  # the page lists this many of the requester's latest index files
JURISDICTION_CHANGED = "申请人的管辖范围已变更（或已不是监管部门人员），该报告不再生成；请重新申请。"


@dataclass(frozen=True)
class Requester:
    """Whose index files: the audience key, its organisation (None for the platform admins), the jurisdiction."""

    audience: str
    organisation_id: int | None
    jurisdiction: str


def requester_of(user: AnyUser) -> Requester | None:
    jurisdiction = jurisdiction_of(user)
    if jurisdiction is None:
        return None
    if user.is_superuser:
        return Requester(ADMINS, None, jurisdiction)
    membership = membership_of(user)
    if membership is None:  # jurisdiction_of said regulator, so there is one
        return None
    return Requester(f"org:{membership.organisation_id}", membership.organisation_id, jurisdiction)


def data_stamp(jurisdiction: str) -> str:
    """A digest of the data the index report of ``jurisdiction`` reads (any year): it changes when an
    enterprise is added, changed or verified, when a result is stored, or when a latest-result pointer moves
    (a submission, a formal reopening)."""
    enterprises = in_jurisdiction(Enterprise.objects.all(), jurisdiction).aggregate(
        n=Count("pk"),
        ids=Sum("pk"),
        changed=Max("updated_at"),
        verified=Count("pk", filter=Q(verification=VerificationState.VERIFIED)),
        verified_at=Max("verified_at"),
    )
    pointers = in_jurisdiction(LatestResult.objects.all(), jurisdiction, "enterprise__region_code").aggregate(
        n=Count("pk"), results=Sum("result_id")
    )
    results = in_jurisdiction(
        Result.objects.all(), jurisdiction, "assessment__enterprise__region_code"
    ).aggregate(n=Count("pk"), last=Max("pk"))
    text = repr(
        (
            jurisdiction,
            sorted(enterprises.items()),
            sorted(pointers.items()),
            sorted(results.items()),
        )
    )
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class IndexRequested:
    report: IndexReportFile
    queued: bool  # True: the worker has to (re)build it; False: the finished or pending file is reused


def request_index_report(*, actor: User, year: int, fmt: ReportFormat) -> IndexRequested:
    """Ask for the ``fmt`` index report of ``year`` over the actor's jurisdiction (see the module's docstring for
    when a file is reused). Audited, reused or not. The caller enqueues the work when ``queued``, after the
    transaction has committed."""
    requester = requester_of(actor)
    if requester is None or fmt not in FORMATS:
        raise Http404
    stamp = data_stamp(requester.jurisdiction)  # reads only: before the write transaction
    key = {
        "audience": requester.audience,
        "jurisdiction": requester.jurisdiction,
        "year": year,
        "format": fmt,
        "data_stamp": stamp,
    }
    with transaction.atomic():
        report = IndexReportFile.objects.select_for_update().filter(**key).first()
        queued = True
        if report is None:
            try:
                with transaction.atomic():
                    report = IndexReportFile.objects.create(
                        **key, organisation_id=requester.organisation_id, requested_by=actor
                    )
            except IntegrityError:  # the same request a moment ago (a double click): reuse it
                report = IndexReportFile.objects.select_for_update().get(**key)
                queued = False
        elif (report.is_pending and not files.abandoned(report)) or (
            report.is_done and files.present(report)
        ):
            queued = False
        else:
            files.requeue(report, actor)
        record_event(
            actor=actor,
            action=AuditAction.INDEX_REPORT_REQUESTED,
            obj=report,
            organisation_id=requester.organisation_id,
            new={"jurisdiction": requester.jurisdiction, "year": year, "format": str(fmt), "queued": queued},
        )
    return IndexRequested(report, queued)


def get_index_file_for_user(user: AnyUser, pk: int) -> IndexReportFile:
    """An index report file the user may download: his organisation's, for his present jurisdiction; the
    platform admin may download any. The same 404 for missing and not his."""
    requester = requester_of(user)
    report = IndexReportFile.objects.filter(pk=pk).first()
    if requester is None or report is None:
        raise Http404
    if requester.audience != ADMINS and (
        report.audience != requester.audience or report.jurisdiction != requester.jurisdiction
    ):
        raise Http404
    return report


@dataclass(frozen=True)
class Listing:
    rows: list[IndexReportFile]
    current_stamp: str

    @property
    def pending(self) -> bool:
        return any(r.is_pending for r in self.rows)


def files_of(requester: Requester) -> Listing:
    """The requester's latest index files, newest first; an abandoned job shows as failed (no write in a GET)."""
    rows = list(
        IndexReportFile.objects.filter(audience=requester.audience, jurisdiction=requester.jurisdiction)
        .select_related("requested_by")
        .order_by("-requested_at", "-pk")[:LISTED]
    )
    for row in rows:
        if files.abandoned(row):
            row.state, row.error = ReportState.FAILED, files.ABANDONED
    return Listing(rows, data_stamp(requester.jurisdiction))


def still_theirs(report: IndexReportFile) -> bool:
    """The worker's check that the requester still oversees the jurisdiction the row was asked for."""
    user = report.requested_by
    if user is None:
        return False
    requester = requester_of(user)
    return requester is not None and (requester.audience, requester.jurisdiction) == (
        report.audience,
        report.jurisdiction,
    )
