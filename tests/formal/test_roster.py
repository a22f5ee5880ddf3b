"""The expert roster and the eligibility rule: a declared relation with the applicant or its group, lasting
into the last three years, bars the expert; the reason names the relation."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from nfmaturity.accounts.models import Organisation
from nfmaturity.audit.models import AuditAction, AuditEvent
from nfmaturity.enterprises.models import Enterprise
from nfmaturity.formal import roster
from nfmaturity.formal import services_team as team
from nfmaturity.formal.models import Discipline, ExpertProfile, ExpertRelation, RelationKind
from tests.web.conftest import World, uscc

TODAY = datetime.date(2026, 6, 1)


def relation(expert: ExpertProfile, **kw: object) -> ExpertRelation:
    values: dict[str, object] = {"counterparty_name": "别的公司", "kind": RelationKind.CONSULTING}
    values.update(kw)
    return ExpertRelation.objects.create(expert=expert, **values)


@pytest.fixture
def grouped(world: World) -> Enterprise:
    enterprise = world.enterprise
    enterprise.group_name = "广西有色金属集团有限公司"
    enterprise.group_uscc = uscc("G9")
    enterprise.save()
    return enterprise


@pytest.mark.django_db
def test_a_relation_with_the_applicant_by_code_or_name_bars_the_expert(
    grouped: Enterprise, experts: list[ExpertProfile]
) -> None:
    by_code = relation(experts[0], counterparty_name="南丹锡业", counterparty_uscc=grouped.uscc)
    reason = roster.relation_conflict(by_code, grouped, TODAY)
    assert reason is not None
    assert reason.startswith("申报了与申请企业“南丹锡业”的咨询关系")
    assert "统一社会信用代码相同" in reason and "近 3 年内有利益关系，须回避" in reason
    # Written with full-width brackets, spaces and another case, the name still matches.
    by_name = relation(experts[1], counterparty_name=" 南丹锡业有限公司 ", kind=RelationKind.DESIGN)
    assert "单位名称相同" in (roster.relation_conflict(by_name, grouped, TODAY) or "")
    assert roster.normalised("ＡＢＣ（广西）有限 公司") == roster.normalised("abc(广西)有限公司")
    unrelated = relation(experts[2], counterparty_name="百色铝业有限公司", counterparty_uscc=uscc("B2"))
    assert roster.relation_conflict(unrelated, grouped, TODAY) is None


@pytest.mark.django_db
def test_a_relation_with_the_parent_group_bars_the_expert(
    grouped: Enterprise, experts: list[ExpertProfile]
) -> None:
    by_name = relation(experts[0], counterparty_name="广西有色金属集团有限公司", kind=RelationKind.SALES)
    assert (roster.relation_conflict(by_name, grouped, TODAY) or "").startswith(
        "申报了与其所属集团“广西有色金属集团有限公司”的销售关系"
    )
    by_code = relation(experts[1], counterparty_name="集团", counterparty_uscc=grouped.group_uscc)
    assert "其所属集团" in (roster.relation_conflict(by_code, grouped, TODAY) or "")
    # Without a group on the profile, nothing matches the group's name.
    grouped.group_name = grouped.group_uscc = ""
    assert roster.relation_conflict(by_name, grouped, TODAY) is None


@pytest.mark.django_db
def test_only_relations_lasting_into_the_last_three_years_count(
    world: World, experts: list[ExpertProfile]
) -> None:
    name = world.enterprise.name
    ongoing = relation(experts[0], counterparty_name=name, started_on=datetime.date(2010, 1, 1))
    recent = relation(experts[0], counterparty_name=name, ended_on=datetime.date(2023, 6, 1))
    old = relation(experts[0], counterparty_name=name, ended_on=datetime.date(2023, 5, 31))
    assert roster.relation_conflict(ongoing, world.enterprise, TODAY) is not None
    assert "2010-01-01 至 至今" in (roster.relation_conflict(ongoing, world.enterprise, TODAY) or "")
    assert roster.relation_conflict(recent, world.enterprise, TODAY) is not None
    assert roster.relation_conflict(old, world.enterprise, TODAY) is None
    assert roster.window_start(datetime.date(2028, 2, 29)) == datetime.date(2025, 2, 28)


@pytest.mark.django_db
def test_the_body_admin_keeps_the_roster(world: World, body: Organisation) -> None:
    client = world.client("body_admin")
    page = client.get("/formal/roster/")
    assert (
        page.status_code == 200
        and "expert" in page.content.decode()
        and "尚未建立资料" in page.content.decode()
    )
    expert = world.users["expert"]
    response = client.post(
        f"/formal/roster/{expert.pk}/",
        {
            "full_name": "王工",
            "disciplines": ["safety", "environment"],
            "title": "高级工程师",
            "qualifications": "",
        },
    )
    assert response.status_code == 303
    profile = ExpertProfile.objects.get(user=expert)
    assert (
        profile.disciplines == [Discipline.SAFETY.value, Discipline.ENVIRONMENT.value]
        and profile.body == body
    )
    assert AuditEvent.objects.filter(action=AuditAction.EXPERT_PROFILE_UPDATED).count() == 1
    # The admin may include himself; not a member of another organisation, and an expert may not edit.
    admin = world.users["body_admin"]
    assert (
        client.post(
            f"/formal/roster/{admin.pk}/", {"full_name": "李主任", "disciplines": ["management_science"]}
        ).status_code
        == 303
    )
    assert client.get(f"/formal/roster/{world.users['ent_admin'].pk}/").status_code == 404
    assert (
        client.post(f"/formal/roster/{expert.pk}/", {"full_name": "王工", "disciplines": []}).status_code
        == 422
    )
    with pytest.raises(PermissionDenied):
        team.save_expert_profile(actor=expert, user=expert, full_name="我", disciplines=["safety"])  # type: ignore[arg-type]
    assert world.client("expert").get("/formal/roster/").status_code == 403


@pytest.mark.django_db
def test_each_expert_declares_his_own_relations(world: World, experts: list[ExpertProfile]) -> None:
    client = world.client("ent_admin")
    client.force_login(experts[0].user)
    response = client.post(
        "/formal/relations/",
        {
            "counterparty_name": "南丹锡业有限公司",
            "counterparty_uscc": world.enterprise.uscc,
            "kind": "production",
            "started_on": "2024-01-01",
        },
    )
    assert response.status_code == 303
    declared = ExpertRelation.objects.get(expert=experts[0])
    assert declared.kind == RelationKind.PRODUCTION
    bad = client.post(
        "/formal/relations/",
        {
            "counterparty_name": "某公司",
            "kind": "sales",
            "started_on": "2024-01-01",
            "ended_on": "2023-01-01",
        },
    )
    assert bad.status_code == 422 and "结束日期不能早于开始日期" in bad.content.decode()
    # Someone else's declaration cannot be removed; his own can.
    other = relation(experts[1])
    with pytest.raises(Http404):
        team.remove_relation(actor=experts[0].user, pk=other.pk)
    assert client.post(f"/formal/relations/{other.pk}/remove/").status_code == 404
    assert client.post(f"/formal/relations/{declared.pk}/remove/").status_code == 303
    assert not ExpertRelation.objects.filter(pk=declared.pk).exists()
    assert AuditEvent.objects.filter(action=AuditAction.EXPERT_RELATION_REMOVED).exists()
    # Without a profile there is nothing to declare against.
    assert world.client("expert").get("/formal/relations/").status_code == 404


@pytest.mark.django_db
def test_the_enterprise_fills_in_its_group(world: World) -> None:
    client = world.client("ent_admin")
    enterprise = world.enterprise
    form = client.get(f"/enterprises/{enterprise.pk}/edit/")
    assert "所属集团（如有）" in form.content.decode()
    response = client.post(
        f"/enterprises/{enterprise.pk}/edit/",
        {
            "region_code": enterprise.region_code,
            "sectors": enterprise.sectors,
            "metals": enterprise.metals,
            "size": enterprise.size,
            "above_scale": "on",
            "group_name": "广西有色金属集团有限公司",
            "group_uscc": uscc("G9"),
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    enterprise.refresh_from_db()
    assert enterprise.group_name == "广西有色金属集团有限公司" and enterprise.group_uscc == uscc("G9")
    bad = client.post(
        f"/enterprises/{enterprise.pk}/edit/",
        {
            "region_code": enterprise.region_code,
            "sectors": enterprise.sectors,
            "metals": enterprise.metals,
            "size": enterprise.size,
            "group_uscc": "123",
        },
    )
    assert bad.status_code == 200 and enterprise.group_uscc == uscc("G9")
