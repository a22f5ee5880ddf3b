"""Every persona × the plan and rectification URLs × GET and POST (docs/access.md: a submitted self-assessment's
提升计划 is the enterprise's to make and edit, readable by the regulators covering it and the platform admin;
弱项整改 follows the published formal assessment: the enterprise's admins submit, the 组长 decides).

The same method as ``tests/web/test_access_matrix.py``: one data set for the module, each request in a savepoint
rolled back after it, POSTs with no CSRF token and only the fields a row names."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, override_settings

from nfmaturity.accounts.models import Organisation, OrganisationKind
from nfmaturity.assessments.models import RatingValue
from nfmaturity.assessments.services import start_self_assessment, submit_assessment
from nfmaturity.enterprises.models import SectorChoice
from nfmaturity.formal.models import ExpertProfile, FormalState, Settlement, TeamMember
from nfmaturity.plans import services
from nfmaturity.plans.models import ActionStatus
from tests.access_support import session_cookies, status_of
from tests.formal.factory import make_formal, settle_all
from tests.web.conftest import WORKED_CHECK, fill
from tests.web.test_access_matrix import LOGIN, NONE_SIGNED_IN, PERSONAS, Row, _unmasked, expect

from .conftest import World

ROUTES = {
    "plans/assessment/<int:pk>/roadmap/",
    "plans/assessment/<int:pk>/roadmap/save/",
    "plans/assessment/<int:pk>/outcomes/",
    "plans/<int:pk>/",
    "plans/action/<int:pk>/",
    "plans/action/<int:pk>/status/",
    "plans/action/<int:pk>/file/",
    "plans/formal/<int:pk>/rectification/",
    "plans/rectification/<int:pk>/decide/",
}

READ = expect(anonymous=LOGIN, own=200, gx=200, rest=404)  # A's people and who oversees A
WRITE = expect(anonymous=LOGIN, own=302, gx=403, rest=404)  # A's people act; overseers read only
NOBODY = expect(anonymous=LOGIN, rest=404)
# The published formal assessment of A: its people, the body's admin, the team (the expert is its 组长), overseers.
FORMAL_READ = expect(anonymous=LOGIN, own=200, body=200, gx=200, rest=404)

MATRIX: list[Row] = [
    Row("plans/assessment/<int:pk>/roadmap/", "/plans/assessment/{submitted}/roadmap/", READ, NONE_SIGNED_IN),
    Row("plans/assessment/<int:pk>/roadmap/", "/plans/assessment/{draft}/roadmap/", NOBODY, NONE_SIGNED_IN),
    Row(
        "plans/assessment/<int:pk>/roadmap/save/",
        "/plans/assessment/{submitted}/roadmap/save/",
        NONE_SIGNED_IN,
        WRITE,
        data=(("target", "3"), ("path", "consecutive")),
    ),
    Row(
        "plans/assessment/<int:pk>/outcomes/", "/plans/assessment/{submitted}/outcomes/", READ, NONE_SIGNED_IN
    ),
    Row("plans/<int:pk>/", "/plans/{plan}/", READ, NONE_SIGNED_IN),
    Row(
        "plans/action/<int:pk>/",
        "/plans/action/{action}/",
        READ,
        WRITE,
        data=(("version", "{action_version}"), ("effort", "3"), ("owner", "王工")),
    ),
    Row(
        "plans/action/<int:pk>/status/",
        "/plans/action/{action}/status/",
        NONE_SIGNED_IN,
        WRITE,
        data=(("version", "{action_version}"), ("status", "doing")),
    ),
    Row("plans/action/<int:pk>/file/", "/plans/action/{action}/file/", READ, NONE_SIGNED_IN),
    Row(
        "plans/formal/<int:pk>/rectification/",
        "/plans/formal/{formal}/rectification/",
        FORMAL_READ,
        expect(anonymous=LOGIN, ent_admin=302, ent_member=403, body=403, gx=403, rest=404),
        data=(("requirement_id", "{weak}"), ("measure", "上线能源计量系统")),
    ),
    Row(
        "plans/rectification/<int:pk>/decide/",
        "/plans/rectification/{measure}/decide/",
        NONE_SIGNED_IN,
        expect(anonymous=LOGIN, expert=302, own=403, body_admin=403, gx=403, rest=404),
        data=(("version", "{measure_version}"), ("decision", "confirm")),
    ),
]


@pytest.fixture(scope="module")
def media_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("media")


@pytest.fixture(autouse=True)
def _media_in_tmp(settings: object, media_root: Path) -> None:
    """Overrides the per-test folder of conftest: the module's files live in one folder."""
    settings.MEDIA_ROOT = media_root  # type: ignore[attr-defined]


@pytest.fixture(scope="module")
def ids(module_world: World, django_db_blocker: object, media_root: Path) -> Iterator[dict[str, object]]:
    w = module_world
    admin = w.users["ent_admin"]
    with django_db_blocker.unblock(), override_settings(MEDIA_ROOT=media_root):  # type: ignore[attr-defined]
        submitted = start_self_assessment(enterprise=w.enterprise, actor=admin, sector=SectorChoice.SMELTING)  # type: ignore[arg-type]
        fill(submitted, WORKED_CHECK, admin)
        submit_assessment(assessment=submitted, actor=admin)  # type: ignore[arg-type]
        draft = start_self_assessment(enterprise=w.enterprise, actor=admin, sector=SectorChoice.SMELTING)  # type: ignore[arg-type]
        plan = services.create_plan(assessment=submitted, actor=admin, target_grade=3)  # type: ignore[arg-type]
        first = plan.actions.order_by("position").first()
        assert first is not None
        action = services.change_status(
            action=first,
            actor=admin,  # type: ignore[arg-type]
            version=first.version,
            status=ActionStatus.DONE,
            evidence_text="已印发",
            upload=SimpleUploadedFile("记录.txt", "完成记录".encode(), content_type="text/plain"),
        )
        body = Organisation.objects.get(kind=OrganisationKind.BODY, name="评估中心")
        formal = make_formal(w.enterprise, body, admin, state=FormalState.PUBLISHED)  # type: ignore[arg-type]
        leader = ExpertProfile.objects.create(
            user=w.users["expert"], body=body, full_name="组长", disciplines=[]
        )
        TeamMember.objects.create(formal=formal, expert=leader, is_leader=True)
        settle_all(
            formal,
            {
                1: RatingValue.FULL,
                2: RatingValue.FULL,
                3: RatingValue.FULL,
                4: RatingValue.FULL,
                5: RatingValue.FULL,
            },
            admin,
        )  # type: ignore[arg-type]
        weak = list(
            Settlement.objects.filter(formal=formal)
            .order_by("pk")
            .values_list("requirement_id", flat=True)[:2]
        )
        Settlement.objects.filter(formal=formal, requirement_id__in=weak).update(value=RatingValue.PARTLY)
        measure = services.submit_rectification(
            formal=formal,
            actor=admin,
            requirement_id=weak[0],
            measure="建立制度",
            due_date=None,
            version=None,  # type: ignore[arg-type]
        )
        yield {
            "submitted": submitted.pk,
            "draft": draft.pk,
            "plan": plan.pk,
            "action": action.pk,
            "action_version": action.version,
            "formal": formal.pk,
            "weak": weak[1],
            "measure": measure.pk,
            "measure_version": measure.version,
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


def test_another_enterprises_plan_is_hidden_exactly_like_a_missing_one(
    db: None, sessions: dict[str, str], ids: dict[str, object]
) -> None:
    outsider = Client()
    outsider.cookies[settings.SESSION_COOKIE_NAME] = sessions["outsider"]
    theirs = outsider.get(f"/plans/{ids['plan']}/")
    missing = outsider.get("/plans/999999/")
    assert theirs.status_code == missing.status_code == 404
    assert _unmasked(theirs.content) == _unmasked(missing.content)
