"""What holds an assessment back from the next grade (standard-notes §2 rule 10).

Raising a requirement from rating a to 全部满足 adds (1 − a) × β × α/Σα / n to S_i. It changes the total only
while the level is unmet: an unmet level counts its score, a met one counts 1, so the gain in total S is
counted(S_i + δ) − S_i — the rise itself while it stays under 0.8, the whole way to 1 once it reaches 0.8.
Gains are for one action taken alone; the planner (``planner.py``) combines them.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import TypeVar

from nfmaturity.catalog.model import LEVELS, Level, Requirement, Row
from nfmaturity.scoring.explain import row_weights
from nfmaturity.scoring.grading import MET_THRESHOLD, GradeBand, counted, grade_bands, target_band
from nfmaturity.scoring.layout import layout_of
from nfmaturity.scoring.model import ScoreResult
from nfmaturity.scoring.ratings import Rating


@dataclass(frozen=True)
class LevelGap:
    """An unmet level."""

    level: Level
    score: Fraction
    shortfall: Fraction  # 0.8 − S_i: how far the level is from being met
    gain: Fraction  # 1 − S_i: what meeting it adds to the total


@dataclass(frozen=True)
class RowGap:
    """A row at an unmet level, if all its requirements there were raised to 全部满足."""

    row: Row
    level: Level
    score: Fraction  # C
    gain: Fraction  # in total S


@dataclass(frozen=True)
class RequirementGap:
    """A requirement at an unmet level, if it were raised to 全部满足."""

    requirement: Requirement
    row: Row
    rating: Rating
    gain: Fraction  # in total S


@dataclass(frozen=True)
class GapReport:
    total: Fraction
    grade: GradeBand
    target: GradeBand | None  # the grade asked for (default the next one); None at the top grade
    needed: Fraction  # how much total S is missing to reach ``target`` (0 when reached or no target)
    levels: tuple[LevelGap, ...]  # unmet levels, S1 first
    rows: tuple[RowGap, ...]  # largest gain first
    requirements: tuple[RequirementGap, ...]  # largest gain first


def find_gaps(result: ScoreResult, target: int | None = None) -> GapReport:
    band = target_band(grade_bands(result.catalog), result.grade, target)
    needed = max(band.lower - result.total, Fraction(0)) if band else Fraction(0)
    layout = layout_of(result.catalog)
    weights = row_weights(result)
    row_scores = result.row_scores()
    levels, rows, requirements = [], [], []
    for index, s in enumerate(result.level_scores):
        if result.level_met[index]:
            continue
        level = LEVELS[index]
        levels.append(LevelGap(level, s, MET_THRESHOLD - s, 1 - s))
        for cell in layout.cells(index):
            c = row_scores[cell.row.id].level_scores[index]
            if c is None or c == 1:
                continue
            beta, alpha = weights[index][cell.row.id]
            weight = beta * alpha
            rows.append(RowGap(cell.row, level, c, counted(s + (1 - c) * weight) - s))
            ratings = [result.ratings[r.id] for r in cell.requirements]
            unit = weight / sum(1 for r in ratings if r is not Rating.NOT_APPLICABLE)
            gains: dict[Rating, Fraction] = {}  # within a cell the gain depends on the rating only
            for requirement, rating in zip(cell.requirements, ratings, strict=True):
                if rating.score is not None and rating is not Rating.FULL:
                    if rating not in gains:
                        gains[rating] = counted(s + (1 - rating.score) * unit) - s
                    requirements.append(RequirementGap(requirement, cell.row, rating, gains[rating]))
    return GapReport(
        total=result.total,
        grade=result.grade,
        target=band,
        needed=needed,
        levels=tuple(levels),
        rows=_ranked(rows),
        requirements=_ranked(requirements),
    )


_Gap = TypeVar("_Gap", RowGap, RequirementGap)


def _ranked(gaps: list[_Gap]) -> tuple[_Gap, ...]:
    """Largest gain first, ties in catalog order.

    Comparing and hashing Fractions is slow and a cell's requirements share one gain object, so the distinct
    objects are ranked once (equal values get equal ranks) and the list is sorted on those whole numbers.
    """
    distinct = sorted({id(g.gain): g.gain for g in gaps}.items(), key=lambda item: item[1], reverse=True)
    rank: dict[int, int] = {}
    previous = None
    for key, gain in distinct:
        rank[key] = len(rank) if previous is None or gain != previous else rank[id(previous)]
        previous = gain
    return tuple(sorted(gaps, key=lambda g: rank[id(g.gain)]))
