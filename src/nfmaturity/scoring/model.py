"""What scoring returns: frozen, exact results.

The input is a ``SectorCatalog`` plus a mapping requirement id → ``Rating`` and the written reasons of the
不适用 ratings; ``aggregate.score`` checks it and builds a ``ScoreResult``.

Per-row and per-domain *maturity* (a 0..5 figure for radar charts and dashboards) is cumulated the same way as
the total: over the levels where the row (domain) takes part, a level with score ≥ 0.8 counts 1, any other counts
its score. A level where the row takes no part (empty cell, or all 不适用) is skipped and the sum is scaled by
5 / (number of levels taken part in), so rows with empty cells stay on the same 0..5 scale as the others and are
never pulled down by text the standard does not have (standard-notes §2 rule 3). A row with all five levels
is exactly Σ counted(C_i); a row taking part at no level has no maturity (``None``). These figures are for display
and comparison only: the grade is always decided from the total S of the whole assessment.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction

from nfmaturity.catalog.model import Domain, Level, Row, SectorCatalog
from nfmaturity.scoring.grading import Standing, counted
from nfmaturity.scoring.ratings import Rating


def cumulative_maturity(level_scores: Sequence[Fraction | None]) -> Fraction | None:
    """Σ counted(score) over the levels taken part in, scaled to 0..5; None when none is taken part in."""
    taken = [s for s in level_scores if s is not None]
    if not taken:
        return None
    return sum((counted(s) for s in taken), Fraction(0)) * len(level_scores) / len(taken)


@dataclass(frozen=True)
class RowScore:
    """One row (sub-domain, possibly merged) of the catalog: C at each level and its maturity."""

    row: Row
    level_scores: tuple[Fraction | None, ...]  # C_s,i for S1..S5; None where the row takes no part

    @property
    def maturity(self) -> Fraction | None:
        return cumulative_maturity(self.level_scores)

    def at(self, level: Level) -> Fraction | None:
        return self.level_scores[level - 1]


@dataclass(frozen=True)
class DomainScore:
    """One capability domain: B at each level and its maturity."""

    domain: Domain
    level_scores: tuple[Fraction | None, ...]  # B_d,i for S1..S5; None where no row of the domain takes part

    @property
    def maturity(self) -> Fraction | None:
        return cumulative_maturity(self.level_scores)

    def at(self, level: Level) -> Fraction | None:
        return self.level_scores[level - 1]


@dataclass(frozen=True)
class ScoreResult(Standing):
    """A scored assessment: the standing (levels, total, grade, warning) plus everything below it."""

    catalog: SectorCatalog
    ratings: Mapping[str, Rating]  # every requirement of the catalog; unrated ones appear as 不满足
    na_reasons: Mapping[str, str]  # the 不适用 requirements, with their reasons
    unrated: tuple[str, ...]  # requirements scored as 不满足 because they had no rating (provisional result)
    domains: tuple[DomainScore, ...]
    rows: tuple[RowScore, ...]

    @property
    def provisional(self) -> bool:
        """True when some requirements were not rated yet and counted as 不满足."""
        return bool(self.unrated)

    def row_scores(self) -> dict[str, RowScore]:
        return {rs.row.id: rs for rs in self.rows}
