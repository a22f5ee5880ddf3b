"""弱项整改: after publication the enterprise submits measures for the weak items, the 组长 confirms or returns them
(with a reason), with versions, audit rows and notifications."""

from __future__ import annotations

from urllib.parse import unquote

import pytest

from nfmaturity.accounts.models import Notification, Organisation, OrganisationKind
from nfmaturity.assessments.models import RatingValue
from nfmaturity.audit.models import AuditAction, AuditEvent
from nfmaturity.formal.models import ExpertProfile, FormalAssessment, FormalState, Settlement, TeamMember
from nfmaturity.plans import services
from nfmaturity.plans.errors import PlanError, StaleRectificationError
from nfmaturity.plans.models import Rectification, RectificationState
from nfmaturity.plans.weak_items import weak_requirements
from tests.formal.factory import make_formal, settle_all

from .conftest import World


def _published(
    world: World, state: FormalState = FormalState.PUBLISHED
) -> tuple[FormalAssessment, list[str]]:
    body = Organisation.objects.get(kind=OrganisationKind.BODY, name="评估中心")
    formal = make_formal(world.enterprise, body, world.users["ent_admin"], state=state)  # type: ignore[arg-type]
    leader = ExpertProfile.objects.create(
        user=world.users["expert"], body=body, full_name="组长", disciplines=[]
    )
    TeamMember.objects.create(formal=formal, expert=leader, is_leader=True)
    settle_all(formal, dict.fromkeys(range(1, 6), RatingValue.FULL), world.users["ent_admin"])  # type: ignore[arg-type]
    ids = list(
        Settlement.objects.filter(formal=formal).order_by("pk").values_list("requirement_id", flat=True)
    )
    Settlement.objects.filter(formal=formal, requirement_id=ids[0]).update(value=RatingValue.NONE)
    Settlement.objects.filter(formal=formal, requirement_id=ids[1]).update(value=RatingValue.PARTLY)
    Settlement.objects.filter(formal=formal, requirement_id=ids[2]).update(value=RatingValue.MOSTLY)
    return formal, ids


def test_weak_items_are_the_requirements_settled_below_mostly(world: World) -> None:
    formal, ids = _published(world)
    weak = weak_requirements(formal)
    assert list(weak) == ids[:2]
    assert weak[ids[0]].value_label == "不满足" and not weak[ids[0]].title.startswith("应")


def test_the_enterprise_submits_and_the_leader_confirms_or_returns(world: World) -> None:
    formal, ids = _published(world)
    admin, leader = world.users["ent_admin"], world.users["expert"]
    client = world.client("ent_admin")
    url = f"/plans/formal/{formal.pk}/rectification/"
    page = client.get(url).content.decode()
    assert "共 2 项" in page and "填写整改措施" in page
    ok = client.post(url, {"requirement_id": ids[0], "measure": "建设能源计量与在线监测系统"})
    assert ok.status_code == 302
    measure = Rectification.objects.get(formal=formal, requirement_id=ids[0])
    assert measure.state == RectificationState.SUBMITTED and measure.settled_value == RatingValue.NONE
    assert Notification.objects.filter(user=leader, text__contains="请确认").count() == 1
    # Not a weak item: refused.
    refused = client.post(url, {"requirement_id": ids[2], "measure": "无"})
    assert refused.status_code == 422 and "不是本次正式评估的弱项" in refused.content.decode()

    # Returning needs a reason; the enterprise sees it and resubmits; the leader confirms.
    with pytest.raises(PlanError, match="须写明理由"):
        services.decide_rectification(rectification=measure, actor=leader, version=1, confirm=False)  # type: ignore[arg-type]
    leader_client = world.client("expert")
    back = leader_client.post(
        f"/plans/rectification/{measure.pk}/decide/",
        {"version": 1, "decision": "return", "reason": "缺少完成期限"},
    )
    assert back.status_code == 302
    measure.refresh_from_db()
    assert measure.state == RectificationState.RETURNED and measure.return_reason == "缺少完成期限"
    assert "退回理由：缺少完成期限" in client.get(url).content.decode()
    assert Notification.objects.filter(user=admin, text__contains="缺少完成期限").exists()
    # A stale resubmission keeps what was typed (409).
    stale = client.post(url, {"requirement_id": ids[0], "version": 1, "measure": "我的新措施"})
    assert stale.status_code == 409 and "我的新措施" in stale.content.decode()
    again = client.post(
        url, {"requirement_id": ids[0], "version": 2, "measure": "建设能源计量系统", "due_date": "2026-12-31"}
    )
    assert again.status_code == 302
    with pytest.raises(StaleRectificationError):
        services.decide_rectification(rectification=measure, actor=leader, version=2, confirm=True)  # type: ignore[arg-type]
    services.decide_rectification(rectification=measure, actor=leader, version=3, confirm=True)  # type: ignore[arg-type]
    measure.refresh_from_db()
    assert measure.state == RectificationState.CONFIRMED and measure.decided_by == leader
    actions = list(
        AuditEvent.objects.filter(object_type="plans.rectification", object_id=str(measure.pk))
        .order_by("pk")
        .values_list("action", flat=True)
    )
    assert actions == [
        AuditAction.RECTIFICATION_SUBMITTED,
        AuditAction.RECTIFICATION_RETURNED,
        AuditAction.RECTIFICATION_SUBMITTED,
        AuditAction.RECTIFICATION_CONFIRMED,
    ]
    # A confirmed measure is final for the enterprise.
    with pytest.raises(PlanError, match="已由组长确认"):
        services.submit_rectification(
            formal=formal,
            actor=admin,
            requirement_id=ids[0],
            measure="改",
            due_date=None,
            version=4,  # type: ignore[arg-type]
        )


def test_before_publication_there_is_no_rectification(world: World) -> None:
    formal, ids = _published(world, FormalState.FINAL)
    assert world.client("ent_admin").get(f"/plans/formal/{formal.pk}/rectification/").status_code == 404
    with pytest.raises(PlanError, match="已发布"):
        services.submit_rectification(
            formal=formal,
            actor=world.users["ent_admin"],
            requirement_id=ids[0],
            measure="x",
            due_date=None,
            version=None,  # type: ignore[arg-type]
        )


def test_many_weak_items_are_paged_and_the_roadmap_links_to_them(world: World, submitted: object) -> None:
    formal, ids = _published(world)
    Settlement.objects.filter(formal=formal, requirement_id__in=ids[3:70]).update(value=RatingValue.PARTLY)
    client = world.client("ent_admin")
    url = f"/plans/formal/{formal.pk}/rectification/"
    first = client.get(url).content.decode()
    assert (
        "共 69 项" in first
        and first.count('class="card mb-2"') == 30
        and "第 1–30 项，共 69 项（第 1/3 页）" in first
    )
    # A measure for an item on page 3 comes back to page 3.
    last = list(weak_requirements(formal))[-1]
    done = client.post(url, {"requirement_id": last, "measure": "上线设备在线监测"})
    assert unquote(done["Location"]) == f"{url}?page=3#w-{last}"
    assert f'id="w-{last}"' in client.get(f"{url}?page=3").content.decode()
    roadmap = client.get(f"/plans/assessment/{submitted.pk}/roadmap/").content.decode()  # type: ignore[attr-defined]
    assert f'href="{url}"' in roadmap and "弱项整改" in roadmap


def test_a_formal_assessments_result_has_a_roadmap_for_the_report(world: World) -> None:
    """The report's 改造建议 calls build_roadmap on a formal assessment's stored result (settled ratings)."""
    from nfmaturity.assessments.results import compute, store_result
    from nfmaturity.plans.roadmap import build_roadmap
    from tests.web.conftest import WORKED_CHECK

    body = Organisation.objects.get(kind=OrganisationKind.BODY, name="评估中心")
    formal = make_formal(world.enterprise, body, world.users["ent_admin"], state=FormalState.PUBLISHED)  # type: ignore[arg-type]
    settle_all(formal, WORKED_CHECK, world.users["ent_admin"])  # type: ignore[arg-type]
    result = store_result(formal.assessment, compute(formal.assessment, allow_unrated=False))
    roadmap = build_roadmap(formal.assessment, result)
    assert (roadmap.before_grade, roadmap.target_grade, roadmap.reaches_total, len(roadmap.actions)) == (
        2,
        3,
        3,
        73,
    )
    assert roadmap.enterprise_advice and roadmap.by_scenario()
