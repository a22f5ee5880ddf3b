"""Reads of the back-office lists: organisations with their counts, members, invitations."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet

from nfmaturity.accounts.models import Invitation, InvitationState, Membership, Organisation, OrganisationKind
from nfmaturity.enterprises.models import Enterprise
from nfmaturity.enterprises.regions import jurisdiction_name


def organisation_list(
    organisations: QuerySet[Organisation], *, kind: str = "", q: str = "", demo: str = ""
) -> QuerySet[Organisation]:
    if kind:
        organisations = organisations.filter(kind=kind)
    if q:
        organisations = organisations.filter(Q(name__icontains=q) | Q(enterprise__uscc=q.upper()))
    if demo == "yes":
        organisations = organisations.filter(is_demo=True)
    elif demo == "no":
        organisations = organisations.filter(is_demo=False)
    return (
        organisations.select_related("enterprise")
        .annotate(member_count=Count("memberships", distinct=True))
        .order_by("kind", "name", "pk")
    )


@dataclass(frozen=True)
class OrganisationRow:
    organisation: Organisation
    member_count: int
    place: str  # a regulator's jurisdiction, an enterprise's region, in words; "" for a body
    enterprise: Enterprise | None


def enterprise_of(organisation: Organisation) -> Enterprise | None:
    """The enterprise profile of an enterprise organisation (selected with it where a list needs many)."""
    if organisation.kind != OrganisationKind.ENTERPRISE:
        return None
    # The reverse one-to-one raises an AttributeError subclass when there is no profile.
    return getattr(organisation, "enterprise", None)


def row_of(organisation: Organisation) -> OrganisationRow:
    enterprise = enterprise_of(organisation)
    if organisation.kind == OrganisationKind.REGULATOR:
        place = jurisdiction_name(organisation.jurisdiction)
    elif enterprise is not None:
        place = enterprise.region_name
    else:
        place = ""
    count = getattr(organisation, "member_count", None)
    if count is None:
        count = organisation.memberships.count()
    return OrganisationRow(organisation, count, place, enterprise)


def members_of(organisation: Organisation) -> QuerySet[Membership]:
    return organisation.memberships.select_related("user").order_by("role", "user__username")


def invitation_list(
    invitations: QuerySet[Invitation], *, state: str = "", q: str = ""
) -> QuerySet[Invitation]:
    if state in InvitationState.values:
        invitations = invitations.filter(state=state)
    if q:
        invitations = invitations.filter(
            Q(email__icontains=q) | Q(full_name__icontains=q) | Q(organisation__name__icontains=q)
        )
    return invitations.select_related("organisation", "invited_by", "accepted_user", "revoked_by").order_by(
        "-created_at", "-pk"
    )
