"""Organisations, memberships with roles, and invitations."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class OrganisationKind(models.TextChoices):
    ENTERPRISE = "enterprise", "企业"
    BODY = "body", "评估机构"
    REGULATOR = "regulator", "主管部门"


class Role(models.TextChoices):
    ENTERPRISE_ADMIN = "enterprise_admin", "企业管理员"
    ENTERPRISE_MEMBER = "enterprise_member", "企业成员"
    BODY_ADMIN = "body_admin", "评估机构管理员"
    EXPERT = "expert", "评估专家"
    REGULATOR_VIEWER = "regulator_viewer", "主管部门查看"


# Which roles exist in which kind of organisation, and which of them may manage members.
ROLES_BY_KIND: dict[str, tuple[Role, ...]] = {
    OrganisationKind.ENTERPRISE: (Role.ENTERPRISE_ADMIN, Role.ENTERPRISE_MEMBER),
    OrganisationKind.BODY: (Role.BODY_ADMIN, Role.EXPERT),
    OrganisationKind.REGULATOR: (Role.REGULATOR_VIEWER,),
}
ADMIN_ROLES = frozenset({Role.ENTERPRISE_ADMIN, Role.BODY_ADMIN})


# A regulator's jurisdiction is an administrative division code (GB/T 2260: province, city or county),
# or this value for a national regulator. Other organisations have none ("").
NATIONAL_JURISDICTION = "000000"


class Organisation(models.Model):
    name = models.CharField("名称", max_length=200)
    kind = models.CharField("类型", max_length=16, choices=OrganisationKind.choices)
    jurisdiction = models.CharField("管辖范围", max_length=6, blank=True)
    # Demo organisations (nfm demo) are labelled everywhere and never mixed into real statistics.
    is_demo = models.BooleanField("演示数据", default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    """A user's place in one organisation. A user belongs to at most one organisation."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="membership")
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField("角色", max_length=32, choices=Role.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["organisation", "user__username"]

    def __str__(self) -> str:
        return f"{self.user} @ {self.organisation} ({self.get_role_display()})"

    @property
    def is_admin(self) -> bool:
        return self.role in ADMIN_ROLES


class InvitationState(models.TextChoices):
    PENDING = "pending", "待接受"
    ACCEPTED = "accepted", "已接受"
    REVOKED = "revoked", "已撤销"


class Invitation(models.Model):
    """An invitation link. Only the SHA-256 of the token is stored, so a database leak reveals no links."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField("邮箱")
    full_name = models.CharField("姓名", max_length=100)
    role = models.CharField("角色", max_length=32, choices=Role.choices)
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    state = models.CharField(max_length=16, choices=InvitationState.choices, default=InvitationState.PENDING)
    accepted_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.email} → {self.organisation}"


class Notification(models.Model):
    """An in-app message to one user ("待办" and workflow news); the same text is also e-mailed."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    text = models.CharField("内容", max_length=500)
    url = models.CharField("链接", max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "read_at"])]

    def __str__(self) -> str:
        return self.text
