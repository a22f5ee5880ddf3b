"""What the results page shows, and its explanation and improvement-plan fragments.

One source of truth: a **submitted** assessment is shown from its stored ``Result`` row (the same row every list
and dashboard reads); only a **draft** is scored live by the engine, as a provisional (暂定) result. Nothing here
does score arithmetic: it picks, orders and labels the exact figures of the stored row or of the engine.

Explanation and plan of a submitted result are derived from the engine's full result, re-scored from the locked
ratings and checked against the stored row (``results.recompute_stored``). They are loaded on demand (htmx), never
by the results page itself, and the plan is cached by (result id, catalog content hash, target, path): a submitted
result never changes, so that key fully determines the plan and nothing has to invalidate it.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from django.core.cache import cache

from nfmaturity.assessments.catalogs import SectorView, sector_view
from nfmaturity.assessments.models import Assessment, AssessmentState, Result
from nfmaturity.assessments.results import compute, parse_exact, recompute_stored, shown
from nfmaturity.assessments.selectors import latest_result
from nfmaturity.catalog.model import LEVELS, Row
from nfmaturity.scoring.display import format_percent
from nfmaturity.scoring.explain import explain
from nfmaturity.scoring.gaps import find_gaps
from nfmaturity.scoring.grading import (
    MET_THRESHOLD,
    NO_GRADE,
    THRESHOLD_READING,
    GradeBand,
    counted,
    grade_bands,
    standing,
)
from nfmaturity.scoring.model import ScoreResult
from nfmaturity.scoring.planner import plan

HEAT_CLASSES = ("heat-0", "heat-1", "heat-2", "heat-3", "heat-4")
STANDOUTS = 5  # sub-domains listed as strengths and as weaknesses


def heat_class(value: Fraction | None) -> str:
    """A colour band for a 0..1 cell score (display only): none, <0.5, <0.8, ≥0.8, =1."""
    if value is None:
        return "heat-none"
    if value == 1:
        return "heat-4"
    if value >= MET_THRESHOLD:
        return "heat-3"
    if value >= Fraction(1, 2):
        return "heat-2"
    if value > 0:
        return "heat-1"
    return "heat-0"


@dataclass(frozen=True)
class LevelFigure:
    label: str
    index: int  # 1..5
    score: Fraction
    met: bool

    @property
    def counted(self) -> Fraction:
        return counted(self.score)


@dataclass(frozen=True)
class RowFigure:
    index: int  # position in the questionnaire (used in URLs)
    row: Row
    cells: tuple[tuple[Fraction | None, str, str], ...]  # (C, heat class, explanation target) for S1..S5
    maturity: Fraction | None
    complete: bool  # every requirement of the row is rated (always true once submitted)


@dataclass(frozen=True)
class Figures:
    """Everything the results page shows, from the stored row or from the live engine result."""

    total: Fraction
    grade: GradeBand
    consecutive_level: int
    warning: str | None
    levels: tuple[LevelFigure, ...]
    domains: tuple[tuple[str, Fraction | None], ...]  # questionnaire domain order
    rows: tuple[RowFigure, ...]
    provisional: bool
    unrated_count: int


def _rows(
    view: SectorView,
    levels_of: dict[str, list[Fraction | None]],
    maturity_of: dict[str, Fraction | None],
    incomplete: set[str],
) -> tuple[RowFigure, ...]:
    return tuple(
        RowFigure(
            index=index,
            row=row,
            # The explanation target is built here, once: rendering 190 cells' numbers in the template costs more.
            cells=tuple((s, heat_class(s), f"cell:{index}:{i + 1}") for i, s in enumerate(levels_of[row.id])),
            maturity=maturity_of[row.id],
            complete=row.id not in incomplete,
        )
        for index, row in enumerate(view.rows)
    )


def stored_figures(assessment: Assessment, result: Result) -> Figures:
    """The figures of a submitted assessment, read from its stored ``Result`` (no scoring)."""
    view = sector_view(assessment.catalog_version, assessment.sector)
    bands = grade_bands(view.catalog)
    scores = [Fraction(result.levels[str(i)]) for i in range(1, len(LEVELS) + 1)]
    levels = tuple(
        LevelFigure(level.label, i + 1, scores[i], bool(result.level_met[str(i + 1)]))
        for i, level in enumerate(LEVELS)
    )
    # The stored row keeps the 等级跳跃 flag; the sentence is the grading rule's own, from the stored levels.
    warning = standing(scores, bands).warning if result.level_skip else None
    empty: dict[str, Any] = {}
    levels_of = {
        row.id: [
            parse_exact(result.subdomains.get(row.id, empty).get("levels", empty).get(str(i)))
            for i in range(1, len(LEVELS) + 1)
        ]
        for row in view.rows
    }
    maturity_of = {row.id: parse_exact(result.maturity.get(row.id)) for row in view.rows}
    return Figures(
        total=Fraction(result.total),
        grade=next((b for b in bands if b.level == result.grade), NO_GRADE),
        consecutive_level=result.consecutive_level,
        warning=warning,
        levels=levels,
        domains=tuple(
            (name, parse_exact(result.domains.get(name, empty).get("maturity"))) for name in view.domain_order
        ),
        rows=_rows(view, levels_of, maturity_of, set()),
        provisional=False,
        unrated_count=0,
    )


def live_figures(assessment: Assessment, outcome: ScoreResult) -> Figures:
    """The provisional figures of a draft, from the engine's live result."""
    view = sector_view(assessment.catalog_version, assessment.sector)
    rows = outcome.row_scores()
    domains = {d.domain.name: d.maturity for d in outcome.domains}
    incomplete = {view.requirements[i].row for i in outcome.unrated}
    return Figures(
        total=outcome.total,
        grade=outcome.grade,
        consecutive_level=outcome.consecutive_level,
        warning=outcome.warning,
        levels=tuple(
            LevelFigure(level.label, i + 1, outcome.level_scores[i], outcome.level_met[i])
            for i, level in enumerate(LEVELS)
        ),
        domains=tuple((name, domains.get(name)) for name in view.domain_order),
        rows=_rows(
            view,
            {r.id: list(rows[r.id].level_scores) for r in view.rows},
            {r.id: rows[r.id].maturity for r in view.rows},
            incomplete,
        ),
        provisional=True,
        unrated_count=len(outcome.unrated),
    )


def standouts(figures: Figures) -> tuple[list[RowFigure], list[RowFigure]]:
    """Strengths and weaknesses among the sub-domains.

    Only rows that can be judged are considered: with a maturity (taking part somewhere) and, in a draft, fully
    rated (unrated requirements count as 不满足 there, which says nothing about the enterprise). A strength has a
    maturity above 0 and above the lowest one considered; a weakness is below the highest one. So when every row
    has the same figure, nothing is called either, and a 0.00 row is never a strength.
    """
    judged = [r for r in figures.rows if r.maturity is not None and r.complete]
    if not judged:
        return [], []
    low = min(r.maturity for r in judged if r.maturity is not None)
    high = max(r.maturity for r in judged if r.maturity is not None)
    ranked = sorted(judged, key=lambda r: (-(r.maturity or 0), r.index))
    strengths = [r for r in ranked if r.maturity is not None and r.maturity > 0 and r.maturity > low]
    strengths = strengths[:STANDOUTS]
    chosen = {r.index for r in strengths}
    weaknesses = [
        r for r in reversed(ranked) if r.maturity is not None and r.maturity < high and r.index not in chosen
    ]
    return strengths, weaknesses[:STANDOUTS]


def is_stored(assessment: Assessment) -> bool:
    """Submitted assessments are shown from their stored row; drafts (and withdrawn drafts) are scored live."""
    return assessment.state == AssessmentState.SUBMITTED


def figures_for(assessment: Assessment) -> Figures:
    if not is_stored(assessment):
        return live_figures(assessment, compute(assessment, allow_unrated=True))
    result = latest_result(assessment)
    if result is None:  # a submitted assessment always has one (submit stores it in the same transaction)
        raise LookupError(assessment.pk)
    return stored_figures(assessment, result)


def results_context(assessment: Assessment) -> dict[str, Any]:
    figures = figures_for(assessment)
    view = sector_view(assessment.catalog_version, assessment.sector)
    descriptions = {g.level: g.description for g in view.catalog.grades}
    strengths, weaknesses = standouts(figures)
    return {
        "assessment": assessment,
        "fig": figures,
        "provisional": figures.provisional,
        "grade_description": descriptions.get(figures.grade.level, ""),
        "threshold_reading": THRESHOLD_READING,
        "strengths": strengths,
        "weaknesses": weaknesses,
        "judged_count": sum(1 for r in figures.rows if r.complete and r.maturity is not None),
        "radar": {
            "names": [name for name, _ in figures.domains],
            "values": [shown_or_zero(m) for _, m in figures.domains],
        },
        "has_higher_grade": any(b.level > figures.grade.level for b in grade_bands(view.catalog)),
    }


def shown_or_zero(value: Fraction | None) -> str:
    """A radar value: a domain taking part at no level is drawn at the centre."""
    return "0" if value is None else shown(value)


# ---- explanation -------------------------------------------------------------------------------------------


def engine_result(assessment: Assessment) -> tuple[ScoreResult, Result | None]:
    """The engine's full result: live for a draft; for a submitted assessment re-scored from its locked ratings
    and checked to give exactly the stored row (``StoredResultMismatchError`` otherwise)."""
    if not is_stored(assessment):
        return compute(assessment, allow_unrated=True), None
    result = latest_result(assessment)
    if result is None:
        raise LookupError(assessment.pk)
    return recompute_stored(assessment, result), result


def explain_context(assessment: Assessment, target: str) -> dict[str, Any]:
    """``target`` is "total", "level:<i>" or "cell:<row index>:<i>"."""
    if target == "total":  # the total needs no trace: the page's own figures (stored, once submitted)
        figures = figures_for(assessment)
        return {"kind": "total", "fig": figures, "threshold_reading": THRESHOLD_READING}
    parts = target.split(":")
    if parts[0] == "level" and len(parts) == 2:
        level_index = int(parts[1]) - 1
        if not 0 <= level_index < len(LEVELS):
            raise IndexError(target)
        outcome, _ = engine_result(assessment)
        level = explain(outcome).levels[level_index]
        weights = [
            (
                r,
                None if r.beta is None else format_percent(r.beta),
                None if r.alpha is None else format_percent(r.alpha),
            )
            for r in level.rows
        ]
        return {"kind": "level", "level": level, "weights": weights, "met": outcome.level_met[level_index]}
    if parts[0] == "cell" and len(parts) == 3:
        view = sector_view(assessment.catalog_version, assessment.sector)
        row_index, level_index = int(parts[1]), int(parts[2]) - 1
        if not (0 <= row_index < len(view.rows) and 0 <= level_index < len(LEVELS)):
            raise IndexError(target)
        row = view.rows[row_index]
        outcome, _ = engine_result(assessment)
        level = explain(outcome).levels[level_index]
        row_trace = next(r for r in level.rows if r.row.id == row.id)
        return {
            "kind": "cell",
            "level": level,
            "row_trace": row_trace,
            "unrated": set(outcome.unrated),
            "na_reasons": outcome.na_reasons,
        }
    raise ValueError(target)


# ---- improvement plan --------------------------------------------------------------------------------------

PLAN_PAGE_SIZE = 20
PATH_CONSECUTIVE = "consecutive"  # the default (standard-notes §2 rule 10)
PATH_LITERAL = "literal"  # the cheapest route to the total, shown on request and labelled
PATHS = (PATH_CONSECUTIVE, PATH_LITERAL)
PLAN_CACHE_VERSION = 1  # part of the cache key: bump when ``PlanSummary`` changes shape
PLAN_CACHE_SECONDS = 24 * 3600


@dataclass(frozen=True)
class PlanAction:
    """One action as people read it; plain values only, so a summary caches as a small pickle."""

    domain: str
    row_name: str
    row_index: int
    level: int
    level_label: str
    number: int
    text: str
    current: str
    target: str
    steps: int
    level_gain: Fraction  # how much S_i rises


@dataclass(frozen=True)
class PlanSummary:
    current_grade: str
    target_level: int
    target_label: str
    target_lower: Fraction
    needed: Fraction  # total S missing to reach the target's lower bound
    level_gaps: tuple[tuple[str, Fraction, Fraction], ...]  # unmet levels: (label, S_i, 0.8 − S_i)
    path: str
    reached: bool
    effort: int
    actions: tuple[PlanAction, ...]  # by level, then questionnaire order
    after_total: Fraction
    after_grade: str
    after_consecutive: int
    after_warning: str | None


def target_choices(view: SectorView, current: int) -> list[GradeBand]:
    """The grades above the current one, named as Table 3 names them in the catalog."""
    return [b for b in grade_bands(view.catalog) if b.level > current]


def _summarise(view: SectorView, outcome: ScoreResult, target: int, path: str) -> PlanSummary:
    gaps = find_gaps(outcome, target)
    found = plan(outcome, target, consecutive=path == PATH_CONSECUTIVE)
    assert found.target is not None and gaps.target is not None  # target is a grade above the current one
    actions = sorted(found.actions, key=lambda a: (a.level, view.row_index[a.row.id], a.requirement.number))
    return PlanSummary(
        current_grade=outcome.grade.label,
        target_level=found.target.level,
        target_label=found.target.label,
        target_lower=found.target.lower,
        needed=gaps.needed,
        level_gaps=tuple((g.level.label, g.score, g.shortfall) for g in gaps.levels),
        path=path,
        reached=found.reached,
        effort=found.effort,
        actions=tuple(
            PlanAction(
                domain=a.row.domain,
                row_name=a.row.name,
                row_index=view.row_index[a.row.id],
                level=int(a.level),
                level_label=a.level.label,
                number=a.requirement.number,
                text=a.requirement.text,
                current=a.current.label,
                target=a.target.label,
                steps=a.effort,
                level_gain=a.level_gain,
            )
            for a in actions
        ),
        after_total=found.after.total,
        after_grade=found.after.grade.label,
        after_consecutive=found.after.consecutive_level,
        after_warning=found.after.warning,
    )


def plan_cache_key(result: Result, target: int, path: str) -> str:
    return f"nfm:plan:v{PLAN_CACHE_VERSION}:{result.pk}:{result.catalog_hash}:{target}:{path}"


def plan_summary(
    assessment: Assessment, target: int | None, path: str
) -> tuple[PlanSummary | None, list[GradeBand]]:
    """The plan to ``target`` (default: the next grade) by ``path``, and the grades that may be chosen.

    None when there is no higher grade. Cached for a submitted result; a draft's changes with every rating.
    """
    view = sector_view(assessment.catalog_version, assessment.sector)
    path = path if path in PATHS else PATH_CONSECUTIVE
    if not is_stored(assessment):
        outcome = compute(assessment, allow_unrated=True)
        choices = target_choices(view, outcome.grade.level)
        chosen = _chosen(choices, target)
        return (None if chosen is None else _summarise(view, outcome, chosen, path)), choices
    result = latest_result(assessment)
    if result is None:
        raise LookupError(assessment.pk)
    choices = target_choices(view, result.grade)
    chosen = _chosen(choices, target)
    if chosen is None:
        return None, choices
    key = plan_cache_key(result, chosen, path)
    summary: PlanSummary | None = cache.get(key)
    if summary is None:
        summary = _summarise(view, recompute_stored(assessment, result), chosen, path)
        cache.set(key, summary, PLAN_CACHE_SECONDS)
    return summary, choices


def _chosen(choices: list[GradeBand], target: int | None) -> int | None:
    if not choices:
        return None
    levels = [b.level for b in choices]
    return target if target in levels else levels[0]
