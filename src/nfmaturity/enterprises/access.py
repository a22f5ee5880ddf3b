"""Who may see or change an enterprise profile.

Same 404 for "no such enterprise" and "not yours"; 403 only where the user may read but not write.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404

from nfmaturity.accounts.access import AnyUser, membership_of
from nfmaturity.accounts.models import OrganisationKind, Role
from nfmaturity.enterprises.models import Enterprise


def visible_enterprises(user: AnyUser) -> QuerySet[Enterprise]:
    """Enterprises whose profile ``user`` may read: regulators, assessment bodies and platform admins
    read the registry; an enterprise user reads only its own."""
    if not user.is_authenticated:
        return Enterprise.objects.none()
    if user.is_superuser:
        return Enterprise.objects.all()
    membership = membership_of(user)
    if membership is None:
        return Enterprise.objects.none()
    if membership.organisation.kind in (OrganisationKind.REGULATOR, OrganisationKind.BODY):
        return Enterprise.objects.all()
    return Enterprise.objects.filter(organisation_id=membership.organisation_id)


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


def own_enterprise(user: AnyUser) -> Enterprise | None:
    membership = membership_of(user)
    if membership is None or membership.organisation.kind != OrganisationKind.ENTERPRISE:
        return None
    return Enterprise.objects.filter(organisation_id=membership.organisation_id).first()
