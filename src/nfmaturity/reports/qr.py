"""The public verification address of a published formal result, and its QR code (segno, SVG).

The address is built in one function, ``verification_url``, so the formal part's verification page can move
without touching the reports. It must be absolute to be useful on paper: the site's address comes from the
``NFM_SITE_URL`` setting when there is one, else from the first concrete host the platform is served under.
"""

from __future__ import annotations

import io
from urllib.parse import urlencode

import segno
from django.conf import settings
from django.urls import NoReverseMatch, reverse

VERIFY_PATH = "/formal/verify/"  # used only while the formal part's URL is not installed


def site_url() -> str:
    configured = str(getattr(settings, "NFM_SITE_URL", "") or "").rstrip("/")
    if configured:
        return configured
    hosts = [h for h in settings.ALLOWED_HOSTS if h and h != "*" and not h.startswith(".")]
    host = hosts[0] if hosts else "localhost"
    scheme = "https" if getattr(settings, "HTTPS", False) else "http"
    return f"{scheme}://{host}"


def verification_url(number: str, code: str) -> str:
    """Where anyone can check that a result number and its check code were published."""
    try:
        path = reverse("formal:verify")
    except NoReverseMatch:
        path = VERIFY_PATH
    return f"{site_url()}{path}?{urlencode({'number': number, 'code': code})}"


def qr_svg(data: str, *, scale: int = 3) -> str:
    """The QR code of ``data`` as an inline SVG element (no XML declaration), dark modules in black."""
    buffer = io.BytesIO()
    segno.make(data, error="m").save(buffer, kind="svg", scale=scale, border=2, xmldecl=False, svgns=True)
    return buffer.getvalue().decode("utf-8")


def qr_png(data: str, *, scale: int = 6) -> bytes:
    """The same QR code as PNG, for the Word report."""
    buffer = io.BytesIO()
    segno.make(data, error="m").save(buffer, kind="png", scale=scale, border=2)
    return buffer.getvalue()
