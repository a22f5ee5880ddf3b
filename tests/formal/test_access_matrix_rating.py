"""Access matrix of the on-site and consensus pages (evidence, ratings, field workbook, consensus, agreement):
every persona × GET and POST, in the ONSITE state (with one expert submitted) and in the CONSENSUS state.

Each request runs in a savepoint rolled back after it, so a POST that succeeds changes nothing for the next.
POSTs carry no form data: who gets in is tested here, what a valid form does is tested by each page's tests.

And the rule of independent rating (``access.may_see_colleague_ratings``): an expert who has not submitted
sees no colleague's rating through any URL — pages, htmx fragments, the workbook export.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import pytest
from django.core.files.base import ContentFile
from django.db import transaction
from django.test import Client
from django.urls import reverse

from nfmaturity.accounts.models import Organisation
from nfmaturity.assessments.models import ImportState, WorkbookImport
from nfmaturity.formal.models import (
    CollectionMethod,
    Evidence,
    EvidenceLink,
    ExpertProfile,
    ExpertRating,
    FormalAssessment,
    FormalState,
)
from tests.web.conftest import World

from .factory import rate_assigned
from .test_rating import Onsite, build_onsite

ROUTES = {
    "formal/<int:pk>/evidence/",
    "formal/evidence/<int:pk>/download/",
    "formal/evidence/<int:pk>/remove/",
    "formal/<int:pk>/rating/",
    "formal/<int:pk>/rating/<int:index>/",
    "formal/<int:pk>/rating/rate/",
    "formal/<int:pk>/rating/submit/",
    "formal/<int:pk>/rating/reopen/<int:member_pk>/",
    "formal/<int:pk>/rating/not-applicable/",
    "formal/<int:pk>/rating/workbook/",
    "formal/<int:pk>/rating/workbook/<int:import_pk>/",
    "formal/<int:pk>/consensus/",
    "formal/<int:pk>/consensus/<int:index>/",
    "formal/<int:pk>/consensus/settle/",
    "formal/<int:pk>/consensus/accept-unanimous/",
    "formal/<int:pk>/consensus/open/",
    "formal/<int:pk>/consensus/close/",
    "formal/<int:pk>/consensus/resume/",
    "formal/<int:pk>/agreement/",
}

PERSONAS = (
    "anonymous",
    "ent_admin",
    "ent_member",
    "outsider",
    "expert",  # an expert of the body, not on this team
    "other_team",  # on the team of another formal assessment of the same enterprise
    "body_admin",
    "regulator",
    "leader",  # the 组长, not yet submitted
    "submitted",  # a team member who has submitted his ratings
    "rater",  # a team member still rating (collected the evidence, uploaded the workbook)
)
GROUPS = {
    "enterprise": ("ent_admin", "ent_member"),
    "strangers": ("outsider", "expert", "other_team", "regulator"),
    "team": ("leader", "submitted", "rater"),
}
LOGIN = 302


def expect(rest: int | None = None, **given: int) -> dict[str, int]:
    out: dict[str, int] = {}
    for key, status in given.items():
        if key in GROUPS:
            out.update(dict.fromkeys(GROUPS[key], status))
    for key, status in given.items():
        if key not in GROUPS:
            assert key in PERSONAS, key
            out[key] = status
    out.setdefault("anonymous", LOGIN)
    for p in PERSONAS:
        if p not in out:
            assert rest is not None, p
            out[p] = rest
    return out


SAFE_ONLY = expect(rest=405)  # POST on a page that only reads, GET on a POST-only action


@dataclass
class Data:
    onsite: Onsite
    clients: dict[str, Client]
    urls: dict[str, str]


def build(world: World, body: Organisation, experts: list[ExpertProfile]) -> Data:
    onsite = build_onsite(world, body, experts)
    formal = onsite.formal
    rate_assigned(formal, onsite.members[1], "0.8", overrides={onsite.requirements[0]: "na"}, submit=True)
    ExpertRating.objects.filter(member=onsite.members[1]).update(note="同事的秘密说明")
    evidence = Evidence(
        formal=formal,
        method=CollectionMethod.DOCUMENTS,
        description="设备台账",
        collected_on="2026-11-20",
        collected_by=onsite.user(2),
        original_name="台账.txt",
        extension=".txt",
        content_type="text/plain; charset=utf-8",
        size=6,
        sha256=hashlib.sha256(b"ledger").hexdigest(),
    )
    evidence.file.save("台账.txt", ContentFile(b"ledger"), save=True)
    EvidenceLink.objects.create(evidence=evidence, formal=formal, requirement_id=onsite.requirements[0])
    pending = WorkbookImport.objects.create(
        assessment_id=formal.assessment_id,
        filename="x.xlsx",
        sha256="0" * 64,
        uploaded_by=onsite.user(2),
        state=ImportState.PENDING,
    )
    # Expert 9 sits on the team of another formal assessment of the same enterprise.
    from .factory import make_formal, seat_team

    other = make_formal(world.enterprise, body, world.users["ent_admin"], state=FormalState.ONSITE)
    seat_team(other, [experts[8]])
    users = {**world.users, "other_team": experts[8].user, "expert": world.users["expert"]}
    users.update({"leader": onsite.user(0), "submitted": onsite.user(1), "rater": onsite.user(2)})
    clients = {}
    for persona in PERSONAS:
        client = Client()
        if persona != "anonymous":
            client.force_login(users[persona])
        clients[persona] = client
    pk = formal.pk
    urls = {
        "formal/<int:pk>/evidence/": reverse("formal:evidence", args=[pk]),
        "formal/evidence/<int:pk>/download/": reverse("formal:evidence_download", args=[evidence.pk]),
        "formal/evidence/<int:pk>/remove/": reverse("formal:evidence_remove", args=[evidence.pk]),
        "formal/<int:pk>/rating/": reverse("formal:rating", args=[pk]),
        "formal/<int:pk>/rating/<int:index>/": reverse("formal:rating_row", args=[pk, onsite.row_index]),
        "formal/<int:pk>/rating/rate/": reverse("formal:rating_rate", args=[pk]),
        "formal/<int:pk>/rating/submit/": reverse("formal:rating_submit", args=[pk]),
        "formal/<int:pk>/rating/reopen/<int:member_pk>/": reverse(
            "formal:rating_reopen", args=[pk, onsite.members[1].pk]
        ),
        "formal/<int:pk>/rating/not-applicable/": reverse("formal:rating_not_applicable", args=[pk]),
        "formal/<int:pk>/rating/workbook/": reverse("formal:rating_workbook", args=[pk]),
        "formal/<int:pk>/rating/workbook/<int:import_pk>/": reverse(
            "formal:rating_workbook_apply", args=[pk, pending.pk]
        ),
        "formal/<int:pk>/consensus/": reverse("formal:consensus", args=[pk]),
        "formal/<int:pk>/consensus/<int:index>/": reverse(
            "formal:consensus_row", args=[pk, onsite.row_index]
        ),
        "formal/<int:pk>/consensus/settle/": reverse("formal:consensus_settle", args=[pk]),
        "formal/<int:pk>/consensus/accept-unanimous/": reverse("formal:consensus_unanimous", args=[pk]),
        "formal/<int:pk>/consensus/open/": reverse("formal:consensus_open", args=[pk]),
        "formal/<int:pk>/consensus/close/": reverse("formal:consensus_close", args=[pk]),
        "formal/<int:pk>/consensus/resume/": reverse("formal:consensus_resume", args=[pk]),
        "formal/<int:pk>/agreement/": reverse("formal:agreement", args=[pk]),
    }
    return Data(onsite, clients, urls)


READERS = dict(enterprise=200, body_admin=200, team=200, strangers=404)
ONSITE: dict[str, tuple[dict[str, int], dict[str, int]]] = {
    # route: (GET, POST)
    "formal/<int:pk>/evidence/": (
        expect(**READERS),
        expect(enterprise=403, body_admin=403, team=422, strangers=404),  # 422: an empty form
    ),
    "formal/evidence/<int:pk>/download/": (expect(**READERS), SAFE_ONLY),
    "formal/evidence/<int:pk>/remove/": (
        SAFE_ONLY,
        expect(enterprise=403, body_admin=403, leader=403, submitted=403, rater=302, strangers=404),
    ),
    "formal/<int:pk>/rating/": (expect(enterprise=403, body_admin=200, team=200, strangers=404), SAFE_ONLY),
    "formal/<int:pk>/rating/<int:index>/": (
        expect(enterprise=403, body_admin=403, team=200, strangers=404),
        SAFE_ONLY,
    ),
    # An empty save is a tampered form: 404 once the user is known to be on the team.
    "formal/<int:pk>/rating/rate/": (
        SAFE_ONLY,
        expect(enterprise=403, body_admin=403, team=404, strangers=404),
    ),
    "formal/<int:pk>/rating/submit/": (
        SAFE_ONLY,
        expect(enterprise=403, body_admin=403, team=302, strangers=404),
    ),
    "formal/<int:pk>/rating/reopen/<int:member_pk>/": (
        SAFE_ONLY,
        expect(enterprise=403, body_admin=403, leader=302, submitted=403, rater=403, strangers=404),
    ),
    "formal/<int:pk>/rating/not-applicable/": (
        expect(enterprise=403, body_admin=403, leader=200, submitted=403, rater=403, strangers=404),
        # The leader has not submitted: he may not see (so not confirm) colleagues' 不适用 yet.
        expect(enterprise=403, body_admin=403, team=403, strangers=404),
    ),
    "formal/<int:pk>/rating/workbook/": (
        expect(enterprise=403, body_admin=403, team=200, strangers=404),
        expect(enterprise=403, body_admin=403, team=422, strangers=404),
    ),
    "formal/<int:pk>/rating/workbook/<int:import_pk>/": (
        expect(enterprise=403, body_admin=403, leader=404, submitted=404, rater=200, strangers=404),
        expect(enterprise=403, body_admin=403, leader=404, submitted=404, rater=302, strangers=404),
    ),
    "formal/<int:pk>/consensus/": (
        expect(enterprise=403, body_admin=403, leader=403, submitted=200, rater=403, strangers=404),
        SAFE_ONLY,
    ),
    "formal/<int:pk>/consensus/<int:index>/": (
        expect(enterprise=403, body_admin=403, leader=403, submitted=200, rater=403, strangers=404),
        SAFE_ONLY,
    ),
    "formal/<int:pk>/consensus/settle/": (
        SAFE_ONLY,
        expect(enterprise=403, body_admin=403, leader=403, submitted=404, rater=403, strangers=404),
    ),
    "formal/<int:pk>/consensus/accept-unanimous/": (
        SAFE_ONLY,
        expect(enterprise=403, body_admin=403, leader=403, submitted=302, rater=403, strangers=404),
    ),
    "formal/<int:pk>/consensus/open/": (
        SAFE_ONLY,
        expect(enterprise=403, body_admin=403, leader=302, submitted=403, rater=403, strangers=404),
    ),
    "formal/<int:pk>/consensus/close/": (
        SAFE_ONLY,
        expect(enterprise=403, body_admin=403, leader=302, submitted=403, rater=403, strangers=404),
    ),
    # Refused in this state (the message says why) but the 组长 may ask: a redirect with the message.
    "formal/<int:pk>/consensus/resume/": (
        SAFE_ONLY,
        expect(enterprise=403, body_admin=403, leader=302, submitted=403, rater=403, strangers=404),
    ),
    "formal/<int:pk>/agreement/": (
        expect(enterprise=403, body_admin=403, team=403, strangers=404),
        SAFE_ONLY,
    ),
}


def _status(client: Client, method: str, url: str) -> int:
    with transaction.atomic():
        response = client.get(url) if method == "GET" else client.post(url)
        transaction.set_rollback(True)
    return response.status_code


def _check(data: Data, table: dict[str, tuple[dict[str, int], dict[str, int]]]) -> None:
    wrong = []
    for route, (get, post) in table.items():
        for method, wanted in (("GET", get), ("POST", post)):
            for persona in PERSONAS:
                got = _status(data.clients[persona], method, data.urls[route])
                if got != wanted[persona]:
                    wrong.append(f"{method} {route} {persona}: {got} (expected {wanted[persona]})")
    assert not wrong, "\n".join(wrong)


@pytest.mark.django_db
def test_every_persona_on_every_route_while_onsite(
    world: World, body: Organisation, experts: list[ExpertProfile]
) -> None:
    assert set(ONSITE) == ROUTES
    _check(build(world, body, experts), ONSITE)


@pytest.mark.django_db
def test_in_the_consensus_the_body_admin_and_the_team_read_and_the_enterprise_does_not(
    world: World, body: Organisation, experts: list[ExpertProfile]
) -> None:
    data = build(world, body, experts)
    for member in data.onsite.members:
        if member.ratings_submitted_at is None:
            rate_assigned(data.onsite.formal, member, submit=True)
    FormalAssessment.objects.filter(pk=data.onsite.formal.pk).update(state=FormalState.CONSENSUS)
    table = {
        route: ONSITE[route]
        for route in ("formal/<int:pk>/consensus/", "formal/<int:pk>/consensus/<int:index>/")
    }
    readers = expect(enterprise=403, body_admin=200, team=200, strangers=404)
    table = {route: (readers, SAFE_ONLY) for route in table}
    table["formal/<int:pk>/agreement/"] = (
        expect(enterprise=403, body_admin=200, leader=200, submitted=403, rater=403, strangers=404),
        SAFE_ONLY,
    )
    table["formal/<int:pk>/rating/rate/"] = (
        SAFE_ONLY,
        expect(enterprise=403, body_admin=403, team=404, strangers=404),
    )
    _check(data, table)


@pytest.mark.django_db
def test_before_his_submission_an_expert_sees_no_colleagues_rating_anywhere(
    world: World, body: Organisation, experts: list[ExpertProfile]
) -> None:
    data = build(world, body, experts)
    # The rater has rated part of the shared row himself; the submitted colleague's ratings carry a note
    # and a 不适用 with its reason.
    rater = data.clients["rater"]
    secret = ("同事的秘密说明", "本企业没有该工序")
    pk = data.onsite.formal.pk
    pages = [url for route, url in data.urls.items() if ONSITE[route][0]["rater"] in (200, 403, 404)]
    pages += [
        reverse("formal:hub", args=[pk]),
        reverse("formal:rating_workbook", args=[pk]) + "?download=1",
    ]
    for url in pages:
        response = rater.get(url)
        body = response.content if hasattr(response, "content") else b"".join(response.streaming_content)
        for text in secret:
            assert text.encode() not in body, url
    # The htmx fragments: a refused save and a settle attempt show only his own rating.
    fragment = rater.post(
        data.urls["formal/<int:pk>/rating/rate/"],
        {"requirement_id": data.onsite.requirements[0], "version": 5, "value": "1"},
        HTTP_HX_REQUEST="true",
    )
    assert fragment.status_code == 409
    assert not any(t in fragment.content.decode() for t in secret)
    assert "专家2" not in fragment.content.decode()
    settle = rater.post(
        data.urls["formal/<int:pk>/consensus/settle/"],
        {"requirement_id": data.onsite.requirements[0], "version": 0, "value": "1", "method": "majority"},
    )
    assert settle.status_code == 403
    # Once he submits, he does see them.
    rate_assigned(data.onsite.formal, data.onsite.members[2], submit=True)
    after = rater.get(data.urls["formal/<int:pk>/consensus/<int:index>/"])
    assert after.status_code == 200 and "同事的秘密说明" in after.content.decode()
