"""The report's charts, rendered on the server: SVG written here for the PDF (vector, text stays text, no
plotting library on the PDF path), and matplotlib PNGs for the Word report (Word does not take SVG everywhere).

Charts only draw figures the report prints next to them; the values come in as the shown (truncated) figures.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from html import escape

from nfmaturity.reports.fonts import register_for_matplotlib

MET_LINE = 0.8
GREEN = "#2f8f46"
AMBER = "#d08a16"
INK = "#1f2d3d"
# Named on the <svg> element so WeasyPrint does not fall back to another face (it drew Japanese glyph forms).
SVG_FONT = 'font-family="Noto Serif CJK SC"'
GRID = "#c7ced6"
FILL = "#2b6cb0"


def _f(value: float) -> str:
    return f"{value:.1f}"


def radar_svg(names: Sequence[str], values: Sequence[float], *, maximum: float = 5.0, size: int = 420) -> str:
    """A radar of the domains' maturity (0..maximum), labels outside the rings."""
    count = len(names)
    cx = cy = size / 2
    radius = size * 0.32
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {size} {size}" width="{size}" height="{size}" '
        f'class="chart radar" {SVG_FONT} role="img" aria-label="能力域成熟度雷达图">'
    ]

    def point(index: int, fraction: float) -> tuple[float, float]:
        angle = -math.pi / 2 + 2 * math.pi * index / count
        return cx + radius * fraction * math.cos(angle), cy + radius * fraction * math.sin(angle)

    for ring in range(1, int(maximum) + 1):
        ring_points = " ".join(
            f"{_f(x)},{_f(y)}" for x, y in (point(i, ring / maximum) for i in range(count))
        )
        parts.append(f'<polygon points="{ring_points}" fill="none" stroke="{GRID}" stroke-width="0.8"/>')
        x, y = point(0, ring / maximum)
        parts.append(f'<text x="{_f(x + 4)}" y="{_f(y + 4)}" font-size="9" fill="#6b7785">{ring}</text>')
    for i in range(count):
        x, y = point(i, 1)
        parts.append(
            f'<line x1="{_f(cx)}" y1="{_f(cy)}" x2="{_f(x)}" y2="{_f(y)}" stroke="{GRID}" stroke-width="0.8"/>'
        )
    shape = " ".join(
        f"{_f(x)},{_f(y)}"
        for x, y in (point(i, max(0.0, min(v, maximum)) / maximum) for i, v in enumerate(values))
    )
    parts.append(
        f'<polygon points="{shape}" fill="{FILL}" fill-opacity="0.25" stroke="{FILL}" stroke-width="2"/>'
    )
    for i, v in enumerate(values):
        x, y = point(i, max(0.0, min(v, maximum)) / maximum)
        parts.append(f'<circle cx="{_f(x)}" cy="{_f(y)}" r="3" fill="{FILL}"/>')
    for i, name in enumerate(names):
        x, y = point(i, 1.16)
        anchor = "middle" if abs(x - cx) < 8 else ("start" if x > cx else "end")
        parts.append(
            f'<text x="{_f(x)}" y="{_f(y + 4)}" font-size="12" text-anchor="{anchor}" fill="{INK}">{escape(name)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def levels_svg(
    labels: Sequence[str], scores: Sequence[float], shown: Sequence[str], *, width: int = 520
) -> str:
    """Horizontal bars of the five level scores (0..1) with the 0.8 line; each bar carries its shown figure."""
    row = 30
    left, right = 40, 60
    height = row * len(labels) + 30
    span = width - left - right
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'class="chart levels" {SVG_FONT} role="img" aria-label="各等级得分与满足线">'
    ]
    for i, (label, score, text) in enumerate(zip(labels, scores, shown, strict=True)):
        y = 10 + i * row
        colour = GREEN if score >= MET_LINE else AMBER
        parts.append(
            f'<text x="{left - 8}" y="{y + 15}" font-size="12" text-anchor="end" fill="{INK}">{escape(label)}</text>'
        )
        parts.append(
            f'<rect x="{left}" y="{y + 3}" width="{span}" height="16" fill="#eef1f4" stroke="{GRID}" stroke-width="0.6"/>'
        )
        parts.append(
            f'<rect x="{left}" y="{y + 3}" width="{_f(span * max(0.0, min(score, 1.0)))}" height="16" fill="{colour}"/>'
        )
        parts.append(
            f'<text x="{left + span + 6}" y="{y + 15}" font-size="12" fill="{INK}">{escape(text)}</text>'
        )
    x = left + span * MET_LINE
    bottom = 10 + row * len(labels)
    parts.append(
        f'<line x1="{_f(x)}" y1="6" x2="{_f(x)}" y2="{bottom}" stroke="#c0392b" stroke-width="1.5" stroke-dasharray="4 3"/>'
    )
    parts.append(
        f'<text x="{_f(x)}" y="{bottom + 14}" font-size="10" text-anchor="middle" fill="#c0392b">满足线 0.8</text>'
    )
    parts.append("</svg>")
    return "".join(parts)


def _agg() -> None:
    """matplotlib is imported late (it is slow and only the Word report needs it), without a display."""
    import matplotlib

    matplotlib.use("Agg")


def radar_png(names: Sequence[str], values: Sequence[float], *, maximum: float = 5.0) -> bytes:
    family = register_for_matplotlib()
    _agg()
    from matplotlib import pyplot as plt
    from matplotlib.projections.polar import PolarAxes

    with plt.rc_context(
        {"font.family": "sans-serif", "font.sans-serif": [family], "axes.unicode_minus": False}
    ):
        figure = plt.figure(figsize=(5.2, 4.6), dpi=150)
        axes = figure.add_subplot(projection="polar")
        assert isinstance(axes, PolarAxes)
        angles = [2 * math.pi * i / len(names) for i in range(len(names))]
        closed = [*values, values[0]]
        axes.set_theta_offset(math.pi / 2)  # the first domain at the top, then clockwise, as in the PDF
        axes.set_theta_direction(-1)
        axes.plot([*angles, angles[0]], closed, color=FILL, linewidth=2)
        axes.fill([*angles, angles[0]], closed, color=FILL, alpha=0.25)
        axes.set_xticks(angles)
        axes.set_xticklabels(list(names), fontsize=10)
        axes.set_ylim(0, maximum)
        axes.set_yticks([1, 2, 3, 4, 5])
        axes.set_yticklabels(["1", "2", "3", "4", "5"], fontsize=8, color="#6b7785")
        figure.tight_layout()
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png")
        plt.close(figure)
    return buffer.getvalue()


def levels_png(labels: Sequence[str], scores: Sequence[float], shown: Sequence[str]) -> bytes:
    family = register_for_matplotlib()
    _agg()
    from matplotlib import pyplot as plt

    with plt.rc_context(
        {"font.family": "sans-serif", "font.sans-serif": [family], "axes.unicode_minus": False}
    ):
        figure = plt.figure(figsize=(5.6, 2.4), dpi=150)
        axes = figure.add_subplot()
        positions = list(range(len(labels)))[::-1]
        colours = [GREEN if s >= MET_LINE else AMBER for s in scores]
        axes.barh(positions, [min(max(s, 0.0), 1.0) for s in scores], color=colours, height=0.6)
        axes.axvline(MET_LINE, color="#c0392b", linestyle="--", linewidth=1.2)
        axes.text(MET_LINE, len(labels) - 0.4, "满足线 0.8", color="#c0392b", fontsize=8, ha="center")
        for position, text in zip(positions, shown, strict=True):
            axes.text(1.02, position, text, va="center", fontsize=9)
        axes.set_yticks(positions)
        axes.set_yticklabels(list(labels))
        axes.set_xlim(0, 1.12)
        axes.set_xticks([0, 0.2, 0.4, 0.6, 0.8, 1.0])
        for side in ("top", "right"):
            axes.spines[side].set_visible(False)
        figure.tight_layout()
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png")
        plt.close(figure)
    return buffer.getvalue()
