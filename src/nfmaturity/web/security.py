"""Security headers on every response (see docs/web.md, "安全响应头").

- Content-Security-Policy: scripts and styles only from the site itself (everything is vendored, no CDN),
  no inline script, style attribute or event handler; the pages keep their JavaScript in static files.
- Permissions-Policy: the platform needs no camera, microphone, location and the like; deny them.
- Cache-Control ``private, no-store`` on every page of a signed-in user and on every file download, so
  neither a shared proxy nor the browser's back button shows one person's assessment to the next.

HSTS and secure cookies are Django settings switched on together by NFM_HTTPS (web/settings.py).
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        # data: for images that the vendored UI kit embeds in its stylesheet (icons of form controls).
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)

PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in (
        "accelerometer",
        "autoplay",
        "camera",
        "display-capture",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "usb",
    )
)

NO_STORE = "private, no-store"


class SecurityHeadersMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        if _is_download(response) or _signed_in(request):
            response["Cache-Control"] = NO_STORE
            # An old HTTP/1.0 cache knows only this header.
            response["Pragma"] = "no-cache"
        return response


def _is_download(response: HttpResponse) -> bool:
    return response.has_header("Content-Disposition")


def _signed_in(request: HttpRequest) -> bool:
    # Asked of the session, and only if the request already read it: every page built for a signed-in user
    # did (that is how Django finds the user), so this adds no query, and a response that never looked at
    # the session (a static file, the 500 page) is not personal. A non-empty session is a signed-in user's,
    # or a visitor's with a pending message: neither belongs in a cache.
    session = getattr(request, "session", None)
    return bool(session is not None and session.accessed and not session.is_empty())
