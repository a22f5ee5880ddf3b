"""Report files (PDF, Word, Excel) generated in the background from one stored result version.

A file belongs to the ``assessments.Result`` it was made from: a re-score stores a new result version, so a
new file is made for it and the old one stays downloadable. Asking again for the same version and format
reuses the row (and its finished file). Files live under ``NFM_REPORTS_DIR`` (inside NFM_DATA_DIR, outside
any web root) and are only ever served through ``reports.views.download``, which checks access.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from nfmaturity.assessments.models import Result


class ReportFormat(models.TextChoices):
    PDF = "pdf", "PDF"
    DOCX = "docx", "Word"
    XLSX = "xlsx", "Excel"


class ReportState(models.TextChoices):
    QUEUED = "queued", "排队中"
    RUNNING = "running", "生成中"
    DONE = "done", "已完成"
    FAILED = "failed", "失败"


class ReportFile(models.Model):
    result = models.ForeignKey(Result, on_delete=models.CASCADE, related_name="report_files")
    format = models.CharField("格式", max_length=8, choices=ReportFormat.choices)
    # An Excel file of a formal assessment with each expert's own ratings beside the settled one. Kept apart
    # from the file without them: those who may not see individual ratings (the enterprise before
    # publication) get the settled ratings only, and never a file made for the team.
    expert_detail = models.BooleanField(default=False)
    state = models.CharField(
        "状态", max_length=8, choices=ReportState.choices, default=ReportState.QUEUED, db_index=True
    )
    progress = models.PositiveSmallIntegerField("进度", default=0)  # percent
    size = models.PositiveBigIntegerField(null=True, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    path = models.CharField(max_length=300, blank=True)  # relative to settings.NFM_REPORTS_DIR
    error = models.TextField("失败原因", blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    requested_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-result__version", "format"]
        constraints = [
            models.UniqueConstraint(
                fields=["result", "format", "expert_detail"], name="report_file_once_per_version"
            )
        ]

    def __str__(self) -> str:
        return f"{self.result_id} {self.format} ({self.get_state_display()})"

    @property
    def is_pending(self) -> bool:
        return self.state in (ReportState.QUEUED, ReportState.RUNNING)

    @property
    def is_done(self) -> bool:
        return self.state == ReportState.DONE
