"""From five level scores to the conclusion: met levels, total S, grade of Table 3, 等级跳跃 warning.

Every decision here is taken on exact ``Fraction`` values (standard-notes §2 rules 5–7).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

from nfmaturity.catalog.model import LEVELS, Grade, SectorCatalog
from nfmaturity.scoring.errors import TargetGradeError

# A level is met when its score reaches the band table's lowest score, closed (standard-notes §2 rule 5: the
# clause says 超过, which would exclude exactly 0.8 — the common case "all 大部分满足").
MET_THRESHOLD = Fraction(4, 5)
THRESHOLD_READING = "某等级得分 ≥ 0.8 即视为满足该等级（按表3得分区间的闭合下限理解条文中的“超过”）"

GRADE_JUMP = "等级跳跃"

_NUMERALS = ("零", "一", "二", "三", "四", "五")


@dataclass(frozen=True)
class GradeBand:
    """One band of Table 3 in exact numbers; level 0 is 未达到一级 (below the first band)."""

    level: int
    name: str
    lower: Fraction
    upper: Fraction
    upper_closed: bool

    @property
    def label(self) -> str:
        """ "二级 场景级", or "未达到一级"."""
        return f"{_NUMERALS[self.level]}级 {self.name}" if self.level else self.name

    def contains(self, total: Fraction) -> bool:
        return self.lower <= total and (total <= self.upper if self.upper_closed else total < self.upper)


# Table 3 of the standard, used when a catalog carries no grade table of its own.
STANDARD_GRADES: tuple[GradeBand, ...] = (
    GradeBand(1, "规范级", Fraction(4, 5), Fraction(9, 5), upper_closed=False),
    GradeBand(2, "场景级", Fraction(9, 5), Fraction(14, 5), upper_closed=False),
    GradeBand(3, "领域级", Fraction(14, 5), Fraction(19, 5), upper_closed=False),
    GradeBand(4, "平台级", Fraction(19, 5), Fraction(24, 5), upper_closed=False),
    GradeBand(5, "生态级", Fraction(24, 5), Fraction(5), upper_closed=True),
)

NO_GRADE = GradeBand(0, "未达到一级", Fraction(0), Fraction(4, 5), upper_closed=False)


def grade_bands(catalog: SectorCatalog) -> tuple[GradeBand, ...]:
    """The catalog's grade table in exact numbers (Table 3 itself when the catalog has none)."""
    if not catalog.grades:
        return STANDARD_GRADES
    return bands_of(catalog.grades)


def bands_of(grades: Sequence[Grade]) -> tuple[GradeBand, ...]:
    """A grade table (catalog.loader.grade_table, or a catalog's grades) in exact numbers, lowest first."""
    return tuple(
        GradeBand(g.level, g.name, Fraction(g.lower), Fraction(g.upper), g.upper_closed)
        for g in sorted(grades, key=lambda g: g.level)
    )


def counted(score: Fraction) -> Fraction:
    """What a level adds to the total: 1 when met, else its actual score."""
    return Fraction(1) if score >= MET_THRESHOLD else score


def grade_of(total: Fraction, bands: Sequence[GradeBand]) -> GradeBand:
    for band in bands:
        if band.contains(total):
            return band
    return NO_GRADE


@dataclass(frozen=True)
class Standing:
    """The conclusion drawn from five level scores (S1..S5)."""

    level_scores: tuple[Fraction, ...]
    level_met: tuple[bool, ...]
    total: Fraction
    grade: GradeBand
    consecutive_level: int  # highest level k with S1..Sk all met; 0 when S1 is unmet
    warning: str | None  # 等级跳跃 message when grade > consecutive_level

    @property
    def grade_jump(self) -> bool:
        return self.warning is not None


def standing(level_scores: Sequence[Fraction], bands: Sequence[GradeBand]) -> Standing:
    """Met flags, literal total (no gating, rule 6), grade, consecutive level and warning."""
    scores = tuple(level_scores)
    met = tuple(s >= MET_THRESHOLD for s in scores)
    total = sum((counted(s) for s in scores), Fraction(0))
    grade = grade_of(total, bands)
    consecutive = next((i for i, ok in enumerate(met) if not ok), len(met))
    warning = None
    if grade.level > consecutive:
        unmet = LEVELS[consecutive].label
        held = (
            f"连续满足的最高等级为 {LEVELS[consecutive - 1].label}" if consecutive else "没有连续满足的等级"
        )
        warning = (
            f"{GRADE_JUMP}：按总分评定为{grade.label}，但 {unmet} 未达到 0.8，{held}；"
            "该等级部分依赖更高等级的得分"
        )
    return Standing(scores, met, total, grade, consecutive, warning)


def target_band(
    bands: Sequence[GradeBand], current: GradeBand, target: int | None = None
) -> GradeBand | None:
    """The band of grade ``target`` (default: the grade after ``current``; None when ``current`` is the top)."""
    wanted = current.level + 1 if target is None else target
    for band in bands:
        if band.level == wanted:
            return band
    if target is None:
        return None
    raise TargetGradeError(target)
