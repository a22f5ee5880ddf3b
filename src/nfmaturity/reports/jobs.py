"""Background generation of report files, through django-q2 (ORM broker: the queue is a table of the platform's
database, so queued work survives a restart, and a task taken by a worker that was killed is handed out again
after ``Q_CLUSTER["retry"]`` seconds).

``enqueue`` is called after the request's transaction has committed; ``generate`` runs in the worker (``nfm
serve`` and ``nfm demo`` start one; ``python -m django qcluster`` runs one by hand). Tests run tasks inline
(``sync`` in settings_test), except the one that proves a dead worker's task is done after a restart.
"""

from __future__ import annotations

import importlib
import logging
import os
import subprocess
import sys
import threading
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from fractions import Fraction

from django.db.models import Max

from nfmaturity.assessments.models import Result
from nfmaturity.catalog.model import LEVELS
from nfmaturity.reports import files, index_files
from nfmaturity.reports.models import IndexReportFile, ReportFormat
from nfmaturity.scoring.display import format_truncated

logger = logging.getLogger(__name__)

TASK = "nfmaturity.reports.jobs.generate"
INDEX_TASK = "nfmaturity.reports.jobs.generate_index"
# The document builders of the other formats: module and function, imported when first needed so a missing
# system library (WeasyPrint's pango) fails one job with a message instead of every page.
BUILDERS = {
    ReportFormat.PDF: ("nfmaturity.reports.pdf", "build_pdf"),
    ReportFormat.DOCX: ("nfmaturity.reports.docx", "build_docx"),
}
Progress = Callable[[int], None]


class ReportBuildError(Exception):
    """A report cannot be built; ``message`` is Chinese and is shown to the user."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def enqueue(report_id: int) -> None:
    from django_q.tasks import async_task

    async_task(TASK, report_id, task_name=f"report-file-{report_id}", group="reports")


def enqueue_index(report_id: int) -> None:
    from django_q.tasks import async_task

    async_task(INDEX_TASK, report_id, task_name=f"index-report-{report_id}", group="reports")


def plan_rows(result: Result) -> list[list[str | int | Decimal | None]]:
    """The enterprise's saved improvement plan (一企一策) for the assessment, as a table for the Excel export:
    a header, one row per action in roadmap order, then a line saying what the plan reaches. Empty when no
    plan was saved."""
    from nfmaturity.plans.selectors import current_plan

    plan = current_plan(result.assessment)
    if plan is None:
        return []
    header: list[str | int | Decimal | None] = [
        "序号", "场景", "能力域", "能力子域", "等级", "能力建设", "当前评分", "目标评分",
        "工作量（人周）", "负责人", "完成期限", "预算（万元）", "状态", "完成证明", "备注",
    ]  # fmt: skip
    rows: list[list[str | int | Decimal | None]] = [header]
    for action in plan.actions.all():
        rows.append(
            [
                action.position,
                action.scenario,
                action.domain,
                action.subdomain,
                LEVELS[action.level - 1].label if 1 <= action.level <= len(LEVELS) else str(action.level),
                action.title,
                action.get_current_rating_display(),
                action.get_target_rating_display(),
                action.effort,
                action.owner,
                action.due_date.isoformat() if action.due_date else "",
                action.budget,
                action.get_status_display(),
                action.evidence_text,
                action.notes,
            ]
        )
    reaches = format_truncated(Fraction(plan.reaches_total))
    rows.append(
        [
            f"目标等级：{plan.get_target_grade_display()}；路径：{plan.get_path_display()}；"
            f"按第 {plan.result_version} 版结果编制，全部完成后总分 {reaches}，等级 {plan.get_reaches_grade_display()}。"
        ]
    )
    return rows


def plan_changed_at(result: Result) -> datetime | None:
    """When the saved plan (or one of its actions) last changed: an Excel file made before is out of date."""
    from nfmaturity.plans.models import ImprovementPlan, PlanAction

    plan = (
        ImprovementPlan.objects.filter(assessment_id=result.assessment_id, superseded=False)
        .order_by("-pk")
        .first()
    )
    if plan is None:
        return None
    latest = PlanAction.objects.filter(plan=plan).aggregate(at=Max("updated_at"))["at"]
    return max(plan.updated_at, latest) if latest else plan.updated_at


def build(
    result: Result, fmt: ReportFormat, *, expert_detail: bool = False, progress: Progress | None = None
) -> bytes:
    """The bytes of the ``fmt`` file of ``result`` (no database writes)."""
    tell = progress or (lambda _percent: None)
    tell(20)
    if fmt == ReportFormat.XLSX:
        from nfmaturity.reports.xlsx import build_xlsx

        return build_xlsx(result, expert_detail=expert_detail, plan_rows=plan_rows(result))
    module_name, function_name = BUILDERS[fmt]
    try:
        builder: Callable[[Result], bytes] = getattr(importlib.import_module(module_name), function_name)
    except (ImportError, AttributeError, OSError) as exc:
        logger.exception("report builder %s unavailable", module_name)
        raise ReportBuildError(
            f"本平台暂不能生成{fmt.label}文件（{type(exc).__name__}），请联系平台管理员。"
        ) from exc
    return builder(result)


def generate(report_id: int) -> None:
    """The worker's task: build the file, store it, mark the job done (or failed, with a Chinese message)."""
    report = files.claim(report_id)
    if report is None:
        return
    fmt = ReportFormat(report.format)
    try:
        result = Result.objects.select_related(
            "assessment", "assessment__enterprise", "assessment__unit"
        ).get(pk=report.result_id)
        data = build(
            result,
            fmt,
            expert_detail=report.expert_detail,
            progress=lambda percent: files.set_progress(report_id, percent),
        )
        files.set_progress(report_id, 90)
        files.store(report, data)
    except ReportBuildError as exc:
        files.fail(report_id, exc.message)
    except Exception:
        logger.exception("report file %s failed", report_id)
        files.fail(report_id, files.GENERIC_FAILURE)


def build_index(report: IndexReportFile, progress: Progress | None = None) -> bytes:
    """The bytes of an index report file, for the jurisdiction of whoever asked (no database writes)."""
    tell = progress or (lambda _percent: None)
    try:
        from nfmaturity.reports import index_report
    except (ImportError, OSError) as exc:
        logger.exception("index report builder unavailable")
        raise ReportBuildError(
            f"本平台暂不能生成指数报告文件（{type(exc).__name__}），请联系平台管理员。"
        ) from exc
    if report.requested_by is None or not index_files.still_theirs(report):
        raise ReportBuildError(index_files.JURISDICTION_CHANGED)
    tell(10)
    content = index_report.build_index_report(report.requested_by, report.year)
    tell(60)
    if report.format == ReportFormat.PDF:
        return index_report.build_pdf(content)
    return index_report.build_docx(content)


def generate_index(report_id: int) -> None:
    """The worker's task for an index report file: as ``generate``."""
    report = files.claim_of(IndexReportFile, report_id)
    if report is None:
        return
    try:
        data = build_index(report, lambda percent: files.set_progress(report_id, percent, IndexReportFile))
        files.set_progress(report_id, 90, IndexReportFile)
        files.store(report, data)
    except ReportBuildError as exc:
        files.fail(report_id, exc.message, IndexReportFile)
    except Exception:
        logger.exception("index report file %s failed", report_id)
        files.fail(report_id, files.GENERIC_FAILURE, IndexReportFile)


class Worker:
    """The background worker (django-q2's ``qcluster``) as a child process of ``nfm serve`` / ``nfm demo``,
    started again when it dies (a crash, an out-of-memory kill, kill -9): what it had taken is handed out again
    by the queue itself, so nothing queued is lost. Production may run ``python -m django qcluster`` under its
    own supervisor instead (``nfm serve --no-worker``)."""

    def __init__(self, check_every: float = 2.0) -> None:
        self.check_every = check_every
        self.process: subprocess.Popen[bytes] | None = None
        self.restarts = 0
        self._stopping = threading.Event()
        self._keeper: threading.Thread | None = None

    def start(self) -> None:
        self._spawn()
        self._keeper = threading.Thread(target=self._keep, name="nfm-task-worker", daemon=True)
        self._keeper.start()

    def _spawn(self) -> None:
        self.process = subprocess.Popen([sys.executable, "-m", "django", "qcluster"], env=os.environ.copy())

    def _keep(self) -> None:
        while not self._stopping.wait(self.check_every):
            if self.process is not None and self.process.poll() is not None and not self._stopping.is_set():
                logger.warning("后台任务进程已退出（退出码 %s），正在重新启动", self.process.returncode)
                self.restarts += 1
                self._spawn()

    def stop(self, timeout: float = 30) -> None:
        self._stopping.set()
        if self._keeper is not None:
            self._keeper.join(timeout=self.check_every + 1)
        process = self.process
        if process is None or process.poll() is not None:
            return
        process.terminate()  # the cluster stops its own processes and finishes the task in hand
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
