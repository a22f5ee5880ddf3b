"""“待我处理”: the steps that wait for a user, across every formal assessment he may see.

The user's part in each assessment is worked out here from his membership and his team seats, read once for
all assessments (``access.parties`` reads per assessment), so the list costs a fixed number of queries
whatever the number of assessments (asserted in tests/formal/test_tasks.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from nfmaturity.accounts.access import AnyUser, membership_of
from nfmaturity.accounts.models import OrganisationKind, Role
from nfmaturity.formal.access import Party, visible_formal
from nfmaturity.formal.models import FormalAssessment, FormalState, TeamMember
from nfmaturity.formal.steps import Step, Viewer, steps_for

# Assessments looked at for tasks (the newest first); ended ones have none.
LIMIT = 50
ENDED = (FormalState.REFUSED, FormalState.WITHDRAWN)


@dataclass(frozen=True)
class Task:
    formal: FormalAssessment
    step: Step


def _parties(formal: FormalAssessment, role: str, kind: str, seat: TeamMember | None) -> frozenset[Party]:
    if kind == OrganisationKind.ENTERPRISE:
        return frozenset(
            {Party.ENTERPRISE_ADMIN if role == Role.ENTERPRISE_ADMIN else Party.ENTERPRISE_MEMBER}
        )
    out: set[Party] = set()
    if role == Role.BODY_ADMIN:
        out.add(Party.BODY_ADMIN)
    if seat is not None:
        out.add(Party.EXPERT)
        if seat.is_leader:
            out.add(Party.LEADER)
    return frozenset(out)


def tasks_for(user: AnyUser) -> list[Task]:
    membership = membership_of(user)
    if membership is None or membership.organisation.kind not in (
        OrganisationKind.ENTERPRISE,
        OrganisationKind.BODY,
    ):
        return []  # regulators and the platform admin only read published assessments: nothing waits
    formals = list(
        visible_formal(user)
        .exclude(state__in=ENDED)
        .select_related("assessment", "enterprise", "body", "assessment__unit")
        .order_by("-updated_at", "-id")[:LIMIT]
    )
    if not formals:
        return []
    seats: dict[int, TeamMember] = {}
    if membership.organisation.kind == OrganisationKind.BODY:
        seats = {
            seat.formal_id: seat
            for seat in TeamMember.objects.filter(
                formal__in=[f.pk for f in formals], expert__user_id=membership.user_id
            ).select_related("expert")
        }
    out: list[Task] = []
    for formal in formals:
        seat = seats.get(formal.pk)
        viewer = Viewer(
            _parties(formal, membership.role, membership.organisation.kind, seat),
            seat,
        )
        out.extend(Task(formal, step) for step in steps_for(formal, viewer) if step.waiting)
    return out
