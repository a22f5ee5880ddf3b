"""Submission stores the engine's exact result; the results page shows it truncated, never rounded."""

from __future__ import annotations

from fractions import Fraction

import pytest

from nfmaturity.assessments.errors import AssessmentError
from nfmaturity.assessments.models import Assessment, AssessmentState, GradeLevel, RatingValue
from nfmaturity.assessments.services import start_self_assessment, submit_assessment
from nfmaturity.audit.models import AuditAction, AuditEvent
from nfmaturity.enterprises.models import SectorChoice

from .conftest import World, fill


def test_it_stores_the_worked_check_of_the_standard_notes(submitted: Assessment) -> None:
    result = submitted.results.get()
    assert submitted.state == AssessmentState.SUBMITTED
    assert result.levels == {"1": "1", "2": "4/5", "3": "1/2", "4": "0", "5": "0"}
    assert Fraction(result.total) == Fraction(5, 2)
    assert str(result.total_shown) == "2.50"
    assert (result.grade, result.consecutive_level, result.level_skip) == (GradeLevel.TWO, 2, False)
    event = AuditEvent.objects.get(action=AuditAction.ASSESSMENT_SUBMITTED)
    assert event.new["total"] == "5/2" and event.new["grade"] == 2


def test_it_flags_the_grade_jump_of_the_second_worked_check(world: World) -> None:
    assessment = start_self_assessment(
        enterprise=world.enterprise, actor=world.users["ent_admin"], sector=SectorChoice.SMELTING
    )
    ratings = {
        1: RatingValue.PARTLY,
        2: RatingValue.MOSTLY,
        3: RatingValue.PARTLY,
        4: RatingValue.NONE,
        5: RatingValue.NONE,
    }
    fill(assessment, ratings, world.users["ent_admin"])
    result = submit_assessment(assessment=assessment, actor=world.users["ent_admin"])
    assert (Fraction(result.total), result.grade, result.consecutive_level, result.level_skip) == (
        2,
        2,
        0,
        True,
    )
    page = world.client("ent_admin").get(f"/assessments/{assessment.pk}/results/").content.decode()
    assert "等级跳跃" in page


def test_it_refuses_to_submit_an_incomplete_questionnaire(world: World, draft: Assessment) -> None:
    with pytest.raises(AssessmentError, match="未评分"):
        submit_assessment(assessment=draft, actor=world.users["ent_admin"])
    draft.refresh_from_db()
    assert draft.state == AssessmentState.DRAFT and not draft.results.exists()


def test_it_labels_the_draft_results_as_provisional(world: World, draft: Assessment) -> None:
    page = world.client("ent_admin").get(f"/assessments/{draft.pk}/results/").content.decode()
    assert "暂定结果（未提交）" in page and "未达到一级" in page


def test_it_shows_grade_meaning_levels_radar_and_heat_table(world: World, submitted: Assessment) -> None:
    page = world.client("ent_member").get(f"/assessments/{submitted.pk}/results/").content.decode()
    assert "二级 场景级" in page and "2.50" in page
    assert 'id="radar"' in page and "echarts.min.js" in page
    assert "能力子域 × 等级得分" in page and "提升方案" in page


def test_it_explains_a_cell_down_to_each_requirement(world: World, submitted: Assessment) -> None:
    part = (
        world.client("ent_admin")
        .get(f"/assessments/{submitted.pk}/explain/?target=cell:0:3")
        .content.decode()
    )
    assert "部分满足" in part and "1/" in part
    assert (
        world.client("ent_admin").get(f"/assessments/{submitted.pk}/explain/?target=bogus").status_code == 404
    )


def test_it_compares_two_submitted_assessments_from_stored_results(
    world: World, submitted: Assessment
) -> None:
    second = start_self_assessment(
        enterprise=world.enterprise, actor=world.users["ent_admin"], sector=SectorChoice.SMELTING
    )
    fill(
        second,
        {
            1: RatingValue.FULL,
            2: RatingValue.FULL,
            3: RatingValue.MOSTLY,
            4: RatingValue.PARTLY,
            5: RatingValue.NONE,
        },
        world.users["ent_admin"],
    )
    submit_assessment(assessment=second, actor=world.users["ent_admin"])
    page = (
        world.client("ent_admin")
        .get(f"/assessments/enterprise/{world.enterprise.pk}/compare/")
        .content.decode()
    )
    assert "2.50 → 3.50" in page and "二级 场景级 → 三级 领域级" in page


def test_the_registry_shows_the_stored_total_with_two_decimals(world: World, submitted: Assessment) -> None:
    page = world.client("regulator").get("/enterprises/").content.decode()
    assert ">2.50<" in page
    assert "2.5000" not in page
