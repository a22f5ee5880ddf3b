"""Who may see or act on a formal assessment (docs/access.md has the policy).

- The applicant enterprise's people see their own formal assessments in every state; its admins act for it
  (apply, confirm plans, contest, accept); plain members read.
- The assessment body sees the applications made to it once submitted (never a draft); its admin decides on
  them, forms the team, publishes and reopens.
- A team member (an expert of the body put on the team) sees the assessment while on the team; the 组长 has
  the leader's actions. An expert of the body who is not on the team sees nothing of it.
- Regulators (jurisdiction covering the enterprise) and the platform admin read published ones.
- Everyone else: the same 404 as for a missing assessment. 403 only for someone who may read but not act.

Independent ratings are a further rule inside the team: an expert sees colleagues' ratings only after he has
submitted his own (``may_see_colleague_ratings``).
"""

from __future__ import annotations

import enum

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404

from nfmaturity.accounts.access import AnyUser, membership_of
from nfmaturity.accounts.models import OrganisationKind, Role
from nfmaturity.enterprises.access import in_jurisdiction, jurisdiction_of
from nfmaturity.formal.models import FormalAssessment, FormalState, TeamMember


class Party(enum.Enum):
    """A user's part in one formal assessment."""

    ENTERPRISE_ADMIN = "enterprise_admin"
    ENTERPRISE_MEMBER = "enterprise_member"
    BODY_ADMIN = "body_admin"
    LEADER = "leader"
    EXPERT = "expert"  # a team member (the leader is both LEADER and EXPERT)
    OVERSEER = "overseer"  # a regulator of its jurisdiction, or the platform admin: reads once published


ENTERPRISE = frozenset({Party.ENTERPRISE_ADMIN, Party.ENTERPRISE_MEMBER})
TEAM = frozenset({Party.LEADER, Party.EXPERT})


def visible_formal(user: AnyUser) -> QuerySet[FormalAssessment]:
    """Formal assessments ``user`` may open at all."""
    rows = FormalAssessment.objects.all()
    jurisdiction = jurisdiction_of(user)
    if jurisdiction is not None:
        return in_jurisdiction(
            rows.filter(state=FormalState.PUBLISHED), jurisdiction, "enterprise__region_code"
        )
    membership = membership_of(user)
    if membership is None:
        return rows.none()
    organisation = membership.organisation
    if organisation.kind == OrganisationKind.ENTERPRISE:
        return rows.filter(enterprise__organisation_id=organisation.pk)
    if organisation.kind == OrganisationKind.BODY:
        submitted = rows.filter(body_id=organisation.pk).exclude(state=FormalState.DRAFT)
        if membership.role == Role.BODY_ADMIN:
            return submitted
        return submitted.filter(team__expert__user_id=membership.user_id)
    return rows.none()


def parties(user: AnyUser, formal: FormalAssessment) -> frozenset[Party]:
    """Every part ``user`` plays in ``formal`` (empty: he may not see it)."""
    out: set[Party] = set()
    jurisdiction = jurisdiction_of(user)
    if jurisdiction is not None:
        if formal.state == FormalState.PUBLISHED and (
            in_jurisdiction(
                FormalAssessment.objects.filter(pk=formal.pk), jurisdiction, "enterprise__region_code"
            ).exists()
        ):
            out.add(Party.OVERSEER)
        return frozenset(out)
    membership = membership_of(user)
    if membership is None:
        return frozenset()
    if membership.organisation_id == formal.enterprise.organisation_id:
        out.add(
            Party.ENTERPRISE_ADMIN if membership.role == Role.ENTERPRISE_ADMIN else Party.ENTERPRISE_MEMBER
        )
    elif membership.organisation_id == formal.body_id and formal.state != FormalState.DRAFT:
        if membership.role == Role.BODY_ADMIN:
            out.add(Party.BODY_ADMIN)
        seat = team_seat(user, formal)
        if seat is not None:
            out.add(Party.EXPERT)
            if seat.is_leader:
                out.add(Party.LEADER)
    return frozenset(out)


def team_seat(user: AnyUser, formal: FormalAssessment) -> TeamMember | None:
    """The user's seat on the team, or None."""
    if not user.is_authenticated:
        return None
    return TeamMember.objects.filter(formal=formal, expert__user=user).select_related("expert").first()


def get_formal_for_user(
    user: AnyUser, pk: int, *, act_as: frozenset[Party] | None = None
) -> tuple[FormalAssessment, frozenset[Party]]:
    """The formal assessment and the user's parts in it. 404 when he may not see it; 403 when ``act_as`` is
    given and he plays none of those parts."""
    formal = (
        FormalAssessment.objects.select_related("assessment", "enterprise", "body", "assessment__unit")
        .filter(pk=pk)
        .first()
    )
    if formal is None:
        raise Http404
    mine = parties(user, formal)
    if not mine:
        raise Http404
    if act_as is not None and not (mine & act_as):
        raise PermissionDenied
    return formal, mine


def may_see_colleague_ratings(seat: TeamMember | None, mine: frozenset[Party]) -> bool:
    """Independent rating (§4.5.3): a team member sees the others' ratings only once he has submitted his
    own. The body admin does not rate and sees them from the consensus stage on; the enterprise never sees
    individual ratings before publication (it sees the settled ones in the result it is sent)."""
    if seat is not None:
        return seat.ratings_submitted_at is not None
    return Party.BODY_ADMIN in mine


def body_filter(user: AnyUser) -> Q:
    """Rows of the body ``user`` administers (for lists); matches nothing for anyone else."""
    membership = membership_of(user)
    if membership is None or membership.organisation.kind != OrganisationKind.BODY:
        return Q(pk__in=[])
    return Q(body_id=membership.organisation_id)
