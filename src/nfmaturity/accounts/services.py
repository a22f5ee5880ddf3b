"""Writes about users, organisations and memberships; one function per action, each audited."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import User
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from nfmaturity.accounts.models import (
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


def find_open_invitation(token: str) -> Invitation | None:
    invitation = (
        Invitation.objects.select_related("organisation")
        .filter(token_hash=token_hash(token), state=InvitationState.PENDING)
        .first()
    )
    if invitation is None or invitation.expires_at < timezone.now():
        return None
    return invitation


@transaction.atomic
def accept_invitation(*, invitation: Invitation, username: str, password: str) -> User:
    # Lock the row so one link cannot create two accounts when clicked twice at once.
    locked = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if locked.state != InvitationState.PENDING or locked.expires_at < timezone.now():
        raise ValidationError("邀请链接已失效，请联系管理员重新邀请")
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
