"""A fragment that htmx loads into a page, answered as a full page when its address is opened on its own.

Pages load parts of themselves with htmx (``hx-get``) and link the same address for those without JavaScript
(``<noscript>``), and anyone may open it in a new tab or bookmark it. htmx wants the bare fragment to swap in;
everything else wants a page with the site's navigation, a Chinese title and the way back. One address gives
both, chosen by the ``HX-Request`` header, so every answer says ``Vary: HX-Request`` (a cache must not hand
the fragment to a browser tab, nor the page to htmx).

htmx restoring a page from its history after a cache miss asks with ``HX-Request`` too, plus
``HX-History-Restore-Request``: it puts the answer in place of the whole page, so it gets the page.

This lives in ``accounts``, the lowest layer with web request helpers (``requests.py``), so that every app
that serves fragments (assessments, formal, analytics, plans, reports, and accounts itself) can use this one
definition. The views keep their own access checks; this module only chooses the answer's form.
"""

from __future__ import annotations

from collections.abc import Mapping

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import patch_vary_headers
from django.utils.safestring import mark_safe

VARY = ("HX-Request",)


def wants_fragment(request: HttpRequest) -> bool:
    """An htmx swap wants the bare fragment; htmx restoring its history wants the page, as does a plain link."""
    return request.headers.get("HX-Request") == "true" and not request.headers.get(
        "HX-History-Restore-Request"
    )


def varies(response: HttpResponse) -> HttpResponse:
    """Mark an answer that depends on who asks (htmx or not), for an address that answers both ways."""
    patch_vary_headers(response, VARY)
    return response


def fragment_or_page(
    request: HttpRequest,
    fragment_template: str,
    page_template: str,
    context: Mapping[str, object],
    *,
    status: int = 200,
) -> HttpResponse:
    """The fragment template for htmx, the page template (which includes the fragment) for anything else.
    Both get the same context; the page reads only what its own header and navigation need on top."""
    template = fragment_template if wants_fragment(request) else page_template
    return varies(render(request, template, context, status=status))


def fragment_html_or_page(
    request: HttpRequest,
    html: str,
    page_template: str,
    context: Mapping[str, object],
    *,
    status: int = 200,
) -> HttpResponse:
    """Already rendered fragment HTML (e.g. from a cache) as it is for htmx; for anything else the page
    template, which shows it as ``{{ fragment }}``. ``html`` must be the output of a template (escaped)."""
    if wants_fragment(request):
        return varies(HttpResponse(html, status=status))
    page_context = {**context, "fragment": mark_safe(html)}  # a template's own output, escaped
    return varies(render(request, page_template, page_context, status=status))
