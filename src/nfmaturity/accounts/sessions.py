"""Sessions that end after a period of inactivity (NFM_SESSION_IDLE_HOURS), refreshed cheaply.

Django's SESSION_SAVE_EVERY_REQUEST would write the session row on every request, one more query even on
the busiest path (saving a rating). Instead the session is written again only when its last refresh is
older than ``REFRESH_SECONDS``: the idle limit is then exact to within those few minutes, and a burst of
rating saves costs no session write at all.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse

REFRESH_SECONDS = 300
_REFRESHED_AT = "nfm_refreshed_at"


def mark_refreshed(request: HttpRequest, **kwargs: Any) -> None:
    """On login (a ``user_logged_in`` receiver): the new session is fresh, nothing to refresh for a while."""
    request.session[_REFRESHED_AT] = int(time.time())


class SlidingSessionMiddleware:
    """Pushes the expiry of a signed-in user's session forward, at most once per ``REFRESH_SECONDS``.

    Marking the session modified makes SessionMiddleware save it with a new expiry date and send the cookie
    again with a new max-age (SESSION_COOKIE_AGE from now).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        session = getattr(request, "session", None)
        # Only sessions that were already read (every signed-in page reads it to find the user): an
        # anonymous request or a static file never loads one just for this.
        if session is not None and session.accessed and not session.is_empty():
            now = int(time.time())
            last = session.get(_REFRESHED_AT)
            if not isinstance(last, int) or now - last >= REFRESH_SECONDS:
                session[_REFRESHED_AT] = now
        return response
