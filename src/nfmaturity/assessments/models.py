"""Self-assessments: the pinned catalog version, one rating per requirement, evidence, stored results."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models

from nfmaturity.catalog.loader import grade_table
from nfmaturity.enterprises.models import Enterprise, SectorChoice, Unit
from nfmaturity.scoring.grading import NO_GRADE, bands_of
from nfmaturity.scoring.ratings import Rating


class AssessmentKind(models.TextChoices):
    SELF = "self", "自评估"
    # A formal assessment by an assessment body (nfmaturity.formal): its ratings are the team's settled ones.
    FORMAL = "formal", "正式评估"


class AssessmentState(models.TextChoices):
    DRAFT = "draft", "填写中"
    SUBMITTED = "submitted", "已提交"
    WITHDRAWN = "withdrawn", "已撤回"


class RatingValue(models.TextChoices):
    """The scoring core's Rating, as database choices (same values)."""

    FULL = Rating.FULL.value, Rating.FULL.label
    MOSTLY = Rating.MOSTLY.value, Rating.MOSTLY.label
    PARTLY = Rating.PARTLY.value, Rating.PARTLY.label
    NONE = Rating.NONE.value, Rating.NONE.label
    NOT_APPLICABLE = Rating.NOT_APPLICABLE.value, Rating.NOT_APPLICABLE.label


# Grade labels come from the catalog's Table 3, written as the scoring core writes them ("二级 场景级").
_GRADE_LABELS = {band.level: band.label for band in (NO_GRADE, *bands_of(grade_table()))}


class GradeLevel(models.IntegerChoices):
    """Table 3 grades as stored in ``Result.grade``; the labels are read from the catalog data."""

    NONE = 0, _GRADE_LABELS[0]
    ONE = 1, _GRADE_LABELS[1]
    TWO = 2, _GRADE_LABELS[2]
    THREE = 3, _GRADE_LABELS[3]
    FOUR = 4, _GRADE_LABELS[4]
    FIVE = 5, _GRADE_LABELS[5]


class Assessment(models.Model):
    enterprise = models.ForeignKey(Enterprise, on_delete=models.CASCADE, related_name="assessments")
    unit = models.ForeignKey(
        Unit, null=True, blank=True, on_delete=models.PROTECT, related_name="assessments"
    )
    sector = models.CharField("评估环节", max_length=16, choices=SectorChoice.choices)
    kind = models.CharField(max_length=8, choices=AssessmentKind.choices, default=AssessmentKind.SELF)
    # The catalog version is pinned at start: a newer standard version never changes this assessment.
    catalog_version = models.CharField("标准版本", max_length=32)
    # SHA-256 of the catalog's data files at start: the content, not just the label, is pinned.
    catalog_hash = models.CharField("标准内容摘要", max_length=64, blank=True)
    requirement_count = models.PositiveIntegerField()
    state = models.CharField(max_length=16, choices=AssessmentState.choices, default=AssessmentState.DRAFT)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    submitted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["enterprise", "state"])]

    def __str__(self) -> str:
        return f"{self.enterprise} {self.get_sector_display()}{self.get_kind_display()} #{self.pk}"

    @property
    def subject(self) -> str:
        return self.unit.name if self.unit_id and self.unit else "企业整体"

    @property
    def is_draft(self) -> bool:
        return self.state == AssessmentState.DRAFT


class RatingRecord(models.Model):
    """The current rating of one requirement in one assessment.

    ``version`` rises by one on every change; a write must name the version it was based on, so two
    people editing the same requirement cannot silently overwrite each other (optimistic locking).
    """

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="ratings")
    requirement_id = models.CharField(max_length=200)
    row_id = models.CharField(max_length=200)
    level = models.PositiveSmallIntegerField()
    value = models.CharField(max_length=4, choices=RatingValue.choices)
    reason = models.TextField("不适用理由", blank=True)
    note = models.TextField("说明", blank=True)
    version = models.PositiveIntegerField(default=1)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["assessment", "requirement_id"], name="rating_one_per_requirement"
            )
        ]
        indexes = [models.Index(fields=["assessment", "row_id"])]

    def __str__(self) -> str:
        return f"{self.requirement_id} = {self.get_value_display()}"


def _evidence_path(instance: Attachment, filename: str) -> str:
    return f"evidence/{instance.assessment_id}/{instance.sha256[:2]}/{instance.sha256}{instance.extension}"


class Attachment(models.Model):
    """An evidence file for one requirement, kept under NFM_DATA_DIR/media (never served directly)."""

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="attachments")
    requirement_id = models.CharField(max_length=200)
    file = models.FileField(upload_to=_evidence_path, max_length=300)
    original_name = models.CharField("文件名", max_length=255)
    extension = models.CharField(max_length=8)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["uploaded_at", "id"]
        indexes = [models.Index(fields=["assessment", "requirement_id"])]

    def __str__(self) -> str:
        return self.original_name


class ImportState(models.TextChoices):
    PENDING = "pending", "待确认"
    APPLIED = "applied", "已导入"


class WorkbookImport(models.Model):
    """A parsed offline workbook waiting for the user to confirm the previewed changes."""

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="imports")
    filename = models.CharField(max_length=255)
    sha256 = models.CharField(max_length=64)
    # [{requirement_id, row_id, level, value, reason, note, old_value, old_version}]
    changes = models.JSONField(default=list)
    # Rows whose platform rating changed after the workbook was downloaded: shown side by side, and
    # by default the platform's newer value is kept.
    conflicts = models.JSONField(default=list)
    exported_at = models.DateTimeField(null=True, blank=True)
    unchanged = models.PositiveIntegerField(default=0)
    blank = models.PositiveIntegerField(default=0)  # workbook rows left unrated: existing ratings are kept
    state = models.CharField(max_length=16, choices=ImportState.choices, default=ImportState.PENDING)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    applied_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.filename


class Result(models.Model):
    """The engine's result for a submitted assessment, stored so lists and dashboards never recompute.

    Exact values are kept as fraction strings ("37/50"); ``total_shown`` is the truncated two-decimal
    figure for sorting and display. A re-score would add a new version; rows are never updated.
    """

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="results")
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    catalog_version = models.CharField(max_length=32)
    catalog_hash = models.CharField(max_length=64, blank=True)
    total = models.CharField(max_length=64)
    total_shown = models.DecimalField(max_digits=4, decimal_places=2)
    grade = models.PositiveSmallIntegerField(choices=GradeLevel.choices, db_index=True)
    consecutive_level = models.PositiveSmallIntegerField()
    level_skip = models.BooleanField(default=False)
    levels = models.JSONField()  # {"1": "4/5", ...}
    level_met = models.JSONField()  # {"1": true, ...}
    domains = models.JSONField()  # {domain name: {"1": "…", ...}}
    subdomains = models.JSONField()  # {row id: {"name":…, "domain":…, "levels": {"1": "…" | null}}}
    maturity = models.JSONField(default=dict)  # {row id: "…"} cumulative per-sub-domain maturity

    class Meta:
        ordering = ["-version"]
        constraints = [
            models.UniqueConstraint(fields=["assessment", "version"], name="result_version_unique")
        ]
        # The dashboard's counts read grade, total and assessment of every latest result: from this covering
        # index (PostgreSQL) instead of the wide rows with their JSON (docs/architecture.md, 存储的评分).
        indexes = [
            models.Index(
                fields=["id"],
                include=["assessment", "version", "grade", "total_shown"],
                name="result_figures_covering",
            )
        ]

    def __str__(self) -> str:
        return f"{self.assessment_id} v{self.version}: {self.total_shown}"


class ScoreKind(models.TextChoices):
    DOMAIN = "domain", "能力域"
    SUBDOMAIN = "subdomain", "能力子域"


# Decimal places of the ResultScore figures: six, truncated, so an average of many of them lies less than
# 0.000001 below the exact average (docs/architecture.md, 存储的评分).
SCORE_DECIMALS = 6
# The figure columns of ResultScore: the cumulative maturity (0..5), then the score at S1..S5 (0..1).
SCORE_COLUMNS = ("maturity", "s1", "s2", "s3", "s4", "s5")
# The unit of LatestScore's integer figures: one millionth (10^-SCORE_DECIMALS).
FIGURE_UNIT = 10**SCORE_DECIMALS


def _figure(label: str) -> Any:  # a DecimalField (its stub generics would only repeat this line)
    return models.DecimalField(label, max_digits=7, decimal_places=SCORE_DECIMALS, null=True)


def _exact(label: str) -> Any:  # a CharField
    return models.CharField(label, max_length=64, blank=True)


class ResultScore(models.Model):
    """One domain's or sub-domain's figures in a stored ``Result``, as columns the database can average.

    One row per (result, domain) and (result, sub-domain), with the maturity and S1..S5 side by side: one
    GROUP BY gives every level (measured against a row per level, docs/architecture.md). ``*_exact`` hold the
    fraction strings of the ``Result`` JSON; the figure columns hold them truncated to SCORE_DECIMALS places.
    A figure the result does not have (the sub-domain takes no part at that level) is NULL with an empty
    exact string, so AVG leaves it out, as the scoring does. Written with the result, never updated.
    """

    result = models.ForeignKey(Result, on_delete=models.CASCADE, related_name="scores")
    kind = models.CharField(max_length=16, choices=ScoreKind.choices)
    key = models.CharField(max_length=200)  # the domain's name, or the sub-domain's row id
    maturity = _figure("成熟度")
    s1 = _figure("S1")
    s2 = _figure("S2")
    s3 = _figure("S3")
    s4 = _figure("S4")
    s5 = _figure("S5")
    maturity_exact = _exact("成熟度（精确值）")
    s1_exact = _exact("S1（精确值）")
    s2_exact = _exact("S2（精确值）")
    s3_exact = _exact("S3（精确值）")
    s4_exact = _exact("S4（精确值）")
    s5_exact = _exact("S5（精确值）")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["result", "kind", "key"], name="result_score_unique")]
        indexes = [
            models.Index(fields=["kind", "key"]),
            # The dashboard's domain averages and heat map read the domain rows of the latest results: a
            # partial covering index holds just those rows' figures, read without the table (PostgreSQL;
            # measured in docs/architecture.md, 存储的评分).
            models.Index(
                fields=["result"],
                include=["key", *SCORE_COLUMNS],
                condition=models.Q(kind="domain"),
                name="result_score_domain_covering",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.result_id} {self.key}: {self.maturity_exact}"


class LatestResult(models.Model):
    """Which stored result counts for an enterprise: its latest submitted one (by submission time, then
    version), as ``web.selectors`` has always defined it. A pointer kept by ``submit_assessment`` (an upsert in
    the same transaction), so the dashboard joins one row per enterprise instead of looking the latest up
    per enterprise on every request (measured: 614 ms → see docs/architecture.md, 存储的评分). The results it
    points to are never changed; only the pointer moves when a newer result is submitted."""

    enterprise = models.OneToOneField(Enterprise, on_delete=models.CASCADE, related_name="latest_result")
    result = models.OneToOneField(Result, on_delete=models.CASCADE, related_name="+")
    # Copies of the result's and its assessment's figures the dashboard groups and filters by, so its
    # GROUP BYs join this table alone (at 50 000 enterprises the joins through Result and Assessment cost
    # most of the national dashboard's time: docs/architecture.md, 存储的评分). The result and the
    # assessment's submission never change once stored, so the copies cannot drift; they are written
    # only by ``results.point_latest``.
    grade = models.PositiveSmallIntegerField(choices=GradeLevel.choices)
    total_shown = models.DecimalField(max_digits=4, decimal_places=2, null=True)
    submitted_at = models.DateTimeField(null=True)
    kind = models.CharField(max_length=8, choices=AssessmentKind.choices, default=AssessmentKind.SELF)
    # The peer benchmark compares enterprises whose latest result is for the same sector.
    sector = models.CharField(max_length=16, choices=SectorChoice.choices, default="")
    # The year of submitted_at in the platform's time zone (settings.TIME_ZONE): the dashboard groups and
    # filters by it, and converting every row's timestamp per request cost about half of its main GROUP BY.
    submitted_year = models.PositiveSmallIntegerField(null=True)

    def __str__(self) -> str:
        return f"{self.enterprise_id} → {self.result_id}"


class LatestScore(models.Model):
    """The domain and sub-domain figures of each enterprise's latest result, keyed by the enterprise: copies of
    the ``ResultScore`` rows of the result ``LatestResult`` points to, rewritten with the pointer by
    ``results.point_latest`` (and dropped with it by ``results.drop_latest``), never written anywhere else.

    Why a copy: the dashboard's domain averages, heat map and sub-domain averages read only the latest results.
    Through ``ResultScore`` they read every result's rows and join the pointer to keep a third of them; here
    they scan just the latest rows by an index holding the figures, and join only the enterprises (measured at
    50 000 enterprises on PostgreSQL: docs/architecture.md, 存储的评分). The rows copied are never changed, so
    the copies cannot drift; ``result`` says which result they are from.
    """

    # No index of its own: the unique constraint's (enterprise, kind, key) serves lookups by enterprise.
    enterprise = models.ForeignKey(Enterprise, on_delete=models.CASCADE, related_name="+", db_index=False)
    result = models.ForeignKey(Result, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=16, choices=ScoreKind.choices)
    key = models.CharField(max_length=200)
    # In millionths (FIGURE_UNIT), as integers: the ResultScore figures have six places, so this is exact, and
    # the database sums integers exactly on SQLite too (whose decimals are floats) and about twice as fast as
    # NUMERIC on PostgreSQL (measured at 50 000 enterprises, docs/architecture.md, 存储的评分).
    maturity = models.BigIntegerField("成熟度（百万分之一）", null=True)
    s1 = models.BigIntegerField("S1（百万分之一）", null=True)
    s2 = models.BigIntegerField("S2（百万分之一）", null=True)
    s3 = models.BigIntegerField("S3（百万分之一）", null=True)
    s4 = models.BigIntegerField("S4（百万分之一）", null=True)
    s5 = models.BigIntegerField("S5（百万分之一）", null=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["enterprise", "kind", "key"], name="latest_score_unique")
        ]
        indexes = [
            # Covering (PostgreSQL): the domain rows by enterprise, for the GROUP BY (division, domain);
            # the sub-domain rows by key, for one domain's sub-domains at a time.
            models.Index(
                fields=["enterprise"],
                include=["key", *SCORE_COLUMNS],
                condition=models.Q(kind="domain"),
                name="latest_score_domain",
            ),
            models.Index(
                fields=["key", "enterprise"],
                include=list(SCORE_COLUMNS),
                condition=models.Q(kind="subdomain"),
                name="latest_score_subdomain",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.enterprise_id} {self.key}: {self.maturity}/{FIGURE_UNIT}"
