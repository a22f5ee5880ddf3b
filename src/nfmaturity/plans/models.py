"""The enterprise's stored improvement plan (一企一策) and the rectification of weak items after a formal
assessment (弱项整改).

A plan is made from one stored ``Result`` (its version is kept: a re-score makes a new result, the plan says
which one it was made from) and copies the roadmap's actions at that moment; from then on the actions are the
enterprise's own (effort, owner, due date, budget, status, evidence), edited with optimistic versions.
"""

from __future__ import annotations

from fractions import Fraction

from django.conf import settings
from django.db import models

from nfmaturity.assessments.models import Assessment, GradeLevel, RatingValue, Result
from nfmaturity.enterprises.models import Enterprise
from nfmaturity.formal.models import FormalAssessment


class PlanPath(models.TextChoices):
    CONSECUTIVE = "consecutive", "逐级达标"
    LITERAL = "literal", "最低代价"


class ActionStatus(models.TextChoices):
    TODO = "todo", "未开始"
    DOING = "doing", "进行中"
    DONE = "done", "已完成"
    CANCELLED = "cancelled", "已取消"


class ImprovementPlan(models.Model):
    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="improvement_plans")
    enterprise = models.ForeignKey(Enterprise, on_delete=models.CASCADE, related_name="improvement_plans")
    result = models.ForeignKey(Result, on_delete=models.PROTECT, related_name="+")
    result_version = models.PositiveIntegerField()
    target_grade = models.PositiveSmallIntegerField("目标等级", choices=GradeLevel.choices)
    path = models.CharField("路径", max_length=12, choices=PlanPath.choices)
    size = models.CharField(max_length=8, blank=True)  # the size the default efforts were fitted to
    before_total = models.CharField(max_length=64)  # exact, from the stored result
    reaches_total = models.CharField(max_length=64)  # exact, from the core with every action done
    reaches_grade = models.PositiveSmallIntegerField(choices=GradeLevel.choices)
    enterprise_advice = models.JSONField(default=list)
    superseded = models.BooleanField(default=False)  # a newer plan was saved for the same assessment
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        indexes = [models.Index(fields=["assessment", "superseded"])]

    def __str__(self) -> str:
        return f"提升计划 #{self.pk}（目标{self.get_target_grade_display()}）"


def _completion_path(instance: PlanAction, filename: str) -> str:
    return f"plans/{instance.plan_id}/{instance.evidence_sha256[:2]}/{instance.evidence_sha256}{instance.evidence_extension}"


class PlanAction(models.Model):
    plan = models.ForeignKey(ImprovementPlan, on_delete=models.CASCADE, related_name="actions")
    position = models.PositiveIntegerField()
    title = models.TextField("能力建设")
    aspect = models.CharField(max_length=200, blank=True)
    scenario = models.CharField("场景", max_length=32)
    domain = models.CharField("能力域", max_length=32)
    subdomain = models.CharField("能力子域", max_length=100)
    row_id = models.CharField(max_length=200)
    level = models.PositiveSmallIntegerField("等级")
    requirement_ids = models.JSONField(default=list)
    current_rating = models.CharField(max_length=4, choices=RatingValue.choices)  # when the plan was made
    target_rating = models.CharField(max_length=4, choices=RatingValue.choices)
    gain = models.CharField(max_length=64)  # exact rise of the total, in roadmap order
    default_effort = models.PositiveIntegerField()
    effort = models.PositiveIntegerField("工作量（人周）")
    owner = models.CharField("负责人", max_length=100, blank=True)
    due_date = models.DateField("完成期限", null=True, blank=True)
    budget = models.DecimalField("预算（万元）", max_digits=12, decimal_places=2, null=True, blank=True)
    status = models.CharField("状态", max_length=10, choices=ActionStatus.choices, default=ActionStatus.TODO)
    evidence_text = models.TextField("完成证明", blank=True)
    evidence_file = models.FileField(upload_to=_completion_path, max_length=300, blank=True)
    evidence_name = models.CharField(max_length=255, blank=True)
    evidence_extension = models.CharField(max_length=8, blank=True)
    evidence_content_type = models.CharField(max_length=100, blank=True)
    evidence_sha256 = models.CharField(max_length=64, blank=True)
    notes = models.TextField("备注", blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["position"]
        constraints = [models.UniqueConstraint(fields=["plan", "position"], name="plan_action_position")]

    def __str__(self) -> str:
        return self.title

    @property
    def gain_exact(self) -> Fraction:
        return Fraction(self.gain)


class RectificationState(models.TextChoices):
    SUBMITTED = "submitted", "待组长确认"
    CONFIRMED = "confirmed", "已确认"
    RETURNED = "returned", "已退回"


class Rectification(models.Model):
    """The enterprise's rectification measure for one weak item of a published formal assessment."""

    formal = models.ForeignKey(FormalAssessment, on_delete=models.CASCADE, related_name="rectifications")
    requirement_id = models.CharField(max_length=200)
    row_id = models.CharField(max_length=200)
    level = models.PositiveSmallIntegerField()
    settled_value = models.CharField(max_length=4, choices=RatingValue.choices)
    measure = models.TextField("整改措施")
    due_date = models.DateField("完成期限", null=True, blank=True)
    state = models.CharField(
        max_length=12, choices=RectificationState.choices, default=RectificationState.SUBMITTED
    )
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    submitted_at = models.DateTimeField()
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    return_reason = models.TextField("退回理由", blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["formal", "requirement_id"], name="rectification_once")
        ]

    def __str__(self) -> str:
        return f"{self.requirement_id}：{self.get_state_display()}"
