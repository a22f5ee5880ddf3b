"""Every persona × every URL: status code, and who sees what (same 404 for missing and not-yours)."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from nfmaturity.assessments.catalogs import sector_view
from nfmaturity.assessments.models import Assessment
from nfmaturity.assessments.services import add_attachment

from .conftest import World

PERSONAS = (
    "anonymous",
    "ent_admin",
    "ent_member",
    "outsider",
    "expert",
    "body_admin",
    "regulator",
    "platform_admin",
)

# url template → expected status per persona (302 = redirect to login).
MATRIX: list[tuple[str, dict[str, int]]] = [
    (
        "/",
        dict(
            anonymous=302,
            ent_admin=200,
            ent_member=200,
            outsider=200,
            expert=200,
            body_admin=200,
            regulator=200,
            platform_admin=200,
        ),
    ),
    ("/healthz", dict.fromkeys(PERSONAS, 200)),
    (
        "/accounts/login/",
        dict(
            anonymous=200,
            ent_admin=302,
            ent_member=302,
            outsider=302,
            expert=302,
            body_admin=302,
            regulator=302,
            platform_admin=302,
        ),
    ),
    (
        "/accounts/password/",
        dict(
            anonymous=302,
            ent_admin=200,
            ent_member=200,
            outsider=200,
            expert=200,
            body_admin=200,
            regulator=200,
            platform_admin=200,
        ),
    ),
    (
        "/accounts/members/",
        dict(
            anonymous=302,
            ent_admin=200,
            ent_member=403,
            outsider=200,
            expert=403,
            body_admin=200,
            regulator=403,
            platform_admin=404,
        ),
    ),
    (
        "/enterprises/register/",
        dict(
            anonymous=200,
            ent_admin=302,
            ent_member=302,
            outsider=302,
            expert=302,
            body_admin=302,
            regulator=302,
            platform_admin=302,
        ),
    ),
    (
        "/enterprises/",
        dict(
            anonymous=302,
            ent_admin=403,
            ent_member=403,
            outsider=403,
            expert=200,
            body_admin=200,
            regulator=200,
            platform_admin=200,
        ),
    ),
    (
        "/enterprises/{ent}/",
        dict(
            anonymous=302,
            ent_admin=200,
            ent_member=200,
            outsider=404,
            expert=200,
            body_admin=200,
            regulator=200,
            platform_admin=200,
        ),
    ),
    (
        "/enterprises/{ent}/edit/",
        dict(
            anonymous=302,
            ent_admin=200,
            ent_member=403,
            outsider=404,
            expert=403,
            body_admin=403,
            regulator=403,
            platform_admin=403,
        ),
    ),
    (
        "/enterprises/{ent}/units/add/",
        dict(
            anonymous=302,
            ent_admin=200,
            ent_member=403,
            outsider=404,
            expert=403,
            body_admin=403,
            regulator=403,
            platform_admin=403,
        ),
    ),
    (
        "/enterprises/{ent}/contacts/add/",
        dict(
            anonymous=302,
            ent_admin=200,
            ent_member=403,
            outsider=404,
            expert=403,
            body_admin=403,
            regulator=403,
            platform_admin=403,
        ),
    ),
    (
        "/enterprises/99999/",
        dict(
            anonymous=302,
            ent_admin=404,
            ent_member=404,
            outsider=404,
            expert=404,
            body_admin=404,
            regulator=404,
            platform_admin=404,
        ),
    ),
    (
        "/assessments/new/",
        dict(
            anonymous=302,
            ent_admin=200,
            ent_member=200,
            outsider=200,
            expert=403,
            body_admin=403,
            regulator=403,
            platform_admin=403,
        ),
    ),
    # A draft: only the enterprise's own people see it.
    (
        "/assessments/{draft}/",
        dict(
            anonymous=302,
            ent_admin=200,
            ent_member=200,
            outsider=404,
            expert=404,
            body_admin=404,
            regulator=404,
            platform_admin=200,
        ),
    ),
    (
        "/assessments/{draft}/rows/0/",
        dict(
            anonymous=302,
            ent_admin=200,
            ent_member=200,
            outsider=404,
            expert=404,
            body_admin=404,
            regulator=404,
            platform_admin=200,
        ),
    ),
    (
        "/assessments/{draft}/rows/999/",
        dict(
            anonymous=302,
            ent_admin=404,
            ent_member=404,
            outsider=404,
            expert=404,
            body_admin=404,
            regulator=404,
            platform_admin=404,
        ),
    ),
    (
        "/assessments/{draft}/results/",
        dict(
            anonymous=302,
            ent_admin=200,
            ent_member=200,
            outsider=404,
            expert=404,
            body_admin=404,
            regulator=404,
            platform_admin=200,
        ),
    ),
    (
        "/assessments/{draft}/explain/?target=level:1",
        dict(
            anonymous=302,
            ent_admin=200,
            ent_member=200,
            outsider=404,
            expert=404,
            body_admin=404,
            regulator=404,
            platform_admin=200,
        ),
    ),
    (
        "/assessments/{draft}/submit/",
        dict(
            anonymous=302,
            ent_admin=200,
            ent_member=200,
            outsider=404,
            expert=404,
            body_admin=404,
            regulator=404,
            platform_admin=403,
        ),
    ),
    (
        "/assessments/{draft}/import/",
        dict(
            anonymous=302,
            ent_admin=200,
            ent_member=200,
            outsider=404,
            expert=404,
            body_admin=404,
            regulator=404,
            platform_admin=403,
        ),
    ),
    (
        "/assessments/{draft}/plan/",
        dict(
            anonymous=302,
            ent_admin=200,
            ent_member=200,
            outsider=404,
            expert=404,
            body_admin=404,
            regulator=404,
            platform_admin=200,
        ),
    ),
    (
        "/assessments/{draft}/withdraw/",
        dict(
            anonymous=302,
            ent_admin=200,
            ent_member=200,
            outsider=404,
            expert=404,
            body_admin=404,
            regulator=404,
            platform_admin=403,
        ),
    ),
    (
        "/assessments/{submitted}/plan/?target=3",
        dict(
            anonymous=302,
            ent_admin=200,
            ent_member=200,
            outsider=404,
            expert=404,
            body_admin=404,
            regulator=200,
            platform_admin=200,
        ),
    ),
    # A submitted one: the regulator reads it too.
    (
        "/assessments/{submitted}/results/",
        dict(
            anonymous=302,
            ent_admin=200,
            ent_member=200,
            outsider=404,
            expert=404,
            body_admin=404,
            regulator=200,
            platform_admin=200,
        ),
    ),
    (
        "/assessments/{submitted}/explain/?target=cell:0:1",
        dict(
            anonymous=302,
            ent_admin=200,
            ent_member=200,
            outsider=404,
            expert=404,
            body_admin=404,
            regulator=200,
            platform_admin=200,
        ),
    ),
    (
        "/assessments/{submitted}/",
        dict(
            anonymous=302,
            ent_admin=200,
            ent_member=200,
            outsider=404,
            expert=404,
            body_admin=404,
            regulator=200,
            platform_admin=200,
        ),
    ),
    (
        "/assessments/99999/",
        dict(
            anonymous=302,
            ent_admin=404,
            ent_member=404,
            outsider=404,
            expert=404,
            body_admin=404,
            regulator=404,
            platform_admin=404,
        ),
    ),
    (
        "/assessments/enterprise/{ent}/history/",
        dict(
            anonymous=302,
            ent_admin=200,
            ent_member=200,
            outsider=404,
            expert=200,
            body_admin=200,
            regulator=200,
            platform_admin=200,
        ),
    ),
    (
        "/assessments/enterprise/{ent}/compare/",
        dict(
            anonymous=302,
            ent_admin=200,
            ent_member=200,
            outsider=404,
            expert=200,
            body_admin=200,
            regulator=200,
            platform_admin=200,
        ),
    ),
]


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize(("template", "expected"), MATRIX, ids=[m[0] for m in MATRIX])
def test_it_answers_each_persona_as_the_matrix_says(
    world: World,
    draft: Assessment,
    submitted: Assessment,
    persona: str,
    template: str,
    expected: dict[str, int],
) -> None:
    url = template.format(ent=world.enterprise.pk, draft=draft.pk, submitted=submitted.pk)
    response = world.client(persona).get(url)
    assert response.status_code == expected[persona], (persona, url)


def test_it_hides_another_enterprises_assessment_exactly_like_a_missing_one(
    world: World, draft: Assessment
) -> None:
    outsider = world.client("outsider")
    mine_missing = outsider.get("/assessments/99999/")
    theirs = outsider.get(f"/assessments/{draft.pk}/")
    assert theirs.status_code == mine_missing.status_code == 404
    # The error page keeps the navigation, whose logout form carries a CSRF token masked afresh per response.
    assert _unmasked(theirs.content) == _unmasked(mine_missing.content)


def _unmasked(content: bytes) -> bytes:
    return re.sub(rb"[A-Za-z0-9]{64}", b"<csrf>", content)


def test_it_refuses_rating_writes_from_people_who_only_read(world: World, submitted: Assessment) -> None:
    response = world.client("regulator").post(
        f"/assessments/{submitted.pk}/rate/", {"requirement_id": "x", "value": "1", "version": 0}
    )
    assert response.status_code == 403


@pytest.mark.parametrize("persona", ["outsider", "expert", "body_admin"])
def test_it_gives_404_on_rating_writes_to_invisible_assessments(
    world: World, draft: Assessment, persona: str
) -> None:
    response = world.client(persona).post(
        f"/assessments/{draft.pk}/rate/", {"requirement_id": "x", "value": "1", "version": 0}
    )
    assert response.status_code == 404


def test_it_lists_only_own_assessments_on_the_enterprise_home(world: World, draft: Assessment) -> None:
    assert f"/assessments/{draft.pk}/" in world.client("ent_member").get("/").content.decode()
    assert f"/assessments/{draft.pk}/" not in world.client("outsider").get("/").content.decode()


def test_it_shows_the_regulator_only_submitted_results_in_the_registry(
    world: World, submitted: Assessment
) -> None:
    page = world.client("regulator").get("/enterprises/").content.decode()
    assert "南丹锡业有限公司" in page and "二级 场景级" in page


@pytest.mark.parametrize("persona", ["outsider", "expert", "body_admin", "regulator"])
def test_it_gives_404_on_withdrawing_or_removing_evidence_of_invisible_drafts(
    world: World, draft: Assessment, persona: str
) -> None:
    requirement_id = sector_view(draft.catalog_version, draft.sector).rows[0].requirements[0].id
    attachment = add_attachment(
        assessment=draft,
        actor=world.users["ent_admin"],
        requirement_id=requirement_id,
        upload=SimpleUploadedFile("制度.txt", "管理制度".encode(), content_type="text/plain"),
    ).attachment
    client = world.client(persona)
    assert client.post(f"/assessments/attachments/{attachment.pk}/remove/").status_code == 404
    assert client.post(f"/assessments/{draft.pk}/withdraw/", {"reason": "x"}).status_code == 404
    draft.refresh_from_db()
    assert draft.is_draft and draft.attachments.filter(pk=attachment.pk).exists()
