"""Aligned plain-text tables for the terminal, counting CJK characters as two columns."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence


def display_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def pad(text: str, width: int, right: bool = False) -> str:
    fill = " " * max(0, width - display_width(text))
    return fill + text if right else text + fill


def render(header: Sequence[str], rows: Sequence[Sequence[str]], right: Sequence[bool] | None = None) -> str:
    """Render rows under a header; ``right`` marks the columns to right-align (numbers)."""
    align = list(right) if right is not None else [False] * len(header)
    widths = [display_width(h) for h in header]
    for row in rows:
        widths = [max(w, display_width(c)) for w, c in zip(widths, row, strict=True)]
    lines = ["  ".join(pad(h, w, a) for h, w, a in zip(header, widths, align, strict=True))]
    lines.append("  ".join("-" * w for w in widths))
    for row in rows:
        lines.append("  ".join(pad(c, w, a) for c, w, a in zip(row, widths, align, strict=True)))
    return "\n".join(line.rstrip() for line in lines)
