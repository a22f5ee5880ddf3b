"""The rules pages as a regulator uses them: create with the form, copy an example, run (matches and reasons),
edit with a stale version, delete, export; audit rows and query counts."""

from __future__ import annotations

import io
from typing import Any

import openpyxl
import pytest

from nfmaturity.analytics.models import PolicyRule
from nfmaturity.analytics.rules import parse_definition
from nfmaturity.analytics.services import update_rule
from nfmaturity.audit.models import AuditAction, AuditEvent

from .conftest import World
from .test_rules_dataset import make_enterprise, make_result

FORM = {
    "name": "小微企业等级提升",
    "description": "以奖代补候选",
    "rise_enabled": "on",
    "rise_years": "2",
    "rise_levels": "1",
}


def _rule(world: World, client: Any, **fields: str) -> PolicyRule:
    response = client.post("/analytics/rules/new/", {**FORM, **fields})
    assert response.status_code == 302, response.content.decode()[:2000]
    return PolicyRule.objects.get(name=fields.get("name", FORM["name"]))


@pytest.fixture
def risers(world: World) -> None:
    small = make_enterprise("河池小型冶炼厂", size="small", region="451221")
    make_result(small, total="1.50", grade=1, days_ago=400)
    make_result(small, total="2.10", grade=2, days_ago=10)
    medium = make_enterprise("百色中型铝厂", size="medium", region="451002")
    make_result(medium, total="1.50", grade=1, days_ago=400)
    make_result(medium, total="2.90", grade=3, days_ago=10)


def test_a_regulator_creates_a_rule_with_the_form_and_sees_who_matches_and_why(
    world: World, risers: None
) -> None:
    client = world.client("regulator")
    rule = _rule(world, client, sizes=["small", "micro"])
    definition = parse_definition(rule.definition)
    assert definition.describe() == "2 年内等级提升 ≥ 1 级，且企业规模为小型、微型"
    page = client.get(f"/analytics/rules/{rule.pk}/").content.decode()
    assert "河池小型冶炼厂" in page and "百色中型铝厂" not in page
    assert "等级提升 1 级：" in page and "企业规模：小型" in page
    event = AuditEvent.objects.get(action=AuditAction.POLICY_RULE_CREATED)
    assert event.new["name"] == "小微企业等级提升" and event.actor == world.users["regulator"]
    assert event.organisation_id == rule.organisation_id


def test_an_empty_or_wrong_form_is_refused_in_chinese_with_what_was_typed(world: World) -> None:
    client = world.client("regulator")
    response = client.post("/analytics/rules/new/", {"name": "空规则"})
    assert response.status_code == 422
    page = response.content.decode()
    assert "请至少设置一个条件" in page and 'value="空规则"' in page
    response = client.post(
        "/analytics/rules/new/", {"name": "阈值错", "domain_1": "数据", "level_1": "s2", "below_1": "1.5"}
    )
    assert response.status_code == 422
    assert "S1–S5 得分在 0–1 之间，阈值不能大于 1" in response.content.decode()
    assert not PolicyRule.objects.exists()


def test_two_rules_of_one_office_cannot_share_a_name(world: World) -> None:
    client = world.client("regulator")
    _rule(world, client)
    response = client.post("/analytics/rules/new/", FORM)
    assert response.status_code == 422
    assert "本机构已有名为“小微企业等级提升”的规则" in response.content.decode()


def test_an_example_is_copied_into_the_offices_own_rules(world: World) -> None:
    client = world.client("regulator")
    listing = client.get("/analytics/rules/").content.decode()
    assert "示例 · 非政策" in listing and "示例不是政策" in listing
    form = client.get("/analytics/rules/new/?from=data-s2-below").content.decode()
    assert 'value="数据域 S2 低于 0.5"' in form and "复制自示例" in form
    response = client.post(
        "/analytics/rules/new/?from=data-s2-below",
        {"name": "数据域 S2 低于 0.5", "domain_1": "数据", "level_1": "s2", "below_1": "0.5"},
    )
    assert response.status_code == 302
    rule = PolicyRule.objects.get()
    assert rule.copied_from == "data-s2-below"
    assert parse_definition(rule.definition).describe() == "数据域 S2 低于 0.5"
    assert client.get("/analytics/rules/new/?from=nope").status_code == 404


def test_a_stale_edit_is_refused_and_keeps_what_was_typed(world: World) -> None:
    client = world.client("regulator")
    rule = _rule(world, client)
    form = client.get(f"/analytics/rules/{rule.pk}/edit/").content.decode()
    assert f'name="version" value="{rule.version}"' in form
    # A colleague saves first.
    definition = parse_definition(rule.definition)
    update_rule(
        rule=rule,
        actor=world.users["regulator"],
        base_version=1,
        name="同事改的名称",
        description="",
        definition=definition,
    )
    response = client.post(
        f"/analytics/rules/{rule.pk}/edit/",
        {**FORM, "name": "我改的名称", "version": "1", "sizes": ["micro"]},
    )
    assert response.status_code == 409
    page = response.content.decode()
    assert 'value="我改的名称"' in page and "同事改的名称" in page and "已被修改" in page
    assert 'name="version" value="2"' in page  # the next save is based on the colleague's version
    response = client.post(
        f"/analytics/rules/{rule.pk}/edit/",
        {**FORM, "name": "我改的名称", "version": "2", "sizes": ["micro"]},
    )
    assert response.status_code == 302
    rule.refresh_from_db()
    assert rule.name == "我改的名称" and rule.version == 3
    updates = AuditEvent.objects.filter(action=AuditAction.POLICY_RULE_UPDATED).order_by("at", "id")
    assert [e.new["name"] for e in updates] == ["同事改的名称", "我改的名称"]
    assert updates[1].old["name"] == "同事改的名称"


def test_delete_and_export_are_audited(world: World, risers: None) -> None:
    client = world.client("regulator")
    rule = _rule(world, client, sizes=["small"])
    response = client.get(f"/analytics/rules/{rule.pk}/export/")
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active  # type: ignore[attr-defined]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[2][0] == "河池小型冶炼厂" and str(rows[2][9]).startswith("等级提升 1 级：")
    exported = AuditEvent.objects.get(action=AuditAction.POLICY_RULE_EXPORTED)
    assert exported.new == {"name": "小微企业等级提升", "rows": 1}
    assert (
        client.post(f"/analytics/rules/{rule.pk}/delete/", {"version": str(rule.version)}).status_code == 302
    )
    assert not PolicyRule.objects.exists()
    deleted = AuditEvent.objects.get(action=AuditAction.POLICY_RULE_DELETED)
    assert deleted.old["name"] == "小微企业等级提升"


def test_the_run_page_takes_a_fixed_number_of_queries(
    world: World, risers: None, django_assert_num_queries: Any
) -> None:
    client = world.client("regulator")
    rule = _rule(world, client, sizes=["small", "medium"])
    client.get(f"/analytics/rules/{rule.pk}/")
    # session, user, membership, rule, organisation check (membership cached), demo database (2), count, page
    with django_assert_num_queries(8):
        assert client.get(f"/analytics/rules/{rule.pk}/").status_code == 200
    for i in range(20):
        e = make_enterprise(f"新增企业{i:02d}", size="small")
        make_result(e, total="1.00", grade=1, days_ago=300)
        make_result(e, total="2.00", grade=2, days_ago=3)
    with django_assert_num_queries(8):
        page = client.get(f"/analytics/rules/{rule.pk}/").content.decode()
    assert page.count("等级提升 1 级：") == 21 and page.count("等级提升 2 级：") == 1
    with django_assert_num_queries(4):  # session, user, membership, rules (with who changed them)
        assert client.get("/analytics/rules/").status_code == 200
