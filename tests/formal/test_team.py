"""组建评估组: members, 组长, declarations, sub-domain assignment, and every rule confirm_team enforces."""

from __future__ import annotations

import re

import pytest
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone

from nfmaturity.accounts.models import Notification, Organisation
from nfmaturity.assessments.catalogs import sector_view
from nfmaturity.audit.models import AuditAction, AuditEvent
from nfmaturity.formal import services_team as team
from nfmaturity.formal.models import (
    Discipline,
    ExpertProfile,
    ExpertRelation,
    FormalAssessment,
    FormalState,
    RelationKind,
    SubdomainAssignment,
    TeamMember,
)
from nfmaturity.formal.workflow import FormalError
from tests.web.conftest import World

from .factory import make_formal, seat_team

S = FormalState


@pytest.fixture
def formal(world: World, body: Organisation) -> FormalAssessment:
    return make_formal(world.enterprise, body, world.users["ent_admin"], state=S.TEAM)


def refusal(formal: FormalAssessment, world: World) -> str:
    with pytest.raises(FormalError) as refused:
        team.confirm_team(formal=formal, actor=world.users["body_admin"])  # type: ignore[arg-type]
    formal.refresh_from_db()
    assert formal.state == S.TEAM
    return refused.value.message


@pytest.mark.django_db
def test_a_complete_team_is_confirmed_and_told(
    world: World, formal: FormalAssessment, experts: list[ExpertProfile]
) -> None:
    seat_team(formal, experts[:7])
    assert team.team_problems(formal) == []
    team.confirm_team(formal=formal, actor=world.users["body_admin"])  # type: ignore[arg-type]
    formal.refresh_from_db()
    assert formal.state == S.PLANNING and formal.team_confirmed_at is not None
    assert Notification.objects.filter(user=experts[0].user, text__contains="评估组已确认").count() == 1
    assert AuditEvent.objects.filter(action=AuditAction.TEAM_CONFIRMED, object_id=str(formal.pk)).exists()


@pytest.mark.parametrize(
    ("size", "messages"),
    [
        (6, ["至少 7 人，现有 6 人", "须为奇数，现有 6 人"]),
        (8, ["须为奇数，现有 8 人"]),
        (5, ["至少 7 人，现有 5 人", "未覆盖以下专业领域：管理科学"]),
    ],
)
@pytest.mark.django_db
def test_the_team_size_must_be_odd_and_at_least_seven(
    world: World, formal: FormalAssessment, experts: list[ExpertProfile], size: int, messages: list[str]
) -> None:
    seat_team(formal, experts[:size])
    message = refusal(formal, world)
    for expected in messages:
        assert expected in message
    assert "组长" not in message and "声明" not in message  # only the broken rules are named
    assert message.count("；") == len(messages) - 1


@pytest.mark.django_db
def test_there_must_be_exactly_one_leader(
    world: World, formal: FormalAssessment, experts: list[ExpertProfile]
) -> None:
    members = seat_team(formal, experts[:7])
    TeamMember.objects.filter(pk=members[0].pk).update(is_leader=False)
    assert "尚未指定组长（须恰好一名组长）" in refusal(formal, world)
    # Two 组长: naming a second one moves the role, and the database refuses a second leader row outright.
    admin = world.users["body_admin"]
    team.set_leader(formal=formal, actor=admin, member_id=members[1].pk)  # type: ignore[arg-type]
    team.set_leader(formal=formal, actor=admin, member_id=members[2].pk)  # type: ignore[arg-type]
    assert list(TeamMember.objects.filter(formal=formal, is_leader=True)) == [members[2]]
    with pytest.raises(IntegrityError), transaction.atomic():
        TeamMember.objects.filter(pk=members[3].pk).update(is_leader=True)
    assert team.team_problems(formal) == []


@pytest.mark.django_db
def test_all_six_disciplines_must_be_covered(
    world: World, formal: FormalAssessment, experts: list[ExpertProfile]
) -> None:
    seat_team(formal, experts[:7])
    # No one left who knows 环保.
    environment = [e.pk for e in experts[:7] if e.disciplines == [Discipline.ENVIRONMENT.value]]
    assert len(environment) == 1
    ExpertProfile.objects.filter(pk__in=environment).update(disciplines=[Discipline.SAFETY.value])
    assert "评估组未覆盖以下专业领域：环保" in refusal(formal, world)


@pytest.mark.django_db
def test_every_declaration_must_be_signed_by_the_member_himself(
    world: World, formal: FormalAssessment, experts: list[ExpertProfile]
) -> None:
    members = seat_team(formal, experts[:7], signed=False)
    message = refusal(formal, world)
    assert "以下成员尚未签署利益冲突声明：" in message and "以下成员尚未签署保密承诺：" in message
    with pytest.raises(PermissionDenied):  # the admin cannot sign for him
        team.sign_declaration(formal=formal, actor=world.users["body_admin"], which="conflict")  # type: ignore[arg-type]
    for m in members:
        client = world.client("ent_admin")
        client.force_login(m.expert.user)
        for which in ("conflict", "confidentiality"):
            assert client.post(f"/formal/{formal.pk}/team/sign/", {"declaration": which}).status_code == 303
    again = client.post(f"/formal/{formal.pk}/team/sign/", {"declaration": "conflict"})
    assert again.status_code == 422 and "您已签署利益冲突声明" in again.content.decode()
    assert all(
        m.conflict_declared_at and m.confidentiality_signed_at
        for m in TeamMember.objects.filter(formal=formal)
    )
    assert team.team_problems(formal) == []


@pytest.mark.django_db
def test_an_ineligible_expert_cannot_be_added_and_the_reason_is_shown(
    world: World, formal: FormalAssessment, experts: list[ExpertProfile]
) -> None:
    ExpertRelation.objects.create(
        expert=experts[0],
        counterparty_name="南丹锡业有限公司",
        kind=RelationKind.CONSULTING,
        started_on=timezone.localdate(),
    )
    page = world.client("body_admin").get(f"/formal/{formal.pk}/team/")
    assert "不能加入：申报了与申请企业“南丹锡业有限公司”的咨询关系" in page.content.decode()
    response = world.client("body_admin").post(f"/formal/{formal.pk}/team/add/", {"expert": experts[0].pk})
    assert response.status_code == 422
    assert "专家1不能加入评估组：申报了与申请企业" in response.content.decode()
    assert not TeamMember.objects.filter(formal=formal).exists()
    assert (
        world.client("body_admin")
        .post(f"/formal/{formal.pk}/team/add/", {"expert": experts[1].pk})
        .status_code
        == 303
    )


@pytest.mark.django_db
def test_a_conflict_with_the_group_declared_after_joining_blocks_confirmation(
    world: World, formal: FormalAssessment, experts: list[ExpertProfile]
) -> None:
    world.enterprise.group_name = "广西有色金属集团有限公司"
    world.enterprise.group_uscc = "91450000MA5KXXXX1X"
    world.enterprise.save()
    seat_team(formal, experts[:7])
    ExpertRelation.objects.create(
        expert=experts[3],
        counterparty_name="某集团",
        counterparty_uscc="91450000MA5KXXXX1X",
        kind=RelationKind.SALES,
    )
    message = refusal(formal, world)
    assert "专家4须回避：申报了与其所属集团“某集团”的销售关系" in message
    assert "统一社会信用代码相同" in message


@pytest.mark.django_db
def test_every_row_must_be_assigned(
    world: World, formal: FormalAssessment, experts: list[ExpertProfile]
) -> None:
    seat_team(formal, experts[:7])
    view = sector_view(formal.assessment.catalog_version, formal.assessment.sector)
    SubdomainAssignment.objects.filter(formal=formal, row_id=view.rows[0].id).delete()
    assert f"以下能力子域尚未分配给评估组成员：{view.rows[0].name}" in refusal(formal, world)


@pytest.mark.django_db
def test_every_broken_rule_is_listed_at_once(
    world: World, formal: FormalAssessment, experts: list[ExpertProfile]
) -> None:
    seat_team(formal, experts[:2], signed=False, assign=False)
    message = refusal(formal, world)
    for part in ("至少 7 人", "须为奇数", "覆盖", "利益冲突声明", "保密承诺", "尚未分配"):
        assert part in message


@pytest.mark.django_db
def test_the_default_assignment_follows_disciplines_and_gives_each_row_three_raters(
    world: World, formal: FormalAssessment, experts: list[ExpertProfile]
) -> None:
    members = seat_team(formal, experts[:7], assign=False)
    pairs = team.assign_default(formal=formal, actor=world.users["body_admin"])  # type: ignore[arg-type]
    view = sector_view(formal.assessment.catalog_version, formal.assessment.sector)
    by_row: dict[str, set[int]] = {}
    for a in SubdomainAssignment.objects.filter(formal=formal):
        by_row.setdefault(a.row_id, set()).add(a.member_id)
    assert pairs == sum(len(v) for v in by_row.values())
    assert set(by_row) == {row.id for row in view.rows}
    assert all(len(ids) >= 3 for ids in by_row.values())
    safety = next(m for m in members if m.expert.disciplines == [Discipline.SAFETY.value])
    environment = next(m for m in members if m.expert.disciplines == [Discipline.ENVIRONMENT.value])
    row_of = {row.name: row.id for row in view.rows}
    assert safety.pk in by_row[row_of["安全生产"]]
    assert environment.pk in by_row[row_of["环保管理"]]
    assert "以下能力子域尚未分配" not in " ".join(team.team_problems(formal))


@pytest.mark.django_db
def test_the_admin_edits_the_assignment_on_the_team_page(
    world: World, formal: FormalAssessment, experts: list[ExpertProfile]
) -> None:
    members = seat_team(formal, experts[:7], assign=False)
    view = sector_view(formal.assessment.catalog_version, formal.assessment.sector)
    pairs = [f"{row.id}|{members[0].pk}" for row in view.rows] + [f"{view.rows[0].id}|{members[1].pk}"]
    response = world.client("body_admin").post(f"/formal/{formal.pk}/team/assignments/", {"pair": pairs})
    assert response.status_code == 303
    assert SubdomainAssignment.objects.filter(formal=formal).count() == len(view.rows) + 1
    assert set(
        SubdomainAssignment.objects.filter(formal=formal, member=members[1]).values_list("row_id", flat=True)
    ) == {view.rows[0].id}
    # An expert reads the assignment but cannot change it.
    member = world.client("ent_admin")
    member.force_login(members[2].expert.user)
    assert member.get(f"/formal/{formal.pk}/team/").status_code == 200
    assert member.post(f"/formal/{formal.pk}/team/assignments/", {"pair": pairs[:1]}).status_code == 403


@pytest.mark.django_db
def test_members_are_added_removed_and_named_leader_on_the_page(
    world: World, formal: FormalAssessment, experts: list[ExpertProfile]
) -> None:
    client = world.client("body_admin")
    for expert in experts[:7]:
        assert client.post(f"/formal/{formal.pk}/team/add/", {"expert": expert.pk}).status_code == 303
    members = list(TeamMember.objects.filter(formal=formal).order_by("pk"))
    assert client.post(f"/formal/{formal.pk}/team/{members[0].pk}/leader/").status_code == 303
    assert client.post(f"/formal/{formal.pk}/team/{members[6].pk}/remove/").status_code == 303
    assert TeamMember.objects.filter(formal=formal).count() == 6
    assert Notification.objects.filter(user=experts[0].user, text__contains="请签署利益冲突声明").exists()
    actions = set(
        AuditEvent.objects.filter(action__startswith="formal.team").values_list("action", flat=True)
    )
    assert {
        AuditAction.TEAM_MEMBER_ADDED,
        AuditAction.TEAM_MEMBER_REMOVED,
        AuditAction.TEAM_LEADER_SET,
    } <= actions
    response = client.post(f"/formal/{formal.pk}/team/confirm/")
    assert response.status_code == 422
    assert "评估组还不能确认" in response.content.decode()


@pytest.mark.django_db
def test_the_team_page_queries_stay_fixed(  # type: ignore[no-untyped-def]
    world: World, formal: FormalAssessment, experts: list[ExpertProfile], django_assert_num_queries
) -> None:
    seat_team(formal, experts[:7])
    client = world.client("body_admin")
    client.get(f"/formal/{formal.pk}/team/")
    # session, user, formal, membership, seat, team, candidates + relations, member relations (2),
    # team_problems: members + relations, assignments; the assignment grid.
    with django_assert_num_queries(14):
        assert client.get(f"/formal/{formal.pk}/team/").status_code == 200


@pytest.mark.django_db
def test_an_expert_lists_the_teams_he_sits_on_and_only_the_bodys_experts_join(
    world: World, formal: FormalAssessment, experts: list[ExpertProfile]
) -> None:
    from nfmaturity.accounts.models import OrganisationKind
    from nfmaturity.accounts.services import create_organisation

    from .factory import make_experts

    seat_team(formal, experts[:7])
    seated, outside = world.client("ent_admin"), world.client("ent_admin")
    seated.force_login(experts[0].user)
    outside.force_login(experts[8].user)
    assert f"/formal/{formal.pk}/" in seated.get("/formal/").content.decode()
    listed = outside.get("/formal/").content.decode()
    assert f"/formal/{formal.pk}/" not in listed and "您尚未被加入任何评估组" in listed
    other_body = create_organisation(name="另一评估机构", kind=OrganisationKind.BODY)
    stranger = make_experts(other_body, 1, prefix="other")[0]
    with pytest.raises(FormalError) as refused:
        team.add_member(formal=formal, actor=world.users["body_admin"], expert_id=stranger.pk)  # type: ignore[arg-type]
    assert refused.value.message == "该专家不在本机构的专家库中"


# ---- in a real Chromium: the body admin forms the team, a member signs; the hub and the team page at two widths


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, object]) -> dict[str, object]:
    from tests.web.test_browser import CHROMIUM_ARGS

    return {**browser_type_launch_args, "executable_path": "/usr/bin/chromium", "args": CHROMIUM_ARGS}


def _shot(page, name: str) -> None:  # type: ignore[no-untyped-def]
    import os
    from pathlib import Path

    target = os.environ.get("NFM_SCREENSHOT_DIR")
    if target:
        Path(target).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(target) / f"{name}.png"), full_page=True)


def _fits(page, width: int) -> None:  # type: ignore[no-untyped-def]
    page.set_viewport_size({"width": width, "height": 900})
    assert page.evaluate("document.documentElement.scrollWidth") <= width


def _login(page, base: str, username: str) -> None:  # type: ignore[no-untyped-def]
    from .factory import PASSWORD

    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_team_is_formed_in_the_browser(
    world: World, body: Organisation, experts, live_server, page
) -> None:  # type: ignore[no-untyped-def]
    import os

    from .test_application import applied

    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    formal = applied(world, body)
    team_url = f"{live_server.url}/formal/{formal.pk}/team/"
    base = live_server.url
    _login(page, base, "body_admin")
    page.get_by_role("link", name="正式评估申请").click()
    page.get_by_role("link", name="打开").click()
    page.get_by_role("link", name=re.compile("受理评估申请")).click()
    _fits(page, 390)
    _shot(page, "formal-application-390")
    _fits(page, 1280)
    _shot(page, "formal-application-1280")
    page.get_by_role("button", name="受理，开始组建评估组").click()
    page.wait_for_url(f"{base}/formal/{formal.pk}/")
    page.goto(team_url)
    for expert in experts[:7]:
        page.locator(f"form:has(input[name=expert][value='{expert.pk}']) button").click()
        page.wait_for_url(team_url)
    page.locator("form[action$='/leader/'] button:visible").first.click()
    page.get_by_role("button", name="按专业领域自动分配").click()
    page.get_by_role("button", name="确认评估组").click()
    assert "以下成员尚未签署利益冲突声明" in page.locator(".alert-danger").inner_text()
    _fits(page, 1280)
    _shot(page, "formal-team-1280")
    _fits(page, 390)
    _shot(page, "formal-team-390")
    page.goto(f"{base}/formal/{formal.pk}/")
    _fits(page, 1280)
    _shot(page, "formal-hub-1280")
    _fits(page, 390)
    _shot(page, "formal-hub-390")

    page.context.clear_cookies()
    _login(page, base, experts[0].user.username)
    page.goto(team_url)
    page.get_by_role("button", name=re.compile("近三年无利益关系，签署")).click()
    page.wait_for_url(team_url)
    seat = TeamMember.objects.get(formal=formal, expert=experts[0])
    assert seat.conflict_declared_at is not None and seat.confidentiality_signed_at is None

    # The others sign (each on his own page, tested above); the admin confirms; the 组长 writes a plan.
    TeamMember.objects.filter(formal=formal).update(
        conflict_declared_at=timezone.now(), confidentiality_signed_at=timezone.now()
    )
    page.context.clear_cookies()
    _login(page, base, "body_admin")
    page.goto(team_url)
    page.get_by_role("button", name="确认评估组").click()
    page.wait_for_url(f"{base}/formal/{formal.pk}/")
    page.context.clear_cookies()
    _login(page, base, experts[0].user.username)
    page.goto(f"{base}/formal/{formal.pk}/")
    page.get_by_role("link", name=re.compile("编制预评估计划")).click()
    page.locator("a[href$='/planning/pre/']").click()
    page.fill("#id_purpose", "评估企业数字化转型成熟度，核实自评估结果")
    page.fill("#id_scope", "冶炼厂")
    page.fill("#id_start_date", "2026-12-01")
    page.fill("#id_end_date", "2026-12-03")
    page.get_by_role("button", name="保存").click()
    page.wait_for_url(f"{base}/formal/{formal.pk}/planning/")
    assert "等待企业确认" in page.content()
    _fits(page, 1280)
    _shot(page, "formal-planning-1280")
    _fits(page, 390)
    _shot(page, "formal-planning-390")
    assert SubdomainAssignment.objects.filter(formal=formal).values("row_id").distinct().count() == len(
        sector_view(formal.assessment.catalog_version, formal.assessment.sector).rows
    )
