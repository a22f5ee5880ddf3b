"""Reading ratings from files and forms (Table 2 plus 不适用)."""

from __future__ import annotations

from fractions import Fraction

import pytest

from nfmaturity.scoring.ratings import Rating, UnknownRatingError, parse_rating


@pytest.mark.parametrize(
    ("raw", "rating"),
    [
        ("1", Rating.FULL),
        (" 全部满足 ", Rating.FULL),
        (1, Rating.FULL),
        (1.0, Rating.FULL),
        ("0.8", Rating.MOSTLY),
        (0.8, Rating.MOSTLY),
        ("大部分满足", Rating.MOSTLY),
        ("0.50", Rating.PARTLY),
        (0, Rating.NONE),
        ("不满足", Rating.NONE),
        ("na", Rating.NOT_APPLICABLE),
        ("N/A", Rating.NOT_APPLICABLE),
        ("Na", Rating.NOT_APPLICABLE),
        ("不适用", Rating.NOT_APPLICABLE),
    ],
)
def test_it_reads_values_labels_and_numbers(raw: object, rating: Rating) -> None:
    assert parse_rating(raw) is rating


@pytest.mark.parametrize("raw", [True, 0.7, 2, "2", "满足", None, [1]])
def test_it_refuses_anything_else_in_chinese(raw: object) -> None:
    with pytest.raises(UnknownRatingError, match="无法识别的评分") as caught:
        parse_rating(raw)
    assert caught.value.raw == raw


def test_scores_and_labels() -> None:
    assert [r.score for r in Rating] == [Fraction(1), Fraction(4, 5), Fraction(1, 2), Fraction(0), None]
    assert Rating.MOSTLY.label == "大部分满足"


@pytest.mark.parametrize("raw", [float("inf"), float("-inf"), float("nan"), 1e999])
def test_it_refuses_non_finite_numbers_as_unknown_ratings(raw: float) -> None:
    with pytest.raises(UnknownRatingError, match="无法识别的评分"):
        parse_rating(raw)
