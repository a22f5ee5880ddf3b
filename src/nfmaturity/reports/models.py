"""Report files generated in the background: the files of one stored result version (PDF, Word, Excel) and the
jurisdiction's yearly 数字化转型指数报告 (PDF, Word).

A result's file belongs to the ``assessments.Result`` it was made from: a re-score stores a new result version, so
a new file is made for it and the old one stays downloadable. Asking again for the same version and format
reuses the row (and its finished file).

An index report file belongs to whoever asked for it (a regulator's organisation, or the platform admins), for
its jurisdiction, year and format, and to the data it was built from (``data_stamp``, see
``reports.index_files``): asking again while the data are unchanged reuses the finished file; once they changed a
new file is built and the earlier ones stay listed and downloadable.

Files live under ``NFM_REPORTS_DIR`` (inside NFM_DATA_DIR, outside any web root, included in ``nfm backup``)
and are only ever served through the download views, which check access.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from nfmaturity.accounts.models import Organisation
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


class GeneratedFile(models.Model):
    """What every background-generated file has: its format, its job's state and progress, and the file once
    stored."""

    format = models.CharField("格式", max_length=8, choices=ReportFormat.choices)
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
        abstract = True

    @property
    def is_pending(self) -> bool:
        return self.state in (ReportState.QUEUED, ReportState.RUNNING)

    @property
    def is_done(self) -> bool:
        return self.state == ReportState.DONE

    def storage_stem(self) -> str:
        """The file's path under NFM_REPORTS_DIR without its hash and extension."""
        raise NotImplementedError


class ReportFile(GeneratedFile):
    result = models.ForeignKey(Result, on_delete=models.CASCADE, related_name="report_files")
    # An Excel file of a formal assessment with each expert's own ratings beside the settled one. Kept apart
    # from the file without them: those who may not see individual ratings (the enterprise before
    # publication) get the settled ratings only, and never a file made for the team.
    expert_detail = models.BooleanField(default=False)

    class Meta:
        ordering = ["-result__version", "format"]
        constraints = [
            models.UniqueConstraint(
                fields=["result", "format", "expert_detail"], name="report_file_once_per_version"
            )
        ]

    def __str__(self) -> str:
        return f"{self.result_id} {self.format} ({self.get_state_display()})"

    def storage_stem(self) -> str:
        return f"{self.result_id}/{self.format}-{'team-' if self.expert_detail else ''}"


# Who an index report file belongs to: "org:<organisation id>" for a regulator's people, ADMINS for the
# platform admins (superusers belong to no organisation). One text key so that "one file per request and data"
# is a plain unique constraint on every database (a nullable organisation would make NULLs distinct).
ADMINS = "admins"


class IndexReportFile(GeneratedFile):
    audience = models.CharField(max_length=32)
    organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    jurisdiction = models.CharField("管辖范围", max_length=6)
    year = models.PositiveSmallIntegerField("报告年度")
    # A digest of what the report reads in the jurisdiction when it was asked for (reports.index_files).
    data_stamp = models.CharField(max_length=64)

    class Meta:
        ordering = ["-requested_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["audience", "jurisdiction", "year", "format", "data_stamp"],
                name="index_report_once_per_data",
            )
        ]
        indexes = [
            models.Index(fields=["audience", "jurisdiction", "-requested_at"], name="index_report_mine")
        ]

    def __str__(self) -> str:
        return f"{self.jurisdiction} {self.year} {self.format} ({self.get_state_display()})"

    def storage_stem(self) -> str:
        return f"index/{self.jurisdiction}/{self.year}-{self.format}-"
