"""Writes about organisations made by the platform admin: create one with its first admin, rename it, set a
regulator's jurisdiction. One function per action, each locked and audited.

Enterprise organisations are created by registration and named by their enterprise profile (whose name
is fixed once verified), so only regulators and assessment bodies are created or renamed here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from nfmaturity.accounts.models import (
    NATIONAL_JURISDICTION,
    Organisation,
    OrganisationKind,
    Role,
)
from nfmaturity.accounts.services import IssuedInvitation, invite_colleague
from nfmaturity.audit.models import AuditAction
from nfmaturity.audit.services import record_event

# Kinds the platform admin creates here, and the role of the first admin each is given.
FIRST_ADMIN_ROLE: dict[str, Role] = {
    OrganisationKind.BODY: Role.BODY_ADMIN,
    # A regulator has one role only: its first person is a viewer like every later one.
    OrganisationKind.REGULATOR: Role.REGULATOR_VIEWER,
}
# The code's shape only: whether a division exists is the enterprises layer's knowledge (regions.json),
# checked by the form that offers the choices; this layer sits below it and cannot read it.
_DIVISION_CODE = re.compile(r"^[1-9]\d{5}$")


@dataclass(frozen=True)
class CreatedOrganisation:
    organisation: Organisation
    invitation: IssuedInvitation


def _require_platform_admin(actor: User) -> None:
    if not actor.is_superuser:
        raise PermissionDenied


def _clean_name(name: str) -> str:
    cleaned = " ".join(name.split())
    if not cleaned:
        raise ValidationError("请填写机构名称")
    if len(cleaned) > 200:
        raise ValidationError("机构名称不能超过 200 个字")
    return cleaned


def _clean_jurisdiction(kind: str, jurisdiction: str) -> str:
    if kind != OrganisationKind.REGULATOR:
        if jurisdiction:
            raise ValidationError("只有主管部门有管辖范围")
        return ""
    if jurisdiction != NATIONAL_JURISDICTION and not _DIVISION_CODE.match(jurisdiction):
        raise ValidationError("管辖范围须为全国或一个六位行政区划代码")
    return jurisdiction


@transaction.atomic
def create_organisation_with_admin(
    *,
    actor: User,
    name: str,
    kind: OrganisationKind,
    admin_email: str,
    admin_name: str,
    jurisdiction: str = "",
) -> CreatedOrganisation:
    """A regulator or assessment body, and the invitation of its first admin (the link is shown once)."""
    _require_platform_admin(actor)
    if kind not in FIRST_ADMIN_ROLE:
        raise ValidationError("企业通过注册加入平台，这里只能创建主管部门或评估机构")
    name = _clean_name(name)
    jurisdiction = _clean_jurisdiction(kind, jurisdiction)
    if Organisation.objects.filter(kind=kind, name=name).exists():
        raise ValidationError(f"已有同名的{OrganisationKind(kind).label}“{name}”")
    organisation = Organisation.objects.create(name=name, kind=kind, jurisdiction=jurisdiction)
    record_event(
        actor=actor,
        action=AuditAction.ORGANISATION_CREATED,
        obj=organisation,
        organisation_id=organisation.pk,
        new={"name": name, "kind": kind, "jurisdiction": jurisdiction},
    )
    invitation = invite_colleague(
        organisation=organisation,
        actor=actor,
        email=admin_email,
        full_name=admin_name,
        role=FIRST_ADMIN_ROLE[kind],
    )
    return CreatedOrganisation(organisation=organisation, invitation=invitation)


def _lock(organisation: Organisation | int) -> Organisation:
    pk = organisation if isinstance(organisation, int) else organisation.pk
    return Organisation.objects.select_for_update().get(pk=pk)


@transaction.atomic
def rename_organisation(
    *, actor: User, organisation: Organisation | int, name: str, reason: str = ""
) -> Organisation:
    _require_platform_admin(actor)
    locked = _lock(organisation)
    if locked.kind == OrganisationKind.ENTERPRISE:
        # The enterprise's name lives in its profile, fixed after verification except through the verifier.
        raise ValidationError("企业名称随企业信息修改，不能在这里改名")
    name = _clean_name(name)
    if name == locked.name:
        return locked
    if Organisation.objects.filter(kind=locked.kind, name=name).exclude(pk=locked.pk).exists():
        raise ValidationError(f"已有同名的{locked.get_kind_display()}“{name}”")
    old = locked.name
    locked.name = name
    locked.save(update_fields=["name"])
    record_event(
        actor=actor,
        action=AuditAction.ORGANISATION_UPDATED,
        obj=locked,
        organisation_id=locked.pk,
        old={"name": old},
        new={"name": name},
        reason=reason.strip(),
    )
    return locked


@transaction.atomic
def set_jurisdiction(
    *, actor: User, organisation: Organisation | int, jurisdiction: str, reason: str = ""
) -> Organisation:
    """Move a regulator's jurisdiction: from the next request on it sees and counts only what lies inside."""
    _require_platform_admin(actor)
    locked = _lock(organisation)
    if locked.kind != OrganisationKind.REGULATOR:
        raise ValidationError("只有主管部门有管辖范围")
    jurisdiction = _clean_jurisdiction(locked.kind, jurisdiction)
    if jurisdiction == locked.jurisdiction:
        return locked
    old = locked.jurisdiction
    locked.jurisdiction = jurisdiction
    locked.save(update_fields=["jurisdiction"])
    record_event(
        actor=actor,
        action=AuditAction.ORGANISATION_UPDATED,
        obj=locked,
        organisation_id=locked.pk,
        old={"jurisdiction": old},
        new={"jurisdiction": jurisdiction},
        reason=reason.strip(),
    )
    return locked
