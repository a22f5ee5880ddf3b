"""Error pages in Chinese that keep the site's navigation (wired as handler400…500 and CSRF_FAILURE_VIEW).

400, 403, 404 and the CSRF refusal render with the request, so the navigation shows the user's own links.
The 500 page renders with no request at all: the failure may be the database or the session itself, and
the page explaining it must not touch either. If even that fails, a fixed page is sent.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import REASON_NO_CSRF_COOKIE
from django.shortcuts import render
from django.template.loader import render_to_string
from django.views.decorators.csrf import requires_csrf_token

logger = logging.getLogger(__name__)

# Sent when 500.html itself cannot be rendered (e.g. a static-files manifest entry is missing).
PLAIN_500 = (
    '<!doctype html><html lang="zh-hans"><head><meta charset="utf-8">'
    '<meta name="viewport" content="width=device-width, initial-scale=1"><title>服务器出错</title></head>'
    "<body><h1>服务器出错（500）</h1>"
    "<p>平台处理您的请求时出错，错误已记录。请稍后重试；如果问题持续，请联系平台管理员。</p>"
    '<p><a href="/">返回工作台</a></p></body></html>'
)


# requires_csrf_token: the logout form in the navigation needs a token even when the view never ran.
@requires_csrf_token
def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    return render(request, "400.html", status=400)


@requires_csrf_token
def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    return render(request, "403.html", status=403)


@requires_csrf_token
def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    return render(request, "404.html", status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    try:
        body: str = render_to_string("500.html")
    except Exception:  # the error page must never raise a second error
        logger.exception("500.html could not be rendered; sending the fixed page")
        body = PLAIN_500
    return HttpResponse(body, status=500)


@requires_csrf_token
def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    return render(request, "403_csrf.html", {"no_cookie": reason == REASON_NO_CSRF_COOKIE}, status=403)


class MethodNotAllowedPage:
    """Django's 405 (``require_POST`` and friends) is an empty page: a bookmarked or copied address of an
    action showed a blank window. This gives it the site's Chinese error page, keeping the Allow header.
    htmx requests keep the bare response (the page shows its own message)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code != 405 or response.content or request.headers.get("HX-Request"):
            return response
        page = render(request, "405.html", status=405)
        if response.has_header("Allow"):
            page["Allow"] = response["Allow"]
        return page
