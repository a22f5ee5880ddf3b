"""Showing exact scores: truncated to two decimals by the scoring core's display rule, never rounded."""

from __future__ import annotations

from decimal import ROUND_DOWN, Decimal
from fractions import Fraction

from django import template

from nfmaturity.assessments.results import parse_exact, shown

register = template.Library()


@register.filter
def score2(value: Fraction | str | None) -> str:
    """Fraction or stored "n/d" string → "0.83"; None → "—"."""
    if isinstance(value, str):
        return shown(parse_exact(value))
    return shown(value)


@register.filter
def get_item(mapping: dict, key: object) -> object:  # type: ignore[type-arg]
    return mapping.get(key) if mapping else None


@register.filter
def bar_width(value: Fraction | None) -> str:
    """A 0..1 score as a CSS percentage for bars ("80.00%"), truncated like every shown figure."""
    from nfmaturity.scoring.display import format_percent

    return "0%" if value is None else format_percent(min(value, Fraction(1)))


@register.filter
def gain4(value: Fraction) -> str:
    """A small gain of one action, truncated to four decimals: two would show most of them as +0.00."""
    from nfmaturity.scoring.display import format_truncated

    return format_truncated(value, 4)


@register.filter
def shown_decimal(value: Decimal | None) -> str:
    """A stored two-decimal figure ("total_shown") as text. Read through a subquery, SQLite hands it back
    unquantized (1.72000000000000), so quantize it again, towards zero like every shown figure."""
    if value is None:
        return "—"
    return str(Decimal(value).quantize(Decimal("0.01"), rounding=ROUND_DOWN))
