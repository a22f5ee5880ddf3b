"""Submission stores the engine's exact result; the results page shows it truncated, never rounded."""

from __future__ import annotations

import os
from fractions import Fraction

import pytest

from nfmaturity.assessments.errors import AssessmentError
from nfmaturity.assessments.models import Assessment, AssessmentState, GradeLevel, RatingValue
from nfmaturity.assessments.services import start_self_assessment, submit_assessment
from nfmaturity.audit.models import AuditAction, AuditEvent
from nfmaturity.enterprises.models import SectorChoice

from .conftest import PASSWORD, World, fill


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


# ---- in a real browser: the side panel and the plan, on a desktop and on a phone ----------------------------

# Playwright's sync API runs an event loop in this thread; the test's own ORM calls are still synchronous.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, object]) -> dict[str, object]:
    from .test_browser import CHROMIUM_ARGS

    return {**browser_type_launch_args, "executable_path": "/usr/bin/chromium", "args": CHROMIUM_ARGS}


def _inside(inner: dict[str, float], outer: dict[str, float]) -> bool:
    return (
        inner["x"] >= outer["x"] - 0.5
        and inner["y"] >= outer["y"] - 0.5
        and inner["x"] + inner["width"] <= outer["x"] + outer["width"] + 0.5
        and inner["y"] + inner["height"] <= outer["y"] + outer["height"] + 0.5
    )


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("width", "height"), [(1280, 900), (390, 844)], ids=["desktop", "phone"])
def test_a_clicked_figure_explains_itself_in_a_side_panel_and_the_plan_pages(  # type: ignore[no-untyped-def]
    world: World, submitted: Assessment, live_server, page, width: int, height: int
) -> None:
    page.set_viewport_size({"width": width, "height": height})
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "ent_admin")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.goto(f"{live_server.url}/assessments/{submitted.pk}/results/")
    page.wait_for_selector("#plan .plan-actions")
    page.wait_for_selector("#radar svg text")
    # Every radar label lies inside the chart: nothing clipped at this width.
    chart = page.locator("#radar").bounding_box()
    labels = page.locator("#radar svg text")
    assert labels.count() >= 8
    for i in range(labels.count()):
        box = labels.nth(i).bounding_box()
        assert box is not None and chart is not None and _inside(box, chart), labels.nth(i).inner_text()
    target = os.environ.get("NFM_SCREENSHOT_DIR")
    if target:
        page.screenshot(path=f"{target}/results-{width}.png", full_page=True)
        page.screenshot(path=f"{target}/results-{width}-top.png")
        page.locator("#radar").screenshot(path=f"{target}/results-{width}-radar.png")
        page.locator("#plan").screenshot(path=f"{target}/results-{width}-plan.png")

    page.locator("a.explain-link").first.click()
    panel = page.locator("#explain")
    page.wait_for_selector("#explain.show #explain-total")
    box = panel.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width + 0.5
    assert "合计 S" in panel.inner_text() and page.locator("#explain-total").inner_text() == "2.50"
    if target:
        page.screenshot(path=f"{target}/results-{width}-explain.png")
    page.locator("#explain .btn-close").click()
    page.wait_for_selector("#explain.show", state="detached")

    page.select_option("#plan-target", "4")
    page.wait_for_selector("#plan :text('到四级 平台级')")
    page.locator("#plan").get_by_role("link", name="下一页").click()
    page.wait_for_selector("#plan :text('第 21–40 项')")
