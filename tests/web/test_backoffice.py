"""The back office: who reaches which page, and every change made through a service with an audit event."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client

from nfmaturity.accounts.models import (
    NATIONAL_JURISDICTION,
    Invitation,
    InvitationState,
    Membership,
    Organisation,
    OrganisationKind,
    Role,
)
from nfmaturity.accounts.organisations import (
    create_organisation_with_admin,
    rename_organisation,
    set_jurisdiction,
)
from nfmaturity.accounts.services import create_member, invite_colleague
from nfmaturity.audit.models import AuditAction, AuditEvent

from .conftest import PASSWORD, World

PERSONAS = (
    "anonymous",
    "ent_admin",
    "ent_member",
    "outsider",
    "pending_admin",
    "expert",
    "body_admin",
    "regulator",
    "hunan_regulator",
    "national_regulator",
    "platform_admin",
)


@pytest.fixture
def world(module_world: World, db: None) -> World:
    """The personas are built once for the module; each test's writes roll back with its savepoint."""
    return module_world


def _org(world: World, name: str) -> Organisation:
    return Organisation.objects.get(name=name)


def _expect(default: int, **overrides: int) -> dict[str, int]:
    return {p: overrides.get(p, default) for p in PERSONAS} | {"anonymous": 302}


# url → expected status per persona. {a}: enterprise A's organisation (广西 河池), {h}: the 湖南 enterprise's,
# {body}: the assessment body, {gx}: the 广西 regulator's own organisation.
MATRIX: list[tuple[str, dict[str, int]]] = [
    (
        "/backoffice/",
        _expect(403, regulator=200, hunan_regulator=200, national_regulator=200, platform_admin=200),
    ),
    ("/backoffice/organisations/new/", _expect(403, platform_admin=200)),
    (
        "/backoffice/organisations/{a}/",
        _expect(403, regulator=200, hunan_regulator=404, national_regulator=200, platform_admin=200),
    ),
    (
        "/backoffice/organisations/{h}/",
        _expect(403, regulator=404, hunan_regulator=200, national_regulator=200, platform_admin=200),
    ),
    (
        "/backoffice/organisations/{body}/",
        _expect(403, regulator=404, hunan_regulator=404, national_regulator=404, platform_admin=200),
    ),
    (
        "/backoffice/organisations/{gx}/",
        _expect(403, regulator=200, hunan_regulator=404, national_regulator=404, platform_admin=200),
    ),
    (
        "/backoffice/organisations/99999/",
        _expect(403, regulator=404, hunan_regulator=404, national_regulator=404, platform_admin=404),
    ),
    ("/backoffice/invitations/", _expect(403, platform_admin=200)),
    (
        "/backoffice/audit/",
        _expect(
            403,
            ent_admin=200,
            outsider=200,
            pending_admin=200,
            body_admin=200,
            regulator=200,
            hunan_regulator=200,
            national_regulator=200,
            platform_admin=200,
        ),
    ),
    (
        "/backoffice/audit/export/",
        _expect(
            403,
            ent_admin=200,
            outsider=200,
            pending_admin=200,
            body_admin=200,
            regulator=200,
            hunan_regulator=200,
            national_regulator=200,
            platform_admin=200,
        ),
    ),
]
# POST-only changes: regulators may see the object (403) or not (404); the platform admin is tested below.
WRITES: list[tuple[str, dict[str, int]]] = [
    (
        "/backoffice/organisations/{a}/rename/",
        _expect(403, hunan_regulator=404, platform_admin=302),
    ),
    (
        "/backoffice/organisations/{gx}/jurisdiction/",
        _expect(403, hunan_regulator=404, national_regulator=404, platform_admin=302),
    ),
    (
        "/backoffice/members/{a_member}/role/",
        _expect(403, hunan_regulator=404, platform_admin=302),
    ),
    (
        "/backoffice/members/{h_member}/remove/",
        _expect(403, regulator=404, hunan_regulator=403, platform_admin=200),
    ),
    (
        "/backoffice/invitations/{a_invitation}/revoke/",
        _expect(403, hunan_regulator=404, platform_admin=302),
    ),
]


def _ids(world: World) -> dict[str, int]:
    a = world.enterprise.organisation
    assert world.hunan is not None
    invitation = invite_colleague(
        organisation=a,
        actor=world.users["ent_admin"],  # type: ignore[arg-type]
        email="new@example.com",
        full_name="新同事",
        role=Role.ENTERPRISE_MEMBER,
    ).invitation
    return {
        "a": a.pk,
        "h": world.hunan.organisation_id,
        "body": _org(world, "评估中心").pk,
        "gx": _org(world, "广西壮族自治区工业和信息化厅").pk,
        "a_member": Membership.objects.get(user__username="ent_member").pk,
        "h_member": Membership.objects.get(user__username="hunan_admin").pk,
        "a_invitation": invitation.pk,
    }


def test_it_answers_each_persona_as_the_matrix_says(world: World) -> None:
    ids = _ids(world)
    clients = {p: world.client(p) for p in PERSONAS}
    wrong = []
    requests = 0
    for url, expected in MATRIX:
        for persona, status in expected.items():
            got = clients[persona].get(url.format(**ids)).status_code
            requests += 1
            if got != status:
                wrong.append(f"GET {url} {persona}: {got} != {status}")
    for url, expected in WRITES:
        for persona, status in expected.items():
            if persona == "platform_admin":
                continue  # its writes change data; each has its own test below
            got = clients[persona].post(url.format(**ids), {"name": "x", "role": "expert"}).status_code
            requests += 1
            if got != status:
                wrong.append(f"POST {url} {persona}: {got} != {status}")
    assert not wrong, "\n".join(wrong)
    # Not yours reads exactly like missing (the per-response CSRF token aside).
    hidden = clients["regulator"].get(f"/backoffice/organisations/{ids['h']}/")
    missing = clients["regulator"].get("/backoffice/organisations/99999/")
    assert _masked(hidden.content) == _masked(missing.content)
    assert requests == len(MATRIX) * len(PERSONAS) + len(WRITES) * (len(PERSONAS) - 1)
    # Nothing the refused writes asked for happened.
    assert not AuditEvent.objects.filter(
        action__in=[
            AuditAction.ORGANISATION_UPDATED,
            AuditAction.ROLE_CHANGED,
            AuditAction.INVITATION_REVOKED,
        ]
    ).exists()


def _masked(content: bytes) -> bytes:
    return re.sub(rb"[A-Za-z0-9]{64}", b"<csrf>", content)


def test_the_django_admin_is_gone(world: World) -> None:
    assert "django.contrib.admin" not in settings.INSTALLED_APPS
    assert world.client("platform_admin").get("/admin/").status_code == 404


def test_a_regulator_lists_only_the_organisations_of_its_jurisdiction_and_its_own(world: World) -> None:
    names = {
        persona: set(re.findall(r'href="/backoffice/organisations/\d+/">([^<]+)<', _page(world, persona)))
        for persona in ("regulator", "hunan_regulator", "national_regulator", "platform_admin")
    }
    guangxi = {"南丹锡业有限公司", "百色铝业有限公司", "南宁新材料有限公司"}
    assert names["regulator"] == guangxi | {"广西壮族自治区工业和信息化厅"}
    assert names["hunan_regulator"] == {"湖南有色冶炼有限公司", "湖南省工业和信息化厅"}
    assert names["national_regulator"] == guangxi | {"湖南有色冶炼有限公司", "工业和信息化部"}
    assert names["platform_admin"] >= names["national_regulator"] | {"评估中心", "湖南省工业和信息化厅"}


def _page(world: World, persona: str, url: str = "/backoffice/") -> str:
    response = world.client(persona).get(url)
    assert response.status_code == 200
    return response.content.decode()


def test_the_organisation_list_says_kind_jurisdiction_members_and_verification(world: World) -> None:
    html = _page(world, "platform_admin")
    for text in (
        "广西壮族自治区",
        "湖南省",
        "全国",
        "主管部门",
        "评估机构",
        "待核验",
        "已核验",
        "新建主管部门或评估机构",
    ):
        assert text in html
    regulator_html = _page(world, "regulator")
    assert "只读" in regulator_html and "新建主管部门或评估机构" not in regulator_html
    assert "广西壮族自治区" in regulator_html


def test_a_regulator_reads_members_but_sees_no_change_forms_or_invitations(world: World) -> None:
    html = _page(world, "regulator", f"/backoffice/organisations/{world.enterprise.organisation_id}/")
    assert "ent_member" in html and "企业成员" in html
    assert "改角色" not in html and "移除" not in html and "邀请成员" not in html


def test_the_platform_admin_creates_a_regulator_and_invites_its_first_person(world: World) -> None:
    client = world.client("platform_admin")
    response = client.post(
        "/backoffice/organisations/new/",
        {
            "kind": "regulator",
            "name": "  河池市 工业和信息化局 ",
            "jurisdiction": "451200",
            "admin_name": "韦局长",
            "admin_email": "wei@example.com",
        },
    )
    assert response.status_code == 200
    organisation = Organisation.objects.get(name="河池市 工业和信息化局")
    assert organisation.kind == OrganisationKind.REGULATOR and organisation.jurisdiction == "451200"
    html = response.content.decode()
    link = re.search(r'value="(http://testserver/accounts/invitation/[^"]+/)"', html)
    assert link is not None and "仅显示这一次" in html and "广西壮族自治区 河池市" in html
    invitation = Invitation.objects.get(organisation=organisation)
    assert invitation.role == Role.REGULATOR_VIEWER and invitation.email == "wei@example.com"
    created = AuditEvent.objects.get(action=AuditAction.ORGANISATION_CREATED, object_id=str(organisation.pk))
    assert created.actor == world.users["platform_admin"]
    assert created.new == {"name": "河池市 工业和信息化局", "kind": "regulator", "jurisdiction": "451200"}
    assert AuditEvent.objects.filter(
        action=AuditAction.MEMBER_INVITED, organisation_id=organisation.pk
    ).exists()
    # The link works: the invited person joins the regulator and sees only Hechi.
    assert Client().get(link.group(1).removeprefix("http://testserver")).status_code == 200


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"kind": "regulator", "jurisdiction": ""}, "请选择主管部门的管辖范围"),
        ({"kind": "body", "jurisdiction": "450000"}, "评估机构没有管辖范围"),
        ({"kind": "enterprise", "jurisdiction": ""}, "选择一个有效的选项"),
        ({"kind": "regulator", "jurisdiction": "999999"}, "选择一个有效的选项"),
        ({"kind": "body", "jurisdiction": "", "name": "评估中心"}, "已有同名的评估机构"),
    ],
)
def test_the_creation_form_refuses_what_does_not_fit(world: World, data: dict[str, str], error: str) -> None:
    form = {"name": "新机构", "admin_name": "张三", "admin_email": "z@example.com", **data}
    response = world.client("platform_admin").post("/backoffice/organisations/new/", form)
    assert response.status_code == 200
    assert error in response.content.decode()
    assert not AuditEvent.objects.filter(
        action=AuditAction.ORGANISATION_CREATED, actor__is_superuser=True
    ).exists()


def test_the_organisation_services_are_for_the_platform_admin_only(world: World) -> None:
    regulator = world.users["regulator"]
    body = _org(world, "评估中心")
    with pytest.raises(PermissionDenied):
        rename_organisation(actor=regulator, organisation=body, name="改名")  # type: ignore[arg-type]
    with pytest.raises(PermissionDenied):
        create_organisation_with_admin(
            actor=regulator,  # type: ignore[arg-type]
            name="x",
            kind=OrganisationKind.BODY,
            admin_email="a@example.com",
            admin_name="a",
        )
    admin = world.users["platform_admin"]
    with pytest.raises(ValidationError, match="企业名称随企业信息修改"):
        rename_organisation(actor=admin, organisation=world.enterprise.organisation, name="改名")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="只有主管部门有管辖范围"):
        set_jurisdiction(actor=admin, organisation=body, jurisdiction="450000")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="六位行政区划代码"):
        set_jurisdiction(actor=admin, organisation=_org(world, "工业和信息化部"), jurisdiction="45")  # type: ignore[arg-type]
    assert not AuditEvent.objects.filter(action=AuditAction.ORGANISATION_UPDATED).exists()


def test_renaming_is_audited_with_the_reason(world: World) -> None:
    body = _org(world, "评估中心")
    client = world.client("platform_admin")
    response = client.post(
        f"/backoffice/organisations/{body.pk}/rename/", {"name": "广西评估中心", "reason": "更名批复"}
    )
    assert response.status_code == 302
    body.refresh_from_db()
    assert body.name == "广西评估中心"
    event = AuditEvent.objects.get(action=AuditAction.ORGANISATION_UPDATED)
    assert (event.old, event.new, event.reason) == (
        {"name": "评估中心"},
        {"name": "广西评估中心"},
        "更名批复",
    )
    # The same name again changes nothing and writes nothing.
    client.post(f"/backoffice/organisations/{body.pk}/rename/", {"name": "广西评估中心"})
    assert AuditEvent.objects.filter(action=AuditAction.ORGANISATION_UPDATED).count() == 1


def test_moving_a_jurisdiction_changes_what_the_regulator_sees_at_once(world: World) -> None:
    gx = _org(world, "广西壮族自治区工业和信息化厅")
    client = world.client("platform_admin")
    response = client.post(
        f"/backoffice/organisations/{gx.pk}/jurisdiction/", {"jurisdiction": "451000", "reason": "改为百色市"}
    )
    assert response.status_code == 302
    event = AuditEvent.objects.get(action=AuditAction.ORGANISATION_UPDATED)
    assert (event.old, event.new) == ({"jurisdiction": "450000"}, {"jurisdiction": "451000"})
    html = _page(world, "regulator")
    assert "百色铝业有限公司" in html and "南丹锡业有限公司" not in html
    assert "百色市" in _page(world, "platform_admin", f"/backoffice/organisations/{gx.pk}/")
    client.post(f"/backoffice/organisations/{gx.pk}/jurisdiction/", {"jurisdiction": NATIONAL_JURISDICTION})
    assert "湖南有色冶炼有限公司" in _page(world, "regulator")


def test_a_role_change_goes_through_the_service_and_keeps_the_last_admin(world: World) -> None:
    client = world.client("platform_admin")
    member = Membership.objects.get(user__username="ent_member")
    response = client.post(
        f"/backoffice/members/{member.pk}/role/", {"role": "enterprise_admin", "reason": "新任信息中心主任"}
    )
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.role == Role.ENTERPRISE_ADMIN
    event = AuditEvent.objects.get(action=AuditAction.ROLE_CHANGED)
    assert event.reason == "新任信息中心主任" and event.new == {"role": "enterprise_admin"}

    only_admin = Membership.objects.get(user__username="outsider")
    response = client.post(
        f"/backoffice/members/{only_admin.pk}/role/", {"role": "enterprise_member"}, follow=True
    )
    assert "唯一的管理员" in response.content.decode()
    only_admin.refresh_from_db()
    assert only_admin.role == Role.ENTERPRISE_ADMIN
    # A role of another kind of organisation is not offered, and refused if posted.
    response = client.post(f"/backoffice/members/{member.pk}/role/", {"role": "expert"}, follow=True)
    assert "选择一个有效的选项" in response.content.decode()
    assert AuditEvent.objects.filter(action=AuditAction.ROLE_CHANGED).count() == 1


def test_removing_a_member_asks_for_a_reason_and_is_audited(world: World) -> None:
    client = world.client("platform_admin")
    member = Membership.objects.get(user__username="ent_member")
    url = f"/backoffice/members/{member.pk}/remove/"
    assert "确认移除" in client.get(url).content.decode()
    assert "这个字段是必填项" in client.post(url, {"reason": ""}).content.decode()
    assert Membership.objects.filter(pk=member.pk).exists()

    response = client.post(url, {"reason": "已离职"})
    assert response.status_code == 302
    assert not Membership.objects.filter(pk=member.pk).exists()
    assert not User.objects.get(username="ent_member").is_active
    event = AuditEvent.objects.get(action=AuditAction.MEMBER_REMOVED)
    assert event.reason == "已离职" and event.organisation_id == world.enterprise.organisation_id
    # Gone is gone: the same URL is now a 404.
    assert client.get(url).status_code == 404

    only_admin = Membership.objects.get(user__username="outsider")
    html = client.post(f"/backoffice/members/{only_admin.pk}/remove/", {"reason": "试试"}).content.decode()
    assert "唯一的管理员" in html and Membership.objects.filter(pk=only_admin.pk).exists()


def test_revoking_an_invitation_stops_its_link_and_is_audited(world: World) -> None:
    issued = invite_colleague(
        organisation=world.enterprise.organisation,
        actor=world.users["ent_admin"],  # type: ignore[arg-type]
        email="late@example.com",
        full_name="迟到者",
        role=Role.ENTERPRISE_MEMBER,
    )
    client = world.client("platform_admin")
    listing = client.get("/backoffice/invitations/?state=pending").content.decode()
    assert "late@example.com" in listing and "待接受" in listing
    response = client.post(f"/backoffice/invitations/{issued.invitation.pk}/revoke/")
    assert response.status_code == 302 and response["Location"] == "/backoffice/invitations/"
    issued.invitation.refresh_from_db()
    assert issued.invitation.state == InvitationState.REVOKED
    assert issued.invitation.revoked_by == world.users["platform_admin"]
    assert AuditEvent.objects.filter(action=AuditAction.INVITATION_REVOKED).count() == 1
    assert Client().get(f"/accounts/invitation/{issued.token}/").status_code == 404
    again = client.post(
        f"/backoffice/invitations/{issued.invitation.pk}/revoke/", {"back": "organisation"}, follow=True
    )
    assert "该邀请已撤销" in again.content.decode()
    assert again.redirect_chain[-1][0] == f"/backoffice/organisations/{world.enterprise.organisation_id}/"


def test_the_platform_admin_invites_into_an_organisation_with_the_lowest_role_offered(world: World) -> None:
    body = _org(world, "评估中心")
    client = world.client("platform_admin")
    html = client.get(f"/backoffice/organisations/{body.pk}/").content.decode()
    assert re.search(r'<option value="expert" selected>', html)
    response = client.post(
        f"/backoffice/organisations/{body.pk}/invite/",
        {"full_name": "李专家", "email": "li@example.com", "role": "expert"},
    )
    assert "仅显示这一次" in response.content.decode()
    assert Invitation.objects.get(email="li@example.com").organisation == body


def test_a_new_body_admin_sees_its_own_audit_log(world: World) -> None:
    created = create_organisation_with_admin(
        actor=world.users["platform_admin"],  # type: ignore[arg-type]
        name="新评估机构",
        kind=OrganisationKind.BODY,
        admin_email="boss@example.com",
        admin_name="王主任",
    )
    assert created.invitation.invitation.role == Role.BODY_ADMIN
    boss = create_member(
        organisation=created.organisation, username="boss", password=PASSWORD, role=Role.BODY_ADMIN
    )
    client = Client()
    client.force_login(boss)
    html = client.get("/backoffice/audit/").content.decode()
    assert "创建机构" in html and "评估机构 新评估机构" in html and "南丹锡业" not in html


def test_a_refused_rename_or_jurisdiction_gives_back_what_was_typed(world: World) -> None:
    gx = _org(world, "广西壮族自治区工业和信息化厅")
    client = world.client("platform_admin")
    response = client.post(
        f"/backoffice/organisations/{gx.pk}/jurisdiction/", {"jurisdiction": "999999", "reason": "调整辖区"}
    )
    assert response.status_code == 422
    page = response.content.decode()
    assert "调整辖区" in page and "选择一个有效的选项" in page
    response = client.post(f"/backoffice/organisations/{gx.pk}/rename/", {"name": "", "reason": "更名批复"})
    assert response.status_code == 422 and "更名批复" in response.content.decode()
    gx.refresh_from_db()
    assert gx.jurisdiction == "450000"
    assert not AuditEvent.objects.filter(action=AuditAction.ORGANISATION_UPDATED).exists()
