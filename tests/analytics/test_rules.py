"""The rule engine on a hand-computed data set: each shipped example, the reasons it gives, the jurisdiction and
counting limits, the definition's validation and the Excel export."""

from __future__ import annotations

import io
from datetime import timedelta
from decimal import Decimal

import openpyxl
import pytest
from django.utils import timezone

from nfmaturity.accounts.models import Organisation, OrganisationKind
from nfmaturity.analytics.rules import (
    EXAMPLES,
    AboveScale,
    DomainScoreBelow,
    GradeRise,
    MetalIn,
    RegionIn,
    RuleDefinition,
    RuleDefinitionError,
    SectorIn,
    SizeIn,
    evaluate,
    example,
    parse_definition,
    why,
    write_matches,
)
from nfmaturity.assessments.models import AssessmentKind, Result
from nfmaturity.enterprises.models import Enterprise
from nfmaturity.formal.models import FormalAssessment, FormalState

from .test_rules_dataset import builder_user, make_enterprise, make_result

pytestmark = pytest.mark.django_db

GUANGXI, HECHI, HUNAN, NATIONAL = "450000", "451200", "430000", "000000"


def _day(days_ago: int) -> str:
    return timezone.localtime(timezone.now() - timedelta(days=days_ago)).strftime("%Y-%m-%d")


def _formal(enterprise: Enterprise, grade: int, *, published: bool = True, number: str = "") -> Result:
    result = make_result(enterprise, total=f"{grade}.10", grade=grade, kind=AssessmentKind.FORMAL, days_ago=3)
    body = Organisation.objects.get_or_create(name="评估中心", kind=OrganisationKind.BODY)[0]
    FormalAssessment.objects.create(
        assessment=result.assessment,
        enterprise=enterprise,
        body=body,
        target_grade=grade,
        state=FormalState.PUBLISHED if published else FormalState.FINAL,
        published_result=result if published else None,
        published_at=timezone.now() - timedelta(days=3) if published else None,
        result_number=number or None,
        created_by=builder_user(),
    )
    return result


@pytest.fixture
def dataset() -> dict[str, Enterprise]:
    """Who should match what is written next to each enterprise."""
    e: dict[str, Enterprise] = {}
    # Example 1 (two years, ≥ 1 grade, small or micro): 甲 and 乙 match.
    e["甲"] = make_enterprise("甲小型企业", size="small", region="451221")
    make_result(e["甲"], total="1.50", grade=1, days_ago=600)
    make_result(e["甲"], total="2.10", grade=2, days_ago=30)
    e["乙"] = make_enterprise("乙微型企业", size="micro", region="451002")
    make_result(e["乙"], total="0.90", grade=1, days_ago=1000)  # before the window: not the baseline
    make_result(e["乙"], total="1.20", grade=1, days_ago=300)  # the earliest in the window
    make_result(e["乙"], total="2.90", grade=3, days_ago=10)  # +2
    e["丙"] = make_enterprise("丙中型企业", size="medium")  # rose, but medium
    make_result(e["丙"], total="1.50", grade=1, days_ago=400)
    make_result(e["丙"], total="2.10", grade=2, days_ago=5)
    e["丁"] = make_enterprise("丁小型企业", size="small")  # only one result in the window
    make_result(e["丁"], total="1.00", grade=1, days_ago=1000)
    make_result(e["丁"], total="3.00", grade=3, days_ago=20)
    e["戊"] = make_enterprise("戊小型企业", size="small")  # fell
    make_result(e["戊"], total="3.00", grade=3, days_ago=500)
    make_result(e["戊"], total="2.00", grade=2, days_ago=10)
    e["己"] = make_enterprise("己小型企业（湖南）", size="small", region="430100")  # outside 广西
    make_result(e["己"], total="1.00", grade=1, days_ago=400)
    make_result(e["己"], total="2.00", grade=2, days_ago=10)
    e["庚"] = make_enterprise("庚小型企业（待核验）", size="small", verified=False)
    make_result(e["庚"], total="1.00", grade=1, days_ago=400)
    make_result(e["庚"], total="2.00", grade=2, days_ago=10)
    e["辛"] = make_enterprise("辛小型企业（演示）", size="small", demo=True)
    make_result(e["辛"], total="1.00", grade=1, days_ago=400)
    make_result(e["辛"], total="2.00", grade=2, days_ago=10)
    e["壬"] = make_enterprise("壬小型企业", size="small")  # rose only across sectors
    make_result(e["壬"], total="1.00", grade=1, days_ago=400)
    make_result(e["壬"], total="2.00", grade=2, days_ago=10, sector="mining")
    # Example 2 (published formal result ≥ 二级): 癸 matches.
    e["癸"] = make_enterprise("癸企业", size="large")
    _formal(e["癸"], 2, number="NFDT-2026-000001")
    e["子"] = make_enterprise("子企业", size="large")
    _formal(e["子"], 1, number="NFDT-2026-000002")  # below 二级
    e["丑"] = make_enterprise("丑企业", size="large")
    _formal(e["丑"], 3, published=False)  # not published yet
    e["寅"] = make_enterprise("寅企业（湖南）", size="large", region="430100")
    _formal(e["寅"], 3, number="NFDT-2026-000003")
    # Example 3 (数据 S2 < 0.5 in the latest result): 卯 matches.
    e["卯"] = make_enterprise("卯企业", size="medium", metals=("al",), above_scale=False)
    make_result(e["卯"], total="1.00", grade=1, s2={"数据": "0.40"}, days_ago=5)
    e["辰"] = make_enterprise("辰企业", size="medium")
    make_result(e["辰"], total="1.00", grade=1, s2={"数据": "0.50"}, days_ago=5)  # not below
    e["巳"] = make_enterprise("巳企业", size="medium")
    make_result(e["巳"], total="1.00", grade=1, s2={"数据": "0.30"}, days_ago=100)
    make_result(e["巳"], total="1.50", grade=1, s2={"数据": "0.90"}, days_ago=5)  # the latest is fine
    return e


def _names(definition: RuleDefinition, jurisdiction: str = GUANGXI) -> list[str]:
    return [row.name for row in evaluate(definition, jurisdiction)]


def _example(key: str) -> RuleDefinition:
    shipped = example(key)
    assert shipped is not None
    return shipped.definition


def test_the_examples_are_marked_and_validate() -> None:
    assert len(EXAMPLES) >= 3
    for shipped in EXAMPLES:
        assert parse_definition(shipped.definition.model_dump(mode="json")) == shipped.definition
    assert [e.name for e in EXAMPLES][:3] == [
        "两年内等级提升≥1级的小微企业（以奖代补参考）",
        "正式评估结果≥二级（梯度培育参考）",
        "数据域 S2 低于 0.5",
    ]


def test_example_reward_small_rise(dataset: dict[str, Enterprise]) -> None:
    definition = _example("reward-small-rise")
    rows = list(evaluate(definition, GUANGXI))
    assert [r.name for r in rows] == [
        "乙微型企业",
        "甲小型企业",
    ]  # by name (乙 sorts before 甲 by code point)
    by_name = {r.name: why(definition, r) for r in rows}
    assert by_name["甲小型企业"] == [f"等级提升 1 级：{_day(600)} 一级 → {_day(30)} 二级", "企业规模：小型"]
    assert by_name["乙微型企业"] == [f"等级提升 2 级：{_day(300)} 一级 → {_day(10)} 三级", "企业规模：微型"]


def test_example_formal_grade_two(dataset: dict[str, Enterprise]) -> None:
    definition = _example("formal-grade-two")
    rows = list(evaluate(definition, GUANGXI))
    assert [r.name for r in rows] == ["癸企业"]
    assert why(definition, rows[0]) == [f"正式评估结果：二级（{_day(3)} 发布，NFDT-2026-000001）"]


def test_example_data_s2_below(dataset: dict[str, Enterprise]) -> None:
    definition = _example("data-s2-below")
    rows = list(evaluate(definition, GUANGXI))
    assert [r.name for r in rows] == ["卯企业"]
    assert why(definition, rows[0]) == [f"数据域 S2：0.40（最近一次评估，{_day(5)}）"]


def test_a_rule_never_leaves_the_jurisdiction(dataset: dict[str, Enterprise]) -> None:
    rise = _example("reward-small-rise")
    formal = _example("formal-grade-two")
    assert "己小型企业（湖南）" not in _names(rise)
    assert _names(rise, HUNAN) == ["己小型企业（湖南）"]
    assert _names(rise, HECHI) == ["甲小型企业"]  # 乙 is in 百色
    assert _names(formal, HUNAN) == ["寅企业（湖南）"]
    assert set(_names(formal, NATIONAL)) == {"癸企业", "寅企业（湖南）"}
    # A region condition naming a place outside the jurisdiction finds nothing there.
    assert _names(RuleDefinition(conditions=[RegionIn(codes=["430000"])]), GUANGXI) == []
    # An unset jurisdiction covers nothing.
    assert _names(rise, "") == []


def test_pending_and_demo_enterprises_are_not_counted(dataset: dict[str, Enterprise]) -> None:
    everyone = RuleDefinition(conditions=[SizeIn(sizes=["small"])])
    names = _names(everyone)
    assert "庚小型企业（待核验）" not in names and "辛小型企业（演示）" not in names
    assert "甲小型企业" in names


def test_in_a_demo_database_the_demo_enterprises_count() -> None:
    demo = make_enterprise("演示小型企业", size="small", demo=True)
    make_result(demo, total="1.00", grade=1, days_ago=400)
    make_result(demo, total="2.00", grade=2, days_ago=10)
    assert _names(_example("reward-small-rise")) == ["演示小型企业"]


def test_profile_conditions_and_their_reasons(dataset: dict[str, Enterprise]) -> None:
    definition = RuleDefinition(
        conditions=[
            MetalIn(metals=["al", "cu"]),
            AboveScale(value=False),
            SectorIn(sectors=["smelting"]),
            RegionIn(codes=["451200"]),
        ]
    )
    rows = list(evaluate(definition, GUANGXI))
    assert [r.name for r in rows] == ["卯企业"]
    assert why(definition, rows[0]) == [
        "主要金属：铝",
        "规上企业：否",
        "所属环节：冶炼",
        "所在地区：广西壮族自治区 河池市 南丹县",
    ]


def test_grade_rise_window_counts_years_back_from_today(dataset: dict[str, Enterprise]) -> None:
    one_year = RuleDefinition(conditions=[GradeRise(min_levels=1, within_years=1)])
    # 甲's earlier result is 600 days old: outside one year; 乙's is 300 days old: inside.
    names = _names(one_year)
    assert "乙微型企业" in names and "甲小型企业" not in names
    three_years = RuleDefinition(conditions=[GradeRise(min_levels=2, within_years=3)])
    # 乙's baseline is now the result of 1000 days ago (grade 1): +2 still; 丁 rose 1 → 3 over 1000 days: +2.
    assert set(_names(three_years)) == {"乙微型企业", "丁小型企业"}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"conditions": []}, "条件格式不正确"),
        (
            {
                "conditions": [
                    {"type": "domain_score_below", "domain": "不存在", "level": "s2", "below": "0.5"}
                ]
            },
            "没有名为",
        ),
        (
            {"conditions": [{"type": "domain_score_below", "domain": "数据", "level": "s2", "below": "1.5"}]},
            "阈值不能大于 1",
        ),
        ({"conditions": [{"type": "region_in", "codes": ["999999"]}]}, "未知的行政区划代码"),
        ({"conditions": [{"type": "drop_table"}]}, "条件格式不正确"),
        ({"conditions": [{"type": "size_in", "sizes": ["huge"]}]}, "条件格式不正确"),
    ],
)
def test_invalid_definitions_are_refused_in_chinese(data: object, message: str) -> None:
    with pytest.raises(RuleDefinitionError) as caught:
        parse_definition(data)
    assert message in str(caught.value)


def test_the_export_lists_every_match_with_its_reasons(dataset: dict[str, Enterprise]) -> None:
    definition = _example("reward-small-rise")
    target = io.BytesIO()
    written = write_matches(definition, evaluate(definition, GUANGXI), target, heading="=标题", chunk=1)
    assert written == 2
    sheet = openpyxl.load_workbook(io.BytesIO(target.getvalue())).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "=标题"  # text, never a formula
    assert rows[1][:2] == ("企业名称", "统一社会信用代码")
    assert rows[1][9] == "条件1：2 年内等级提升 ≥ 1 级"
    assert rows[2][0] == "乙微型企业" and rows[2][7] == "三级" and rows[2][10] == "企业规模：微型"
    assert rows[3][0] == "甲小型企业" and rows[3][9].startswith("等级提升 1 级：")
    assert "共 2 家企业" in rows[4][0]


def test_a_rule_is_one_query_however_many_enterprises(
    dataset: dict[str, Enterprise], django_assert_num_queries: object
) -> None:
    definition = RuleDefinition(
        conditions=[
            GradeRise(min_levels=1, within_years=2),
            DomainScoreBelow(domain="组织", level="maturity", below=Decimal("5")),
            *_example("formal-grade-two").conditions,
        ]
    )
    rows = evaluate(definition, NATIONAL)
    with django_assert_num_queries(1):  # type: ignore[operator]
        assert list(rows) == []
