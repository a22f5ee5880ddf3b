"""Regression tests for the findings of the outside QA (/work/brief/qa_findings.md, F-numbers there)."""

from __future__ import annotations

import gettext
import io
import re
from pathlib import Path

import lxml.html
import openpyxl
import pytest
from django.test import Client
from django.urls import reverse

import nfmaturity.web
from nfmaturity.accounts.models import Membership, Organisation, OrganisationKind, Role
from nfmaturity.accounts.services import create_member, create_organisation
from nfmaturity.analytics.rules import example
from nfmaturity.assessments.catalogs import sector_view
from nfmaturity.assessments.models import (
    Assessment,
    AssessmentKind,
    AssessmentState,
    LatestResult,
    RatingValue,
    Result,
)
from nfmaturity.assessments.selectors import requirement_label
from nfmaturity.audit.models import AuditAction, AuditEvent
from nfmaturity.audit.services import record_event
from nfmaturity.backoffice.describe import changes_of
from nfmaturity.formal.models import (
    ExpertRating,
    FormalAssessment,
    FormalState,
    Settlement,
    SettlementMethod,
)
from nfmaturity.web.demo import load_demo
from tests.formal.factory import make_experts, make_formal, seat_team
from tests.web.conftest import PASSWORD, World

pytestmark = pytest.mark.django_db


def test_the_remove_member_page_keeps_the_viewers_own_navigation(world: World) -> None:
    # F3: the page passed the member to remove as "membership", the name of the viewer's own seat, so the
    # platform admin's navigation turned into the enterprise's (企业信息, 评估历史, 成员管理 → 404).
    target = Membership.objects.get(user=world.users["ent_member"])
    url = reverse("backoffice:membership_remove", args=[target.pk])
    html = world.client("platform_admin").get(url).content.decode()
    assert "后台管理" in html and "· 平台管理员" in html
    assert reverse("accounts:members") not in html
    assert reverse("enterprises:detail", args=[world.enterprise.pk]) not in html
    assert "将 " in html and "移出南丹锡业有限公司" in html


def test_the_audit_log_writes_formal_assessment_events_in_words(
    world: World, django_assert_max_num_queries: object
) -> None:
    # F2: events on a formal assessment read "formal.formalassessment #1（已删除）" (it existed), with raw keys
    # and states: "public_listing：否 → 是", "状态：final → published", "method：unanimous".
    body = Organisation.objects.get(kind=OrganisationKind.BODY)
    experts = make_experts(body)
    leader = experts[0].user
    formal = make_formal(world.enterprise, body, leader, state=FormalState.PUBLISHED)
    member = seat_team(formal, experts[:7])[0]
    view = sector_view(formal.assessment.catalog_version, formal.assessment.sector)
    first = next(iter(view.requirements.values()))
    settlement = Settlement.objects.create(
        formal=formal,
        requirement_id=first.id,
        row_id=first.row,
        level=int(first.level),
        value=RatingValue.PARTLY,
        method=SettlementMethod.LEADER,
        settled_by=leader,
    )
    org = world.enterprise.organisation_id
    record_event(
        actor=leader,
        action=AuditAction.RESULT_PUBLISHED,
        obj=formal,
        organisation_id=org,
        old={"state": "final"},
        new={"state": "published", "result_number": "NFDT-2026-000001", "public_listing": True},
    )
    record_event(
        actor=leader,
        action=AuditAction.MEETING_RECORDED,
        obj=formal,
        organisation_id=org,
        new={"meeting": "final", "held_at": "2026-11-24T18:55:57.754996+00:00"},
    )
    record_event(
        actor=leader,
        action=AuditAction.REQUIREMENT_SETTLED,
        obj=settlement,
        organisation_id=org,
        new={
            "formal_id": formal.pk,
            "requirement_id": first.id,
            "value": "0.5",
            "method": "leader",
            "round": 0,
        },
    )
    record_event(
        actor=leader,
        action=AuditAction.TEAM_LEADER_SET,
        obj=member,
        organisation_id=org,
        new={"leader": member.expert.full_name},
    )
    client = world.client("platform_admin")
    with django_assert_max_num_queries(16):  # type: ignore[operator]
        response = client.get("/backoffice/audit/?object_type=formal.formalassessment")
    text = response.content.decode()
    where = f"（南丹锡业有限公司）正式评估 #{formal.pk}"
    assert where in text and "（已删除）" not in text
    assert (
        "状态：末次会议 → 已发布" in text
        and "列入公开名单：是" in text
        and "结果编号：NFDT-2026-000001" in text
    )
    assert "会议：末次会议" in text and "召开时间：2026-11-25 02:55" in text
    assert 'value="formal.formalassessment" selected' in text  # the filter offers the type
    text = client.get("/backoffice/audit/?action=formal.requirement_settled").content.decode()
    assert f"合议结果 #{settlement.pk} · {where} · {requirement_label(view, first.id)}" in text
    assert "确定方式：组长裁定" in text and "评分：部分满足" in text and "合议轮次：0" in text
    text = client.get("/backoffice/audit/?action=formal.team_leader_set").content.decode()
    assert f"评估组成员 “{member}” · {where}" in text
    cells = _cells(client.get("/backoffice/audit/").content.decode())
    for raw in ("formal.", "published", "final", "public_listing", "held_at", "leader", "method", "round"):
        assert raw not in cells, raw


def _cells(html: str) -> str:
    """The text of the audit table's cells (the filter's option values are machine names by design)."""
    cells = " ".join(re.findall(r"<td[^>]*>(.*?)</td>", html, flags=re.S))
    return re.sub(r"<[^>]+>", " ", cells)  # the links' addresses name object types by design


def _formal_on_site_with_one_rating(world: World) -> FormalAssessment:
    """A formal assessment of A on site, with one expert's rating and the start of the on-site stage logged."""
    body = Organisation.objects.get(kind=OrganisationKind.BODY)
    experts = make_experts(body)
    formal = make_formal(world.enterprise, body, experts[0].user, state=FormalState.ONSITE)
    member = seat_team(formal, experts[:7])[0]
    view = sector_view(formal.assessment.catalog_version, formal.assessment.sector)
    first = next(iter(view.requirements.values()))
    rating = ExpertRating.objects.create(
        formal=formal,
        member=member,
        requirement_id=first.id,
        row_id=first.row,
        level=int(first.level),
        value=RatingValue.NONE,
    )
    org = world.enterprise.organisation_id
    record_event(
        actor=experts[0].user,
        action=AuditAction.EXPERT_RATING_CHANGED,
        obj=rating,
        organisation_id=org,
        new={"formal_id": formal.pk, "requirement_id": first.id, "value": "0", "note": "现场未见记录"},
    )
    record_event(
        actor=experts[0].user,
        action=AuditAction.ONSITE_STARTED,
        obj=formal,
        organisation_id=org,
        old={"state": "planning"},
        new={"state": "onsite"},
    )
    return formal


def test_the_audit_log_keeps_the_teams_own_work_from_the_enterprise_and_regulators(world: World) -> None:
    # F4: the formal services tag every event with the enterprise's organisation, so its admin read each
    # expert's rating ("专家评分变更 … 评分：不满足") in the audit log while the team was still rating, and the
    # regulator read an unpublished formal assessment's history.
    formal = _formal_on_site_with_one_rating(world)

    def log(persona: str) -> str:
        return _cells(world.client(persona).get("/backoffice/audit/").content.decode())

    assert "专家评分变更" in log("platform_admin") and "现场未见记录" in log("platform_admin")
    for persona in ("ent_admin", "regulator", "national_regulator"):
        assert "专家评分变更" not in log(persona) and "现场未见记录" not in log(persona), persona
    assert "开始现场评估" in log("ent_admin")  # the enterprise follows its assessment
    assert "开始现场评估" not in log("regulator")  # not published yet
    FormalAssessment.objects.filter(pk=formal.pk).update(state=FormalState.PUBLISHED)
    assert "开始现场评估" in log("regulator") and "专家评分变更" not in log("regulator")


def test_the_body_admin_reads_its_own_formal_assessments_in_the_audit_log(world: World) -> None:
    # F4 (a): every formal event carries the enterprise's organisation, so the admin of the body doing the
    # assessment saw none of it in the log (only on the assessment's timeline). Another body's admin still
    # sees nothing of it.
    _formal_on_site_with_one_rating(world)
    record_event(  # the enterprise's own affairs stay the enterprise's
        actor=world.users["ent_admin"],
        action=AuditAction.ENTERPRISE_UPDATED,
        obj=world.enterprise,
        organisation_id=world.enterprise.organisation_id,
        old={"address": "旧地址"},
        new={"address": "企业自己的新地址"},
    )
    other_body = create_organisation(name="另一评估中心", kind=OrganisationKind.BODY)
    other_admin = create_member(
        organisation=other_body, username="other_body_admin", password=PASSWORD, role=Role.BODY_ADMIN
    )

    def log(user: object) -> str:
        client = Client()
        client.force_login(user)  # type: ignore[arg-type]
        return _cells(client.get("/backoffice/audit/").content.decode())

    own = log(world.users["body_admin"])
    assert "专家评分变更" in own and "现场未见记录" in own and "开始现场评估" in own
    assert "企业自己的新地址" not in own
    other = log(other_admin)
    assert "开始现场评估" not in other and "现场未见记录" not in other


def test_regulators_read_that_a_self_assessment_was_submitted_not_its_draft_ratings(
    world: World, draft: Assessment
) -> None:
    # F4 (b): "谁能看到我的自评估？" promises the draft is the enterprise's alone; the regulator read each rating
    # change of it in the audit log.
    org = world.enterprise.organisation_id
    record_event(
        actor=world.users["ent_admin"],
        action=AuditAction.RATING_CHANGED,
        obj=draft,
        organisation_id=org,
        old={"value": "0.5", "reason": "", "note": ""},
        new={"value": "1", "reason": "", "note": "草稿里的说明"},
    )
    record_event(
        actor=world.users["ent_admin"],
        action=AuditAction.ASSESSMENT_SUBMITTED,
        obj=draft,
        organisation_id=org,
    )
    for persona in ("regulator", "national_regulator"):
        html = _cells(world.client(persona).get("/backoffice/audit/").content.decode())
        assert "提交自评估" in html and "草稿里的说明" not in html and "评分变更" not in html, persona
        export = world.client(persona).get("/backoffice/audit/export/")
        sheet = openpyxl.load_workbook(io.BytesIO(export.getvalue())).active
        assert sheet is not None
        cells = " ".join(str(c) for row in sheet.iter_rows(values_only=True) for c in row if c)
        assert "提交自评估" in cells and "草稿里的说明" not in cells, persona
    assert "草稿里的说明" in _cells(world.client("ent_admin").get("/backoffice/audit/").content.decode())


def test_demo_self_assessments_carry_one_history_of_dates(db: None) -> None:
    # F5: the demo moved only the assessment's submission date into the past: the report read
    # "评估开始 2026-11-26 · 提交日期 2026-11-09" and "上次评估为 2026-11-26" for last year's result, and the
    # dashboard's pointer kept today's date.
    load_demo(PASSWORD)
    submitted = Assessment.objects.filter(kind=AssessmentKind.SELF, state=AssessmentState.SUBMITTED)
    assert submitted.count() >= 39
    for assessment in submitted:
        assert assessment.submitted_at is not None
        assert assessment.created_at < assessment.submitted_at, assessment.pk
        for result in Result.objects.filter(assessment=assessment):
            assert result.created_at == assessment.submitted_at, assessment.pk
        # The audit log and the ratings carry the same history (they read the load time).
        events = {
            e.action: e.at
            for e in AuditEvent.objects.filter(
                object_type="assessments.assessment", object_id=str(assessment.pk)
            )
        }
        assert events[AuditAction.ASSESSMENT_STARTED] == assessment.created_at, assessment.pk
        assert events[AuditAction.ASSESSMENT_SUBMITTED] == assessment.submitted_at, assessment.pk
        rated = assessment.ratings.values_list("updated_at", flat=True)
        assert all(assessment.created_at < at < assessment.submitted_at for at in rated), assessment.pk
    pointers = LatestResult.objects.filter(kind=AssessmentKind.SELF).select_related("result__assessment")
    assert pointers.count() >= 30
    for pointer in pointers:
        assert pointer.submitted_at == pointer.result.assessment.submitted_at, pointer.pk
    first = sorted(
        a.submitted_at
        for a in submitted.filter(enterprise__name__endswith="南丹锡业有限公司")
        if a.submitted_at is not None
    )
    assert len(first) == 2 and (first[1] - first[0]).days >= 300  # last year's result, then this year's


def _form_values(html: str) -> list[tuple[str, str]]:
    """What the page's profile form would post as it stands (the logout form left out)."""
    doc = lxml.html.fromstring(html)
    form = next(f for f in doc.forms if "logout" not in (f.action or ""))
    return list(form.form_values())


def _post(client: object, url: str, values: list[tuple[str, str]], **changes: str) -> object:
    data: dict[str, list[str]] = {}
    for key, value in values:
        data.setdefault(key, []).append(value)
    data.update({k: [v] for k, v in changes.items()})
    return client.post(url, data)  # type: ignore[attr-defined]


def test_two_people_editing_the_enterprise_profile_lose_nothing(world: World) -> None:
    # F6: a profile form opened before someone else's save wrote its old values back over that save
    # (admin A changed the address, admin B then saved the group name: A's address was gone, nobody told).
    url = f"/enterprises/{world.enterprise.pk}/edit/"
    first, second = world.client("ent_admin"), world.client("ent_admin")
    form_a = _form_values(first.get(url).content.decode())
    form_b = _form_values(second.get(url).content.decode())
    assert _post(first, url, form_a, address="甲填写的地址").status_code == 302  # type: ignore[attr-defined]
    assert _post(second, url, form_b, group_name="乙填写的集团").status_code == 302  # type: ignore[attr-defined]
    world.enterprise.refresh_from_db()
    assert (world.enterprise.address, world.enterprise.group_name) == ("甲填写的地址", "乙填写的集团")

    # Both change the address: the later save is refused with the newer value shown, the typed one kept,
    # and the other's change elsewhere filled in; saving again keeps the typed address.
    form_a = _form_values(first.get(url).content.decode())
    form_b = _form_values(second.get(url).content.decode())
    _post(first, url, form_a, address="甲第二次的地址", size="small")
    refused = _post(second, url, form_b, address="乙填写的地址")
    assert refused.status_code == 409  # type: ignore[attr-defined]
    page = refused.content.decode()  # type: ignore[attr-defined]
    assert "现在是“甲第二次的地址”" in page and 'value="乙填写的地址"' in page
    world.enterprise.refresh_from_db()
    assert world.enterprise.address == "甲第二次的地址"
    assert _post(second, url, _form_values(page)).status_code == 302  # type: ignore[attr-defined]
    world.enterprise.refresh_from_db()
    assert (world.enterprise.address, world.enterprise.size) == ("乙填写的地址", "small")
    assert world.enterprise.group_name == "乙填写的集团"


def test_a_wrong_audit_filter_lists_and_exports_nothing_rather_than_everything(world: World) -> None:
    # F9: "起始日期 2026-02-30" was marked wrong, and the page (and the export) then listed the whole log.
    client = world.client("platform_admin")
    assert "企业注册" in _cells(client.get("/backoffice/audit/?date_from=2026-02-01").content.decode())
    page = client.get("/backoffice/audit/?date_from=2026-02-30&action=enterprise.registered").content.decode()
    assert "输入一个有效的日期" in page and "筛选条件有误" in page
    assert "企业注册" not in _cells(page)
    export = client.get("/backoffice/audit/export/?date_from=2026-02-30")
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(export.streaming_content))).active  # type: ignore[attr-defined]
    assert sheet is not None
    assert not any("企业注册" in str(cell.value) for row in sheet.iter_rows() for cell in row)


@pytest.mark.parametrize(
    ("persona", "url"),
    [
        ("regulator", "/enterprises/"),
        ("body_admin", "/enterprises/"),
        ("regulator", "/backoffice/"),
        ("platform_admin", "/backoffice/invitations/"),
        ("platform_admin", "/backoffice/audit/"),
    ],
)
def test_a_nul_character_in_a_search_is_no_server_error(world: World, persona: str, url: str) -> None:
    # F10: "?q=%00" on the registry and back-office lists was a 500 on PostgreSQL ("text fields cannot contain
    # NUL (0x00) bytes"); SQLite let it through, so only production would have shown it.
    params = {k: "南丹\x00" for k in ("q", "organisation", "actor", "kind", "state", "demo")}
    response = world.client(persona).get(url, params)
    assert response.status_code < 500


def test_djangos_own_form_messages_read_as_plain_chinese(world: World) -> None:
    # F11: Django's zh-hans catalogue answered a long address with "确保该变量包含不超过 200 字符 (目前字符数
    # 5000)。" and a NUL character with the garbled "不允许是用空字符串。"; the budget with "确认总共不超过 12 个数字."
    url = f"/enterprises/{world.enterprise.pk}/edit/"
    client = world.client("ent_admin")
    form = _form_values(client.get(url).content.decode())
    page = _post(client, url, form, address="长" * 300, group_name="甲\x00乙").content.decode()  # type: ignore[attr-defined]
    assert "最多 200 个字，现在是 300 个字。" in page and "内容里有不可见的空字符" in page
    assert "确保该变量" not in page and "不允许是用空字符串" not in page


def test_the_message_catalogue_is_compiled_from_its_source() -> None:
    # The .mo is what Django reads; it must say what the .po (the file people edit) says.
    folder = Path(nfmaturity.web.__file__).parent / "locale" / "zh_Hans" / "LC_MESSAGES"
    with (folder / "django.mo").open("rb") as compiled:
        catalogue = gettext.GNUTranslations(compiled)
    source = (folder / "django.po").read_text(encoding="utf-8")
    for msgstr in re.findall(r'^msgstr(?:\[0\])? "(.+)"$', source, flags=re.M):
        assert msgstr in catalogue._catalog.values(), msgstr  # type: ignore[attr-defined]


def test_plan_and_indicator_events_read_in_words() -> None:
    # F2 (rest): "equipment_networked：50.00", "assessment：2", "完成后总分：548859/172000" in the audit log.
    indicators = AuditEvent(
        object_type="analytics.indicatorreport",
        action=AuditAction.INDICATORS_SAVED,
        new={"year": 2026, "equipment_networked": "50.00", "platform_connected": True},
    )
    assert [str(c) for c in changes_of(indicators)] == [
        "年度：2026",
        "生产设备联网率：50.00",
        "工业互联网平台接入：是",
    ]
    plan = AuditEvent(
        object_type="plans.improvementplan",
        action=AuditAction.IMPROVEMENT_PLAN_CREATED,
        new={"assessment": 2, "reaches_total": "548859/172000", "path": "consecutive"},
    )
    assert [str(c) for c in changes_of(plan)] == ["评估：#2", "完成后总分：3.19", "路径：逐级达标"]


def test_policy_rule_events_read_in_words() -> None:
    # QA12-F6: "条件：{'conditions': [{'type': 'grade_rise', …}]}" and an export's count as "负责的子域：0".
    shipped = example("reward-small-rise")
    assert shipped is not None
    created = AuditEvent(
        object_type="analytics.policyrule",
        action=AuditAction.POLICY_RULE_CREATED,
        new={
            "name": "小微企业升级",
            "description": "",
            "definition": shipped.definition.model_dump(mode="json"),
            "copied_from": shipped.key,
        },
    )
    words = [str(c) for c in changes_of(created)]
    assert f"条件：{shipped.definition.describe()}" in words
    assert f"复制自示例：“{shipped.name}”" in words
    assert not any("{" in w for w in words), words
    exported = AuditEvent(
        object_type="analytics.policyrule",
        action=AuditAction.POLICY_RULE_EXPORTED,
        new={"name": "小微企业升级", "rows": 4},
    )
    assert [str(c) for c in changes_of(exported)] == ["规则名称：小微企业升级", "匹配企业数：4"]


def test_a_nul_character_in_the_registration_form_is_no_server_error(world: World) -> None:
    # F10 (also): the registration page looked the typed name up before validating it: on PostgreSQL a NUL
    # character in 企业名称 was a 500 for anyone, without logging in.
    response = Client().post("/enterprises/register/", {"name": "南丹锡业有限公司\x00", "uscc": "9\x00"})
    assert response.status_code == 200
    assert "内容里有不可见的空字符" in response.content.decode()


def test_an_action_address_opened_directly_explains_itself(world: World, draft: Assessment) -> None:
    # O3: GET on a POST-only address ("/assessments/3/rate/", a bookmark of an action) was a blank 405 page.
    response = world.client("ent_admin").get(f"/assessments/{draft.pk}/rate/")
    assert response.status_code == 405 and response["Allow"] == "POST"
    page = response.content.decode()
    assert "这个地址不能直接打开" in page and "退出" in page  # the site's page, with the user's navigation
    htmx = world.client("ent_admin").get(f"/assessments/{draft.pk}/rate/", HTTP_HX_REQUEST="true")
    assert htmx.status_code == 405 and htmx.content == b""
