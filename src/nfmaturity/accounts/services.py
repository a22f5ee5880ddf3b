"""Writes about users, organisations and memberships; one function per action, each audited."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import User
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from nfmaturity.accounts.models import (
    ADMIN_ROLES,
    ROLES_BY_KIND,
    Invitation,
    InvitationState,
    Membership,
    Organisation,
    OrganisationKind,
    Role,
)
from nfmaturity.audit.models import AuditAction
from nfmaturity.audit.services import record_event


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def lowest_role(kind: str) -> Role:
    """The role an invitation offers unless the admin picks another: the one with the fewest rights."""
    return ROLES_BY_KIND[kind][-1]


def _check_role(kind: str, role: str) -> None:
    if role not in ROLES_BY_KIND[kind]:
        raise ValidationError(f"角色“{Role(role).label}”不适用于{OrganisationKind(kind).label}")


@transaction.atomic
def create_organisation(*, name: str, kind: OrganisationKind, actor: User | None = None) -> Organisation:
    organisation = Organisation.objects.create(name=name, kind=kind)
    record_event(
        actor=actor,
        action=AuditAction.ORGANISATION_CREATED,
        obj=organisation,
        organisation_id=organisation.pk,
        new={"name": name, "kind": kind},
    )
    return organisation


@transaction.atomic
def create_member(
    *,
    organisation: Organisation,
    username: str,
    password: str,
    role: Role,
    full_name: str = "",
    email: str = "",
    actor: User | None = None,
) -> User:
    """Create a user directly inside an organisation (registration, demo data, platform admin)."""
    _check_role(organisation.kind, role)
    if User.objects.filter(username=username).exists():
        raise ValidationError("该用户名已被使用")
    user = User(username=username, email=email, first_name=full_name)
    validate_password(password, user)
    user.set_password(password)
    user.save()
    Membership.objects.create(user=user, organisation=organisation, role=role)
    record_event(
        actor=actor or user,
        action=AuditAction.MEMBER_JOINED,
        obj=user,
        organisation_id=organisation.pk,
        new={"username": username, "role": role},
    )
    return user


@dataclass(frozen=True)
class IssuedInvitation:
    invitation: Invitation
    token: str  # shown once to the inviting admin; only its hash is stored


@transaction.atomic
def invite_colleague(
    *, organisation: Organisation, actor: User, email: str, full_name: str, role: Role
) -> IssuedInvitation:
    _check_role(organisation.kind, role)
    token = secrets.token_urlsafe(32)
    invitation = Invitation.objects.create(
        organisation=organisation,
        email=email,
        full_name=full_name,
        role=role,
        token_hash=token_hash(token),
        invited_by=actor,
        expires_at=timezone.now() + timedelta(days=settings.NFM_INVITATION_DAYS),
    )
    record_event(
        actor=actor,
        action=AuditAction.MEMBER_INVITED,
        obj=invitation,
        organisation_id=organisation.pk,
        new={"email": email, "role": role},
    )
    return IssuedInvitation(invitation=invitation, token=token)


def find_invitation(token: str) -> Invitation | None:
    """The invitation of a link, in whatever state (see ``closed_reason``)."""
    return Invitation.objects.select_related("organisation").filter(token_hash=token_hash(token)).first()


def closed_reason(invitation: Invitation) -> str | None:
    """Why the link of ``invitation`` no longer works, in words for its holder; None while it is open."""
    if invitation.state == InvitationState.REVOKED:
        return "该邀请已被管理员撤销，链接不再有效。如仍需加入，请联系管理员重新邀请。"
    if invitation.state == InvitationState.ACCEPTED:
        return "该邀请链接已被使用。如已设置账户，请直接登录。"
    if invitation.expires_at < timezone.now():
        return "该邀请链接已过期，请联系管理员重新邀请。"
    return None


@transaction.atomic
def accept_invitation(*, invitation: Invitation, username: str, password: str) -> User:
    # Lock the row so one link cannot create two accounts when clicked twice at once.
    locked = Invitation.objects.select_for_update().get(pk=invitation.pk)
    reason = closed_reason(locked)
    if reason is not None:
        raise ValidationError(reason)
    user = create_member(
        organisation=locked.organisation,
        username=username,
        password=password,
        role=Role(locked.role),
        full_name=locked.full_name,
        email=locked.email,
    )
    locked.state = InvitationState.ACCEPTED
    locked.accepted_user = user
    locked.save(update_fields=["state", "accepted_user"])
    return user


@transaction.atomic
def record_password_change(*, user: User) -> None:
    membership = Membership.objects.filter(user=user).first()
    record_event(
        actor=user,
        action=AuditAction.PASSWORD_CHANGED,
        obj=user,
        organisation_id=membership.organisation_id if membership else None,
    )


@transaction.atomic
def revoke_invitation(*, actor: User, invitation: Invitation) -> Invitation:
    """Withdraw a pending invitation: its link stops working at once."""
    locked = Invitation.objects.select_for_update().get(pk=invitation.pk)
    _lock_members(locked.organisation_id, actor)
    if locked.state == InvitationState.ACCEPTED:
        raise ValidationError("该邀请已被接受，不能撤销；如需移除此人，请在成员列表中操作")
    if locked.state == InvitationState.REVOKED:
        raise ValidationError("该邀请已撤销")
    locked.state = InvitationState.REVOKED
    locked.revoked_by = actor
    locked.revoked_at = timezone.now()
    locked.save(update_fields=["state", "revoked_by", "revoked_at"])
    record_event(
        actor=actor,
        action=AuditAction.INVITATION_REVOKED,
        obj=locked,
        organisation_id=locked.organisation_id,
        old={"state": InvitationState.PENDING, "email": locked.email, "role": locked.role},
        new={"state": InvitationState.REVOKED},
    )
    return locked


@transaction.atomic
def remove_member(*, actor: User, membership: Membership, reason: str = "") -> None:
    """Take a user out of their organisation.

    A user belongs to one organisation only, so the account is also deactivated: it can no longer log in
    (its open sessions stop working at the next request), while its ratings and audit trail keep their author.
    """
    members = _lock_members(membership.organisation_id, actor)
    locked = _locked(members, membership)
    _refuse_losing_last_admin(members, locked, "移除")
    user = locked.user
    old = {"username": user.username, "role": locked.role}
    locked.delete()
    user.is_active = False
    user.save(update_fields=["is_active"])
    record_event(
        actor=actor,
        action=AuditAction.MEMBER_REMOVED,
        obj=user,
        organisation_id=membership.organisation_id,
        old=old,
        reason=reason,
    )


@transaction.atomic
def change_role(*, actor: User, membership: Membership, role: Role, reason: str = "") -> Membership:
    members = _lock_members(membership.organisation_id, actor)
    locked = _locked(members, membership)
    _check_role(locked.organisation.kind, role)
    if locked.role == role:
        return locked
    if role not in ADMIN_ROLES:
        _refuse_losing_last_admin(members, locked, "改为非管理员角色")
    old_role = locked.role
    locked.role = role
    locked.save(update_fields=["role"])
    record_event(
        actor=actor,
        action=AuditAction.ROLE_CHANGED,
        obj=locked.user,
        organisation_id=locked.organisation_id,
        old={"role": old_role},
        new={"role": role},
        reason=reason,
    )
    return locked


def _lock_members(organisation_id: int, actor: User) -> list[Membership]:
    """Lock every membership of the organisation (in one order, so two admins acting at once queue up
    instead of deadlocking) and check, on the locked rows, that ``actor`` may manage them.

    Locking all of them is what keeps the last-admin rule true: two admins demoting each other at the same
    moment would otherwise each count two admins and both succeed.
    """
    members = list(
        Membership.objects.select_for_update(of=("self",))
        .filter(organisation_id=organisation_id)
        .select_related("user", "organisation")
        .order_by("pk")
    )
    if not actor.is_superuser and not any(m.user_id == actor.pk and m.is_admin for m in members):
        raise PermissionDenied("只有本机构管理员或平台管理员可以管理成员")
    return members


def _locked(members: list[Membership], membership: Membership) -> Membership:
    for m in members:
        if m.pk == membership.pk:
            return m
    raise ValidationError("该成员已不在本机构")


def _refuse_losing_last_admin(members: list[Membership], target: Membership, what: str) -> None:
    if target.is_admin and not any(m.is_admin and m.pk != target.pk for m in members):
        raise ValidationError(f"不能{what}本机构唯一的管理员：请先指定另一位管理员")
