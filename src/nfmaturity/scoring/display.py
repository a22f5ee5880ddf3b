"""How exact scores are written out.

Figures for people are **truncated**, never rounded (standard-notes §2 rule 7): 1.7999 shows as 1.79, so a shown
figure never reaches a band edge that the exact value did not. Machine output (JSON) carries 12 decimals,
rounded half-even from the exact value; grades and met flags are always decided on the exact value, never on
either string.
"""

from __future__ import annotations

from fractions import Fraction


def _fixed(units: int, digits: int) -> str:
    """Write ``units / 10**digits`` with exactly ``digits`` (≥ 1) decimals."""
    sign = "-" if units < 0 else ""
    whole, part = divmod(abs(units), 10**digits)
    return f"{sign}{whole}.{part:0{digits}d}"


def format_truncated(value: Fraction, digits: int = 2) -> str:
    """``value`` cut (towards zero) to ``digits`` decimals: Fraction(1799, 1000) → "1.79"."""
    return _fixed(int(value * 10**digits), digits)  # int() of a Fraction truncates towards zero


def format_decimal12(value: Fraction) -> str:
    """``value`` with exactly 12 decimals, rounded half-even from the exact value."""
    return _fixed(round(value * 10**12), 12)


def format_percent(value: Fraction, digits: int = 2) -> str:
    """A share as a truncated percentage: Fraction(1, 3) → "33.33%"."""
    return format_truncated(value * 100, digits) + "%"
