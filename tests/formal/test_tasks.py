"""“待我处理” on the home pages, the formal results beside self-assessments, and the notifications page."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from nfmaturity.accounts.models import Notification
from nfmaturity.formal.tasks import tasks_for
from tests.web.conftest import World

from .test_results import concluded, sent, sent_again

pytestmark = pytest.mark.django_db


def queries(call) -> int:  # type: ignore[no-untyped-def]
    with CaptureQueriesContext(connection) as captured:
        call()
    return len(captured.captured_queries)


def test_tasks_wait_for_the_right_people_in_a_fixed_number_of_queries(world: World, body, experts) -> None:  # type: ignore[no-untyped-def]
    formal, members = sent(world, body, experts)
    leader = members[0].expert.user
    ent_admin = world.users["ent_admin"]
    mine = tasks_for(ent_admin)
    assert [t.step.label for t in mine] == ["确认评估结果或提出异议"] and mine[0].formal == formal
    assert tasks_for(world.users["ent_member"]) == []  # a plain member reads, nothing waits for him
    assert tasks_for(leader) == []  # the enterprise has the next move
    assert tasks_for(world.users["regulator"]) == []
    one = {u: queries(lambda u=u: tasks_for(u)) for u in (ent_admin, leader, world.users["body_admin"])}
    # Two more assessments (one in 形成评估结论, where the 组长 has the next move): the same number of queries.
    concluded(world, body, experts)
    sent_again(world, body, experts)
    assert [t.step.label for t in tasks_for(leader)] == ["编写评估结论并批准发送评估结果"]
    assert len(tasks_for(ent_admin)) == 2
    three = {u: queries(lambda u=u: tasks_for(u)) for u in (ent_admin, leader, world.users["body_admin"])}
    # Membership, the assessments, the team seats (and one more in some states' steps): never per assessment.
    assert all(three[u] <= one[u] <= 4 for u in one), (one, three)


def test_home_history_and_notifications_show_the_formal_result(world: World, body, experts) -> None:  # type: ignore[no-untyped-def]
    formal, _ = sent(world, body, experts)
    enterprise = world.client("ent_admin")
    home = enterprise.get("/")
    assert "待我处理" in home.text and "确认评估结果或提出异议" in home.text
    assert (
        "正式评估结果" in home.text
        and "第 1 版" in home.text
        and f"/formal/{formal.pk}/results/" in home.text
    )
    history = enterprise.get(f"/assessments/enterprise/{world.enterprise.pk}/history/")
    assert f"/formal/enterprise/{world.enterprise.pk}/results/" in history.text
    rows = enterprise.get(f"/formal/enterprise/{world.enterprise.pk}/results/", HTTP_HX_REQUEST="true")
    assert "正式评估" in rows.text and "第 1 版" in rows.text and "未发布" in rows.text
    # Not published: a regulator sees neither the assessment nor its result.
    regulator_rows = world.client("regulator").get(f"/formal/enterprise/{world.enterprise.pk}/results/")
    assert regulator_rows.status_code == 200 and "第 1 版" not in regulator_rows.text
    assert (
        world.client("body_admin").get(f"/formal/enterprise/{world.enterprise.pk}/results/").status_code
        == 404
    )

    badge = enterprise.get("/accounts/notifications/?part=badge", headers={"HX-Request": "true"})
    assert 'id="unread-count">1<' in badge.text
    page = enterprise.get("/accounts/notifications/")
    assert "第 1 版" in page.text and "1 条未读" in page.text
    note = Notification.objects.get(user=world.users["ent_admin"])
    assert enterprise.post("/accounts/notifications/", {"pk": str(note.pk)}).status_code == 302
    assert enterprise.get("/accounts/notifications/?part=badge", headers={"HX-Request": "true"}).text == ""
    other = Client()
    other.force_login(world.users["ent_member"])
    assert "暂无通知" in other.get("/accounts/notifications/").text
