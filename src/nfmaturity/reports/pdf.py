"""The assessment report as PDF: HTML/CSS templates rendered by WeasyPrint (issue 11 point 1).

WeasyPrint embeds a subset of the Noto CJK fonts through HarfBuzz's subsetter (Debian ``libharfbuzz-subset0``);
without it WeasyPrint falls back to fontTools and a report takes seconds instead of a fraction of one
(docs in ``/work/shared/reference/ecosystem.md``). Charts are SVG written by ``reports.charts``.
"""

from __future__ import annotations

import gc
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

from django.template.loader import render_to_string

from nfmaturity.assessments.models import Result
from nfmaturity.reports import charts
from nfmaturity.reports.content import ReportContent, report_content
from nfmaturity.reports.fonts import check_fonts
from nfmaturity.reports.qr import qr_svg

# WeasyPrint logs every layout step of every page at INFO; the platform logs at INFO.
logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)

STATIC = Path(__file__).resolve().parent / "static" / "reports"
STYLESHEET = STATIC / "report.css"
BASE_STYLESHEET = STATIC / "base.css"


@cache
def _base_stylesheet():  # type: ignore[no-untyped-def]  # weasyprint.CSS
    from weasyprint import CSS

    return CSS(filename=str(BASE_STYLESHEET))


@cache
def _stylesheet():  # type: ignore[no-untyped-def]  # weasyprint.CSS (weasyprint has no type information)
    from weasyprint import CSS

    return CSS(filename=str(STYLESHEET))


def html_to_pdf(html: str, base_url: str | None = None, *, stylesheets: tuple[Path, ...] = ()) -> bytes:
    """Any HTML document as PDF bytes (the yearly index report uses this too), on A4 with page numbers and the
    CJK faces (``base.css``); ``stylesheets`` and the document's own styles come after those defaults."""
    from weasyprint import CSS, HTML

    check_fonts()
    sheets = [_base_stylesheet(), *(CSS(filename=str(path)) for path in stylesheets)]
    with _collector_paused():
        return bytes(HTML(string=html, base_url=base_url).write_pdf(stylesheets=sheets))


def render_html(content: ReportContent) -> str:
    """The report's HTML (also useful to look at in a browser while working on the layout)."""
    return render_to_string(
        "reports/report.html",
        {
            "c": content,
            "radar_chart": charts.radar_svg(
                [d.name for d in content.domains], [d.value for d in content.domains]
            ),
            "levels_chart": charts.levels_svg(
                [line.label for line in content.levels],
                [line.fraction for line in content.levels],
                [line.score for line in content.levels],
            ),
            "qr": qr_svg(content.verification_url) if content.verification_url else None,
        },
    )


@contextmanager
def _collector_paused() -> Iterator[None]:
    """WeasyPrint allocates hundreds of thousands of short-lived objects; each of the garbage collector's
    full passes then walks the whole Django process as well. Measured on the 722-requirement formal report:
    1.1–1.2 s of CPU with the collector on, 0.9 s with it paused for the rendering. The previous state is
    restored; the cycles left behind are collected by the next pass as usual."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def content_to_pdf(content: ReportContent) -> bytes:
    from weasyprint import HTML

    check_fonts()
    document = HTML(string=render_html(content), base_url=str(STYLESHEET.parent))
    with _collector_paused():
        return bytes(document.write_pdf(stylesheets=[_stylesheet()]))


def build_pdf(result: Result) -> bytes:
    """The report of a stored result as PDF bytes."""
    return content_to_pdf(report_content(result))
