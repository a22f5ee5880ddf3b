"""Every persona × the sub-domain export (QA12-F14) × GET and POST: the regulators over their jurisdictions and
the platform admin download it; nobody else finds it. Same method as tests/analytics/test_access_matrix_dashboard.py."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.db import transaction
from django.test import Client

from tests.web.test_access_matrix import LOGIN, NONE_SIGNED_IN, PERSONAS, Row, expect

from .conftest import World

ROUTES = {"analytics/subdomains/export/"}

OVERSEERS = expect(anonymous=LOGIN, regulators=200, platform_admin=200, rest=404)

MATRIX: list[Row] = [
    Row("analytics/subdomains/export/", "/analytics/subdomains/export/", OVERSEERS, NONE_SIGNED_IN),
    # Another region's code and an unknown domain are dropped (his own figures, the first domain), never an error.
    Row(
        "analytics/subdomains/export/",
        "/analytics/subdomains/export/?region=430100&domain=%00",
        OVERSEERS,
        NONE_SIGNED_IN,
    ),
]


@pytest.fixture(scope="module")
def sessions(module_world: World, django_db_blocker: object) -> dict[str, str]:
    out = {}
    with django_db_blocker.unblock():  # type: ignore[attr-defined]
        for persona in PERSONAS[1:]:
            client = Client()
            client.force_login(module_world.users[persona])  # type: ignore[arg-type]
            out[persona] = client.cookies[settings.SESSION_COOKIE_NAME].value
    return out


def _status(sessions: dict[str, str], persona: str, method: str, url: str) -> int:
    client = Client(raise_request_exception=False)
    if persona in sessions:
        client.cookies[settings.SESSION_COOKIE_NAME] = sessions[persona]
    with transaction.atomic():
        status = (client.get(url) if method == "GET" else client.post(url)).status_code
        transaction.set_rollback(True)
    return status


def test_the_matrix_covers_exactly_the_routes() -> None:
    assert {row.route for row in MATRIX} == ROUTES


@pytest.mark.parametrize("method", ["GET", "POST"])
@pytest.mark.parametrize("row", MATRIX, ids=[row.url for row in MATRIX])
def test_each_persona_gets_the_status_the_matrix_says(
    db: None, sessions: dict[str, str], row: Row, method: str
) -> None:
    expected = row.get if method == "GET" else row.post
    got = {persona: _status(sessions, persona, method, row.url) for persona in PERSONAS}
    wrong = {p: f"expected {expected[p]}, got {got[p]}" for p in PERSONAS if got[p] != expected[p]}
    assert not wrong, f"{method} {row.url}: {wrong}"
