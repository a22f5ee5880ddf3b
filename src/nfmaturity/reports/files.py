"""Report files: asking for one (or reusing the finished one), the worker's steps, and the file on disk.

The worker's steps (``claim_of``, ``set_progress``, ``store``, ``fail``) serve every kind of generated file (a
result's ``ReportFile``, an ``IndexReportFile``): ``model`` says which table. One service per action, each in
a short transaction that locks the row it changes; the slow part (building the document, writing the file)
happens between them, in the worker, outside any transaction. Asking for a file and downloading one are
audited (``record_download``).
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TypeVar

from django.conf import settings
from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.utils import timezone

from nfmaturity.assessments.models import AssessmentKind, Result
from nfmaturity.audit.models import AuditAction
from nfmaturity.audit.services import record_event
from nfmaturity.reports.models import GeneratedFile, ReportFile, ReportFormat, ReportState

F = TypeVar("F", bound=GeneratedFile)

EXTENSIONS = {ReportFormat.PDF: ".pdf", ReportFormat.DOCX: ".docx", ReportFormat.XLSX: ".xlsx"}
CONTENT_TYPES = {
    ReportFormat.PDF: "application/pdf",
    ReportFormat.DOCX: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ReportFormat.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
# What the page says about a failure whose cause is not one of ours (the log has the details).
GENERIC_FAILURE = "生成报告时发生内部错误，请稍后重试；如仍失败，请联系平台管理员。"
ABANDONED = "等待后台任务进程超时（进程可能未运行或已多次中断），请重试；如仍失败，请联系平台管理员。"


def abandoned(report: GeneratedFile) -> bool:
    """Queued or running for longer than the queue would ever keep trying (each attempt may hold the task for
    ``retry`` seconds, up to ``max_attempts`` times): the worker gave up on it or none is running. The page
    shows it as failed with a retry."""
    if not report.is_pending:
        return False
    patience = settings.NFM_TASK_RETRY * (settings.NFM_TASK_ATTEMPTS + 1)
    since = report.started_at or report.requested_at
    return since is not None and (timezone.now() - since).total_seconds() > patience


@dataclass(frozen=True)
class Requested:
    report: ReportFile
    queued: bool  # True: the worker has to (re)build it; False: the finished or pending file is reused


def reports_dir() -> Path:
    return Path(settings.NFM_REPORTS_DIR)


def file_path(report: GeneratedFile) -> Path:
    """The file on disk; refuses a stored path that would leave the reports directory."""
    root = reports_dir().resolve()
    path = (root / report.path).resolve()
    if not report.path or root not in path.parents:
        raise FileNotFoundError(report.path)
    return path


def request_report(
    *,
    result: Result,
    fmt: ReportFormat,
    actor: User | None,
    expert_detail: bool = False,
    changed_since: datetime | None = None,
) -> Requested:
    """Ask for the ``fmt`` file of ``result``: reuse it when finished or on its way, queue it again when it
    failed (a retry), its file went missing or what it shows changed after it was made (``changed_since``: the
    improvement plan in the Excel file), create and queue it otherwise. Every request is audited, reused or
    not. The caller enqueues the work when ``queued`` (after this transaction has committed, so the worker
    finds the row)."""
    expert_detail = expert_detail and fmt == ReportFormat.XLSX
    with transaction.atomic():
        asked = _request_report(result, fmt, actor, expert_detail, changed_since)
        record_event(
            actor=actor,
            action=AuditAction.REPORT_REQUESTED,
            obj=asked.report,
            organisation_id=result.assessment.enterprise.organisation_id,
            new={
                "result": result.pk,
                "version": result.version,
                "format": str(fmt),
                "expert_detail": expert_detail,
                "queued": asked.queued,
            },
        )
    return asked


def _request_report(
    result: Result,
    fmt: ReportFormat,
    actor: User | None,
    expert_detail: bool,
    changed_since: datetime | None,
) -> Requested:
    report = (
        ReportFile.objects.select_for_update()
        .filter(result=result, format=fmt, expert_detail=expert_detail)
        .first()
    )
    if report is None:
        try:
            with transaction.atomic():
                report = ReportFile.objects.create(
                    result=result, format=fmt, expert_detail=expert_detail, requested_by=actor
                )
        except IntegrityError:  # someone asked for the same file a moment ago: reuse theirs
            report = ReportFile.objects.select_for_update().get(
                result=result, format=fmt, expert_detail=expert_detail
            )
            return Requested(report, queued=False)
        return Requested(report, queued=True)
    if report.is_pending and not abandoned(report):
        return Requested(report, queued=False)
    if report.is_done and present(report) and not is_stale(report, changed_since):
        return Requested(report, queued=False)
    requeue(report, actor)
    return Requested(report, queued=True)


def requeue(report: GeneratedFile, actor: User | None) -> None:
    """Put a locked row back in the queue (a retry, a missing file, out-of-date content)."""
    report.state = ReportState.QUEUED
    report.progress = 0
    report.error = ""
    report.requested_by = actor
    report.requested_at = timezone.now()
    report.started_at = None
    report.finished_at = None
    report.save()


def is_stale(report: GeneratedFile, changed_since: datetime | None) -> bool:
    return changed_since is not None and (report.finished_at is None or report.finished_at < changed_since)


def present(report: GeneratedFile) -> bool:
    try:
        return file_path(report).is_file()
    except FileNotFoundError:
        return False


def claim(report_id: int) -> ReportFile | None:
    """The worker takes a result's file job: None when there is nothing to do (done meanwhile, or deleted)."""
    return claim_of(ReportFile, report_id)


def claim_of(model: type[F], report_id: int) -> F | None:
    """The worker takes the job: None when there is nothing to do (done meanwhile, or deleted)."""
    with transaction.atomic():
        report = model._default_manager.select_for_update().filter(pk=report_id).first()
        if report is None or (report.state == ReportState.DONE and present(report)):
            return None
        report.state = ReportState.RUNNING
        report.progress = 5
        report.attempts += 1
        report.started_at = timezone.now()
        report.error = ""
        report.save(update_fields=["state", "progress", "attempts", "started_at", "error"])
    return report


def set_progress(report_id: int, percent: int, model: type[GeneratedFile] = ReportFile) -> None:
    model._default_manager.filter(pk=report_id, state=ReportState.RUNNING).update(
        progress=max(0, min(99, percent))
    )


def store(report: F, data: bytes) -> F:
    """Write the file (to a temporary name, then renamed into place: a reader never sees half a file) and
    mark the job done with its size and SHA-256."""
    digest = hashlib.sha256(data).hexdigest()
    relative = f"{report.storage_stem()}{digest[:16]}{EXTENSIONS[ReportFormat(report.format)]}"
    target = reports_dir() / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".part-")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temporary, 0o640)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    with transaction.atomic():
        locked = type(report)._default_manager.select_for_update().get(pk=report.pk)
        locked.state = ReportState.DONE
        locked.progress = 100
        locked.size = len(data)
        locked.sha256 = digest
        locked.path = relative
        locked.error = ""
        locked.finished_at = timezone.now()
        locked.save()
    return locked


def fail(report_id: int, message: str, model: type[GeneratedFile] = ReportFile) -> None:
    """Mark the job failed, with a Chinese message the page shows beside a retry button."""
    with transaction.atomic():
        report = model._default_manager.select_for_update().filter(pk=report_id).first()
        if report is None:
            return
        report.state = ReportState.FAILED
        report.error = message
        report.finished_at = timezone.now()
        report.save(update_fields=["state", "error", "finished_at"])


def download_name(report: ReportFile) -> str:
    assessment = report.result.assessment
    kind = "正式评估" if assessment.kind == AssessmentKind.FORMAL else "自评估"
    what = "评分导出" if report.format == ReportFormat.XLSX else "评估报告"
    return (
        f"{assessment.enterprise.name}-{assessment.get_sector_display()}{kind}{what}"
        f"-第{report.result.version}版{EXTENSIONS[ReportFormat(report.format)]}"
    )


def record_download(report: GeneratedFile, actor: User, *, organisation_id: int | None) -> None:
    """The audit event of one download (who fetched which file, its hash), in its own short transaction."""
    action = (
        AuditAction.REPORT_DOWNLOADED
        if isinstance(report, ReportFile)
        else AuditAction.INDEX_REPORT_DOWNLOADED
    )
    with transaction.atomic():
        record_event(
            actor=actor,
            action=action,
            obj=report,
            organisation_id=organisation_id,
            new={"format": report.format, "sha256": report.sha256, "size": report.size},
        )
