"""Invitations, registration, USCC checks, profile edits with audit, strict settings."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from nfmaturity.accounts.models import Invitation, InvitationState, Membership, Role
from nfmaturity.audit.models import AuditAction, AuditEvent
from nfmaturity.enterprises.models import Enterprise
from nfmaturity.enterprises.regions import city_of, full_name, regions
from nfmaturity.enterprises.uscc import UsccError, check_character, validate_uscc

from .conftest import PASSWORD, World, uscc

GUANGXI_CITIES = {
    "450100": "南宁市",
    "450200": "柳州市",
    "450300": "桂林市",
    "450400": "梧州市",
    "450500": "北海市",
    "450600": "防城港市",
    "450700": "钦州市",
    "450800": "贵港市",
    "450900": "玉林市",
    "451000": "百色市",
    "451100": "贺州市",
    "451200": "河池市",
    "451300": "来宾市",
    "451400": "崇左市",
}


def test_it_accepts_a_published_uscc_and_rejects_a_wrong_check_character() -> None:
    assert validate_uscc(" 91350100m000100y43 ") == "91350100M000100Y43"
    with pytest.raises(UsccError, match="校验位"):
        validate_uscc("91350100M000100Y44")
    with pytest.raises(UsccError, match="18 位"):
        validate_uscc("9135")
    with pytest.raises(UsccError, match="非法字符"):
        validate_uscc("91350100M000100YI3")
    assert check_character("91350100M000100Y4") == "3"


def test_it_knows_all_fourteen_guangxi_cities_with_their_codes() -> None:
    table = regions()
    assert {code: table[code].name for code in GUANGXI_CITIES} == GUANGXI_CITIES
    assert full_name("451221") == "广西壮族自治区 河池市 南丹县"
    assert city_of("451221").code == "451200"  # type: ignore[union-attr]


def test_it_invites_a_colleague_who_sets_a_password_and_joins(world: World) -> None:
    admin = world.client("ent_admin")
    response = admin.post(
        "/accounts/members/", {"full_name": "李四", "email": "li@example.com", "role": "enterprise_member"}
    )
    link = response.context["link"]
    invitation = Invitation.objects.get()
    assert invitation.token_hash not in link  # only the hash is stored
    assert AuditEvent.objects.filter(action=AuditAction.MEMBER_INVITED).count() == 1
    from django.test import Client

    guest = Client()
    path = link.replace("http://testserver", "")
    assert guest.get(path).status_code == 200
    joined = guest.post(path, {"username": "lisi", "password1": PASSWORD, "password2": PASSWORD})
    assert joined.status_code == 302
    membership = Membership.objects.get(user__username="lisi")
    assert (membership.organisation, membership.role) == (
        world.enterprise.organisation,
        Role.ENTERPRISE_MEMBER,
    )
    invitation.refresh_from_db()
    assert invitation.state == InvitationState.ACCEPTED
    assert Client().get(path).status_code == 404  # used links stop working


def test_it_does_not_let_an_enterprise_admin_invite_a_regulator_role(world: World) -> None:
    response = world.client("ent_admin").post(
        "/accounts/members/", {"full_name": "王五", "email": "w@example.com", "role": "regulator_viewer"}
    )
    assert response.status_code == 200 and not Invitation.objects.exists()


def test_it_registers_an_enterprise_with_its_first_admin(db: None) -> None:
    from django.test import Client

    client = Client()
    response = client.post(
        "/enterprises/register/",
        {
            "name": "来宾冶炼有限公司",
            "uscc": uscc("C3"),
            "region_code": "451302",
            "sectors": ["smelting", "processing"],
            "metals": ["pbzn", "sb"],
            "size": "small",
            "admin_name": "赵六",
            "admin_email": "zhao@example.com",
            "login_stem": "zhaoliu",
            "password1": PASSWORD,
            "password2": PASSWORD,
        },
    )
    enterprise = Enterprise.objects.get()
    assert response.status_code == 302 and enterprise.sectors == ["smelting", "processing"]
    membership = Membership.objects.get(organisation=enterprise.organisation)
    assert membership.role == Role.ENTERPRISE_ADMIN and membership.user.username.startswith("zhaoliu-")
    assert AuditEvent.objects.filter(action=AuditAction.ENTERPRISE_REGISTERED).count() == 1


def test_it_shows_the_uscc_error_in_chinese(db: None) -> None:
    from django.test import Client

    response = Client().post("/enterprises/register/", {"name": "x", "uscc": "91450100MA5K000001"})
    assert "校验位不正确" in response.content.decode()


def test_it_audits_profile_changes_old_to_new(world: World) -> None:
    e = world.enterprise
    response = world.client("ent_admin").post(
        f"/enterprises/{e.pk}/edit/",
        {
            "name": e.name,
            "uscc": e.uscc,
            "region_code": "451202",
            "sectors": ["smelting"],
            "metals": ["sn"],
            "size": "large",
        },
    )
    assert response.status_code == 302
    event = AuditEvent.objects.get(action=AuditAction.ENTERPRISE_UPDATED)
    # A new region means a (possibly) different verifying regulator: the enterprise is verified again.
    assert event.old == {
        "above_scale": True,
        "region_code": "451221",
        "size": "medium",
        "verification": "verified",
    }
    assert event.new == {
        "above_scale": False,
        "region_code": "451202",
        "size": "large",
        "verification": "pending",
    }


def test_it_adds_units_that_can_be_assessed_on_their_own(world: World) -> None:
    client = world.client("ent_admin")
    client.post(
        f"/enterprises/{world.enterprise.pk}/units/add/",
        {"name": "一车间", "kind": "workshop", "sector": "smelting"},
    )
    unit = world.enterprise.units.get()
    response = client.post("/assessments/new/", {"unit": unit.pk, "sector": "smelting"})
    assert response.status_code == 302 and world.enterprise.assessments.get().unit == unit


def run_settings(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {
        k: v for k, v in os.environ.items() if not k.startswith("NFM_") and k != "DJANGO_SETTINGS_MODULE"
    }
    return subprocess.run(
        [sys.executable, "-c", "import nfmaturity.web.settings as s; print(s.DEBUG)"],
        env={**clean, **env},
        capture_output=True,
        text=True,
        check=False,
    )


def test_it_refuses_to_start_in_production_without_a_secret_key() -> None:
    result = run_settings({})
    assert result.returncode != 0 and "必须设置 NFM_SECRET_KEY" in result.stderr
    assert run_settings({"NFM_SECRET_KEY": "short"}).returncode != 0
    assert run_settings({"NFM_SECRET_KEY": "k" * 40}).stdout.strip() == "False"
    assert run_settings({"NFM_DEBUG": "true"}).stdout.strip() == "True"


def test_it_refuses_a_misspelt_boolean() -> None:
    result = run_settings({"NFM_DEBUG": "ture"})
    assert result.returncode != 0 and "应为 true 或 false" in result.stderr


def test_healthz_reports_the_database(client, db) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok", "database": "ok"}
