"""Formulas (1)–(3) of the standard, as standard-notes §2 reads them, in exact arithmetic.

* C_s,i — a row's score at level i: the mean of its requirements' ratings there; 不适用 ones leave the mean.
  A row with no requirement at the level (empty cell), or only 不适用 ones, takes no part.
* B_d,i = Σ w·C / Σ w over the rows of domain d that take part (w = the row's Table 1 weight; a merged row
  carries the sum of the sub-domains it covers).
* S_i = Σ α·B / Σ α over the domains with at least one row taking part (α fixed by Table 1).
"""

from __future__ import annotations

from collections.abc import Mapping
from fractions import Fraction
from math import lcm
from types import MappingProxyType

from nfmaturity.catalog.model import LEVELS, SectorCatalog
from nfmaturity.scoring.errors import (
    EmptyLevelError,
    MissingReasonError,
    RequirementsError,
    UnknownRequirementError,
    UnratedRequirementError,
)
from nfmaturity.scoring.grading import grade_bands, standing
from nfmaturity.scoring.layout import Layout, layout_of
from nfmaturity.scoring.model import DomainScore, RowScore, ScoreResult
from nfmaturity.scoring.ratings import RATING_SCORES, Rating

# Ratings in tenths, so a row's sum is plain integer arithmetic; None for 不适用.
TENTHS: Mapping[Rating, int | None] = MappingProxyType(
    {r: None if s is None else int(s * 10) for r, s in RATING_SCORES.items()}
)


def check_ratings(
    catalog: SectorCatalog,
    ratings: Mapping[str, Rating],
    na_reasons: Mapping[str, str] | None = None,
    *,
    allow_unrated: bool = False,
) -> tuple[RequirementsError, ...]:
    """Every problem that stops ``score``, each listing all the requirements concerned (empty: all fine).

    Reasons given for requirements that are not rated 不适用 are ignored, not refused: a workbook may keep a
    reason next to a rating that was changed afterwards.
    """
    reasons = na_reasons or {}
    layout = layout_of(catalog)
    problems: list[RequirementsError] = []
    unknown = [i for i in ratings if i not in layout.known]
    unknown_reasons = [i for i in reasons if i not in layout.known and i not in ratings]
    if unknown or unknown_reasons:
        problems.append(UnknownRequirementError(unknown + unknown_reasons))
    if not allow_unrated and len(ratings) - len(unknown) < len(layout.known):
        problems.append(UnratedRequirementError(i for i in layout.requirement_ids if i not in ratings))
    no_reason = [
        i
        for i in layout.requirement_ids
        if ratings.get(i) is Rating.NOT_APPLICABLE and not (reasons.get(i) or "").strip()
    ]
    if no_reason:
        problems.append(MissingReasonError(no_reason))
    return tuple(problems)


def score(
    catalog: SectorCatalog,
    ratings: Mapping[str, Rating],
    *,
    na_reasons: Mapping[str, str] | None = None,
    allow_unrated: bool = False,
) -> ScoreResult:
    """Score one assessment exactly.

    Raises the first problem ``check_ratings`` finds (unknown ids, then unrated requirements, then 不适用
    without a reason), or ``EmptyLevelError`` when nothing at a level can be scored. With
    ``allow_unrated=True`` unrated requirements count as 不满足 and are listed in ``ScoreResult.unrated``
    (a provisional result while a self-assessment is in progress).
    """
    problems = check_ratings(catalog, ratings, na_reasons, allow_unrated=allow_unrated)
    if problems:
        raise problems[0]
    layout = layout_of(catalog)
    unrated = tuple(i for i in layout.requirement_ids if i not in ratings)
    effective = {i: ratings.get(i, Rating.NONE) for i in layout.requirement_ids}
    reasons = na_reasons or {}
    na = {i: reasons[i].strip() for i, r in effective.items() if r is Rating.NOT_APPLICABLE}
    return _result(layout, effective, na, unrated)


def _result(
    layout: Layout, ratings: Mapping[str, Rating], na_reasons: Mapping[str, str], unrated: tuple[str, ...]
) -> ScoreResult:
    catalog = layout.catalog
    row_levels: dict[str, list[Fraction | None]] = {row.id: [None] * len(LEVELS) for row in catalog.rows}
    domain_levels: dict[str, list[Fraction | None]] = {d.name: [None] * len(LEVELS) for d in catalog.domains}
    level_scores = []
    for index, domains in enumerate(layout.levels):
        level_sum = Fraction(0)
        level_units = 0
        for dl in domains:
            # B = Σ w·T/(10n) / Σ w, summed over a common denominator 10·lcm(n) in whole numbers.
            taking_part: list[tuple[int, int, int]] = []  # (w units, tenths, n)
            for cell in dl.cells:
                tenths = n = 0
                for requirement in cell.requirements:
                    value = TENTHS[ratings[requirement.id]]
                    if value is not None:
                        tenths += value
                        n += 1
                if n:
                    row_levels[cell.row.id][index] = Fraction(tenths, 10 * n)
                    taking_part.append((cell.units, tenths, n))
            if taking_part:
                common = lcm(*(n for _, _, n in taking_part))
                b = Fraction(
                    sum(w * t * (common // n) for w, t, n in taking_part),
                    10 * common * sum(w for w, _, _ in taking_part),
                )
                domain_levels[dl.domain.name][index] = b
                level_sum += dl.units * b
                level_units += dl.units
        if not level_units:
            raise EmptyLevelError(LEVELS[index])
        level_scores.append(level_sum / level_units)
    base = standing(level_scores, grade_bands(catalog))
    return ScoreResult(
        level_scores=base.level_scores,
        level_met=base.level_met,
        total=base.total,
        grade=base.grade,
        consecutive_level=base.consecutive_level,
        warning=base.warning,
        catalog=catalog,
        ratings=MappingProxyType(dict(ratings)),
        na_reasons=MappingProxyType(dict(na_reasons)),
        unrated=unrated,
        domains=tuple(DomainScore(d, tuple(domain_levels[d.name])) for d in catalog.domains),
        rows=tuple(RowScore(row, tuple(row_levels[row.id])) for row in catalog.rows),
    )
