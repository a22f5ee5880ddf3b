"""Who may see or change an improvement plan and a rectification (docs/access.md: 已提交的自评估 … 提升计划).

- A plan belongs to the enterprise: its own people (admins and members alike, as for self-assessments) make
  it, edit and track it.
- The regulators whose jurisdiction covers the enterprise, and the platform admin, read it (they read the
  submitted self-assessment it was made from); they change nothing (403 on a write).
- Everyone else gets the same 404 as for a missing object. Roadmaps exist only for submitted assessments
  (they are made from a stored result): a draft's plan pages are 404 too.
- Rectification (弱项整改) belongs to a published formal assessment: the enterprise writes the measures, the
  team's 组长 confirms or returns them; the rest of the team, the body and the regulators who see the published
  assessment read (``formal.access`` decides who sees it).
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404

from nfmaturity.accounts.access import AnyUser
from nfmaturity.assessments.access import can_fill, get_assessment_for_user
from nfmaturity.assessments.models import Assessment, AssessmentState
from nfmaturity.formal.access import Party, get_formal_for_user
from nfmaturity.formal.models import FormalAssessment, FormalState
from nfmaturity.plans.models import ImprovementPlan, PlanAction


def get_submitted_for_user(user: AnyUser, pk: int, *, write: bool = False) -> Assessment:
    """A submitted self-assessment whose roadmap and plan ``user`` may read (or, with ``write``, make)."""
    assessment = get_assessment_for_user(user, pk)
    if assessment.state != AssessmentState.SUBMITTED:
        raise Http404
    if write and not can_fill(user, assessment):
        raise PermissionDenied
    return assessment


def can_edit_plan(user: AnyUser, plan: ImprovementPlan) -> bool:
    return can_fill(user, plan.assessment)


def get_plan_for_user(user: AnyUser, pk: int, *, write: bool = False) -> ImprovementPlan:
    plan = (
        ImprovementPlan.objects.select_related("assessment__enterprise", "assessment__unit")
        .filter(pk=pk)
        .first()
    )
    if plan is None:
        raise Http404
    get_submitted_for_user(user, plan.assessment_id, write=write)
    return plan


def get_action_for_user(user: AnyUser, pk: int, *, write: bool = False) -> PlanAction:
    action = PlanAction.objects.select_related("plan__assessment__enterprise").filter(pk=pk).first()
    if action is None:
        raise Http404
    get_submitted_for_user(user, action.plan.assessment_id, write=write)
    return action


def get_published_for_user(user: AnyUser, pk: int) -> tuple[FormalAssessment, frozenset[Party]]:
    """A published formal assessment whose weak items ``user`` may see, with his parts in it (404 before
    publication, and for anyone ``formal.access`` does not let see it)."""
    formal, mine = get_formal_for_user(user, pk)
    if formal.state != FormalState.PUBLISHED:
        raise Http404
    return formal, mine


def may_submit_rectification(mine: frozenset[Party]) -> bool:
    """The enterprise's admins act for it in the formal workflow (``formal.access``): they submit measures."""
    return Party.ENTERPRISE_ADMIN in mine


def may_decide_rectification(mine: frozenset[Party]) -> bool:
    return Party.LEADER in mine
