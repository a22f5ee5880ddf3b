"""Every persona × every page of the results part (conclusion → publication, public verification,
notifications) × GET and POST: the status each one gets (docs/access.md is the policy).

The data set: a formal assessment of enterprise A (南丹, 广西) in 结果沟通 with two result versions (a contested
point accepted and re-scored), so every page has something to show; and a published one, for the overseers.
Each request runs in a savepoint rolled back after it, so a POST that succeeds changes nothing for the next.
POSTs carry no form data unless a row gives some: what is tested is who gets in.
"""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client

from nfmaturity.assessments.models import RatingValue
from nfmaturity.formal import services_results as svc
from nfmaturity.formal.services_publication import publish
from tests.web.conftest import WORKED_CHECK, World

from .factory import make_concluded
from .test_publication import record
from .test_results import first_requirement, write_conclusion

PERSONAS = (
    "anonymous",
    "ent_admin",
    "ent_member",
    "outsider",
    "expert",  # an expert of the body, not on this team
    "leader",
    "team_expert",
    "body_admin",
    "regulator",  # 广西: covers A
    "hunan_regulator",
    "platform_admin",
)
LOGIN = 302


def expect(rest: int, **given: int) -> dict[str, int]:
    for key in given:
        assert key in PERSONAS, key
    return {p: given.get(p, rest) for p in PERSONAS}


TEAM_READ = dict(leader=200, team_expert=200, body_admin=200)
PARTIES_READ = dict(ent_admin=200, ent_member=200, **TEAM_READ)
NOT_ALLOWED = 405

# (route, url, GET statuses, POST statuses)
ROWS: list[tuple[str, str, dict[str, int], dict[str, int]]] = [
    (
        "formal/<int:pk>/conclusion/",
        "/formal/{pk}/conclusion/",
        expect(404, anonymous=LOGIN, ent_admin=403, ent_member=403, **TEAM_READ),
        expect(
            404, anonymous=LOGIN, ent_admin=403, ent_member=403, body_admin=403, leader=422, team_expert=422
        ),
    ),
    (
        "formal/<int:pk>/conclusion/send/",
        "/formal/{pk}/conclusion/send/",
        expect(NOT_ALLOWED, anonymous=LOGIN),
        expect(
            404, anonymous=LOGIN, ent_admin=403, ent_member=403, body_admin=403, team_expert=403, leader=422
        ),
    ),
    (
        "formal/<int:pk>/results/",
        "/formal/{pk}/results/",
        expect(404, anonymous=LOGIN, **PARTIES_READ),
        expect(NOT_ALLOWED, anonymous=LOGIN),
    ),
    (
        "formal/<int:pk>/results/",
        "/formal/{published}/results/",
        expect(404, anonymous=LOGIN, regulator=200, platform_admin=200, **PARTIES_READ),
        expect(NOT_ALLOWED, anonymous=LOGIN),
    ),
    (
        "formal/<int:pk>/results/diff/",
        "/formal/{pk}/results/diff/",
        expect(404, anonymous=LOGIN, **PARTIES_READ),
        expect(NOT_ALLOWED, anonymous=LOGIN),
    ),
    (
        "formal/<int:pk>/results/contest/",
        "/formal/{pk}/results/contest/",
        expect(NOT_ALLOWED, anonymous=LOGIN),
        expect(
            404, anonymous=LOGIN, ent_admin=422, ent_member=403, leader=403, team_expert=403, body_admin=403
        ),
    ),
    (
        "formal/<int:pk>/results/accept/",
        "/formal/{pk}/results/accept/",
        expect(NOT_ALLOWED, anonymous=LOGIN),
        expect(
            404, anonymous=LOGIN, ent_admin=302, ent_member=403, leader=403, team_expert=403, body_admin=403
        ),
    ),
    (
        "formal/<int:pk>/results/close/",
        "/formal/{pk}/results/close/",
        expect(NOT_ALLOWED, anonymous=LOGIN),
        expect(
            404, anonymous=LOGIN, ent_admin=403, ent_member=403, leader=422, team_expert=403, body_admin=403
        ),
    ),
    (
        "formal/<int:pk>/results/listing/",
        "/formal/{published}/results/listing/",
        expect(NOT_ALLOWED, anonymous=LOGIN),
        expect(
            404,
            anonymous=LOGIN,
            ent_admin=302,
            ent_member=403,
            leader=403,
            team_expert=403,
            body_admin=403,
            regulator=403,
            platform_admin=403,
        ),
    ),
    (
        "formal/<int:pk>/rebuttal/",
        "/formal/{pk}/rebuttal/",
        expect(404, anonymous=LOGIN, **PARTIES_READ),
        expect(NOT_ALLOWED, anonymous=LOGIN),
    ),
    (
        "formal/<int:pk>/rebuttal/<int:point_pk>/answer/",
        "/formal/{pk}/rebuttal/{point}/answer/",
        expect(NOT_ALLOWED, anonymous=LOGIN),
        expect(
            404, anonymous=LOGIN, ent_admin=403, ent_member=403, body_admin=403, leader=422, team_expert=422
        ),
    ),
    (
        "formal/<int:pk>/rebuttal/rescore/",
        "/formal/{pk}/rebuttal/rescore/",
        expect(NOT_ALLOWED, anonymous=LOGIN),
        expect(
            404, anonymous=LOGIN, ent_admin=403, ent_member=403, body_admin=403, team_expert=403, leader=422
        ),
    ),
    (
        "formal/<int:pk>/rebuttal/evidence/<int:evidence_pk>/",
        "/formal/{pk}/rebuttal/evidence/{evidence}/",
        expect(404, anonymous=LOGIN, **PARTIES_READ),
        expect(NOT_ALLOWED, anonymous=LOGIN),
    ),
    (
        "formal/<int:pk>/final/",
        "/formal/{pk}/final/",
        expect(404, anonymous=LOGIN, **PARTIES_READ),
        expect(
            404, anonymous=LOGIN, ent_admin=403, ent_member=403, body_admin=403, team_expert=403, leader=422
        ),
    ),
    (
        "formal/<int:pk>/final/publish/",
        "/formal/{pk}/final/publish/",
        expect(NOT_ALLOWED, anonymous=LOGIN),
        expect(
            404, anonymous=LOGIN, ent_admin=403, ent_member=403, leader=403, team_expert=403, body_admin=422
        ),
    ),
    (
        "formal/<int:pk>/reopen/",
        "/formal/{published}/reopen/",
        expect(
            404,
            anonymous=LOGIN,
            ent_admin=403,
            ent_member=403,
            leader=403,
            team_expert=403,
            regulator=403,
            platform_admin=403,
            body_admin=200,
        ),
        expect(
            404,
            anonymous=LOGIN,
            ent_admin=403,
            ent_member=403,
            leader=403,
            team_expert=403,
            regulator=403,
            platform_admin=403,
            body_admin=422,
        ),
    ),
    (
        "formal/<int:pk>/timeline/",
        "/formal/{pk}/timeline/",
        expect(404, anonymous=LOGIN, **PARTIES_READ),
        expect(NOT_ALLOWED, anonymous=LOGIN),
    ),
    (
        "formal/enterprise/<int:enterprise_pk>/results/",
        "/formal/enterprise/{enterprise}/results/",
        expect(404, anonymous=LOGIN, ent_admin=200, ent_member=200, regulator=200, platform_admin=200),
        expect(NOT_ALLOWED, anonymous=LOGIN),
    ),
    ("formal/verify/", "/formal/verify/", expect(200), expect(404)),
    ("formal/published/", "/formal/published/", expect(200), expect(NOT_ALLOWED)),
    (
        "accounts/notifications/",
        "/accounts/notifications/",
        expect(200, anonymous=LOGIN),
        expect(302, anonymous=LOGIN),
    ),
]
ROUTES = {row[0] for row in ROWS}


@pytest.fixture
def data(world: World, body, experts) -> dict[str, int]:  # type: ignore[no-untyped-def]
    formal, members = make_concluded(
        world.enterprise, body, world.users["ent_admin"], experts[:7], WORKED_CHECK
    )
    leader = members[0].expert.user
    formal = write_conclusion(formal, members[1])
    svc.approve_and_send(formal=formal, actor=leader, expected_version=formal.version)
    point = svc.contest(
        formal=formal,
        actor=world.users["ent_admin"],
        requirement_id=first_requirement(formal, 3),
        argument="已上线",
        files=[SimpleUploadedFile("a.pdf", b"%PDF-1.4 a", content_type="application/pdf")],
    )
    svc.answer_point(point=point, actor=leader, answer=svc.Answer(True, "采纳", RatingValue.FULL))
    svc.rescore(formal=formal, actor=leader)

    published, published_members = make_concluded(
        world.enterprise, body, world.users["ent_admin"], experts[:7], WORKED_CHECK
    )
    published = write_conclusion(published, published_members[1])
    svc.approve_and_send(formal=published, actor=leader, expected_version=published.version)
    svc.accept_result(formal=published, actor=world.users["ent_admin"])
    record(published, leader)
    publish(formal=published, actor=world.users["body_admin"])
    world.users["leader"] = leader
    world.users["team_expert"] = members[2].expert.user
    world.users["expert"] = experts[8].user
    return {
        "enterprise": world.enterprise.pk,
        "pk": formal.pk,
        "published": published.pk,
        "point": point.pk,
        "evidence": point.evidence.get().pk,
    }


def _client(world: World, persona: str) -> Client:
    client = Client()
    if persona != "anonymous":
        client.force_login(world.users[persona])
    return client


def _status(client: Client, method: str, url: str) -> int:
    cache.clear()  # the verification page counts failures per address: every persona here shares one
    with transaction.atomic():
        response = getattr(client, method)(url)
        transaction.set_rollback(True)
    return response.status_code  # type: ignore[attr-defined]


@pytest.mark.django_db
def test_every_persona_gets_the_status_the_policy_says(world: World, data: dict[str, int]) -> None:
    wrong = []
    for persona in PERSONAS:
        client = _client(world, persona)
        for _route, url, get, post in ROWS:
            filled = url.format(**data)
            got_get = _status(client, "get", filled)
            got_post = _status(client, "post", filled)
            if got_get != get[persona]:
                wrong.append(f"GET {filled} {persona}: {got_get} ≠ {get[persona]}")
            if got_post != post[persona]:
                wrong.append(f"POST {filled} {persona}: {got_post} ≠ {post[persona]}")
    assert not wrong, "\n".join(wrong)
