"""The verification queue: who reviews which enterprises, what they are shown, and what their decisions do
(verify, reject, correct the name or code, grant or refuse a code claim), each locked and audited."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from nfmaturity.accounts.models import Role
from nfmaturity.accounts.services import create_member
from nfmaturity.audit.models import AuditAction, AuditEvent
from nfmaturity.enterprises.checks import Level, code_findings
from nfmaturity.enterprises.models import ClaimState, CodeClaim, Enterprise, VerificationState
from nfmaturity.enterprises.services import (
    grant_claim,
    refuse_claim,
    register_enterprise,
    reject_enterprise,
    verify_enterprise,
)
from nfmaturity.enterprises.uscc import check_character

from .conftest import PASSWORD, World, profile, regulator


def code_in(region: str, seed: str = "X1") -> str:
    first17 = f"91{region}{seed}0000000"[:17]
    return first17 + check_character(first17)


def claim_against(world: World, *, region: str = "451302") -> CodeClaim:
    """A company in 来宾 says enterprise A (南丹) registered its code."""
    registration = register_enterprise(
        profile={**profile("来宾真锡业有限公司", "Q1", region), "uscc": world.enterprise.uscc},
        admin_username="claimant",
        admin_password=PASSWORD,
        claim_statement="营业执照上的代码是本公司的",
    )
    assert registration.claim is not None
    return registration.claim


def test_the_queue_lists_pending_enterprises_inside_the_jurisdiction_only(world: World) -> None:
    hunan_pending = register_enterprise(
        profile=profile("湖南新注册公司", "H7", "430100"), admin_username="hn_new", admin_password=PASSWORD
    ).enterprise
    seen = {}
    for persona in ("regulator", "hunan_regulator", "national_regulator", "platform_admin"):
        response = world.client(persona).get("/enterprises/verification/")
        assert response.status_code == 200, persona
        seen[persona] = {r.enterprise for r in response.context["reviews"]}
    assert seen["regulator"] == {world.pending}
    assert seen["hunan_regulator"] == {hunan_pending}
    assert seen["national_regulator"] == seen["platform_admin"] == {world.pending, hunan_pending}
    for persona in ("ent_admin", "ent_member", "pending_admin", "expert", "body_admin"):
        assert world.client(persona).get("/enterprises/verification/").status_code == 403, persona
    assert world.client("anonymous").get("/enterprises/verification/").status_code == 302
    verified = world.client("regulator").get("/enterprises/verification/?state=verified")
    assert {r.enterprise for r in verified.context["reviews"]} == {world.enterprise, world.other}


def test_a_city_regulator_reviews_its_counties_and_nothing_else(world: World) -> None:
    hechi = create_member(
        organisation=regulator("河池市工业和信息化局", "451200"),
        username="hechi",
        password=PASSWORD,
        role=Role.REGULATOR_VIEWER,
    )
    world.users["hechi"] = hechi
    client = world.client("hechi")
    assert client.get(f"/enterprises/verification/{world.enterprise.pk}/").status_code == 200  # 451221
    assert client.get(f"/enterprises/verification/{world.other.pk}/").status_code == 404  # 百色 451002
    assert client.get("/enterprises/verification/999999/").status_code == 404  # the same 404 as missing
    with pytest.raises(PermissionDenied):
        verify_enterprise(actor=hechi, enterprise=world.other)


def test_outsiders_get_404_on_every_verification_url(world: World) -> None:
    pending = world.pending
    assert pending is not None
    claim = claim_against(world)
    urls = [
        f"/enterprises/verification/{pending.pk}/",
        f"/enterprises/verification/{pending.pk}/identity/",
        f"/enterprises/verification/claims/{claim.pk}/",
    ]
    for persona in ("hunan_regulator", "ent_admin", "pending_admin", "body_admin", "expert"):
        client = world.client(persona)
        for url in urls:
            assert client.post(url, {"decision": "verify", "reason": "x", "note": "x"}).status_code == 404
    assert world.client("hunan_regulator").get(urls[0]).status_code == 404
    pending.refresh_from_db()
    assert (
        pending.verification == VerificationState.PENDING
        and CodeClaim.objects.get().state == ClaimState.PENDING
    )


def test_the_verifier_sees_what_to_check(world: World) -> None:
    pending = world.pending
    assert pending is not None
    twin = register_enterprise(
        profile=profile("南宁新材料 有限公司", "T1", "450103"),
        admin_username="twin",
        admin_password=PASSWORD,
        admin_email="Same@Example.com",
    ).enterprise
    pending.organisation.memberships.get().user.__class__.objects.filter(username="pending_admin").update(
        email="same@example.com"
    )
    page = world.client("regulator").get(f"/enterprises/verification/{pending.pk}/")
    review = page.context["review"]
    titles = {f.title for f in review.findings}
    assert {"校验位正确", "企业代码（91 开头）", "有同名企业", "同一邮箱注册了其他企业"} <= titles
    assert review.same_name == [twin] and review.same_email == [twin]
    text = page.content.decode()
    assert "国家企业信用信息公示系统" in text and "同名可以成立" in text
    queue = world.client("regulator").get("/enterprises/verification/").content.decode()
    assert "有同名企业" in queue


def test_the_code_is_read_against_the_registered_region() -> None:
    def levels(code: str, region: str) -> dict[str, Level]:
        return {f.title: f.level for f in code_findings(code, region)}

    assert levels(code_in("451200"), "451221")["登记机关与所在地区一致"] is Level.OK
    assert levels(code_in("450100"), "451221")["同省不同市"] is Level.INFO
    assert levels(code_in("430100"), "451221")["登记机关与所在地区不在同一省份"] is Level.WARN
    other_kind = "52450100" + "X10000000"
    other_kind = other_kind[:17] + check_character(other_kind[:17])
    assert levels(other_kind, "450100")["不是市场监管部门登记的企业"] is Level.WARN


def test_the_queue_costs_the_same_queries_for_two_or_eight_pending_enterprises(world: World) -> None:
    client = world.client("regulator")

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/enterprises/verification/").status_code == 200
        return len(queries)

    register_enterprise(
        profile=profile("甲", "P0", "450103"),
        admin_username="p0",
        admin_password=PASSWORD,
        admin_email="p0@example.com",
        client_address="198.51.100.9",
    )
    few = count()
    for i in range(1, 7):
        register_enterprise(
            profile=profile(f"乙{i}", f"P{i}", "450103"),
            admin_username=f"p{i}",
            admin_password=PASSWORD,
            admin_email=f"p{i}@example.com",
            client_address=f"198.51.100.{i % 2}",
        )
    assert count() == few


def test_verifying_records_who_when_and_why(world: World) -> None:
    pending = world.pending
    assert pending is not None
    client = world.client("regulator")
    assert "去核验" in client.get(f"/enterprises/{pending.pk}/").content.decode()
    response = client.post(
        f"/enterprises/verification/{pending.pk}/", {"decision": "verify", "note": "已核对执照"}
    )
    assert response.status_code == 302 and response["Location"] == "/enterprises/verification/"
    pending.refresh_from_db()
    assert pending.verification == VerificationState.VERIFIED
    assert pending.verified_by == world.users["regulator"] and pending.verified_at is not None
    event = AuditEvent.objects.get(action=AuditAction.ENTERPRISE_VERIFIED)
    assert (event.actor, event.reason, event.old) == (
        world.users["regulator"],
        "已核对执照",
        {"verification": "pending"},
    )
    with pytest.raises(ValidationError, match="已通过核验"):
        verify_enterprise(actor=world.users["regulator"], enterprise=pending)


def test_rejecting_needs_a_reason_the_enterprise_then_reads(world: World) -> None:
    pending = world.pending
    assert pending is not None
    client = world.client("platform_admin")
    refused = client.post(f"/enterprises/verification/{pending.pk}/", {"decision": "reject", "note": "  "})
    assert refused.status_code == 422 and "请填写不通过的理由" in refused.content.decode()
    pending.refresh_from_db()
    assert pending.verification == VerificationState.PENDING
    client.post(f"/enterprises/verification/{pending.pk}/", {"decision": "reject", "note": "代码与名称不符"})
    pending.refresh_from_db()
    assert (pending.verification, pending.verification_note) == (VerificationState.REJECTED, "代码与名称不符")
    assert AuditEvent.objects.get(action=AuditAction.ENTERPRISE_REJECTED).reason == "代码与名称不符"
    assert "代码与名称不符" in world.client("pending_admin").get("/").content.decode()


def test_only_the_verifier_corrects_a_verified_name_with_a_reason(world: World) -> None:
    e = world.enterprise
    client = world.client("regulator")
    url = f"/enterprises/verification/{e.pk}/identity/"
    no_reason = client.post(url, {"name": "南丹锡业股份有限公司", "uscc": e.uscc, "reason": ""})
    assert no_reason.status_code == 422
    taken = client.post(url, {"name": e.name, "uscc": world.other.uscc, "reason": "更正"})
    assert taken.status_code == 422 and "已注册" in taken.content.decode()
    done = client.post(url, {"name": "南丹锡业股份有限公司", "uscc": e.uscc, "reason": "执照已变更名称"})
    assert done.status_code == 302
    e.refresh_from_db()
    assert e.name == e.organisation.name == "南丹锡业股份有限公司"
    event = AuditEvent.objects.get(action=AuditAction.ENTERPRISE_UPDATED)
    assert (event.old, event.new, event.reason) == (
        {"name": "南丹锡业有限公司"},
        {"name": "南丹锡业股份有限公司"},
        "执照已变更名称",
    )


def test_granting_a_claim_moves_the_code_and_both_trails_record_it(world: World) -> None:
    claim = claim_against(world)
    code = world.enterprise.uscc
    client = world.client("regulator")
    queue = client.get("/enterprises/verification/")
    assert queue.context["claims"] == [(claim, claim.claimant)]
    page = client.get(f"/enterprises/verification/{claim.claimant_id}/").content.decode()
    assert "营业执照上的代码是本公司的" in page and "改配给认领方" in page
    assert (
        client.post(
            f"/enterprises/verification/claims/{claim.pk}/", {"decision": "grant", "reason": ""}
        ).status_code
        == 422
    )
    response = client.post(
        f"/enterprises/verification/claims/{claim.pk}/",
        {"decision": "grant", "reason": "核对执照原件，代码属认领方"},
    )
    assert response.status_code == 302
    holder, claimant = (Enterprise.objects.get(pk=pk) for pk in (world.enterprise.pk, claim.claimant_id))
    assert (holder.uscc, holder.verification) == (None, VerificationState.PENDING)
    assert claimant.uscc == code and claimant.verification == VerificationState.PENDING
    claim.refresh_from_db()
    assert (claim.state, claim.decided_by, claim.decision_reason) == (
        ClaimState.GRANTED,
        world.users["regulator"],
        "核对执照原件，代码属认领方",
    )
    events = AuditEvent.objects.filter(action=AuditAction.CODE_REASSIGNED)
    assert {e.organisation_id for e in events} == {holder.organisation_id, claimant.organisation_id}
    assert {e.reason for e in events} == {"核对执照原件，代码属认领方"}
    # The former holder has no code now and is told so; the claimant can now be verified.
    assert "没有统一社会信用代码" in world.client("ent_admin").get("/").content.decode()
    verify_enterprise(actor=world.users["regulator"], enterprise=claimant)
    with pytest.raises(ValidationError, match="已处理"):
        refuse_claim(actor=world.users["regulator"], claim=claim, reason="再驳回")


def test_refusing_a_claim_leaves_the_code_where_it_was(world: World) -> None:
    claim = claim_against(world)
    with pytest.raises(ValidationError, match="驳回理由"):
        refuse_claim(actor=world.users["platform_admin"], claim=claim, reason="")
    refuse_claim(actor=world.users["platform_admin"], claim=claim, reason="认领方无法提供执照")
    world.enterprise.refresh_from_db()
    claim.refresh_from_db()
    assert world.enterprise.uscc is not None and claim.state == ClaimState.REFUSED
    event = AuditEvent.objects.get(action=AuditAction.CODE_CLAIM_REFUSED)
    assert event.reason == "认领方无法提供执照" and event.organisation_id == claim.claimant.organisation_id


def test_a_claim_across_jurisdictions_needs_a_reviewer_of_both(world: World) -> None:
    claim = claim_against(world, region="430100")  # the claimant is in 湖南, the holder in 广西
    # Both see it (it concerns one of theirs), each from the page of its own enterprise, where it is told
    # who may decide; neither may decide it.
    for persona, own in (("hunan_regulator", claim.claimant), ("regulator", world.enterprise)):
        with pytest.raises(PermissionDenied):
            grant_claim(actor=world.users[persona], claim=claim, reason="越权")
        listed = world.client(persona).get("/enterprises/verification/").context["claims"]
        assert listed == [(claim, own)]
        page = world.client(persona).get(f"/enterprises/verification/{own.pk}/").content.decode()
        assert "营业执照上的代码是本公司的" in page and "须由同时管辖双方的主管部门或平台管理员处理" in page
    assert (
        world.client("regulator")
        .post(f"/enterprises/verification/claims/{claim.pk}/", {"decision": "grant", "reason": "越权"})
        .status_code
        == 403
    )
    grant_claim(actor=world.users["national_regulator"], claim=claim, reason="国家级核实")
    claim.refresh_from_db()
    assert claim.state == ClaimState.GRANTED


def test_an_enterprise_without_a_code_cannot_be_verified(world: World) -> None:
    claim = claim_against(world)
    with pytest.raises(ValidationError, match="尚无统一社会信用代码"):
        verify_enterprise(actor=world.users["regulator"], enterprise=claim.claimant)
    reject_enterprise(actor=world.users["regulator"], enterprise=claim.claimant, reason="冒认")
