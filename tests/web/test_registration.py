"""Self-registration that cannot be abused: login names that reveal no account, codes that can be claimed
back, duplicate names flagged, a per-address limit, and name and code fixed once verified."""

from __future__ import annotations

import re

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from nfmaturity.audit.models import AuditAction, AuditEvent
from nfmaturity.enterprises import registration
from nfmaturity.enterprises.models import ClaimState, CodeClaim, Enterprise, VerificationState
from nfmaturity.enterprises.names import same_name
from nfmaturity.enterprises.services import (
    RegistrationThrottled,
    register_enterprise,
    reject_enterprise,
    update_enterprise,
)

from .conftest import PASSWORD, World, profile, uscc


def form(**changes: object) -> dict[str, object]:
    data: dict[str, object] = {
        "name": "来宾冶炼有限公司",
        "uscc": uscc("C9"),
        "region_code": "451302",
        "sectors": ["smelting"],
        "metals": ["sb"],
        "size": "small",
        "admin_name": "赵六",
        "admin_email": "zhao@example.com",
        "login_stem": "zhaoliu",
        "password1": PASSWORD,
        "password2": PASSWORD,
    }
    data.update(changes)
    return data


def test_the_login_name_is_the_chosen_stem_plus_a_random_suffix_shown_after_registering(db: None) -> None:
    client = Client()
    response = client.post("/enterprises/register/", form())
    assert response["Location"] == "/enterprises/registered/"
    enterprise = Enterprise.objects.get()
    admin = enterprise.organisation.memberships.get().user
    assert re.fullmatch(r"zhaoliu-[2-9a-z]{4}", admin.username)
    assert enterprise.verification == VerificationState.PENDING
    page = client.get("/enterprises/registered/").content.decode()
    assert admin.username in page and "待核验" in page
    event = AuditEvent.objects.get(action=AuditAction.ENTERPRISE_REGISTERED)
    assert event.new["client_address"] == "127.0.0.1"


def test_an_existing_username_as_stem_is_answered_exactly_like_a_free_one(world: World) -> None:
    """The form's answer never depends on which accounts exist: there is nothing to enumerate."""
    taken = Client().post("/enterprises/register/", form(login_stem="ent_admin"))
    free = Client().post(
        "/enterprises/register/", form(login_stem="nobody_has_this", uscc=uscc("C8"), name="另一家公司")
    )
    assert (taken.status_code, free.status_code) == (302, 302)
    assert taken["Location"] == free["Location"] == "/enterprises/registered/"
    assert (
        Enterprise.objects.get(name="来宾冶炼有限公司").organisation.memberships.get().user.username
        != "ent_admin"
    )


def test_a_drawn_login_name_that_exists_is_drawn_again(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    draws = iter(["ent_admin", "ent_admin", "zhaoliu-abcd"])
    monkeypatch.setattr(registration, "login_name_candidate", lambda stem: next(draws))
    assert registration.new_login_name("zhaoliu") == "zhaoliu-abcd"


def test_a_registered_code_can_be_claimed_with_a_statement(world: World) -> None:
    taken = world.enterprise.uscc
    client = Client()
    first = client.post("/enterprises/register/", form(uscc=taken))
    page = first.content.decode()
    assert first.status_code == 200 and "该统一社会信用代码已注册" in page and "申请认领" in page
    assert 'name="claim_statement"' in page and world.enterprise.name not in page  # the holder is not named
    no_statement = client.post("/enterprises/register/", form(uscc=taken, claim="on"))
    assert "申请认领时请说明情况" in no_statement.content.decode()
    assert not Enterprise.objects.filter(name="来宾冶炼有限公司").exists()

    done = client.post(
        "/enterprises/register/", form(uscc=taken, claim="on", claim_statement="营业执照代码即此，法人张三")
    )
    assert done.status_code == 302
    claimant = Enterprise.objects.get(name="来宾冶炼有限公司")
    assert claimant.uscc is None and claimant.verification == VerificationState.PENDING
    claim = CodeClaim.objects.get()
    assert (claim.uscc, claim.holder, claim.claimant, claim.state) == (
        taken,
        world.enterprise,
        claimant,
        ClaimState.PENDING,
    )
    event = AuditEvent.objects.get(action=AuditAction.CODE_CLAIMED)
    assert event.reason == "营业执照代码即此，法人张三" and event.organisation_id == claimant.organisation_id
    assert "认领统一社会信用代码" in client.get("/").content.decode()  # the claimant's banner says why


def test_the_service_refuses_a_taken_code_without_a_claim(world: World) -> None:
    with pytest.raises(ValidationError, match="已注册"):
        register_enterprise(
            profile=profile("冒用公司", "A1"), admin_username="squatter", admin_password=PASSWORD
        )


def test_names_are_compared_without_spaces_brackets_or_latin_case(world: World) -> None:
    world.enterprise.name = "南丹锡业(集团)ABC有限公司"
    world.enterprise.save()
    assert same_name(" 南丹锡业（集团）abc 有限公司").get() == world.enterprise
    assert not same_name("南丹锡业集团有限公司二厂").exists()


def test_a_duplicate_name_is_flagged_and_accepted_once_confirmed(world: World) -> None:
    client = Client()
    first = client.post("/enterprises/register/", form(name="南丹锡业 有限公司"))
    page = first.content.decode()
    assert first.status_code == 200 and "平台上已有名称相同的企业" in page and "不会被拒绝" in page
    assert (
        client.post("/enterprises/register/", form(name="南丹锡业 有限公司", same_name_ok="on")).status_code
        == 302
    )
    assert Enterprise.objects.filter(name="南丹锡业 有限公司").count() == 1


def test_an_address_registers_at_most_five_enterprises_an_hour(db: None, settings: object) -> None:
    for i in range(registration.REGISTRATIONS_PER_HOUR):
        response = Client().post(
            "/enterprises/register/", form(name=f"企业{i}", uscc=uscc(f"R{i}"), login_stem=f"u{i}")
        )
        assert response.status_code == 302
    refused = Client().post("/enterprises/register/", form(name="第六家", uscc=uscc("R9"), login_stem="u9"))
    assert refused.status_code == 429 and "一小时内最多注册 5 家企业" in refused.content.decode()
    assert not Enterprise.objects.filter(name="第六家").exists()
    # Behind one reverse proxy, the address the proxy saw counts, not the proxy's own.
    settings.NFM_PROXY_COUNT = 1  # type: ignore[attr-defined]
    other = Client(HTTP_X_FORWARDED_FOR="203.0.113.7").post(
        "/enterprises/register/", form(name="第六家", uscc=uscc("R9"), login_stem="u9")
    )
    assert other.status_code == 302
    # Enterprises created by the platform itself (demo data, bench) carry no address and are not limited.
    with pytest.raises(RegistrationThrottled):
        register_enterprise(
            profile=profile("第七家", "R8"),
            admin_username="u8",
            admin_password=PASSWORD,
            client_address="127.0.0.1",
        )


def test_a_pending_enterprise_sees_who_verifies_it_and_what_comes_next(world: World) -> None:
    page = world.client("pending_admin").get("/").content.decode()
    assert "待核验" in page and "广西壮族自治区工业和信息化厅" in page and "平台管理员" in page
    assert "湖南省工业和信息化厅" not in page and "不计入任何统计" in page


def test_name_and_code_are_read_only_once_verified(world: World) -> None:
    e = world.enterprise  # verified
    client = world.client("ent_admin")
    page = client.get(f"/enterprises/{e.pk}/edit/").content.decode()
    assert re.search(r'name="name"[^>]*disabled', page) and re.search(r'name="uscc"[^>]*disabled', page)
    response = client.post(
        f"/enterprises/{e.pk}/edit/",
        {
            "name": "改名公司",
            "uscc": uscc("Y9"),
            "region_code": e.region_code,
            "sectors": ["smelting"],
            "metals": ["sn"],
            "size": "medium",
        },
    )
    e.refresh_from_db()
    assert response.status_code == 302 and (e.name, e.uscc) == ("南丹锡业有限公司", uscc("A1"))
    with pytest.raises(ValidationError, match="只能由核验人员修改"):
        update_enterprise(enterprise=e, actor=world.users["ent_admin"], profile={"name": "改名公司"})


def test_a_pending_enterprise_may_still_correct_its_name(world: World) -> None:
    pending = world.pending
    assert pending is not None
    update_enterprise(
        enterprise=pending, actor=world.users["pending_admin"], profile={"name": "南宁新材料股份公司"}
    )
    pending.refresh_from_db()
    assert pending.name == pending.organisation.name == "南宁新材料股份公司"


def test_a_rejected_enterprise_that_corrects_its_profile_returns_to_the_queue(world: World) -> None:
    pending = world.pending
    assert pending is not None
    reject_enterprise(actor=world.users["regulator"], enterprise=pending, reason="名称与营业执照不符")
    page = world.client("pending_admin").get("/").content.decode()
    assert "未通过核验" in page and "名称与营业执照不符" in page
    update_enterprise(
        enterprise=pending, actor=world.users["pending_admin"], profile={"name": "南宁新材料股份公司"}
    )
    pending.refresh_from_db()
    assert pending.verification == VerificationState.PENDING
    event = AuditEvent.objects.filter(action=AuditAction.ENTERPRISE_UPDATED).latest("id")
    assert event.new["verification"] == VerificationState.PENDING


def test_a_verified_enterprise_that_moves_region_is_verified_again_by_the_new_regulator(world: World) -> None:
    e = world.enterprise  # verified, in 广西
    update_enterprise(enterprise=e, actor=world.users["ent_admin"], profile={"region_code": "430000"})
    e.refresh_from_db()
    assert e.verification == VerificationState.PENDING
    event = AuditEvent.objects.filter(action=AuditAction.ENTERPRISE_UPDATED).latest("id")
    assert event.old["verification"] == VerificationState.VERIFIED
    assert event.new == {"region_code": "430000", "verification": VerificationState.PENDING}
