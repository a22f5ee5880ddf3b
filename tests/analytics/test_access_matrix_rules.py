"""Every persona × the rules, indicators and peer-benchmark URLs × GET and POST (docs/access.md; the rules belong
to a regulator organisation and run in its jurisdiction; indicators are the enterprise's own figures).

The same method as ``tests/web/test_access_matrix.py``: one data set for the module, each request in a savepoint
rolled back after it, POSTs with no CSRF token and only the fields a row names."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.conf import settings
from django.test import Client

from nfmaturity.analytics.models import IndicatorReport, PolicyRule
from nfmaturity.analytics.rules import example
from nfmaturity.analytics.services import create_rule
from nfmaturity.assessments.models import Assessment
from tests.access_support import session_cookies, status_of
from tests.web.test_access_matrix import LOGIN, NONE_SIGNED_IN, PERSONAS, Row, expect

from .conftest import World
from .test_rules_dataset import make_result

ROUTES = {
    "analytics/rules/",
    "analytics/rules/new/",
    "analytics/rules/<int:pk>/",
    "analytics/rules/<int:pk>/edit/",
    "analytics/rules/<int:pk>/delete/",
    "analytics/rules/<int:pk>/export/",
    "analytics/rules/examples/<slug:key>/",
    "analytics/indicators/<int:pk>/",
    "analytics/indicators/<int:pk>/panel/",
    "analytics/indicators/<int:pk>/<int:year>/",
    "analytics/peers/<int:pk>/",
}

REGULATORS = expect(
    anonymous=LOGIN, regulators=200, rest=404
)  # every regulator has its own rules and examples
GX_RULE = expect(anonymous=LOGIN, regulator=200, rest=404)  # the 广西 office's rule: its people only
A_INDICATORS = expect(anonymous=LOGIN, own=200, gx=200, rest=404)  # A's figures: A and who oversees A
A_REPORT = expect(anonymous=LOGIN, own=200, gx=403, rest=404)

MATRIX: list[Row] = [
    Row("analytics/rules/", "/analytics/rules/", REGULATORS, NONE_SIGNED_IN),
    # An empty form is refused with the form again (422); nobody else finds the page.
    Row(
        "analytics/rules/new/",
        "/analytics/rules/new/",
        REGULATORS,
        expect(anonymous=LOGIN, regulators=422, rest=404),
    ),
    Row("analytics/rules/<int:pk>/", "/analytics/rules/{rule}/", GX_RULE, NONE_SIGNED_IN),
    Row(
        "analytics/rules/<int:pk>/edit/",
        "/analytics/rules/{rule}/edit/",
        GX_RULE,
        expect(anonymous=LOGIN, regulator=422, rest=404),
    ),
    Row(
        "analytics/rules/<int:pk>/delete/",
        "/analytics/rules/{rule}/delete/",
        NONE_SIGNED_IN,
        expect(anonymous=LOGIN, regulator=302, rest=404),
        data=(("version", "{rule_version}"),),
    ),
    Row("analytics/rules/<int:pk>/export/", "/analytics/rules/{rule}/export/", GX_RULE, NONE_SIGNED_IN),
    Row(
        "analytics/rules/examples/<slug:key>/",
        "/analytics/rules/examples/reward-small-rise/",
        REGULATORS,
        NONE_SIGNED_IN,
    ),
    Row(
        "analytics/rules/examples/<slug:key>/",
        "/analytics/rules/examples/no-such-example/",
        expect(anonymous=LOGIN, rest=404),
        NONE_SIGNED_IN,
    ),
    Row("analytics/indicators/<int:pk>/", "/analytics/indicators/{ent}/", A_INDICATORS, NONE_SIGNED_IN),
    Row(  # opened on its own (no htmx), the card sends its readers to the indicators page it summarises
        "analytics/indicators/<int:pk>/panel/",
        "/analytics/indicators/{ent}/panel/",
        expect(anonymous=LOGIN, own=302, gx=302, rest=404),
        NONE_SIGNED_IN,
    ),
    Row(
        "analytics/indicators/<int:pk>/<int:year>/",
        "/analytics/indicators/{ent}/{year}/",
        A_REPORT,
        expect(anonymous=LOGIN, own=422, gx=403, rest=404),
    ),
    # A year outside the form's range is no page at all, for those who may report.
    Row(
        "analytics/indicators/<int:pk>/<int:year>/",
        "/analytics/indicators/{ent}/1999/",
        expect(anonymous=LOGIN, own=404, gx=403, rest=404),
        expect(anonymous=LOGIN, own=404, gx=403, rest=404),
    ),
    Row("analytics/peers/<int:pk>/", "/analytics/peers/{submitted}/", A_INDICATORS, NONE_SIGNED_IN),
    Row(
        "analytics/peers/<int:pk>/",
        "/analytics/peers/{draft}/",
        expect(anonymous=LOGIN, own=200, rest=404),
        NONE_SIGNED_IN,
    ),
]


@pytest.fixture(scope="module")
def ids(module_world: World, django_db_blocker: object) -> Iterator[dict[str, object]]:
    w = module_world
    with django_db_blocker.unblock():  # type: ignore[attr-defined]
        shipped = example("formal-grade-two")
        assert shipped is not None
        regulator = w.users["regulator"]
        rule = create_rule(
            organisation=regulator.membership.organisation,  # type: ignore[attr-defined]
            actor=regulator,  # type: ignore[arg-type]
            name="梯度培育候选",
            description="",
            definition=shipped.definition,
        )
        submitted = make_result(w.enterprise, total="2.50", grade=2)
        draft = Assessment.objects.create(
            enterprise=w.enterprise,
            sector="smelting",
            catalog_version=submitted.catalog_version,
            requirement_count=1,
            created_by=w.users["ent_admin"],
        )
        IndicatorReport.objects.create(
            enterprise=w.enterprise, year=2025, equipment_networked="40", reported_by=w.users["ent_admin"]
        )
        yield {
            "rule": rule.pk,
            "rule_version": rule.version,
            "ent": w.enterprise.pk,
            "year": 2025,
            "submitted": submitted.assessment_id,
            "draft": draft.pk,
        }


@pytest.fixture(scope="module")
def sessions(module_world: World, ids: dict[str, object], django_db_blocker: object) -> dict[str, str]:
    return session_cookies(module_world.users, PERSONAS[1:], django_db_blocker)


def test_the_matrix_covers_exactly_the_routes() -> None:
    assert {row.route for row in MATRIX} == ROUTES


@pytest.mark.parametrize("method", ["GET", "POST"])
@pytest.mark.parametrize("row", MATRIX, ids=[row.url for row in MATRIX])
def test_each_persona_gets_the_status_the_matrix_says(
    db: None, sessions: dict[str, str], ids: dict[str, object], row: Row, method: str
) -> None:
    url = row.url.format(**ids)
    expected = row.get if method == "GET" else row.post
    data = {name: value.format(**ids) for name, value in row.data}
    got = {persona: status_of(sessions, persona, method, url, data) for persona in PERSONAS}
    wrong = {p: f"expected {expected[p]}, got {got[p]}" for p in PERSONAS if got[p] != expected[p]}
    assert not wrong, f"{method} {url}: {wrong}"


def test_another_offices_rule_is_hidden_exactly_like_a_missing_one(
    db: None, sessions: dict[str, str], ids: dict[str, object]
) -> None:
    hunan = Client()
    hunan.cookies[settings.SESSION_COOKIE_NAME] = sessions["hunan_regulator"]
    theirs = hunan.get(f"/analytics/rules/{ids['rule']}/")
    missing = hunan.get("/analytics/rules/999999/")
    assert theirs.status_code == missing.status_code == 404
    assert PolicyRule.objects.filter(pk=ids["rule"]).exists()
