"""Who may see or change an enterprise profile (the policy is written out in docs/access.md).

- An enterprise's own people read its profile; its admins edit it.
- A regulator reads the profiles inside its jurisdiction (GB/T 2260 division prefix, or national), in any
  verification state: it is the one who verifies them.
- The platform admin reads every profile.
- An assessment body (its admins and experts) reads the basic profile of verified enterprises only, never
  their contacts: it needs to recognise who may apply to it, not who claims to exist.

Same 404 for "no such enterprise" and "not yours"; 403 only where the user may read but not write.
"""

from __future__ import annotations

from typing import TypeVar

from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet
from django.http import Http404

from nfmaturity.accounts.access import AnyUser, membership_of
from nfmaturity.accounts.models import OrganisationKind, Role
from nfmaturity.enterprises import regions
from nfmaturity.enterprises.models import Enterprise, VerificationState

M = TypeVar("M", bound=Model)


def in_jurisdiction(
    queryset: QuerySet[M], jurisdiction: str, region_field: str = "region_code"
) -> QuerySet[M]:
    """Rows whose enterprise lies inside ``jurisdiction`` (``region_field`` leads to its region code)."""
    prefix = regions.jurisdiction_prefix(jurisdiction)
    if prefix is None:
        return queryset.none()
    return queryset.filter(**{f"{region_field}__startswith": prefix}) if prefix else queryset


def jurisdiction_of(user: AnyUser) -> str | None:
    """The division code whose enterprises ``user`` oversees: national for the platform admin, the
    regulator's own for its people, None for everyone else."""
    if not user.is_authenticated:
        return None
    if user.is_superuser:
        return regions.NATIONAL
    membership = membership_of(user)
    if membership is None or membership.organisation.kind != OrganisationKind.REGULATOR:
        return None
    return membership.organisation.jurisdiction


def overseen_enterprises(user: AnyUser) -> QuerySet[Enterprise]:
    """Enterprises ``user`` oversees (lists with their state, verifies, and counts once verified):
    a regulator's jurisdiction, everything for the platform admin, nothing for anyone else."""
    jurisdiction = jurisdiction_of(user)
    if jurisdiction is None:
        return Enterprise.objects.none()
    return in_jurisdiction(Enterprise.objects.all(), jurisdiction)


def visible_enterprises(user: AnyUser) -> QuerySet[Enterprise]:
    """Enterprises whose profile ``user`` may read."""
    if jurisdiction_of(user) is not None:
        return overseen_enterprises(user)
    membership = membership_of(user)
    if membership is None:
        return Enterprise.objects.none()
    if membership.organisation.kind == OrganisationKind.BODY:
        return Enterprise.objects.filter(verification=VerificationState.VERIFIED)
    if membership.organisation.kind == OrganisationKind.ENTERPRISE:
        return Enterprise.objects.filter(organisation_id=membership.organisation_id)
    return Enterprise.objects.none()


def get_enterprise_for_user(user: AnyUser, pk: int, *, write: bool = False) -> Enterprise:
    enterprise = visible_enterprises(user).filter(pk=pk).first()
    if enterprise is None:
        raise Http404
    if write and not can_edit(user, enterprise):
        raise PermissionDenied
    return enterprise


def can_edit(user: AnyUser, enterprise: Enterprise) -> bool:
    membership = membership_of(user)
    if membership is None:
        return False
    if membership.organisation_id != enterprise.organisation_id:
        return False
    return membership.role == Role.ENTERPRISE_ADMIN


def can_verify(user: AnyUser, enterprise: Enterprise) -> bool:
    """Regulators of the enterprise's jurisdiction and the platform admin verify it (and settle code claims)."""
    jurisdiction = jurisdiction_of(user)
    return jurisdiction is not None and regions.covers(jurisdiction, enterprise.region_code)


def sees_contacts(user: AnyUser, enterprise: Enterprise) -> bool:
    """Contacts are people's names and phone numbers: the enterprise itself and those who oversee it (to
    verify it) see them; assessment bodies do not until an application gives them a reason."""
    if can_verify(user, enterprise):
        return True
    membership = membership_of(user)
    return membership is not None and membership.organisation_id == enterprise.organisation_id


def own_enterprise(user: AnyUser) -> Enterprise | None:
    membership = membership_of(user)
    if membership is None or membership.organisation.kind != OrganisationKind.ENTERPRISE:
        return None
    return Enterprise.objects.filter(organisation_id=membership.organisation_id).first()
