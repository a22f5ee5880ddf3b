"""The append-only audit trail: who did what to which object, when, old → new."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models


class AuditAction(models.TextChoices):
    ORGANISATION_CREATED = "organisation.created", "创建机构"
    MEMBER_INVITED = "member.invited", "邀请成员"
    MEMBER_JOINED = "member.joined", "成员加入"
    MEMBER_REMOVED = "member.removed", "移除成员"
    ROLE_CHANGED = "member.role_changed", "变更角色"
    INVITATION_REVOKED = "member.invitation_revoked", "撤销邀请"
    ORGANISATION_UPDATED = "organisation.updated", "修改机构信息"
    PASSWORD_CHANGED = "user.password_changed", "修改密码"
    ENTERPRISE_REGISTERED = "enterprise.registered", "企业注册"
    ENTERPRISE_UPDATED = "enterprise.updated", "企业信息修改"
    ENTERPRISE_VERIFIED = "enterprise.verified", "核验通过"
    ENTERPRISE_REJECTED = "enterprise.rejected", "核验未通过"
    CODE_CLAIMED = "enterprise.code_claimed", "申请认领信用代码"
    CODE_REASSIGNED = "enterprise.code_reassigned", "改配信用代码"
    CODE_CLAIM_REFUSED = "enterprise.code_claim_refused", "驳回信用代码认领"
    UNIT_ADDED = "unit.added", "新增评估单元"
    CONTACT_ADDED = "contact.added", "新增联系人"
    ASSESSMENT_STARTED = "assessment.started", "开始自评估"
    RATING_CHANGED = "rating.changed", "评分变更"
    ATTACHMENT_ADDED = "attachment.added", "上传附件"
    ATTACHMENT_REMOVED = "attachment.removed", "删除附件"
    WORKBOOK_IMPORTED = "assessment.workbook_imported", "导入离线评估表"
    ASSESSMENT_SUBMITTED = "assessment.submitted", "提交自评估"
    ASSESSMENT_WITHDRAWN = "assessment.withdrawn", "撤回自评估"
    DEMO_RATINGS_LOADED = "assessment.demo_ratings_loaded", "载入演示评分"
    # The formal assessment (nfmaturity.formal).
    EXPERT_PROFILE_UPDATED = "formal.expert_profile_updated", "修改专家资料"
    EXPERT_RELATION_DECLARED = "formal.expert_relation_declared", "申报利益关系"
    EXPERT_RELATION_REMOVED = "formal.expert_relation_removed", "删除利益关系"
    APPLICATION_CREATED = "formal.application_created", "填写评估申请"
    APPLICATION_UPDATED = "formal.application_updated", "修改评估申请"
    APPLICATION_DOCUMENT_ADDED = "formal.application_document_added", "上传申请材料"
    APPLICATION_DOCUMENT_REMOVED = "formal.application_document_removed", "删除申请材料"
    APPLICATION_SUBMITTED = "formal.application_submitted", "提交评估申请"
    APPLICATION_WITHDRAWN = "formal.application_withdrawn", "撤回评估申请"
    APPLICATION_ACCEPTED = "formal.application_accepted", "受理评估申请"
    APPLICATION_REFUSED = "formal.application_refused", "不予受理"
    TEAM_MEMBER_ADDED = "formal.team_member_added", "加入评估组"
    TEAM_MEMBER_REMOVED = "formal.team_member_removed", "移出评估组"
    TEAM_LEADER_SET = "formal.team_leader_set", "指定组长"
    TEAM_DECLARATION_SIGNED = "formal.team_declaration_signed", "签署声明"
    SUBDOMAINS_ASSIGNED = "formal.subdomains_assigned", "分配能力子域"
    TEAM_CONFIRMED = "formal.team_confirmed", "确认评估组"
    PLAN_SAVED = "formal.plan_saved", "编制评估计划"
    PLAN_CONFIRMED = "formal.plan_confirmed", "企业确认评估计划"
    MEETING_RECORDED = "formal.meeting_recorded", "记录会议"
    ONSITE_STARTED = "formal.onsite_started", "开始现场评估"
    EVIDENCE_ADDED = "formal.evidence_added", "采集证据"
    EVIDENCE_REMOVED = "formal.evidence_removed", "删除证据"
    EXPERT_RATING_CHANGED = "formal.expert_rating_changed", "专家评分变更"
    EXPERT_RATINGS_SUBMITTED = "formal.expert_ratings_submitted", "专家提交评分"
    NOT_APPLICABLE_CONFIRMED = "formal.not_applicable_confirmed", "组长确认不适用"
    EXPERT_RATINGS_REOPENED = "formal.expert_ratings_reopened", "组长重新开放专家评分"
    CONSENSUS_OPENED = "formal.consensus_opened", "开始评分合议"
    CONSENSUS_CLOSED = "formal.consensus_closed", "结束评分合议"
    CONSENSUS_RESUMED = "formal.consensus_resumed", "返回评分合议"
    UNANIMOUS_ACCEPTED = "formal.unanimous_accepted", "采纳全部一致评分"
    FIELD_WORKBOOK_IMPORTED = "formal.field_workbook_imported", "导入现场评估表"
    REQUIREMENT_SETTLED = "formal.requirement_settled", "合议确定评分"
    CONCLUSION_SAVED = "formal.conclusion_saved", "编写评估结论"
    CONCLUSION_APPROVED = "formal.conclusion_approved", "组长批准评估结论"
    RESULT_SENT = "formal.result_sent", "发送评估结果"
    RESULT_RESCORED = "formal.result_rescored", "重新评分"
    POINT_CONTESTED = "formal.point_contested", "企业提出异议"
    CONTEST_ANSWERED = "formal.contest_answered", "答复异议"
    RESULT_ACCEPTED = "formal.result_accepted", "企业确认评估结果"
    RESULT_PUBLISHED = "formal.result_published", "发布评估结果"
    ASSESSMENT_REOPENED = "formal.reopened", "重新开启正式评估"
    PUBLIC_LISTING_CHANGED = "formal.public_listing_changed", "修改公开展示"
    # The improvement plan and rectification (nfmaturity.plans).
    IMPROVEMENT_PLAN_CREATED = "plan.created", "保存提升计划"
    IMPROVEMENT_ACTION_UPDATED = "plan.action_updated", "修改提升计划事项"
    IMPROVEMENT_ACTION_STATUS = "plan.action_status", "变更提升计划事项状态"
    RECTIFICATION_SUBMITTED = "plan.rectification_submitted", "提交弱项整改措施"
    RECTIFICATION_CONFIRMED = "plan.rectification_confirmed", "组长确认整改措施"
    RECTIFICATION_RETURNED = "plan.rectification_returned", "组长退回整改措施"
    POLICY_RULE_CREATED = "analytics.rule_created", "新建筛选规则"
    POLICY_RULE_UPDATED = "analytics.rule_updated", "修改筛选规则"
    POLICY_RULE_DELETED = "analytics.rule_deleted", "删除筛选规则"
    POLICY_RULE_EXPORTED = "analytics.rule_exported", "导出规则匹配企业"
    INDICATORS_SAVED = "analytics.indicators_saved", "填报技术经济指标"
    REPORT_REQUESTED = "report.requested", "申请生成评估报告文件"
    REPORT_DOWNLOADED = "report.downloaded", "下载评估报告文件"
    NEXT_WORKBOOK_DOWNLOADED = "report.workbook_downloaded", "下载预填评估工作簿"
    INDEX_REPORT_REQUESTED = "report.index_requested", "申请生成数字化转型指数报告"
    INDEX_REPORT_DOWNLOADED = "report.index_downloaded", "下载数字化转型指数报告"


class ActionField(models.CharField):  # type: ignore[type-arg]
    """The action column. Its choices are left out of migrations: they change the labels, never the schema,
    and every app adds actions here, so a new action needs no migration (and parallel work none to merge)."""

    def deconstruct(self) -> Any:
        name, _path, args, kwargs = super().deconstruct()
        kwargs.pop("choices", None)
        return name, "django.db.models.CharField", args, kwargs


class AuditEvent(models.Model):
    """One recorded action. Rows are only ever inserted (see services.record_event)."""

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = ActionField(max_length=64, choices=AuditAction.choices)
    # The object acted on, as "app.model" + primary key, so the log outlives deleted rows.
    object_type = models.CharField(max_length=64)
    object_id = models.CharField(max_length=64)
    # The enterprise the event concerns, to list an enterprise's history cheaply.
    organisation_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    old = models.JSONField(null=True, blank=True)
    new = models.JSONField(null=True, blank=True)
    reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.get_action_display()} {self.object_type}#{self.object_id}"
