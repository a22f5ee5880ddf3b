"""What the results page shows, taken from the engine's result and explanation trace.

Nothing here does score arithmetic: it picks, orders and labels the engine's exact figures.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from nfmaturity.assessments.catalogs import sector_view
from nfmaturity.assessments.models import Assessment
from nfmaturity.assessments.results import compute, shown
from nfmaturity.assessments.selectors import latest_result
from nfmaturity.catalog.model import LEVELS
from nfmaturity.scoring.explain import explain
from nfmaturity.scoring.gaps import find_gaps
from nfmaturity.scoring.grading import MET_THRESHOLD, THRESHOLD_READING, counted
from nfmaturity.scoring.model import ScoreResult
from nfmaturity.scoring.planner import plan

HEAT_CLASSES = ("heat-0", "heat-1", "heat-2", "heat-3", "heat-4")


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


def results_context(assessment: Assessment) -> dict[str, Any]:
    outcome = compute(assessment, allow_unrated=assessment.is_draft)
    view = sector_view(assessment.catalog_version, assessment.sector)
    descriptions = {g.level: g.description for g in view.catalog.grades}
    levels = [
        {
            "label": level.label,
            "index": int(level),
            "score": outcome.level_scores[i],
            "met": outcome.level_met[i],
            "counted": counted(outcome.level_scores[i]),
        }
        for i, level in enumerate(LEVELS)
    ]
    row_scores = outcome.row_scores()
    heat = []
    for index, row in enumerate(view.rows):
        rs = row_scores[row.id]
        heat.append(
            {
                "index": index,
                "row": row,
                "cells": [(i + 1, s, heat_class(s)) for i, s in enumerate(rs.level_scores)],
                "maturity": rs.maturity,
            }
        )
    ranked = sorted(
        (h for h in heat if h["maturity"] is not None), key=lambda h: (-h["maturity"], h["index"])
    )
    domain_names = [d.domain.name for d in outcome.domains]
    return {
        "assessment": assessment,
        "outcome": outcome,
        "stored": latest_result(assessment),
        "provisional": assessment.is_draft,
        "unrated_count": len(outcome.unrated),
        "grade_description": descriptions.get(outcome.grade.level, ""),
        "levels": levels,
        "threshold": MET_THRESHOLD,
        "threshold_reading": THRESHOLD_READING,
        "heat": heat,
        "strengths": ranked[:5],
        "weaknesses": list(reversed(ranked[-5:])),
        "radar": {
            "names": domain_names,
            "values": [shown(d.maturity) if d.maturity is not None else "0" for d in outcome.domains],
        },
        "domains": outcome.domains,
        "plan": plan_context(outcome),
    }


TOP_ACTIONS = 10


def plan_context(outcome: ScoreResult) -> dict[str, Any] | None:
    """The gap to the next grade (gap analysis) and the planner's least-effort actions to reach it."""
    gaps = find_gaps(outcome)
    if gaps.target is None:
        return None
    improvement = plan(outcome)
    actions = sorted(improvement.actions, key=lambda a: (-a.level_gain, a.level, a.requirement.id))
    return {
        "gaps": gaps,
        "plan": improvement,
        "actions": actions[:TOP_ACTIONS],
        "more": max(0, len(actions) - TOP_ACTIONS),
        "ranking": improvement.ranking[:TOP_ACTIONS],
    }


def explain_context(assessment: Assessment, target: str) -> dict[str, Any]:
    """``target`` is "total", "level:<i>" or "cell:<row index>:<i>"."""
    outcome = compute(assessment, allow_unrated=assessment.is_draft)
    if target == "total":
        return {
            "kind": "total",
            "outcome": outcome,
            "levels": [
                (LEVELS[i], s, outcome.level_met[i], counted(s)) for i, s in enumerate(outcome.level_scores)
            ],
            "threshold_reading": THRESHOLD_READING,
        }
    trace = explain(outcome)
    parts = target.split(":")
    if parts[0] == "level" and len(parts) == 2:
        level = trace.levels[int(parts[1]) - 1]
        return {"kind": "level", "level": level, "met": outcome.level_met[int(level.level) - 1]}
    if parts[0] == "cell" and len(parts) == 3:
        view = sector_view(assessment.catalog_version, assessment.sector)
        row = view.rows[int(parts[1])]
        level = trace.levels[int(parts[2]) - 1]
        row_trace = next(r for r in level.rows if r.row.id == row.id)
        return {
            "kind": "cell",
            "level": level,
            "row_trace": row_trace,
            "unrated": set(outcome.unrated),
            "na_reasons": outcome.na_reasons,
        }
    raise ValueError(target)
