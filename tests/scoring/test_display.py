"""Figures for people are truncated, JSON figures rounded half-even at 12 decimals: both from exact values."""

from __future__ import annotations

from fractions import Fraction

import pytest

from nfmaturity.scoring.display import format_decimal12, format_percent, format_truncated


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (Fraction(17999, 10000), "1.79"),  # never reaches the 1.8 band edge the exact value did not
        (Fraction(9, 5), "1.80"),
        (Fraction(5), "5.00"),
        (Fraction(0), "0.00"),
        (Fraction(2, 3), "0.66"),
        (Fraction(-2, 3), "-0.66"),
        (Fraction(-1, 1000), "0.00"),
    ],
)
def test_it_truncates_to_two_decimals(value: Fraction, shown: str) -> None:
    assert format_truncated(value) == shown


def test_it_truncates_to_more_digits_when_asked() -> None:
    assert format_truncated(Fraction(1, 3), 4) == "0.3333"


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (Fraction(5, 2), "2.500000000000"),
        (Fraction(2, 3), "0.666666666667"),
        (Fraction(1, 3), "0.333333333333"),
        (Fraction(1, 2 * 10**12), "0.000000000000"),  # half to even: 0.5e-12 → 0
        (Fraction(3, 2 * 10**12), "0.000000000002"),  # half to even: 1.5e-12 → 2
        (Fraction(-2, 3), "-0.666666666667"),
        (Fraction(5), "5.000000000000"),
    ],
)
def test_it_writes_twelve_decimals_rounded_half_even(value: Fraction, shown: str) -> None:
    assert format_decimal12(value) == shown


def test_it_writes_truncated_percentages() -> None:
    assert format_percent(Fraction(1, 3)) == "33.33%"
    assert format_percent(Fraction(1)) == "100.00%"
