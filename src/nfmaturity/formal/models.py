"""The formal assessment (standard §4.4–4.7): application, team, plans, meetings, evidence, each expert's
independent ratings, the settled consensus, the conclusion, the enterprise's rebuttal and the publication.

A formal assessment is an ``assessments.Assessment`` of kind FORMAL plus one ``FormalAssessment`` row that
carries the workflow. The assessment's ``RatingRecord``s hold the team's settled rating of each requirement
(written by the settlement service together with its ``Settlement``), so scoring, explanation, plans and
reports read a formal assessment exactly as they read a self-assessment; each expert's own ratings are
``ExpertRating``s and are never changed by a settlement.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from nfmaturity.accounts.models import Organisation
from nfmaturity.assessments.models import Assessment, GradeLevel, RatingValue, Result
from nfmaturity.enterprises.models import Enterprise


class Discipline(models.TextChoices):
    """The disciplines a team must cover (standard §4.4.2)."""

    NONFERROUS = "nonferrous", "有色金属"
    INFORMATISATION = "informatisation", "信息化"
    SAFETY = "safety", "安全"
    ENVIRONMENT = "environment", "环保"
    COMPUTER_SCIENCE = "computer_science", "计算机科学"
    MANAGEMENT_SCIENCE = "management_science", "管理科学"


class RelationKind(models.TextChoices):
    """Relations with an enterprise that bar an expert from its team (standard §4.4.2)."""

    CONSULTING = "consulting", "咨询"
    DESIGN = "design", "设计"
    PRODUCTION = "production", "生产"
    SALES = "sales", "销售"


# A relation counts when it lasted into the last three years (standard §4.4.2 "近三年").
RELATION_YEARS = 3
# Team rules (standard §4.4.2): an odd number of members, at least this many, exactly one 组长.
MIN_TEAM_SIZE = 7


class ExpertProfile(models.Model):
    """An assessment body's expert: one per user with the EXPERT (or BODY_ADMIN) role in a body."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="expert")
    body = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="experts")
    full_name = models.CharField("姓名", max_length=100)
    disciplines = models.JSONField("专业领域", default=list)  # Discipline values
    qualifications = models.TextField("资质与经历", blank=True)
    title = models.CharField("职称", max_length=100, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["full_name"]

    def __str__(self) -> str:
        return self.full_name

    @property
    def discipline_labels(self) -> list[str]:
        return [Discipline(d).label for d in self.disciplines]


class ExpertRelation(models.Model):
    """A declared relation of an expert with a company (or group): consulting, design, production, sales.

    The counterparty is named as the expert knows it; ``uscc`` (when given) and the name are matched
    against the applicant and against its group (``Enterprise.group_name`` / ``group_uscc``).
    """

    expert = models.ForeignKey(ExpertProfile, on_delete=models.CASCADE, related_name="relations")
    counterparty_name = models.CharField("单位名称", max_length=200)
    counterparty_uscc = models.CharField("统一社会信用代码", max_length=18, blank=True)
    kind = models.CharField("关系类型", max_length=16, choices=RelationKind.choices)
    started_on = models.DateField("开始日期", null=True, blank=True)
    ended_on = models.DateField("结束日期", null=True, blank=True)  # empty: still going on
    description = models.TextField("说明", blank=True)
    declared_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-declared_at", "-id"]

    def __str__(self) -> str:
        return f"{self.expert} · {self.counterparty_name}（{self.get_kind_display()}）"


class FormalState(models.TextChoices):
    """The workflow's states, in order. One service per transition (nfmaturity.formal.services_*)."""

    DRAFT = "draft", "申请填写中"
    APPLIED = "applied", "待受理"
    REFUSED = "refused", "不予受理"
    WITHDRAWN = "withdrawn", "已撤回申请"
    TEAM = "team", "组建评估组"
    PLANNING = "planning", "编制评估计划"
    ONSITE = "onsite", "现场评估与打分"
    CONSENSUS = "consensus", "评分合议"
    CONCLUSION = "conclusion", "形成评估结论"
    COMMUNICATION = "communication", "结果沟通"
    REBUTTAL = "rebuttal", "再次论证"
    FINAL = "final", "末次会议"
    PUBLISHED = "published", "已发布"


class FormalAssessment(models.Model):
    assessment = models.OneToOneField(Assessment, on_delete=models.CASCADE, related_name="formal")
    enterprise = models.ForeignKey(Enterprise, on_delete=models.CASCADE, related_name="formal_assessments")
    body = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="formal_assessments")
    state = models.CharField(
        "状态", max_length=16, choices=FormalState.choices, default=FormalState.DRAFT, db_index=True
    )
    # Rises on every change of the row: a form names the version it was based on (optimistic locking).
    version = models.PositiveIntegerField(default=1)

    # ---- 企业申请 (§4.2, §4.4.1)
    target_grade = models.PositiveSmallIntegerField("申请等级", choices=GradeLevel.choices)
    starting_self_assessment = models.ForeignKey(
        Assessment, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    lawful_declared = models.BooleanField("依法依规经营", default=False)
    # Declared 重大及以上 accidents/incidents in the application year or the one before: either one makes the
    # application impossible to submit (§4.2.1).
    safety_accident = models.BooleanField("重大及以上生产安全事故", default=False)
    environment_incident = models.BooleanField("重大及以上环境事件", default=False)
    declaration_year = models.PositiveSmallIntegerField("申报年度", null=True, blank=True)
    application_note = models.TextField("申请说明", blank=True)
    applied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    applied_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.TextField("受理意见", blank=True)
    team_confirmed_at = models.DateTimeField(null=True, blank=True)

    # ---- 形成评估报告 / 沟通评估结果 (§4.6, §4.7)
    overall_assessment = models.TextField("总体评估", blank=True)
    strengths = models.TextField("优秀经验", blank=True)
    weaknesses = models.TextField("短板不足", blank=True)
    recommendations = models.TextField("改造建议", blank=True)
    conclusion_approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    conclusion_approved_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    contest_deadline = models.DateField("异议截止日期", null=True, blank=True)
    accepted_by_enterprise_at = models.DateTimeField(null=True, blank=True)

    # ---- 末次会议, 结果发布
    final_conclusion = models.TextField("最终结论", blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    published_result = models.ForeignKey(
        Result, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # Unique once published ("NFDT-2026-000123"); with the check code it opens the public verification page.
    result_number = models.CharField("结果编号", max_length=32, null=True, blank=True, unique=True)
    check_code = models.CharField("校验码", max_length=16, blank=True)
    public_listing = models.BooleanField("在公开名单中展示", default=False)

    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["body", "state"]), models.Index(fields=["enterprise", "state"])]

    def __str__(self) -> str:
        return f"{self.enterprise} 正式评估 #{self.pk}"

    @property
    def is_locked(self) -> bool:
        return self.state == FormalState.PUBLISHED


class DocumentKind(models.TextChoices):
    """The application's digital-transformation plan documents (§4.2.1)."""

    LONG_TERM_PLAN = "long_term_plan", "中长期规划"
    ANNUAL_TARGETS = "annual_targets", "年度目标"
    IMPLEMENTATION = "implementation", "实施方案"
    OTHER = "other", "其他材料"


def _formal_file_path(instance: ApplicationDocument | Evidence, filename: str) -> str:
    return f"formal/{instance.formal_id}/{instance.sha256[:2]}/{instance.sha256}{instance.extension}"


class ApplicationDocument(models.Model):
    """A file attached to the application (kept under NFM_DATA_DIR/media, never served directly)."""

    formal = models.ForeignKey(FormalAssessment, on_delete=models.CASCADE, related_name="documents")
    kind = models.CharField("材料类型", max_length=20, choices=DocumentKind.choices)
    file = models.FileField(upload_to=_formal_file_path, max_length=300)
    original_name = models.CharField("文件名", max_length=255)
    extension = models.CharField(max_length=8)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["kind", "uploaded_at", "id"]

    def __str__(self) -> str:
        return self.original_name


class TeamMember(models.Model):
    formal = models.ForeignKey(FormalAssessment, on_delete=models.CASCADE, related_name="team")
    expert = models.ForeignKey(ExpertProfile, on_delete=models.PROTECT, related_name="memberships")
    is_leader = models.BooleanField("组长", default=False)
    # Both declarations must be signed before the team can be confirmed (§4.4.2).
    conflict_declared_at = models.DateTimeField("利益冲突声明签署时间", null=True, blank=True)
    confidentiality_signed_at = models.DateTimeField("保密承诺签署时间", null=True, blank=True)
    # When the expert submitted his independent ratings; until then he sees no colleague's ratings.
    ratings_submitted_at = models.DateTimeField(null=True, blank=True)
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-is_leader", "expert__full_name"]
        constraints = [
            models.UniqueConstraint(fields=["formal", "expert"], name="team_member_once"),
            models.UniqueConstraint(fields=["formal"], condition=Q(is_leader=True), name="team_one_leader"),
        ]

    def __str__(self) -> str:
        return f"{self.expert}{'（组长）' if self.is_leader else ''}"


class SubdomainAssignment(models.Model):
    """Which team member rates which catalog row (sub-domain) of the assessment's sector view."""

    member = models.ForeignKey(TeamMember, on_delete=models.CASCADE, related_name="assignments")
    formal = models.ForeignKey(FormalAssessment, on_delete=models.CASCADE, related_name="assignments")
    row_id = models.CharField(max_length=200)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["member", "row_id"], name="assignment_once")]
        indexes = [models.Index(fields=["formal", "row_id"])]

    def __str__(self) -> str:
        return f"{self.member} · {self.row_id}"


class PlanKind(models.TextChoices):
    PRE = "pre", "预评估计划"
    FORMAL = "formal", "正式评估计划"


class AssessmentPlan(models.Model):
    """编制评估计划 (§4.4.3): purpose, scope, tasks, methods, dates, people, agenda; the enterprise confirms it."""

    formal = models.ForeignKey(FormalAssessment, on_delete=models.CASCADE, related_name="plans")
    kind = models.CharField("计划类型", max_length=8, choices=PlanKind.choices)
    purpose = models.TextField("评估目的", blank=True)
    scope = models.TextField("评估范围", blank=True)
    tasks = models.TextField("评估任务", blank=True)
    methods = models.TextField("评估方法", blank=True)
    start_date = models.DateField("开始日期", null=True, blank=True)
    end_date = models.DateField("结束日期", null=True, blank=True)
    people = models.TextField("人员安排", blank=True)
    agenda = models.TextField("日程安排", blank=True)
    version = models.PositiveIntegerField(default=1)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    confirmed_at = models.DateTimeField(null=True, blank=True)
    confirmed_version = models.PositiveIntegerField(null=True, blank=True)  # the version the enterprise saw

    class Meta:
        ordering = ["kind"]
        constraints = [models.UniqueConstraint(fields=["formal", "kind"], name="plan_once_per_kind")]

    def __str__(self) -> str:
        return self.get_kind_display()


class MeetingKind(models.TextChoices):
    FIRST = "first", "首次会议"
    FINAL = "final", "末次会议"


class Meeting(models.Model):
    formal = models.ForeignKey(FormalAssessment, on_delete=models.CASCADE, related_name="meetings")
    kind = models.CharField("会议", max_length=8, choices=MeetingKind.choices)
    held_at = models.DateTimeField("召开时间")
    place = models.CharField("地点", max_length=200, blank=True)
    attendees = models.TextField("参会人员")
    minutes = models.TextField("会议纪要")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["held_at"]
        constraints = [models.UniqueConstraint(fields=["formal", "kind"], name="meeting_once_per_kind")]

    def __str__(self) -> str:
        return self.get_kind_display()


class CollectionMethod(models.TextChoices):
    """Evidence collection methods (§4.5.2)."""

    INTERVIEW = "interview", "人员座谈"
    SITE_VISIT = "site_visit", "实地调查"
    SAMPLING = "sampling", "抽样调查"
    DOCUMENTS = "documents", "文件与评审记录"
    SYSTEM_DEMO = "system_demo", "信息系统演示"
    DATA_CHECK = "data_check", "数据采集查验"


class EvidenceSource(models.TextChoices):
    TEAM = "team", "评估组采集"
    ENTERPRISE = "enterprise", "企业提供"  # new evidence with a rebuttal point


class Evidence(models.Model):
    """A piece of evidence: a record (text) and optionally a file, linked to one or more requirements."""

    formal = models.ForeignKey(FormalAssessment, on_delete=models.CASCADE, related_name="evidence")
    source = models.CharField(max_length=12, choices=EvidenceSource.choices, default=EvidenceSource.TEAM)
    method = models.CharField("采集方式", max_length=16, choices=CollectionMethod.choices, blank=True)
    description = models.TextField("证据记录")
    collected_on = models.DateField("采集日期")
    collected_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    # The file, when there is one (a record of an interview may have none).
    file = models.FileField(upload_to=_formal_file_path, max_length=300, blank=True)
    original_name = models.CharField("文件名", max_length=255, blank=True)
    extension = models.CharField(max_length=8, blank=True)
    content_type = models.CharField(max_length=100, blank=True)
    size = models.PositiveBigIntegerField(null=True, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    contest_point = models.ForeignKey(
        "ContestPoint", null=True, blank=True, on_delete=models.CASCADE, related_name="evidence"
    )

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.original_name or self.description[:30]


class EvidenceLink(models.Model):
    evidence = models.ForeignKey(Evidence, on_delete=models.CASCADE, related_name="links")
    formal = models.ForeignKey(FormalAssessment, on_delete=models.CASCADE, related_name="+")
    requirement_id = models.CharField(max_length=200)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["evidence", "requirement_id"], name="evidence_link_once")
        ]
        indexes = [models.Index(fields=["formal", "requirement_id"])]

    def __str__(self) -> str:
        return self.requirement_id


class ExpertRating(models.Model):
    """One expert's own rating of one requirement (评估分析打分). Kept as rated, whatever the settlement."""

    formal = models.ForeignKey(FormalAssessment, on_delete=models.CASCADE, related_name="expert_ratings")
    member = models.ForeignKey(TeamMember, on_delete=models.CASCADE, related_name="ratings")
    requirement_id = models.CharField(max_length=200)
    row_id = models.CharField(max_length=200)
    level = models.PositiveSmallIntegerField()
    value = models.CharField(max_length=4, choices=RatingValue.choices)
    reason = models.TextField("不适用理由", blank=True)
    note = models.TextField("说明", blank=True)
    version = models.PositiveIntegerField(default=1)
    # 不适用 needs the 组长's confirmation (standard-notes §2 rule 4).
    na_confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    na_confirmed_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["member", "requirement_id"], name="expert_rating_once")
        ]
        indexes = [models.Index(fields=["formal", "requirement_id"])]

    def __str__(self) -> str:
        return f"{self.member} {self.requirement_id} = {self.get_value_display()}"


class SettlementMethod(models.TextChoices):
    UNANIMOUS = "unanimous", "一致"
    MAJORITY = "majority", "多数"
    LEADER = "leader", "组长裁定"


class Settlement(models.Model):
    """How the team settled one requirement: the value (also written to the assessment's RatingRecord, which
    the score reads), the method, who, when and why. ``round`` rises when a rebuttal re-settles it."""

    formal = models.ForeignKey(FormalAssessment, on_delete=models.CASCADE, related_name="settlements")
    requirement_id = models.CharField(max_length=200)
    row_id = models.CharField(max_length=200)
    level = models.PositiveSmallIntegerField()
    value = models.CharField(max_length=4, choices=RatingValue.choices)
    reason = models.TextField("不适用理由", blank=True)
    method = models.CharField("确定方式", max_length=12, choices=SettlementMethod.choices)
    rationale = models.TextField("理由", blank=True)
    settled_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    settled_at = models.DateTimeField(auto_now=True)
    round = models.PositiveSmallIntegerField(default=0)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["formal", "requirement_id"], name="settlement_once")]
        indexes = [models.Index(fields=["formal", "row_id"])]

    def __str__(self) -> str:
        return f"{self.requirement_id} = {self.get_value_display()}（{self.get_method_display()}）"


class ResultVersion(models.Model):
    """A stored ``Result`` of the formal assessment with the settled ratings it was computed from, so two
    versions can be compared requirement by requirement. Version 1 is the result sent to the enterprise;
    each accepted rebuttal point that changes a rating makes a new one; earlier ones stay readable."""

    formal = models.ForeignKey(FormalAssessment, on_delete=models.CASCADE, related_name="versions")
    result = models.OneToOneField(Result, on_delete=models.PROTECT, related_name="formal_version")
    ratings = models.JSONField()  # {requirement_id: RatingValue value}
    reason = models.TextField("变更原因", blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-result__version"]

    def __str__(self) -> str:
        return f"{self.formal_id} v{self.result.version}"


class ContestState(models.TextChoices):
    PENDING = "pending", "待答复"
    ACCEPTED = "accepted", "已采纳（重新评分）"
    REFUSED = "refused", "未采纳"


class ContestPoint(models.Model):
    """再次论证: the enterprise contests one requirement of a sent result, with an argument (and evidence)."""

    formal = models.ForeignKey(FormalAssessment, on_delete=models.CASCADE, related_name="contest_points")
    result = models.ForeignKey(Result, on_delete=models.PROTECT, related_name="+")  # the version contested
    requirement_id = models.CharField(max_length=200)
    argument = models.TextField("异议理由")
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    submitted_at = models.DateTimeField(auto_now_add=True)
    state = models.CharField(max_length=12, choices=ContestState.choices, default=ContestState.PENDING)
    answer = models.TextField("答复", blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    answered_at = models.DateTimeField(null=True, blank=True)
    old_value = models.CharField(max_length=4, choices=RatingValue.choices, blank=True)
    new_value = models.CharField(max_length=4, choices=RatingValue.choices, blank=True)

    class Meta:
        ordering = ["submitted_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["formal", "result", "requirement_id"], name="contest_once_per_version"
            )
        ]

    def __str__(self) -> str:
        return f"{self.requirement_id}: {self.get_state_display()}"


class Reopening(models.Model):
    """A published assessment reopened by its body's admin, with the reason (audited too)."""

    formal = models.ForeignKey(FormalAssessment, on_delete=models.CASCADE, related_name="reopenings")
    reason = models.TextField("重新开启原因")
    reopened_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reopened_at = models.DateTimeField(auto_now_add=True)
    result_number = models.CharField(max_length=32)  # the number that was published before

    class Meta:
        ordering = ["-reopened_at"]

    def __str__(self) -> str:
        return f"{self.formal_id} {self.reopened_at:%Y-%m-%d}"


class VerifyThrottle(models.Model):
    """Failed public verifications (``formal.public``) from one client address in its current window. Kept in
    the database, not in a process's memory, so all server processes and app servers count the same
    attempts. The table stays small: when a new window starts, rows of ended windows are deleted."""

    address = models.CharField(max_length=64, unique=True)
    window_start = models.DateTimeField(db_index=True)
    failures = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.address}: {self.failures}"
