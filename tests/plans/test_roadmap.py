"""The roadmap: exact figures from the core, level order, no 等级跳跃 on the default path, capability wording,
effort fitted to size."""

from __future__ import annotations

from fractions import Fraction

import pytest

from nfmaturity.assessments.models import Assessment, Result
from nfmaturity.plans.roadmap import (
    PATH_CONSECUTIVE,
    PATH_LITERAL,
    build_roadmap,
    capability,
)
from nfmaturity.plans.scenarios import SCENARIOS
from nfmaturity.scoring.ratings import Rating


def _result(assessment: Assessment) -> Result:
    return Result.objects.get(assessment=assessment)


def test_capability_is_the_requirement_text_without_the_requirement_form() -> None:
    title, aspect = capability(
        "在数字化转型相关职能建设方面，应在重点部门或领域，明确主要负责部门和人员的数字化转型职责；"
    )
    assert (title, aspect) == (
        "在重点部门或领域，明确主要负责部门和人员的数字化转型职责",
        "数字化转型相关职能建设",
    )
    assert capability("应建立能源管理制度。") == ("建立能源管理制度", "")


def test_the_default_roadmap_reaches_the_next_grade_without_a_grade_jump(submitted: Assessment) -> None:
    # Worked check: S1 met, S2 met (0.8), S3 0.5, S4 = S5 = 0 → 2.5, 二级. To 三级 the default path meets S3.
    roadmap = build_roadmap(submitted, _result(submitted))
    assert roadmap.before_total == Fraction(5, 2) and roadmap.before_grade == 2
    assert roadmap.target_grade == 3 and roadmap.path == PATH_CONSECUTIVE
    assert roadmap.reaches_grade == 3 and roadmap.reaches_consecutive == 3 and roadmap.warning == ""
    # S3 becomes met: it counts 1 instead of 0.5, and nothing else changes: exactly 3.
    assert roadmap.reaches_total == 3
    assert {a.level for a in roadmap.actions} == {3}
    # The same 73 requirements the results page's step-counting plan chose (tests/web/test_results_stored.py).
    assert len(roadmap.actions) == 73
    assert sum((a.gain for a in roadmap.actions), Fraction(0)) == Fraction(1, 2)
    assert all(
        a.current is Rating.PARTLY and a.target in (Rating.MOSTLY, Rating.FULL) for a in roadmap.actions
    )
    # The medium enterprise's effort: 5 人周 per one-grade rise at S3.
    assert all(a.effort == 5 * (2 if a.target is Rating.FULL else 1) for a in roadmap.actions)
    # Capability wording, never a rating change.
    words = ("不满足", "部分满足", "全部满足", "提升到")
    assert not any(w in a.title for a in roadmap.actions for w in words)
    assert not any(a.title.startswith("应") for a in roadmap.actions)
    grouped = roadmap.by_scenario()
    assert list(grouped) == [s for s in SCENARIOS if s in grouped]
    assert sum(len(v) for v in grouped.values()) == 73
    assert roadmap.enterprise_advice[0].startswith("所处阶段：当前总分 2.50，二级 场景级")


def test_the_literal_path_differs_and_says_so(submitted: Assessment) -> None:
    result = _result(submitted)
    literal = build_roadmap(submitted, result, target_grade=3, literal=True)
    default = build_roadmap(submitted, result, target_grade=3)
    assert literal.path == PATH_LITERAL
    # The total alone needs only 0.3 more: cheapest with partial S3 raises, leaving S3 unmet → 等级跳跃.
    assert literal.reaches_grade == 3 and literal.reaches_total >= Fraction(14, 5)
    assert literal.reaches_consecutive == 2 and "等级跳跃" in literal.warning
    # Fewer one-grade rises (39 against 73 requirements, 41 steps against 117), at higher levels.
    assert (len(literal.actions), sum(a.steps for a in literal.actions)) == (39, 41)
    assert (len(default.actions), sum(a.steps for a in default.actions)) == (73, 117)
    assert {a.requirement_ids for a in literal.actions} != {a.requirement_ids for a in default.actions}
    assert any("最低代价" in line and "仍存在等级跳跃" in line for line in literal.enterprise_advice)
    assert sum((a.gain for a in literal.actions), literal.before_total) == literal.reaches_total


def test_a_small_enterprise_gets_a_cheaper_first_step(submitted: Assessment) -> None:
    result = _result(submitted)
    medium = build_roadmap(submitted, result, target_grade=4, size="medium")
    small = build_roadmap(submitted, result, target_grade=4, size="small")
    assert [a.requirement_ids for a in small.actions] == [a.requirement_ids for a in medium.actions]
    by_level = {3: (5, 3), 4: (8, 8)}  # S3 is the first stage: half of 5, rounded up, for the small one
    for m, s in zip(medium.actions, small.actions, strict=True):
        steps = m.effort // by_level[m.level][0]
        assert s.effort == steps * by_level[m.level][1]
    assert small.total_effort < medium.total_effort
    assert any(line.startswith("小型企业：第一步") for line in small.enterprise_advice)
    # Levels are respected: every S3 action comes before every S4 action.
    levels = [a.level for a in small.actions]
    assert levels == sorted(levels) and set(levels) == {3, 4}
    assert small.reaches_grade == 4 and small.reaches_consecutive == 4 and small.reaches_total == 4


def test_a_target_that_is_not_offered_is_refused(submitted: Assessment) -> None:
    with pytest.raises(ValueError):
        build_roadmap(submitted, _result(submitted), target_grade=2)


@pytest.mark.parametrize(
    ("target", "path"), [(3, "consecutive"), (3, "literal"), (4, "consecutive"), (4, "literal")]
)
def test_the_results_page_summary_and_the_roadmap_choose_the_same_capabilities(
    submitted: Assessment, target: int, path: str
) -> None:
    from nfmaturity.assessments import report

    summary, _ = report.plan_summary(submitted, target, path)
    assert summary is not None
    roadmap = build_roadmap(submitted, _result(submitted), target_grade=target, literal=path == "literal")
    chosen = {(a.row_name, a.level, a.number, a.target) for a in summary.actions}
    assert {(a.subdomain, a.level, a.number, a.target.label) for a in roadmap.actions} == chosen
    assert roadmap.reaches_total == summary.after_total
