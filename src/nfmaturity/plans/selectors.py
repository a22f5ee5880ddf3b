"""Reads of stored plans (other apps — reports, exports — read plans only through here)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from fractions import Fraction

from django.core.cache import cache
from django.db.models import Prefetch, QuerySet

from nfmaturity.accounts.access import AnyUser
from nfmaturity.assessments.catalogs import sector_view
from nfmaturity.assessments.models import Assessment, AssessmentState, RatingRecord, RatingValue, Result
from nfmaturity.assessments.results import parse_exact
from nfmaturity.assessments.selectors import latest_result
from nfmaturity.formal.access import visible_formal
from nfmaturity.formal.models import FormalAssessment, FormalState
from nfmaturity.plans.models import ActionStatus, ImprovementPlan, PlanAction
from nfmaturity.plans.roadmap import Roadmap, build_roadmap
from nfmaturity.scoring.ratings import SCORED_ASCENDING, Rating


def current_plan(assessment: Assessment) -> ImprovementPlan | None:
    """The enterprise's saved plan made from ``assessment`` (the newest one), with its actions prefetched in
    roadmap order; None when none was saved."""
    return (
        ImprovementPlan.objects.filter(assessment=assessment, superseded=False)
        .select_related("result")
        .prefetch_related(Prefetch("actions", queryset=PlanAction.objects.order_by("position")))
        .order_by("-pk")
        .first()
    )


# ---- the roadmap, computed once per stored result ---------------------------------------------------------

ROADMAP_CACHE_VERSION = 1  # bump when Roadmap changes shape
ROADMAP_CACHE_SECONDS = 24 * 3600


def cached_roadmap(
    assessment: Assessment, result: Result, *, target_grade: int | None, literal: bool
) -> Roadmap:
    """``build_roadmap`` for a submitted result, cached: the result, its pinned content, the target, the path
    and the enterprise's size fully determine it, so nothing has to invalidate an entry."""
    size = assessment.enterprise.size
    key = (
        f"nfm:roadmap:v{ROADMAP_CACHE_VERSION}:{result.pk}:{result.catalog_hash}:{target_grade}:"
        f"{int(literal)}:{size}"
    )
    roadmap: Roadmap | None = cache.get(key)
    if roadmap is None:
        roadmap = build_roadmap(assessment, result, target_grade=target_grade, literal=literal, size=size)
        cache.set(key, roadmap, ROADMAP_CACHE_SECONDS)
    return roadmap


# ---- tracking ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Progress:
    total: int
    done: int
    doing: int
    todo: int
    cancelled: int
    overdue: int

    @property
    def percent(self) -> int:
        """Share done of the actions still planned (cancelled ones left out), rounded down."""
        planned = self.total - self.cancelled
        return 0 if planned == 0 else self.done * 100 // planned


OPEN = (ActionStatus.TODO, ActionStatus.DOING)


def is_overdue(action: PlanAction, today: datetime.date) -> bool:
    return action.due_date is not None and action.due_date < today and action.status in OPEN


def progress_of(actions: list[PlanAction], today: datetime.date) -> Progress:
    count = {status: 0 for status in ActionStatus}
    for action in actions:
        count[ActionStatus(action.status)] += 1
    return Progress(
        total=len(actions),
        done=count[ActionStatus.DONE],
        doing=count[ActionStatus.DOING],
        todo=count[ActionStatus.TODO],
        cancelled=count[ActionStatus.CANCELLED],
        overdue=sum(1 for a in actions if is_overdue(a, today)),
    )


# ---- reflected in the next assessment ---------------------------------------------------------------------


def _same_scope(assessment: Assessment) -> QuerySet[Assessment]:
    """Submitted self-assessments of the same enterprise, unit and sector."""
    same = Assessment.objects.filter(
        enterprise_id=assessment.enterprise_id,
        sector=assessment.sector,
        kind=assessment.kind,
        state=AssessmentState.SUBMITTED,
    )
    if assessment.unit_id is None:
        return same.filter(unit__isnull=True)
    return same.filter(unit_id=assessment.unit_id)


def earlier_plan(assessment: Assessment) -> ImprovementPlan | None:
    """The newest plan made from an earlier submitted assessment of the same unit and sector."""
    if assessment.submitted_at is None:
        return None
    earlier = _same_scope(assessment).filter(submitted_at__lt=assessment.submitted_at)
    return (
        ImprovementPlan.objects.filter(assessment__in=earlier, superseded=False)
        .select_related("assessment", "result")
        .prefetch_related(Prefetch("actions", queryset=PlanAction.objects.order_by("position")))
        .order_by("-assessment__submitted_at", "-pk")
        .first()
    )


def later_assessment(plan: ImprovementPlan) -> Assessment | None:
    """The first assessment of the same unit and sector submitted after the plan's own."""
    made_from = plan.assessment
    if made_from.submitted_at is None:
        return None
    return (
        _same_scope(made_from)
        .filter(submitted_at__gt=made_from.submitted_at)
        .order_by("submitted_at", "pk")
        .first()
    )


@dataclass(frozen=True)
class RequirementChange:
    requirement_id: str
    number: int
    old: str  # rating label when the plan was made
    new: str  # rating label in the later assessment ("—" when the later one does not have it)
    raised: bool


@dataclass(frozen=True)
class ActionOutcome:
    action: PlanAction
    changes: tuple[RequirementChange, ...]
    cell_old: Fraction | None  # the sub-domain's score at the action's level, before and after
    cell_new: Fraction | None

    @property
    def raised(self) -> bool:
        return any(c.raised for c in self.changes)


@dataclass(frozen=True)
class Outcomes:
    plan: ImprovementPlan
    later: Assessment
    later_result: Result
    actions: tuple[ActionOutcome, ...]
    levels: tuple[tuple[int, Fraction, Fraction], ...]  # (level, S_i before, S_i after)

    @property
    def done_and_raised(self) -> int:
        return sum(1 for o in self.actions if o.action.status == ActionStatus.DONE and o.raised)

    @property
    def done(self) -> int:
        return sum(1 for o in self.actions if o.action.status == ActionStatus.DONE)

    @property
    def raised(self) -> int:
        return sum(1 for o in self.actions if o.raised)

    @property
    def notable(self) -> list[ActionOutcome]:
        """Actions done, or whose requirements were rated higher: what the reader looks for first."""
        return [o for o in self.actions if o.raised or o.action.status == ActionStatus.DONE]

    @property
    def unchanged(self) -> list[ActionOutcome]:
        return [o for o in self.actions if not (o.raised or o.action.status == ActionStatus.DONE)]


_ORDER = {value: n for n, value in enumerate(SCORED_ASCENDING)}


def _cell(result: Result, row_id: str, level: int) -> Fraction | None:
    row = result.subdomains.get(row_id) or {}
    return parse_exact((row.get("levels") or {}).get(str(level)))


def outcomes(plan: ImprovementPlan, later: Assessment) -> Outcomes | None:
    """What the later assessment shows for each action of ``plan``: old → new rating of its requirements and
    the change of its sub-domain's score at its level (both read from the stored results)."""
    later_result = latest_result(later)
    if later_result is None:
        return None
    actions = list(plan.actions.all())
    wanted = {rid for a in actions for rid in a.requirement_ids}
    new_values = dict(
        RatingRecord.objects.filter(assessment=later, requirement_id__in=wanted).values_list(
            "requirement_id", "value"
        )
    )
    labels = dict(RatingValue.choices)
    view = sector_view(plan.assessment.catalog_version, plan.assessment.sector)
    rows = []
    for action in actions:
        changes = []
        for rid in action.requirement_ids:
            new = new_values.get(rid)
            old = action.current_rating
            raised = (
                new is not None
                and new != RatingValue.NOT_APPLICABLE
                and _ORDER[Rating(new)] > _ORDER[Rating(old)]
            )
            requirement = view.requirements.get(rid)
            changes.append(
                RequirementChange(
                    requirement_id=rid,
                    number=0 if requirement is None else requirement.number,
                    old=str(labels[old]),
                    new="—" if new is None else str(labels[new]),
                    raised=raised,
                )
            )
        rows.append(
            ActionOutcome(
                action,
                tuple(changes),
                _cell(plan.result, action.row_id, action.level),
                _cell(later_result, action.row_id, action.level),
            )
        )
    levels = tuple(
        (i, Fraction(plan.result.levels[str(i)]), Fraction(later_result.levels[str(i)]))
        for i in sorted({a.level for a in actions})
    )
    return Outcomes(plan, later, later_result, tuple(rows), levels)


def published_formals(user: AnyUser, enterprise_id: int) -> list[FormalAssessment]:
    """The enterprise's published formal assessments ``user`` may open (for the 弱项整改 links)."""
    return list(
        visible_formal(user)
        .filter(enterprise_id=enterprise_id, state=FormalState.PUBLISHED)
        .order_by("-published_at")
    )
