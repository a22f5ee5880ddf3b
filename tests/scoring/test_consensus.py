"""The proposed team rating from independent expert ratings."""

from __future__ import annotations

from fractions import Fraction

import pytest

from nfmaturity.scoring.consensus import propose
from nfmaturity.scoring.errors import NoVotesError
from nfmaturity.scoring.ratings import Rating, parse_rating

F = Fraction


def votes(text: str) -> list[Rating]:
    return [parse_rating(v) for v in text.split()]


@pytest.mark.parametrize(
    ("given", "proposal", "spread", "flagged", "unanimous", "majority"),
    [
        ("1 1 1 1 1 1 1", "1", "0", False, True, "1"),
        ("1 1 1 0.8 0.8 0.8 0.5", "0.8", "1/2", True, False, None),  # median of seven
        ("1 0.8 0.8 0.8 1 0.8 1", "0.8", "1/5", False, False, "0.8"),
        ("1 0.8", "0.8", "1/5", False, False, None),  # even: ties go to the lower value
        ("1 0.5 0.8 0.5", "0.5", "1/2", True, False, None),
        ("0 0.5 0.5", "0.5", "1/2", True, False, "0.5"),
        ("0.8 0.5 0.8", "0.8", "3/10", False, False, "0.8"),
        ("1 0", "0", "1", True, False, None),
        ("na na na 1 1", "na", "0", True, False, "na"),  # strict majority of 不适用
        ("na na 1 1", "1", "0", True, False, None),  # half is not a majority: median of the scored votes
        ("na 0.8 0.5", "0.5", "3/10", True, False, None),
        ("na na na", "na", "0", False, True, "na"),
    ],
)
def test_proposal(
    given: str, proposal: str, spread: str, flagged: bool, unanimous: bool, majority: str | None
) -> None:
    result = propose(votes(given))
    assert result.proposal is parse_rating(proposal)
    assert result.spread == F(spread)
    assert result.flagged is flagged
    assert result.unanimous is unanimous
    assert result.majority is (None if majority is None else parse_rating(majority))
    assert result.votes == tuple(votes(given))


def test_flag_reasons_in_chinese() -> None:
    assert propose(votes("1 0.5 na")).reason == "专家评分相差 0.5（≥ 0.5）；专家对是否适用意见不一"
    assert propose(votes("1 0")).reason == "专家评分相差 1.0（≥ 0.5）"
    assert propose(votes("1 0.8")).reason == ""


def test_no_votes() -> None:
    with pytest.raises(NoVotesError, match="没有专家评分"):
        propose([])
