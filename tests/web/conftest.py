"""Personas and shared objects for the web tests.

Personas: ``ent_admin`` and ``ent_member`` of enterprise A (南丹锡业), ``outsider`` (admin of enterprise B),
``expert`` and ``body_admin`` of an assessment body, ``regulator``, ``platform_admin`` (superuser), anonymous.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from nfmaturity.accounts.models import OrganisationKind, Role
from nfmaturity.accounts.services import create_member, create_organisation
from nfmaturity.assessments.catalogs import sector_view
from nfmaturity.assessments.models import Assessment, RatingRecord, RatingValue
from nfmaturity.assessments.services import start_self_assessment, submit_assessment
from nfmaturity.enterprises.models import Enterprise, SectorChoice
from nfmaturity.enterprises.services import register_enterprise
from nfmaturity.enterprises.uscc import check_character

PASSWORD = "Ceshi-mima-2024"


def uscc(seed: str) -> str:
    first17 = ("91450100" + seed + "000000000")[:17]
    return first17 + check_character(first17)


def profile(name: str, seed: str, region: str = "451221") -> dict[str, object]:
    return {
        "name": name,
        "uscc": uscc(seed),
        "region_code": region,
        "sectors": ["smelting"],
        "metals": ["sn"],
        "size": "medium",
        "above_scale": True,
        "address": "",
    }


@dataclass
class World:
    enterprise: Enterprise
    other: Enterprise
    users: dict[str, object]

    def client(self, persona: str) -> Client:
        client = Client()
        if persona != "anonymous":
            client.force_login(self.users[persona])
        return client


@pytest.fixture
def world(db: None) -> World:
    a = register_enterprise(
        profile=profile("南丹锡业有限公司", "A1"), admin_username="ent_admin", admin_password=PASSWORD
    )
    b = register_enterprise(
        profile=profile("百色铝业有限公司", "B2", "451002"),
        admin_username="outsider",
        admin_password=PASSWORD,
    )
    member = create_member(
        organisation=a.enterprise.organisation,
        username="ent_member",
        password=PASSWORD,
        role=Role.ENTERPRISE_MEMBER,
    )
    body = create_organisation(name="评估中心", kind=OrganisationKind.BODY)
    regulator = create_organisation(name="工信厅", kind=OrganisationKind.REGULATOR)
    users = {
        "ent_admin": a.admin,
        "ent_member": member,
        "outsider": b.admin,
        "expert": create_member(organisation=body, username="expert", password=PASSWORD, role=Role.EXPERT),
        "body_admin": create_member(
            organisation=body, username="body_admin", password=PASSWORD, role=Role.BODY_ADMIN
        ),
        "regulator": create_member(
            organisation=regulator, username="regulator", password=PASSWORD, role=Role.REGULATOR_VIEWER
        ),
        "platform_admin": get_user_model().objects.create_superuser("platform_admin", password=PASSWORD),
    }
    return World(a.enterprise, b.enterprise, users)


def fill(assessment: Assessment, by_level: dict[int, RatingValue], user: object) -> None:
    """Rate every requirement of the assessment by level (bulk, for test set-up only)."""
    view = sector_view(assessment.catalog_version, assessment.sector)
    RatingRecord.objects.bulk_create(
        RatingRecord(
            assessment=assessment,
            requirement_id=r.id,
            row_id=r.row,
            level=int(r.level),
            value=by_level[int(r.level)],
            updated_by=user,
        )
        for r in view.requirements.values()
    )


WORKED_CHECK = {
    1: RatingValue.FULL,
    2: RatingValue.MOSTLY,
    3: RatingValue.PARTLY,
    4: RatingValue.NONE,
    5: RatingValue.NONE,
}


@pytest.fixture
def draft(world: World) -> Assessment:
    return start_self_assessment(
        enterprise=world.enterprise, actor=world.users["ent_admin"], sector=SectorChoice.SMELTING
    )


@pytest.fixture
def submitted(world: World) -> Assessment:
    assessment = start_self_assessment(
        enterprise=world.enterprise, actor=world.users["ent_admin"], sector=SectorChoice.SMELTING
    )
    fill(assessment, WORKED_CHECK, world.users["ent_admin"])
    submit_assessment(assessment=assessment, actor=world.users["ent_admin"])
    assessment.refresh_from_db()
    return assessment


@pytest.fixture(autouse=True)
def _media_in_tmp(settings: object, tmp_path: object) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"  # type: ignore[attr-defined,operator]
