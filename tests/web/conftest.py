"""Personas and shared objects for the web tests.

Personas: ``ent_admin`` and ``ent_member`` of enterprise A (南丹锡业, 河池市南丹县), ``outsider`` (admin of
enterprise B, 百色市), ``pending_admin`` (admin of enterprise C, 南宁市, registered but not yet verified),
``expert`` and ``body_admin`` of an assessment body, ``regulator`` (广西 450000), ``hunan_regulator``
(湖南 430000: outside the jurisdiction of A, B and C; ``hunan_admin`` runs the one enterprise it oversees),
``national_regulator`` (全国), ``platform_admin`` (superuser), anonymous. A and B are verified.

``world`` builds them for one test; ``module_world`` builds them once for a whole module that reads more
than it writes (the access matrix), inside a transaction rolled back when the module ends.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from django.contrib.auth import get_user_model
from django.db import transaction
from django.test import Client

from nfmaturity.accounts.models import NATIONAL_JURISDICTION, Organisation, OrganisationKind, Role
from nfmaturity.accounts.services import create_member, create_organisation
from nfmaturity.assessments.catalogs import sector_view
from nfmaturity.assessments.models import Assessment, RatingRecord, RatingValue
from nfmaturity.assessments.services import start_self_assessment, submit_assessment
from nfmaturity.enterprises.models import Enterprise, SectorChoice, VerificationState
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
    pending: Enterprise | None = None  # registered, not yet verified (南宁)
    hunan: Enterprise | None = None  # registered in 湖南: only the 湖南 and national regulators see it

    def client(self, persona: str) -> Client:
        client = Client()
        if persona != "anonymous":
            client.force_login(self.users[persona])
        return client


def regulator(name: str, jurisdiction: str) -> Organisation:
    organisation = create_organisation(name=name, kind=OrganisationKind.REGULATOR)
    organisation.jurisdiction = jurisdiction
    organisation.save(update_fields=["jurisdiction"])
    return organisation


def build_world() -> World:
    a = register_enterprise(
        profile=profile("南丹锡业有限公司", "A1"), admin_username="ent_admin", admin_password=PASSWORD
    )
    b = register_enterprise(
        profile=profile("百色铝业有限公司", "B2", "451002"),
        admin_username="outsider",
        admin_password=PASSWORD,
    )
    c = register_enterprise(
        profile=profile("南宁新材料有限公司", "C3", "450103"),
        admin_username="pending_admin",
        admin_password=PASSWORD,
    )
    h = register_enterprise(
        profile=profile("湖南有色冶炼有限公司", "D4", "430000"),
        admin_username="hunan_admin",
        admin_password=PASSWORD,
    )
    # Set up as a verifier would have left them (the verification pages are tested on their own).
    Enterprise.objects.filter(pk__in=[a.enterprise.pk, b.enterprise.pk, h.enterprise.pk]).update(
        verification=VerificationState.VERIFIED
    )
    for registration in (a, b, h):
        registration.enterprise.refresh_from_db()
    member = create_member(
        organisation=a.enterprise.organisation,
        username="ent_member",
        password=PASSWORD,
        role=Role.ENTERPRISE_MEMBER,
    )
    body = create_organisation(name="评估中心", kind=OrganisationKind.BODY)
    viewer = Role.REGULATOR_VIEWER
    users = {
        "ent_admin": a.admin,
        "ent_member": member,
        "outsider": b.admin,
        "pending_admin": c.admin,
        "hunan_admin": h.admin,
        "expert": create_member(organisation=body, username="expert", password=PASSWORD, role=Role.EXPERT),
        "body_admin": create_member(
            organisation=body, username="body_admin", password=PASSWORD, role=Role.BODY_ADMIN
        ),
        "regulator": create_member(
            organisation=regulator("广西壮族自治区工业和信息化厅", "450000"),
            username="regulator",
            password=PASSWORD,
            role=viewer,
        ),
        "hunan_regulator": create_member(
            organisation=regulator("湖南省工业和信息化厅", "430000"),
            username="hunan_regulator",
            password=PASSWORD,
            role=viewer,
        ),
        "national_regulator": create_member(
            organisation=regulator("工业和信息化部", NATIONAL_JURISDICTION),
            username="national_regulator",
            password=PASSWORD,
            role=viewer,
        ),
        "platform_admin": get_user_model().objects.create_superuser("platform_admin", password=PASSWORD),
    }
    return World(a.enterprise, b.enterprise, users, pending=c.enterprise, hunan=h.enterprise)


@pytest.fixture
def world(db: None) -> World:
    return build_world()


@pytest.fixture(scope="module")
def module_world(django_db_setup: None, django_db_blocker: object) -> Iterator[World]:
    """The personas once per module; each test still runs in its own savepoint (ask for ``db`` too)."""
    with django_db_blocker.unblock(), transaction.atomic():  # type: ignore[attr-defined]
        yield build_world()
        transaction.set_rollback(True)


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
