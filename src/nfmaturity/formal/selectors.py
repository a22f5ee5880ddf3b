"""Reads for the formal-assessment pages that span relations (list, hub, application, team, planning)."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Count, QuerySet

from nfmaturity.accounts.access import AnyUser, membership_of
from nfmaturity.accounts.models import OrganisationKind, Role
from nfmaturity.assessments.catalogs import sector_view
from nfmaturity.assessments.models import Result
from nfmaturity.formal import roster
from nfmaturity.formal.access import visible_formal
from nfmaturity.formal.models import (
    ApplicationDocument,
    AssessmentPlan,
    DocumentKind,
    ExpertProfile,
    FormalAssessment,
    FormalState,
    Meeting,
    MeetingKind,
    PlanKind,
    SubdomainAssignment,
    TeamMember,
)
from nfmaturity.formal.workflow import ROAD

S = FormalState


def formal_list(user: AnyUser) -> QuerySet[FormalAssessment]:
    """The user's formal assessments (an enterprise's own, the body's applications, an expert's teams)."""
    return (
        visible_formal(user)
        .select_related("enterprise", "body", "assessment", "assessment__unit")
        .order_by("-created_at", "-id")
    )


@dataclass
class StateGroup:
    state: FormalState
    rows: list[FormalAssessment] = field(default_factory=list)


def by_state(rows: list[FormalAssessment]) -> list[StateGroup]:
    """Rows grouped by state in the workflow's order (待受理 first for a body admin's inbox)."""
    order = [S.APPLIED, *[s for s in ROAD if s != S.APPLIED], S.REFUSED, S.WITHDRAWN]
    groups = {state: StateGroup(state) for state in order}
    for row in rows:
        groups[FormalState(row.state)].rows.append(row)
    return [g for g in groups.values() if g.rows]


def list_kind(user: AnyUser) -> str:
    """Which list the user sees: "enterprise", "body_admin", "expert" or "other"."""
    membership = membership_of(user)
    if membership is None:
        return "other"
    if membership.organisation.kind == OrganisationKind.ENTERPRISE:
        return "enterprise"
    if membership.organisation.kind == OrganisationKind.BODY:
        return "body_admin" if membership.role == Role.BODY_ADMIN else "expert"
    return "other"


@dataclass(frozen=True)
class RoadStep:
    label: str
    done: bool
    current: bool


def road(formal: FormalAssessment) -> list[RoadStep]:
    """The progress road (``workflow.ROAD``); a refused or withdrawn application stops after 待受理."""
    state = FormalState(formal.state)
    if state in (S.REFUSED, S.WITHDRAWN):
        stop = ROAD.index(S.APPLIED) if formal.applied_at else ROAD.index(S.DRAFT)
        steps = [RoadStep(s.label, i < stop, False) for i, s in enumerate(ROAD[: stop + 1])]
        return [*steps, RoadStep(state.label, False, True)]
    position = ROAD.index(S.COMMUNICATION) if state == S.REBUTTAL else ROAD.index(state)
    return [
        RoadStep(
            S.REBUTTAL.label if state == S.REBUTTAL and i == position else s.label,
            i < position,
            i == position,
        )
        for i, s in enumerate(ROAD)
    ]


def team(formal: FormalAssessment) -> list[TeamMember]:
    return list(
        TeamMember.objects.filter(formal=formal)
        .select_related("expert", "expert__user")
        .annotate(row_count=Count("assignments"))
        .order_by("-is_leader", "expert__full_name", "pk")
    )


def documents(formal: FormalAssessment) -> list[ApplicationDocument]:
    return list(ApplicationDocument.objects.filter(formal=formal).select_related("uploaded_by"))


def missing_documents(docs: list[ApplicationDocument]) -> list[str]:
    present = {d.kind for d in docs}
    return [
        str(k.label) for k in (DocumentKind.LONG_TERM_PLAN, DocumentKind.ANNUAL_TARGETS) if k not in present
    ]


def starting_result(formal: FormalAssessment) -> Result | None:
    """The stored result of the self-assessment the enterprise offered as a starting point (read, never
    recomputed), shown to the team for the pre-assessment."""
    if formal.starting_self_assessment_id is None:
        return None
    return (
        Result.objects.filter(assessment_id=formal.starting_self_assessment_id)
        .select_related("assessment", "assessment__unit")
        .order_by("-version")
        .first()
    )


@dataclass(frozen=True)
class Candidate:
    expert: ExpertProfile
    reasons: list[str]  # why he may not be added (empty: he may)


def candidates(formal: FormalAssessment, members: list[TeamMember]) -> list[Candidate]:
    """The body's experts not on the team, each with the reasons he is ineligible (if any)."""
    seated = {m.expert_id for m in members}
    experts = list(
        ExpertProfile.objects.filter(body_id=formal.body_id)
        .exclude(pk__in=seated)
        .prefetch_related("relations")
        .order_by("full_name", "pk")
    )
    barred = roster.ineligible(experts, formal.enterprise)
    return [Candidate(e, barred.get(e.pk, [])) for e in experts]


def member_conflicts(formal: FormalAssessment, members: list[TeamMember]) -> dict[int, list[str]]:
    """Team member id → reasons he must step aside (a relation declared after he was added)."""
    experts = list(
        ExpertProfile.objects.filter(pk__in=[m.expert_id for m in members]).prefetch_related("relations")
    )
    barred = roster.ineligible(experts, formal.enterprise)
    return {m.pk: barred[m.expert_id] for m in members if m.expert_id in barred}


@dataclass
class AssignmentRow:
    row_id: str
    name: str
    domain: str
    member_ids: set[int]


def assignment_rows(formal: FormalAssessment) -> list[AssignmentRow]:
    view = sector_view(formal.assessment.catalog_version, formal.assessment.sector)
    chosen: dict[str, set[int]] = {}
    for row_id, member_id in SubdomainAssignment.objects.filter(formal=formal).values_list(
        "row_id", "member_id"
    ):
        chosen.setdefault(row_id, set()).add(member_id)
    return [AssignmentRow(r.id, r.name, r.domain, chosen.get(r.id, set())) for r in view.rows]


@dataclass
class Planning:
    plans: dict[str, AssessmentPlan | None]
    meeting: Meeting | None

    @property
    def pre(self) -> AssessmentPlan | None:
        return self.plans[PlanKind.PRE]

    @property
    def formal_plan(self) -> AssessmentPlan | None:
        return self.plans[PlanKind.FORMAL]


def planning(formal: FormalAssessment) -> Planning:
    plans = {
        p.kind: p
        for p in AssessmentPlan.objects.filter(formal=formal).select_related("updated_by", "confirmed_by")
    }
    meeting = (
        Meeting.objects.filter(formal=formal, kind=MeetingKind.FIRST).select_related("recorded_by").first()
    )
    return Planning({k.value: plans.get(k.value) for k in PlanKind}, meeting)
