"""The roadmap page, saving a plan, tracking it (versions, audit, evidence), and the next assessment's outcomes."""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterator
from fractions import Fraction

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile

from nfmaturity.assessments.models import Assessment, RatingRecord, RatingValue
from nfmaturity.assessments.services import start_self_assessment, submit_assessment
from nfmaturity.audit.models import AuditAction, AuditEvent
from nfmaturity.enterprises.models import SectorChoice
from nfmaturity.plans import services
from nfmaturity.plans.errors import PlanError, StaleActionError
from nfmaturity.plans.models import ActionStatus, ImprovementPlan
from nfmaturity.plans.selectors import current_plan
from tests.web.conftest import WORKED_CHECK, fill

from .conftest import World


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    cache.clear()
    yield
    cache.clear()


def _save(
    world: World, assessment: Assessment, target: int = 3, path: str = "consecutive"
) -> ImprovementPlan:
    response = world.client("ent_admin").post(
        f"/plans/assessment/{assessment.pk}/roadmap/save/", {"target": target, "path": path}
    )
    assert response.status_code == 302, response.content.decode()[:500]
    plan = ImprovementPlan.objects.get(pk=int(response["Location"].rstrip("/").rsplit("/", 1)[-1]))
    return plan


def test_the_roadmap_page_shows_capabilities_by_scenario_and_domain(
    world: World, submitted: Assessment
) -> None:
    page = world.client("ent_member").get(f"/plans/assessment/{submitted.pk}/roadmap/").content.decode()
    assert "一企一策 提升路线图：从二级 场景级到三级 领域级" in page
    assert "本页显示的是“逐级达标”路径。" in page
    assert 'id="roadmap-reaches">3.00<' in page and "三级 领域级，连续满足至 S3" in page
    assert "企业整体建议" in page and "所处阶段：当前总分 2.50" in page
    assert "按场景" in page and "按能力域" in page and 'id="roadmap-save"' in page
    titles = re.findall(r'<div class="fw-bold roadmap-action-title">([^<]+)</div>', page)
    assert len(titles) == 73 and not any("满足" in t and "提升到" in t for t in titles)
    literal = world.client("ent_member").get(
        f"/plans/assessment/{submitted.pk}/roadmap/?target=3&path=literal"
    )
    text = literal.content.decode()
    assert "本页显示的是“最低代价”路径。" in text and "完成后仍有等级跳跃" in text
    # A regulator covering the enterprise reads the roadmap but has no save button.
    regulator = world.client("regulator").get(f"/plans/assessment/{submitted.pk}/roadmap/").content.decode()
    assert "按场景" in regulator and 'id="roadmap-save"' not in regulator


def test_saving_and_tracking_a_plan(
    world: World, submitted: Assessment, django_assert_num_queries: object
) -> None:
    plan = _save(world, submitted)
    assert current_plan(submitted) == plan
    slot = world.client("ent_member").get(f"/plans/assessment/{submitted.pk}/outcomes/").content.decode()
    assert (
        "已保存的提升计划：目标三级 领域级（逐级达标），已完成 0 / 73 项" in slot
        and f'href="/plans/{plan.pk}/"' in slot
    )
    assert (plan.target_grade, plan.path, plan.result_version, plan.reaches_total) == (
        3,
        "consecutive",
        1,
        "3",
    )
    actions = list(plan.actions.all())
    assert len(actions) == 73 and [a.position for a in actions] == list(range(1, 74))
    assert sum((Fraction(a.gain) for a in actions), Fraction(0)) == Fraction(1, 2)
    event = AuditEvent.objects.get(action=AuditAction.IMPROVEMENT_PLAN_CREATED)
    assert event.object_id == str(plan.pk) and event.new["actions"] == 73

    client = world.client("ent_admin")
    client.get(f"/plans/{plan.pk}/")  # warm the session and the catalog
    # session, user, membership; plan; assessment (access); actions; later assessments; membership (can_edit)
    with django_assert_num_queries(9):  # type: ignore[operator]
        page = client.get(f"/plans/{plan.pk}/").content.decode()
    assert "已完成 0 / 73 项" in page and 'value="0" max="100"' in page

    first = actions[0]
    url = f"/plans/action/{first.pk}/"
    assert "标准要求（S3 第1条）：" in client.get(url).content.decode()
    overdue = datetime.date.today() - datetime.timedelta(days=3)
    ok = client.post(
        url,
        {
            "version": 1,
            "effort": 4,
            "owner": "信息中心 王工",
            "due_date": overdue.isoformat(),
            "budget": "12.5",
            "notes": "",
        },
    )
    assert ok.status_code == 302
    first.refresh_from_db()
    assert (first.effort, first.owner, first.version) == (4, "信息中心 王工", 2)
    assert first.default_effort == (10 if first.target_rating == RatingValue.FULL else 5)  # S3, medium size
    assert (
        AuditEvent.objects.filter(
            action=AuditAction.IMPROVEMENT_ACTION_UPDATED, object_id=str(first.pk)
        ).count()
        == 1
    )
    assert "逾期 1 项" in client.get(f"/plans/{plan.pk}/").content.decode()

    # A stale save is refused (409): what was typed stays in the form, the newer values are shown beside it.
    stale = client.post(
        url, {"version": 1, "effort": 7, "owner": "张三", "due_date": "", "budget": "", "notes": "我的备注"}
    )
    assert stale.status_code == 409
    text = stale.content.decode()
    assert "您填写的内容仍在表单中" in text and 'value="张三"' in text and "我的备注" in text
    assert "信息中心 王工" in text and 'name="version" value="2"' in text
    first.refresh_from_db()
    assert first.owner == "信息中心 王工"

    # 已完成 needs evidence; with it (and a file checked like any evidence) the action is done.
    refused = client.post(f"{url}status/", {"version": 2, "status": "done", "evidence_text": ""})
    assert refused.status_code == 422 and "须填写完成证明" in refused.content.decode()
    bad = SimpleUploadedFile("制度.pdf", b"not a pdf at all", content_type="application/pdf")
    refused_file = client.post(
        f"{url}status/", {"version": 2, "status": "done", "evidence_text": "已发文", "file": bad}
    )
    assert refused_file.status_code == 422 and "文件内容与扩展名" in refused_file.content.decode()
    pdf = SimpleUploadedFile("制度.pdf", b"%PDF-1.4 decision", content_type="application/pdf")
    done = client.post(
        f"{url}status/",
        {"version": 2, "status": "done", "evidence_text": "已印发数字化转型职责文件", "file": pdf},
    )
    assert done.status_code == 302
    first.refresh_from_db()
    assert (
        first.status == ActionStatus.DONE
        and first.completed_at is not None
        and first.evidence_name == "制度.pdf"
    )
    download = client.get(f"/plans/action/{first.pk}/file/")
    assert download.status_code == 200 and b"".join(download.streaming_content) == b"%PDF-1.4 decision"  # type: ignore[attr-defined]
    page = client.get(f"/plans/{plan.pk}/").content.decode()
    assert (
        "已完成 1 / 73 项" in page
        and 'value="1" max="100"' in page
        and "逾期" not in page.split("plan-table")[1]
    )
    assert (
        AuditEvent.objects.filter(
            action=AuditAction.IMPROVEMENT_ACTION_STATUS, object_id=str(first.pk)
        ).count()
        == 1
    )

    # The regulator reads the plan, and may not write (403).
    assert world.client("regulator").get(f"/plans/{plan.pk}/").status_code == 200
    assert world.client("regulator").post(url, {"version": 3, "effort": 1}).status_code == 403


def test_a_new_plan_supersedes_the_old_one_which_becomes_read_only(
    world: World, submitted: Assessment
) -> None:
    old = _save(world, submitted)
    new = _save(world, submitted, target=4)
    old.refresh_from_db()
    assert old.superseded and not new.superseded and current_plan(submitted) == new
    action = old.actions.first()
    assert action is not None
    with pytest.raises(PlanError, match="已被更新的计划取代"):
        services.update_action(
            action=action,
            actor=world.users["ent_admin"],
            version=1,  # type: ignore[arg-type]
            changes=services.ActionChanges(effort=1, owner="", due_date=None, budget=None, notes=""),
        )
    with pytest.raises(StaleActionError):
        services.change_status(
            action=new.actions.first() or 0,
            actor=world.users["ent_admin"],
            version=9,  # type: ignore[arg-type]
            status=ActionStatus.DOING,
        )


def test_the_next_assessment_shows_what_the_plan_changed(world: World, submitted: Assessment) -> None:
    plan = _save(world, submitted)
    actions = list(plan.actions.all())
    admin = world.users["ent_admin"]
    for action in actions[:2]:
        services.change_status(
            action=action, actor=admin, version=1, status=ActionStatus.DONE, evidence_text="已完成"
        )  # type: ignore[arg-type]
    later = start_self_assessment(enterprise=world.enterprise, actor=admin, sector=SectorChoice.SMELTING)  # type: ignore[arg-type]
    fill(later, WORKED_CHECK, admin)
    raised = actions[0].requirement_ids[0]
    RatingRecord.objects.filter(assessment=later, requirement_id=raised).update(value=RatingValue.FULL)
    submit_assessment(assessment=later, actor=admin)  # type: ignore[arg-type]

    client = world.client("ent_member")
    results = client.get(f"/assessments/{later.pk}/results/").content.decode()
    assert f'hx-get="/plans/assessment/{later.pk}/outcomes/"' in results
    card = client.get(f"/plans/assessment/{later.pk}/outcomes/").content.decode()
    assert "提升计划在后续自评估中的体现" in card
    assert re.search(r'已完成的 2 项里有 <strong class="plan-done-raised">1</strong> 项', card)
    assert '部分满足 → <strong class="text-success">全部满足</strong>' in card
    assert "其余 71 项：未完成，评分未变" in card  # the 2 done ones are listed first, the rest folded
    assert "S3 0.50 → 0.50" in card  # one raise of 73 does not move the shown S3 (0.5 + a small share)
    tracked = client.get(f"/plans/{plan.pk}/").content.decode()
    assert "提升计划在后续自评估中的体现" in tracked and f"#{later.pk}" in tracked
    # The first assessment has no earlier plan: an empty slot.
    assert "体现" not in client.get(f"/plans/assessment/{submitted.pk}/outcomes/").content.decode()


def test_the_roadmap_page_is_computed_once_and_costs_a_fixed_number_of_queries(
    world: World, submitted: Assessment, django_assert_num_queries: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    from nfmaturity.plans import selectors

    client = world.client("ent_admin")
    first = client.get(f"/plans/assessment/{submitted.pk}/roadmap/").content.decode()

    def _fail(*args: object, **kwargs: object) -> None:
        raise AssertionError("the roadmap must come from the cache")

    monkeypatch.setattr(selectors, "build_roadmap", _fail)
    # session, user, membership; assessment; result; membership (can_fill); saved plan (+ its prefetch: none);
    # published formal assessments (membership, query)
    with django_assert_num_queries(8):  # type: ignore[operator]
        again = client.get(f"/plans/assessment/{submitted.pk}/roadmap/").content.decode()
    assert re.sub(r"[A-Za-z0-9]{64}", "", again) == re.sub(r"[A-Za-z0-9]{64}", "", first)


def test_the_tracking_table_can_be_narrowed_by_status_and_scenario(
    world: World, submitted: Assessment
) -> None:
    plan = _save(world, submitted)
    first = plan.actions.order_by("position").first()
    assert first is not None
    services.change_status(action=first, actor=world.users["ent_admin"], version=1, status=ActionStatus.DOING)  # type: ignore[arg-type]
    client = world.client("ent_member")
    doing = client.get(f"/plans/{plan.pk}/?status=doing").content.decode()
    assert doing.count('class="plan-row') == 1 and "显示 1 项" in doing and "已完成 0 / 73 项" in doing
    scenario = client.get(f"/plans/{plan.pk}/", {"scenario": first.scenario}).content.decode()
    assert scenario.count('class="plan-row') == plan.actions.filter(scenario=first.scenario).count()
