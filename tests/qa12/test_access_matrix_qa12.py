"""Every persona × the sub-domain export (QA12-F14) × GET and POST: the regulators over their jurisdictions and
the platform admin download it; nobody else finds it. Requests go through tests/access_support.py."""

from __future__ import annotations

import pytest

from tests.access_support import session_cookies, status_of
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
    return session_cookies(module_world.users, PERSONAS[1:], django_db_blocker)


def test_the_matrix_covers_exactly_the_routes() -> None:
    assert {row.route for row in MATRIX} == ROUTES


@pytest.mark.parametrize("method", ["GET", "POST"])
@pytest.mark.parametrize("row", MATRIX, ids=[row.url for row in MATRIX])
def test_each_persona_gets_the_status_the_matrix_says(
    db: None, sessions: dict[str, str], row: Row, method: str
) -> None:
    expected = row.get if method == "GET" else row.post
    got = {persona: status_of(sessions, persona, method, row.url, {}) for persona in PERSONAS}
    wrong = {p: f"expected {expected[p]}, got {got[p]}" for p in PERSONAS if got[p] != expected[p]}
    assert not wrong, f"{method} {row.url}: {wrong}"
