"""The rating scale of Table 2, plus 不适用 (standard-notes §2 rule 4)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from enum import StrEnum
from fractions import Fraction
from types import MappingProxyType


class Rating(StrEnum):
    """How far one requirement is met. Values are the canonical strings used in files and the database."""

    FULL = "1"
    MOSTLY = "0.8"
    PARTLY = "0.5"
    NONE = "0"
    NOT_APPLICABLE = "na"

    @property
    def label(self) -> str:
        return RATING_LABELS[self]

    @property
    def score(self) -> Fraction | None:
        """The exact score of Table 2, or None for 不适用 (it leaves the mean)."""
        return RATING_SCORES[self]


RATING_LABELS: Mapping[Rating, str] = MappingProxyType(
    {
        Rating.FULL: "全部满足",
        Rating.MOSTLY: "大部分满足",
        Rating.PARTLY: "部分满足",
        Rating.NONE: "不满足",
        Rating.NOT_APPLICABLE: "不适用",
    }
)

RATING_SCORES: Mapping[Rating, Fraction | None] = MappingProxyType(
    {
        Rating.FULL: Fraction(1),
        Rating.MOSTLY: Fraction(4, 5),
        Rating.PARTLY: Fraction(1, 2),
        Rating.NONE: Fraction(0),
        Rating.NOT_APPLICABLE: None,
    }
)

# The scored ratings from lowest to highest, for "raise by one step" in gap analysis and planning.
SCORED_ASCENDING: tuple[Rating, ...] = (Rating.NONE, Rating.PARTLY, Rating.MOSTLY, Rating.FULL)

_ALIASES: Mapping[str, Rating] = MappingProxyType(
    {
        **{r.value: r for r in Rating},
        **{r.label: r for r in Rating},
        "1.0": Rating.FULL,
        "0.80": Rating.MOSTLY,
        "0.50": Rating.PARTLY,
        "0.0": Rating.NONE,
        "n/a": Rating.NOT_APPLICABLE,
        "NA": Rating.NOT_APPLICABLE,
        "N/A": Rating.NOT_APPLICABLE,
    }
)


class UnknownRatingError(ValueError):
    def __init__(self, raw: object) -> None:
        super().__init__(
            f"无法识别的评分“{raw}”：应为 全部满足 / 大部分满足 / 部分满足 / 不满足 / 不适用，或 1 / 0.8 / 0.5 / 0 / na"
        )
        self.raw = raw


def parse_rating(raw: object) -> Rating:
    """Read a rating from a file or form: canonical value, Chinese label, or a number."""
    if isinstance(raw, bool):
        raise UnknownRatingError(raw)
    if isinstance(raw, int | float):
        if isinstance(raw, float) and not math.isfinite(raw):
            raise UnknownRatingError(raw)  # inf/nan (e.g. 1e999 in a spreadsheet) have no Fraction
        for rating in SCORED_ASCENDING:
            if rating.score == Fraction(str(raw)):
                return rating
        raise UnknownRatingError(raw)
    if isinstance(raw, str):
        key = raw.strip()
        if key in _ALIASES:
            return _ALIASES[key]
        if key.lower() in _ALIASES:
            return _ALIASES[key.lower()]
    raise UnknownRatingError(raw)
