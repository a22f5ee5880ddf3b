"""Who is the current user, in which organisation, with which role.

Object-level helpers (one per object type) live next to their models: enterprises.access,
assessments.access. They all build on ``membership_of``.
"""

from __future__ import annotations

from typing import cast

from django.contrib.auth.models import AnonymousUser, User
from django.core.exceptions import PermissionDenied
from django.http import Http404

from nfmaturity.accounts.models import Invitation, InvitationState, Membership, Organisation, OrganisationKind

AnyUser = User | AnonymousUser


def membership_of(user: AnyUser) -> Membership | None:
    if not user.is_authenticated:
        return None
    cached = getattr(user, "_nfm_membership", False)
    if cached is not False:
        return cast("Membership | None", cached)
    membership = Membership.objects.select_related("organisation").filter(user=user).first()
    user._nfm_membership = membership  # type: ignore[attr-defined]  # per-request cache on the user
    return membership


def kind_of(user: AnyUser) -> str | None:
    membership = membership_of(user)
    return membership.organisation.kind if membership else None


def get_organisation_for_admin(user: AnyUser) -> Organisation:
    """The organisation whose members ``user`` may manage (invite colleagues)."""
    membership = membership_of(user)
    if membership is None:
        raise Http404
    if not membership.is_admin:
        raise PermissionDenied
    return membership.organisation


def get_member_for_admin(user: AnyUser, pk: int) -> Membership:
    """A membership of the organisation ``user`` administers; 404 for any other, as for a missing one."""
    organisation = get_organisation_for_admin(user)
    membership = (
        Membership.objects.select_related("user", "organisation")
        .filter(pk=pk, organisation=organisation)
        .first()
    )
    if membership is None:
        raise Http404
    return membership


def get_invitation_for_admin(user: AnyUser, pk: int) -> Invitation:
    """A pending invitation of the organisation ``user`` administers; 404 for any other."""
    organisation = get_organisation_for_admin(user)
    invitation = Invitation.objects.filter(
        pk=pk, organisation=organisation, state=InvitationState.PENDING
    ).first()
    if invitation is None:
        raise Http404
    return invitation


def is_regulator(user: AnyUser) -> bool:
    return kind_of(user) == OrganisationKind.REGULATOR


def is_body(user: AnyUser) -> bool:
    return kind_of(user) == OrganisationKind.BODY
