"""The append-only audit trail: who did what to which object, when, old → new."""

from __future__ import annotations

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


class AuditEvent(models.Model):
    """One recorded action. Rows are only ever inserted (see services.record_event)."""

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(max_length=64, choices=AuditAction.choices)
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
