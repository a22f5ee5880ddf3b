"""What every access-matrix module does the same way: log each persona in once, then send one request per
persona × URL × method inside a savepoint that is rolled back, so a POST that changes something (a logout, a
removal, a decision) changes nothing for the next persona."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from http.cookies import SimpleCookie

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.test import Client

# One client per persona serves every request: a Client loads the whole middleware stack on its first
# request (WhiteNoise alone indexes every static file).
_CLIENTS: dict[str, Client] = {}


def session_cookies(users: Mapping[str, object], personas: Iterable[str], blocker: object) -> dict[str, str]:
    """Each persona's session cookie, made once (``blocker`` is pytest-django's ``django_db_blocker``)."""
    out = {}
    with blocker.unblock():  # type: ignore[attr-defined]
        for persona in personas:
            client = Client()
            client.force_login(users[persona])  # type: ignore[arg-type]
            out[persona] = client.cookies[settings.SESSION_COOKIE_NAME].value
    return out


def status_of(
    sessions: Mapping[str, str], persona: str, method: str, url: str, data: Mapping[str, str]
) -> int:
    """The status one persona gets (anonymous when it has no session), the request rolled back afterwards
    and the rate-limit counters in the cache cleared."""
    client = _CLIENTS.setdefault(persona, Client(raise_request_exception=False))
    client.cookies = SimpleCookie()
    if persona in sessions:
        client.cookies[settings.SESSION_COOKIE_NAME] = sessions[persona]
    with transaction.atomic():
        status = (client.get(url) if method == "GET" else client.post(url, dict(data))).status_code
        transaction.set_rollback(True)
    cache.clear()
    return status
