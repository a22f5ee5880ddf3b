"""Every persona × the application, roster, team and planning URLs × GET and POST (docs/access.md; the
formal assessment's parties in ``formal/access.py``).

The method of ``tests/web/test_access_matrix.py``: one data set for the module, each request in a savepoint
rolled back after it, POSTs without a CSRF token and with only the fields a row names. The personas are the
ones a formal assessment tells apart: the applicant's admin and member, another enterprise's admin, the body
admin, an expert of the body who is not on the team, a team member, the 组长, a regulator of the region.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, override_settings

from nfmaturity.accounts.models import OrganisationKind
from nfmaturity.formal.models import (
    ApplicationDocument,
    AssessmentPlan,
    DocumentKind,
    ExpertRelation,
    FormalState,
    PlanKind,
    RelationKind,
)
from tests.access_support import session_cookies, status_of
from tests.web.conftest import World

from .factory import make_experts, make_formal, seat_team

ROUTES = {
    "formal/",
    "formal/apply/",
    "formal/roster/",
    "formal/roster/<int:user_pk>/",
    "formal/relations/",
    "formal/relations/<int:pk>/remove/",
    "formal/documents/<int:pk>/",
    "formal/documents/<int:pk>/remove/",
    "formal/<int:pk>/",
    "formal/<int:pk>/application/",
    "formal/<int:pk>/application/submit/",
    "formal/<int:pk>/application/withdraw/",
    "formal/<int:pk>/application/documents/",
    "formal/<int:pk>/application/decision/",
    "formal/<int:pk>/team/",
    "formal/<int:pk>/team/add/",
    "formal/<int:pk>/team/<int:member>/remove/",
    "formal/<int:pk>/team/<int:member>/leader/",
    "formal/<int:pk>/team/sign/",
    "formal/<int:pk>/team/assignments/",
    "formal/<int:pk>/team/confirm/",
    "formal/<int:pk>/planning/",
    "formal/<int:pk>/planning/meeting/",
    "formal/<int:pk>/planning/onsite/",
    "formal/<int:pk>/planning/<str:kind>/",
    "formal/<int:pk>/planning/<str:kind>/confirm/",
}

PERSONAS = (
    "anonymous",
    "ent_admin",
    "ent_member",
    "outsider",
    "body_admin",
    "off_team",  # an expert of the body, with a profile, not on these teams
    "member",
    "leader",
    "regulator",
)
GROUPS = {
    "own": ("ent_admin", "ent_member"),
    "team": ("member", "leader"),
    "body": ("body_admin", "off_team", "member", "leader"),
}
LOGIN = 302


def expect(rest: int, **given: int) -> dict[str, int]:
    out = dict.fromkeys(PERSONAS, rest)
    out["anonymous"] = LOGIN
    for key, status in given.items():
        if key in GROUPS:
            out.update(dict.fromkeys(GROUPS[key], status))
    for key, status in given.items():
        if key not in GROUPS:
            assert key in PERSONAS, key
            out[key] = status
    return out


@dataclass(frozen=True)
class Row:
    route: str
    url: str
    get: dict[str, int]
    post: dict[str, int]
    data: tuple[tuple[str, str], ...] = ()


POST_ONLY = expect(405)
GET_ONLY = expect(405)
# What each stage shows: the parties of that formal assessment read, nobody else finds it.
SEEN_APPLIED = expect(404, own=200, body_admin=200)
SEEN_TEAM = expect(404, own=200, body_admin=200, team=200)
ADMIN_ACTS = expect(404, own=403, body_admin=303, team=403)  # a body admin's button on the team's stage

MATRIX: list[Row] = [
    Row("formal/", "/formal/", expect(200, regulator=404), GET_ONLY),
    Row(
        "formal/apply/",
        "/formal/apply/",
        expect(403, ent_admin=200, outsider=200),
        expect(403, ent_admin=422, outsider=422),  # an empty form comes back with its errors
    ),
    Row("formal/roster/", "/formal/roster/", expect(404, body_admin=200, off_team=403, team=403), GET_ONLY),
    Row(
        "formal/roster/<int:user_pk>/",
        "/formal/roster/{off_team_user}/",
        expect(404, body_admin=200, off_team=403, team=403),
        expect(404, body_admin=422, off_team=403, team=403),
    ),
    # Someone else's account (the enterprise admin) is no roster entry at all.
    Row(
        "formal/roster/<int:user_pk>/",
        "/formal/roster/{ent_admin_user}/",
        expect(404, off_team=403, team=403),
        expect(404, off_team=403, team=403),
    ),
    Row(
        "formal/relations/",
        "/formal/relations/",
        expect(404, off_team=200, team=200),
        expect(404, off_team=422, team=422),
    ),
    Row(
        "formal/relations/<int:pk>/remove/",
        "/formal/relations/{relation}/remove/",
        GET_ONLY,
        expect(404, member=303),
    ),
    Row("formal/documents/<int:pk>/", "/formal/documents/{applied_doc}/", SEEN_APPLIED, GET_ONLY),
    Row("formal/documents/<int:pk>/", "/formal/documents/{draft_doc}/", expect(404, own=200), GET_ONLY),
    Row(
        "formal/documents/<int:pk>/remove/",
        "/formal/documents/{draft_doc}/remove/",
        GET_ONLY,
        expect(404, ent_admin=303, ent_member=403),
    ),
    Row(
        "formal/documents/<int:pk>/remove/",
        "/formal/documents/{applied_doc}/remove/",
        GET_ONLY,
        expect(404, ent_admin=422, ent_member=403, body_admin=403),  # submitted: the documents are fixed
    ),
    Row("formal/<int:pk>/", "/formal/{draft}/", expect(404, own=200), GET_ONLY),
    Row("formal/<int:pk>/", "/formal/{applied}/", SEEN_APPLIED, GET_ONLY),
    Row("formal/<int:pk>/", "/formal/{team}/", SEEN_TEAM, GET_ONLY),
    Row("formal/<int:pk>/", "/formal/999999/", expect(404), GET_ONLY),
    Row(
        "formal/<int:pk>/application/",
        "/formal/{draft}/application/",
        expect(404, own=200),
        expect(404, ent_admin=422, ent_member=403),
    ),
    Row(
        "formal/<int:pk>/application/",
        "/formal/{applied}/application/",
        SEEN_APPLIED,
        expect(404, ent_admin=422, ent_member=403, body_admin=403),  # no longer a draft
    ),
    Row(
        "formal/<int:pk>/application/submit/",
        "/formal/{draft}/application/submit/",
        GET_ONLY,
        expect(404, ent_admin=422, ent_member=403),  # the annual targets are missing
    ),
    Row(
        "formal/<int:pk>/application/withdraw/",
        "/formal/{applied}/application/withdraw/",
        GET_ONLY,
        expect(404, ent_admin=303, ent_member=403, body_admin=403),
    ),
    Row(
        "formal/<int:pk>/application/documents/",
        "/formal/{draft}/application/documents/",
        GET_ONLY,
        expect(404, ent_admin=422, ent_member=403),  # no file sent
    ),
    Row(
        "formal/<int:pk>/application/decision/",
        "/formal/{applied}/application/decision/",
        GET_ONLY,
        expect(404, own=403, body_admin=303),
        data=(("decision", "accept"),),
    ),
    Row(
        "formal/<int:pk>/application/decision/",
        "/formal/{team}/application/decision/",
        GET_ONLY,
        expect(404, own=403, team=403, body_admin=422),  # already decided
        data=(("decision", "refuse"), ("reason", "理由")),
    ),
    Row("formal/<int:pk>/team/", "/formal/{team}/team/", SEEN_TEAM, GET_ONLY),
    Row("formal/<int:pk>/team/", "/formal/{applied}/team/", expect(404), GET_ONLY),  # no team yet
    Row(
        "formal/<int:pk>/team/add/",
        "/formal/{team}/team/add/",
        GET_ONLY,
        ADMIN_ACTS,
        data=(("expert", "{off_team_expert}"),),
    ),
    Row(
        "formal/<int:pk>/team/<int:member>/remove/",
        "/formal/{team}/team/{seat}/remove/",
        GET_ONLY,
        ADMIN_ACTS,
    ),
    Row(
        "formal/<int:pk>/team/<int:member>/leader/",
        "/formal/{team}/team/{seat}/leader/",
        GET_ONLY,
        ADMIN_ACTS,
    ),
    Row(
        "formal/<int:pk>/team/sign/",
        "/formal/{team}/team/sign/",
        GET_ONLY,
        expect(404, own=403, body_admin=403, team=303),  # each member signs for himself only
        data=(("declaration", "conflict"),),
    ),
    Row(
        "formal/<int:pk>/team/assignments/",
        "/formal/{team}/team/assignments/",
        GET_ONLY,
        ADMIN_ACTS,
        data=(("default", "1"),),
    ),
    Row(
        "formal/<int:pk>/team/confirm/",
        "/formal/{team}/team/confirm/",
        GET_ONLY,
        expect(404, own=403, team=403, body_admin=422),  # the declarations are not signed yet
    ),
    Row(
        "formal/<int:pk>/team/confirm/",
        "/formal/{planning}/team/confirm/",
        GET_ONLY,
        expect(404, own=403, team=403, body_admin=422),  # confirmed already
    ),
    Row("formal/<int:pk>/planning/", "/formal/{planning}/planning/", SEEN_TEAM, GET_ONLY),
    Row("formal/<int:pk>/planning/", "/formal/{team}/planning/", expect(404), GET_ONLY),
    Row(
        "formal/<int:pk>/planning/meeting/",
        "/formal/{planning}/planning/meeting/",
        expect(404, own=403, member=403, leader=200, body_admin=200),
        expect(404, own=403, member=403, leader=422, body_admin=422),
    ),
    Row(
        "formal/<int:pk>/planning/onsite/",
        "/formal/{planning}/planning/onsite/",
        GET_ONLY,
        expect(404, own=403, member=403, leader=422, body_admin=422),  # plans not confirmed, no meeting
    ),
    Row(
        "formal/<int:pk>/planning/<str:kind>/",
        "/formal/{planning}/planning/pre/",
        expect(404, own=403, member=403, leader=200, body_admin=200),
        expect(404, own=403, member=403, leader=422, body_admin=422),  # the form is empty
        data=(("version", "1"),),
    ),
    Row(
        "formal/<int:pk>/planning/<str:kind>/",
        "/formal/{planning}/planning/nonsense/",
        expect(404),
        expect(404),
    ),
    Row(
        "formal/<int:pk>/planning/<str:kind>/confirm/",
        "/formal/{planning}/planning/pre/confirm/",
        GET_ONLY,
        expect(404, ent_admin=303, ent_member=403, body_admin=403, team=403),
        data=(("version", "1"),),
    ),
    Row(
        "formal/<int:pk>/planning/<str:kind>/confirm/",
        "/formal/{planning}/planning/formal/confirm/",
        GET_ONLY,
        expect(404, ent_admin=422, ent_member=403, body_admin=403, team=403),  # not written yet
        data=(("version", "1"),),
    ),
]


@pytest.fixture(scope="module")
def media_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("media")


@pytest.fixture(autouse=True)
def _media_in_tmp(settings: object, media_root: Path) -> None:
    settings.MEDIA_ROOT = media_root  # type: ignore[attr-defined]


def _document(formal: object, kind: DocumentKind, actor: object) -> int:
    upload = SimpleUploadedFile("规划.pdf", b"%PDF-1.4 plan", content_type="application/pdf")
    document = ApplicationDocument(
        formal=formal,
        kind=kind,
        original_name="规划.pdf",
        extension=".pdf",
        content_type="application/pdf",
        size=upload.size,
        sha256=f"{kind.value:0<64}"[:64],
        uploaded_by=actor,
    )
    document.file.save("规划.pdf", upload, save=True)
    return document.pk


@pytest.fixture(scope="module")
def users(module_world: World, django_db_blocker: object, media_root: Path) -> Iterator[dict[str, object]]:
    """The personas' users and the objects the rows name, once for the module (inside its transaction)."""
    w = module_world
    admin = w.users["ent_admin"]
    with django_db_blocker.unblock(), override_settings(MEDIA_ROOT=media_root):  # type: ignore[attr-defined]
        body = w.users["body_admin"].membership.organisation  # type: ignore[attr-defined]
        assert body.kind == OrganisationKind.BODY
        experts = make_experts(body, 9, prefix="mx")
        draft = make_formal(w.enterprise, body, admin, state=FormalState.DRAFT)  # type: ignore[arg-type]
        applied = make_formal(w.enterprise, body, admin)  # type: ignore[arg-type]
        team = make_formal(w.enterprise, body, admin, state=FormalState.TEAM)  # type: ignore[arg-type]
        seats = seat_team(team, experts[:7], signed=False)
        planning = make_formal(w.enterprise, body, admin, state=FormalState.PLANNING)  # type: ignore[arg-type]
        seat_team(planning, experts[:7])
        AssessmentPlan.objects.create(
            formal=planning, kind=PlanKind.PRE, purpose="目的", updated_by=experts[0].user
        )
        relation = ExpertRelation.objects.create(
            expert=experts[1], counterparty_name="某公司", kind=RelationKind.SALES
        )
        personas = {
            **w.users,
            "off_team": experts[8].user,
            "member": experts[1].user,
            "leader": experts[0].user,
        }
        yield {
            "personas": personas,
            "ids": {
                "draft": draft.pk,
                "applied": applied.pk,
                "team": team.pk,
                "planning": planning.pk,
                "draft_doc": _document(draft, DocumentKind.LONG_TERM_PLAN, admin),
                "applied_doc": _document(applied, DocumentKind.LONG_TERM_PLAN, admin),
                "seat": seats[2].pk,
                "relation": relation.pk,
                "off_team_user": experts[8].user.pk,
                "off_team_expert": experts[8].pk,
                "ent_admin_user": admin.pk,  # type: ignore[attr-defined]
            },
        }


@pytest.fixture(scope="module")
def sessions(users: dict[str, object], django_db_blocker: object) -> dict[str, str]:
    personas: dict[str, object] = users["personas"]  # type: ignore[assignment]
    return session_cookies(personas, PERSONAS[1:], django_db_blocker)


def test_the_matrix_covers_exactly_the_routes() -> None:
    assert {row.route for row in MATRIX} == ROUTES


@pytest.mark.parametrize("method", ["GET", "POST"])
@pytest.mark.parametrize("row", MATRIX, ids=[row.url for row in MATRIX])
def test_each_persona_gets_the_status_the_matrix_says(
    db: None, users: dict[str, object], sessions: dict[str, str], row: Row, method: str
) -> None:
    ids: dict[str, object] = users["ids"]  # type: ignore[assignment]
    url = row.url.format(**ids)
    expected = row.get if method == "GET" else row.post
    data = {name: value.format(**ids) for name, value in row.data}
    got = {persona: status_of(sessions, persona, method, url, data) for persona in PERSONAS}
    wrong = {p: f"expected {expected[p]}, got {got[p]}" for p in PERSONAS if got[p] != expected[p]}
    assert not wrong, f"{method} {url}: {wrong}"


def test_a_team_they_are_not_on_is_hidden_exactly_like_a_missing_one(
    db: None, users: dict[str, object], sessions: dict[str, str]
) -> None:
    ids: dict[str, object] = users["ids"]  # type: ignore[assignment]
    client = Client()
    client.cookies[settings.SESSION_COOKIE_NAME] = sessions["off_team"]
    theirs = client.get(f"/formal/{ids['team']}/team/")
    missing = client.get("/formal/999999/team/")
    assert theirs.status_code == missing.status_code == 404
