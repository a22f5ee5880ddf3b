"""编制评估计划 and the 首次会议, and the whole way from DRAFT to ONSITE (services, then pages)."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test import Client
from django.utils import timezone

from nfmaturity.accounts.models import Notification, Organisation
from nfmaturity.audit.models import AuditAction, AuditEvent
from nfmaturity.formal import services_application as app
from nfmaturity.formal import services_planning as planning
from nfmaturity.formal import services_team as team
from nfmaturity.formal.models import (
    AssessmentPlan,
    ExpertProfile,
    FormalAssessment,
    FormalState,
    Meeting,
    PlanKind,
    TeamMember,
)
from nfmaturity.formal.services_planning import MeetingData, PlanData
from nfmaturity.formal.workflow import FormalError, StaleFormError
from tests.web.conftest import World

from .factory import make_formal, seat_team
from .test_application import applied, pdf

S = FormalState
PLAN = PlanData(
    purpose="评估企业数字化转型成熟度",
    scope="冶炼厂全部生产单元",
    tasks="资料审查、现场核查",
    methods="人员座谈、实地调查",
    start_date=datetime.date(2026, 12, 1),
    end_date=datetime.date(2026, 12, 3),
    people="专家1（组长）等 7 人",
    agenda="第一天首次会议",
)
MEETING = MeetingData(
    held_at=timezone.now(),
    place="企业会议室",
    attendees="评估组全体、企业管理层",
    minutes="介绍评估计划与保密要求",
)


@pytest.fixture
def formal(world: World, body: Organisation) -> FormalAssessment:
    return make_formal(world.enterprise, body, world.users["ent_admin"], state=S.PLANNING)


@pytest.fixture
def members(formal: FormalAssessment, experts: list[ExpertProfile]) -> list[TeamMember]:
    return seat_team(formal, experts[:7])


@pytest.mark.django_db
def test_start_onsite_says_what_is_missing(
    world: World, formal: FormalAssessment, members: list[TeamMember]
) -> None:
    leader = members[0].expert.user
    with pytest.raises(FormalError) as refused:
        planning.start_onsite(formal=formal, actor=leader)
    message = refused.value.message
    assert (
        "尚未编制预评估计划" in message
        and "尚未编制正式评估计划" in message
        and "尚未记录首次会议" in message
    )
    for kind in PlanKind:
        planning.save_plan(formal=formal, actor=leader, kind=kind, data=PLAN, expected_version=0)
    with pytest.raises(FormalError) as refused:
        planning.start_onsite(formal=formal, actor=leader)
    assert "预评估计划尚未经企业确认" in refused.value.message
    admin = world.users["ent_admin"]
    for kind in PlanKind:
        planning.confirm_plan(formal=formal, actor=admin, kind=kind, expected_version=1)  # type: ignore[arg-type]
    planning.record_first_meeting(formal=formal, actor=leader, data=MEETING)
    # A change after the confirmation needs a new one.
    planning.save_plan(
        formal=formal,
        actor=leader,
        kind=PlanKind.FORMAL,
        data=PlanData(**{**PLAN.__dict__, "agenda": "改"}),
        expected_version=1,
    )
    assert Notification.objects.filter(user=admin, text__contains="请重新确认").exists()
    with pytest.raises(FormalError) as refused:
        planning.start_onsite(formal=formal, actor=leader)
    assert (
        refused.value.message
        == "还不能开始现场评估：正式评估计划确认后又修改过（现为第 2 版），须企业重新确认"
    )
    with pytest.raises(FormalError) as refused:  # confirming the version he did not read
        planning.confirm_plan(formal=formal, actor=admin, kind=PlanKind.FORMAL, expected_version=1)  # type: ignore[arg-type]
    assert "已更新为第 2 版" in refused.value.message
    planning.confirm_plan(formal=formal, actor=admin, kind=PlanKind.FORMAL, expected_version=2)  # type: ignore[arg-type]
    planning.start_onsite(formal=formal, actor=leader)
    formal.refresh_from_db()
    assert formal.state == S.ONSITE
    assert AuditEvent.objects.filter(action=AuditAction.ONSITE_STARTED, object_id=str(formal.pk)).exists()


@pytest.mark.django_db
def test_who_writes_and_who_confirms(
    world: World, formal: FormalAssessment, members: list[TeamMember]
) -> None:
    plain = members[1].expert.user
    with pytest.raises(PermissionDenied):
        planning.save_plan(formal=formal, actor=plain, kind=PlanKind.PRE, data=PLAN, expected_version=0)
    planning.save_plan(
        formal=formal, actor=world.users["body_admin"], kind=PlanKind.PRE, data=PLAN, expected_version=0
    )  # type: ignore[arg-type]
    with pytest.raises(PermissionDenied):
        planning.confirm_plan(
            formal=formal, actor=world.users["ent_member"], kind=PlanKind.PRE, expected_version=1
        )  # type: ignore[arg-type]
    with pytest.raises(PermissionDenied):
        planning.confirm_plan(
            formal=formal, actor=members[0].expert.user, kind=PlanKind.PRE, expected_version=1
        )
    with pytest.raises(PermissionDenied):
        planning.start_onsite(formal=formal, actor=plain)


@pytest.mark.django_db
def test_a_stale_plan_save_is_refused_and_the_page_keeps_both_versions(
    world: World, formal: FormalAssessment, members: list[TeamMember]
) -> None:
    leader = members[0].expert.user
    planning.save_plan(formal=formal, actor=leader, kind=PlanKind.PRE, data=PLAN, expected_version=0)
    with pytest.raises(StaleFormError):
        planning.save_plan(formal=formal, actor=leader, kind=PlanKind.PRE, data=PLAN, expected_version=0)
    client = Client()
    client.force_login(leader)
    response = client.post(
        f"/formal/{formal.pk}/planning/pre/",
        {
            "purpose": "我刚输入的目的",
            "scope": "范围",
            "start_date": "2026-12-01",
            "end_date": "2026-12-02",
            "version": "0",
        },
    )
    assert response.status_code == 409
    page = response.content.decode()
    assert "我刚输入的目的" in page and PLAN.purpose in page and "已被他人修改" in page
    assert AssessmentPlan.objects.get(formal=formal, kind=PlanKind.PRE).purpose == PLAN.purpose
    bad_dates = client.post(
        f"/formal/{formal.pk}/planning/pre/",
        {"purpose": "x", "scope": "y", "start_date": "2026-12-02", "end_date": "2026-12-01", "version": "1"},
    )
    assert bad_dates.status_code == 422 and "结束日期不能早于开始日期" in bad_dates.content.decode()


@pytest.mark.django_db
def test_from_application_to_onsite_with_the_services(
    world: World, body: Organisation, experts: list[ExpertProfile]
) -> None:
    formal = applied(world, body)
    body_admin, ent_admin = world.users["body_admin"], world.users["ent_admin"]
    app.accept_application(formal=formal, actor=body_admin)  # type: ignore[arg-type]
    for expert in experts[:7]:
        team.add_member(formal=formal, actor=body_admin, expert_id=expert.pk)  # type: ignore[arg-type]
    members = list(TeamMember.objects.filter(formal=formal).select_related("expert__user").order_by("pk"))
    team.set_leader(formal=formal, actor=body_admin, member_id=members[0].pk)  # type: ignore[arg-type]
    team.assign_default(formal=formal, actor=body_admin)  # type: ignore[arg-type]
    for m in members:
        team.sign_declaration(formal=formal, actor=m.expert.user, which="conflict")
        team.sign_declaration(formal=formal, actor=m.expert.user, which="confidentiality")
    team.confirm_team(formal=formal, actor=body_admin)  # type: ignore[arg-type]
    leader = members[0].expert.user
    for kind in PlanKind:
        planning.save_plan(formal=formal, actor=leader, kind=kind, data=PLAN, expected_version=0)
        planning.confirm_plan(formal=formal, actor=ent_admin, kind=kind, expected_version=1)  # type: ignore[arg-type]
    planning.record_first_meeting(formal=formal, actor=leader, data=MEETING)
    planning.start_onsite(formal=formal, actor=leader)
    formal.refresh_from_db()
    assert formal.state == S.ONSITE
    moves = list(
        AuditEvent.objects.filter(object_id=str(formal.pk), object_type="formal.formalassessment")
        .exclude(new__state=None)
        .order_by("pk")
        .values_list("new__state", flat=True)
    )
    assert [m for m in moves if m] == ["applied", "team", "planning", "onsite"]


def _as(user: object) -> Client:
    client = Client()
    client.force_login(user)  # type: ignore[arg-type]
    return client


@pytest.mark.django_db
def test_from_application_to_onsite_through_the_pages(
    world: World, body: Organisation, experts: list[ExpertProfile]
) -> None:
    enterprise = world.client("ent_admin")
    response = enterprise.post(
        "/formal/apply/",
        {"body": body.pk, "sector": "smelting", "target_grade": "3", "lawful_declared": "on"},
    )
    formal = FormalAssessment.objects.get()
    base = f"/formal/{formal.pk}"
    for kind, name in (("long_term_plan", "规划.pdf"), ("annual_targets", "目标.pdf")):
        assert (
            enterprise.post(
                f"{base}/application/documents/", {"kind": kind, "file": pdf(name, name.encode())}
            ).status_code
            == 303
        )
    assert "完善评估申请（声明、规划材料）并提交" in enterprise.get(f"{base}/").content.decode()
    assert enterprise.post(f"{base}/application/submit/").status_code == 303

    admin = world.client("body_admin")
    assert "待受理" in admin.get("/formal/").content.decode()
    assert (
        admin.post(f"{base}/application/decision/", {"decision": "accept", "reason": ""}).status_code == 303
    )
    for expert in experts[:7]:
        assert admin.post(f"{base}/team/add/", {"expert": expert.pk}).status_code == 303
    members = list(TeamMember.objects.filter(formal=formal).select_related("expert__user").order_by("pk"))
    assert admin.post(f"{base}/team/{members[0].pk}/leader/").status_code == 303
    assert admin.post(f"{base}/team/assignments/", {"default": "1"}).status_code == 303
    for m in members:
        own = _as(m.expert.user)
        assert "签署利益冲突声明和保密承诺" in own.get(f"{base}/").content.decode()
        for which in ("conflict", "confidentiality"):
            assert own.post(f"{base}/team/sign/", {"declaration": which}).status_code == 303
    assert admin.post(f"{base}/team/confirm/").status_code == 303

    leader = _as(members[0].expert.user)
    hub = leader.get(f"{base}/").content.decode()
    assert "编制预评估计划、正式评估计划" in hub and "待我处理" in hub
    for kind in ("pre", "formal"):
        response = leader.post(
            f"{base}/planning/{kind}/",
            {
                "purpose": "目的",
                "scope": "范围",
                "start_date": "2026-12-01",
                "end_date": "2026-12-03",
                "version": "0",
            },
        )
        assert response.status_code == 303, response.content.decode()[:500]
    assert (
        leader.post(
            f"{base}/planning/meeting/",
            {"held_at": "2026-12-01T09:00", "place": "会议室", "attendees": "全体", "minutes": "纪要"},
        ).status_code
        == 303
    )
    refused = leader.post(f"{base}/planning/onsite/")
    assert refused.status_code == 422 and "预评估计划尚未经企业确认" in refused.content.decode()
    assert "确认预评估计划" in enterprise.get(f"{base}/").content.decode()
    for kind in ("pre", "formal"):
        assert enterprise.post(f"{base}/planning/{kind}/confirm/", {"version": "1"}).status_code == 303
    assert leader.post(f"{base}/planning/onsite/").status_code == 303
    formal.refresh_from_db()
    assert formal.state == S.ONSITE
    assert Meeting.objects.get(formal=formal).place == "会议室"


@pytest.mark.django_db
def test_the_leaders_hub_queries_stay_fixed(  # type: ignore[no-untyped-def]
    world: World, formal: FormalAssessment, members: list[TeamMember], django_assert_num_queries
) -> None:
    client = _as(members[0].expert.user)
    client.get(f"/formal/{formal.pk}/")
    # session, user, formal, membership, seat (parties), seat (viewer), plans, meeting, team, documents
    with django_assert_num_queries(10):
        response = client.get(f"/formal/{formal.pk}/")
    assert response.status_code == 200 and "编制预评估计划" in response.content.decode()


# ---- on PostgreSQL, with real threads: the row lock makes racing actions run one after the other

_postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="行锁竞争只在 PostgreSQL 上有意义（SQLite 的写事务整库串行）",
)
HOLD = 0.4


def _race(first, second, monkeypatch: pytest.MonkeyPatch) -> list[object]:  # type: ignore[no-untyped-def]
    """Run ``first``, held for ``HOLD`` seconds inside its transaction once it has written, and ``second``,
    started only then (so it must wait for the lock); each outcome is the value returned or the exception
    raised."""
    import threading
    import time

    from django.db import connections

    from nfmaturity.formal import workflow

    real = workflow.record_event
    first_thread: list[int] = []
    holding = threading.Event()  # the first has written and holds the lock

    def slow(**kwargs):  # type: ignore[no-untyped-def]
        event = real(**kwargs)
        if threading.get_ident() in first_thread:
            holding.set()
            time.sleep(HOLD)
        return event

    monkeypatch.setattr(workflow, "record_event", slow)
    monkeypatch.setattr(planning, "record_event", slow)
    outcomes: list[object] = [None, None]

    def run(index: int, call) -> None:  # type: ignore[no-untyped-def]
        try:
            if index == 0:
                first_thread.append(threading.get_ident())
            else:
                assert holding.wait(timeout=10)
            outcomes[index] = call()
        except Exception as exc:  # handed back to the test
            outcomes[index] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate((first, second))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    return outcomes


@_postgres_only
@pytest.mark.django_db(transaction=True)
def test_withdrawal_racing_acceptance_leaves_one_decision(
    world: World, body: Organisation, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    formal = applied(world, body)
    accepted, withdrawn = _race(
        lambda: app.accept_application(formal=formal.pk, actor=world.users["body_admin"]),  # type: ignore[arg-type]
        lambda: app.withdraw_application(formal=formal.pk, actor=world.users["ent_admin"]),  # type: ignore[arg-type]
        monkeypatch,
    )
    assert isinstance(accepted, FormalAssessment)
    assert (
        isinstance(withdrawn, FormalError) and "当前处于“组建评估组”阶段，不能撤回申请" in withdrawn.message
    )
    formal.refresh_from_db()
    assert formal.state == S.TEAM
    assert not AuditEvent.objects.filter(action=AuditAction.APPLICATION_WITHDRAWN).exists()


@_postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_confirmation_racing_an_edit_never_confirms_what_the_enterprise_did_not_read(  # type: ignore[no-untyped-def]
    world: World, body: Organisation, experts: list[ExpertProfile], monkeypatch
) -> None:
    formal = make_formal(world.enterprise, body, world.users["ent_admin"], state=S.PLANNING)
    leader = seat_team(formal, experts[:7])[0].expert.user
    planning.save_plan(formal=formal, actor=leader, kind=PlanKind.PRE, data=PLAN, expected_version=0)
    changed = PlanData(**{**PLAN.__dict__, "scope": "改为全部子公司"})
    saved, confirmed = _race(
        lambda: planning.save_plan(
            formal=formal.pk, actor=leader, kind=PlanKind.PRE, data=changed, expected_version=1
        ),
        lambda: planning.confirm_plan(
            formal=formal.pk,
            actor=world.users["ent_admin"],  # type: ignore[arg-type]
            kind=PlanKind.PRE,
            expected_version=1,
        ),
        monkeypatch,
    )
    assert isinstance(saved, AssessmentPlan) and saved.version == 2
    assert isinstance(confirmed, FormalError) and "已更新为第 2 版" in confirmed.message
    plan = AssessmentPlan.objects.get(formal=formal, kind=PlanKind.PRE)
    assert (plan.version, plan.confirmed_version, plan.scope) == (2, None, "改为全部子公司")
