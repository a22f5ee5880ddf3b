"""The report's content: every figure is the stored result's, shown truncated; strengths and weaknesses, 不适用,
evidence, the change since the previous assessment and the formal sections are the stored records."""

from __future__ import annotations

from datetime import date
from fractions import Fraction
from typing import Any

import pytest

from nfmaturity.assessments.catalogs import sector_view
from nfmaturity.assessments.models import RatingRecord, RatingValue
from nfmaturity.assessments.services import start_self_assessment, submit_assessment
from nfmaturity.enterprises.models import Enterprise, SectorChoice, VerificationState
from nfmaturity.enterprises.services import register_enterprise
from nfmaturity.plans.models import PlanAction
from nfmaturity.plans.services import create_plan
from nfmaturity.reports.content import report_content
from nfmaturity.scoring.display import format_truncated
from tests.web.conftest import WORKED_CHECK, World, fill, profile

from .conftest import CHECK_CODE, NA_REASON, RESULT_NUMBER, FormalCase, SelfCase

pytestmark = pytest.mark.django_db


def shown(exact: str) -> str:
    return format_truncated(Fraction(exact))


def test_every_figure_is_the_stored_result_truncated(self_case: SelfCase) -> None:
    result = self_case.result
    content = report_content(result)
    assert content.total == shown(result.total) == "2.48"  # hand-checked once against the results page
    assert content.grade == result.get_grade_display() == "二级 场景级"
    assert [line.score for line in content.levels] == [shown(result.levels[str(i)]) for i in range(1, 6)]
    assert [line.met for line in content.levels] == [result.level_met[str(i)] for i in range(1, 6)]
    for domain in content.domains:
        assert domain.maturity == shown(result.domains[domain.name]["maturity"])
        for cell, level in zip(domain.levels, range(1, 6), strict=True):
            stored = result.domains[domain.name]["levels"][str(level)]
            assert cell.shown == ("—" if stored is None else shown(stored))
    rows = {(s.domain, s.name): s for d in content.domains for s in d.subdomains}
    assert len(rows) == len(result.subdomains)
    for row_id, stored in result.subdomains.items():
        line = rows[(stored["domain"], stored["name"])]
        assert line.maturity == shown(result.maturity[row_id])
    # S2 is 0.78 (unmet) while the total gives 二级: the 等级跳跃 warning is carried.
    assert content.consecutive_level == "S1"
    assert content.warning is not None and "等级跳跃" in content.warning
    assert content.grade_description.startswith("企业应对数字化转型的组织")


def test_change_since_the_previous_assessment_is_the_difference_of_shown_figures(self_case: SelfCase) -> None:
    content = report_content(self_case.result)
    assert content.change is not None
    assert content.change.previous_total == "2.50"  # the worked check of standard-notes §3
    assert content.change.total_delta == "−0.02"
    s1 = content.levels[0]
    assert (s1.previous, s1.score, s1.delta) == ("1.00", "0.96", "−0.04")
    assert content.domains[0].change is not None
    # The first assessment has nothing before it.
    first = report_content(self_case.previous)
    assert first.change is None and all(d.change is None for d in first.domains)


def test_not_applicable_evidence_methodology_and_self_assessment_notice(self_case: SelfCase) -> None:
    content = report_content(self_case.result)
    assert len(content.not_applicable) == len(self_case.na_ids) == 3
    assert all(n.reason == NA_REASON and " S4 第" in n.label for n in content.not_applicable)
    assert [e.name for e in content.evidence] == ["数字化转型规划（2024—2026）.pdf"]
    methodology = {f.label: f.value for f in content.methodology}
    assert "≥ 0.8" in methodology["等级满足线"] and "超过" in methodology["等级满足线"]
    assert methodology["标准内容摘要（SHA-256）"] == self_case.result.catalog_hash != ""
    assert "截断" in methodology["数值显示"]
    assert "重新归一" in methodology["权重归一"]
    assert content.formal is None and content.verification_url is None
    assert content.result_number == "—"
    assert content.self_assessment_notice is not None and "自评估" in content.self_assessment_notice
    assert content.strengths and content.weaknesses
    assert content.advice.scenarios and content.advice.enterprise_level
    assert "不出现等级跳跃" in content.advice.plan_note or "等级跳跃" in content.advice.plan_note


def test_a_zero_sub_domain_is_never_a_strength(world: World) -> None:
    admin = world.users["ent_admin"]
    assessment = start_self_assessment(enterprise=world.enterprise, actor=admin, sector=SectorChoice.SMELTING)
    fill(assessment, dict.fromkeys(range(1, 6), RatingValue.NONE), admin)
    view = sector_view(assessment.catalog_version, assessment.sector)
    first_row = view.rows[0]
    RatingRecord.objects.filter(assessment=assessment, row_id=first_row.id, level=1).update(
        value=RatingValue.FULL
    )
    result = submit_assessment(assessment=assessment, actor=admin)
    content = report_content(result)
    assert [s.name for s in content.strengths] == [first_row.name]
    assert all(s.maturity != "0.00" for s in content.strengths)
    assert first_row.name not in [w.name for w in content.weaknesses]
    assert content.grade == "未达到一级"


def test_the_same_figure_everywhere_gives_no_strength_and_no_weakness(world: World) -> None:
    admin = world.users["ent_admin"]
    assessment = start_self_assessment(enterprise=world.enterprise, actor=admin, sector=SectorChoice.SMELTING)
    fill(assessment, dict.fromkeys(range(1, 6), RatingValue.MOSTLY), admin)
    content = report_content(submit_assessment(assessment=assessment, actor=admin))
    assert content.strengths == () and content.weaknesses == ()
    assert content.total == "5.00" and content.grade == "五级 生态级"
    assert content.advice.scenarios == ()  # nothing higher to reach


def test_formal_sections(formal_case: FormalCase) -> None:
    content = report_content(formal_case.result)
    assert content.is_formal and content.formal is not None
    assert content.result_number == RESULT_NUMBER
    assert content.verification_url is not None
    assert (
        f"number={RESULT_NUMBER}" in content.verification_url
        and f"code={CHECK_CODE}" in content.verification_url
    )
    assert content.self_assessment_notice is None
    formal = content.formal
    assert len(formal.team) == 7 and [t.role for t in formal.team].count("组长") == 1
    consensus = {f.label: f.value for f in formal.consensus}
    assert consensus["独立评分的专家人数"] == "7"
    assert consensus["合议确定的要求条数"] == "722"
    assert consensus["其中：多数"] == "91"  # every eighth requirement (0, 8, …, 720)
    assert consensus["其中：一致"] == "631"
    assert len(formal.contests) == 1 and formal.contests[0].state == "未采纳"
    assert [m.label for m in formal.meetings] == ["首次会议", "末次会议"]
    assert content.strengths_text.startswith("建成覆盖熔炼")
    assert content.weaknesses_text.startswith("数据资产管理")
    assert content.advice.enterprise_level[0] == "建立企业级数据治理组织，制定数据资产目录。"
    assert content.evidence[0].name == "MES演示记录.pdf" and content.evidence[0].method == "信息系统演示"
    assert any("评估机构" in s for s in formal.signatories)
    assert content.body == "评估中心"


def test_an_unpublished_formal_result_has_no_number_and_says_so(formal_case: FormalCase) -> None:
    formal = formal_case.formal
    type(formal).objects.filter(pk=formal.pk).update(state="final", published_result=None)
    content = report_content(formal_case.result)
    assert content.result_number == "—" and content.verification_url is None
    assert content.self_assessment_notice is not None and "尚未发布" in content.self_assessment_notice


def test_report_content_queries(
    self_case: SelfCase, formal_case: FormalCase, django_assert_num_queries: Any
) -> None:
    """A fixed number of queries, whatever the number of requirements, experts or sub-domains (the roadmap is
    cached per stored result, as on the plan pages: the first report also reads the ratings once)."""
    report_content(self_case.result)
    report_content(formal_case.result)
    with django_assert_num_queries(10):  # assessment, previous result, peers, saved plan, N/A, evidence …
        report_content(self_case.result)
    with django_assert_num_queries(18):  # … and the formal sections: team, settlements, expert ratings …
        report_content(formal_case.result)


def test_peer_position_when_five_comparable_enterprises_exist(self_case: SelfCase, world: World) -> None:
    assert report_content(self_case.result).peer is None  # nobody to compare with yet
    for i, by_level in enumerate([WORKED_CHECK] * 2 + [dict.fromkeys(range(1, 6), RatingValue.NONE)] * 3):
        registration = register_enterprise(
            profile=profile(f"同行冶炼企业{i}", f"P{i}"),
            admin_username=f"peer{i}",
            admin_password="Ceshi-mima-2024",
        )
        Enterprise.objects.filter(pk=registration.enterprise.pk).update(
            verification=VerificationState.VERIFIED
        )
        assessment = start_self_assessment(
            enterprise=registration.enterprise, actor=registration.admin, sector=SectorChoice.SMELTING
        )
        fill(assessment, by_level, registration.admin)
        submit_assessment(assessment=assessment, actor=registration.admin)
    peer = report_content(self_case.result).peer
    assert peer is not None
    assert peer.others == 5 and "同规模" in peer.group
    assert peer.total_percentile == 60  # 2.48 is above three 0.00 and below two 2.50: 3 / 5
    assert peer.domains[0][0] == "组织"


def test_a_saved_plan_is_the_reports_advice(self_case: SelfCase, world: World) -> None:
    plan = create_plan(assessment=self_case.assessment, actor=world.users["ent_admin"], target_grade=3)
    first = plan.actions.order_by("position").first()
    assert first is not None
    PlanAction.objects.filter(pk=first.pk).update(owner="信息中心 王工", due_date=date(2027, 6, 30))
    content = report_content(self_case.result)
    advice = content.advice
    assert advice.saved_plan
    actions = [a for s in advice.scenarios for a in s.actions]
    assert len(actions) == plan.actions.count()
    owned = [a for a in actions if a.owner]
    assert [(a.title, a.owner, a.due, a.status) for a in owned] == [
        (first.title, "信息中心 王工", "2027-06-30", "未开始")
    ]
    assert "企业已保存的提升计划" in advice.plan_note and "三级 领域级" in advice.plan_note
    assert advice.enterprise_level == tuple(plan.enterprise_advice)
