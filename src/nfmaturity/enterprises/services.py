"""Writes to the enterprise registry; one function per action, each in a transaction with an audit event."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction

from nfmaturity.accounts.models import OrganisationKind, Role
from nfmaturity.accounts.services import create_member, create_organisation
from nfmaturity.audit.models import AuditAction
from nfmaturity.audit.services import record_event
from nfmaturity.enterprises.models import Contact, Enterprise, Unit

PROFILE_FIELDS = ("name", "uscc", "region_code", "sectors", "metals", "size", "above_scale", "address")


@dataclass(frozen=True)
class Registration:
    enterprise: Enterprise
    admin: User


@transaction.atomic
def register_enterprise(
    *,
    profile: dict[str, Any],
    admin_username: str,
    admin_password: str,
    admin_name: str = "",
    admin_email: str = "",
    is_demo: bool = False,
) -> Registration:
    """Create the organisation, its profile and its first administrator in one go."""
    organisation = create_organisation(name=profile["name"], kind=OrganisationKind.ENTERPRISE)
    enterprise = Enterprise.objects.create(
        organisation=organisation, is_demo=is_demo, **{k: profile[k] for k in PROFILE_FIELDS if k in profile}
    )
    admin = create_member(
        organisation=organisation,
        username=admin_username,
        password=admin_password,
        role=Role.ENTERPRISE_ADMIN,
        full_name=admin_name,
        email=admin_email,
    )
    record_event(
        actor=admin,
        action=AuditAction.ENTERPRISE_REGISTERED,
        obj=enterprise,
        organisation_id=organisation.pk,
        new=_snapshot(enterprise),
    )
    return Registration(enterprise=enterprise, admin=admin)


def _snapshot(enterprise: Enterprise) -> dict[str, Any]:
    return {k: getattr(enterprise, k) for k in PROFILE_FIELDS}


@transaction.atomic
def update_enterprise(*, enterprise: Enterprise, actor: User, profile: dict[str, Any]) -> Enterprise:
    old = _snapshot(enterprise)
    for key in PROFILE_FIELDS:
        if key in profile:
            setattr(enterprise, key, profile[key])
    enterprise.save()
    new = _snapshot(enterprise)
    changed = {k for k in PROFILE_FIELDS if old[k] != new[k]}
    if changed:
        if "name" in changed:
            enterprise.organisation.name = enterprise.name
            enterprise.organisation.save(update_fields=["name"])
        record_event(
            actor=actor,
            action=AuditAction.ENTERPRISE_UPDATED,
            obj=enterprise,
            organisation_id=enterprise.organisation_id,
            old={k: old[k] for k in sorted(changed)},
            new={k: new[k] for k in sorted(changed)},
        )
    return enterprise


@transaction.atomic
def add_unit(*, enterprise: Enterprise, actor: User, name: str, kind: str, sector: str = "") -> Unit:
    unit = Unit.objects.create(enterprise=enterprise, name=name, kind=kind, sector=sector)
    record_event(
        actor=actor,
        action=AuditAction.UNIT_ADDED,
        obj=unit,
        organisation_id=enterprise.organisation_id,
        new={"name": name, "kind": kind, "sector": sector},
    )
    return unit


@transaction.atomic
def add_contact(
    *,
    enterprise: Enterprise,
    actor: User,
    name: str,
    title: str = "",
    phone: str = "",
    email: str = "",
) -> Contact:
    contact = Contact.objects.create(enterprise=enterprise, name=name, title=title, phone=phone, email=email)
    record_event(
        actor=actor,
        action=AuditAction.CONTACT_ADDED,
        obj=contact,
        organisation_id=enterprise.organisation_id,
        new={"name": name, "title": title},
    )
    return contact
