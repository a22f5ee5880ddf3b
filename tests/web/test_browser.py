"""The main journey in a real Chromium: log in, fill a sub-domain, leave and return, import a workbook,
submit, see the grade. Set NFM_SCREENSHOT_DIR to keep full-page screenshots of the main pages."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from nfmaturity.assessments.models import Assessment, AssessmentState, RatingRecord

from .conftest import PASSWORD, World
from .workbooks import filled_workbook

# Playwright's sync API runs an event loop in this thread; the test's own ORM calls are still synchronous.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, object]) -> dict[str, object]:
    return {**browser_type_launch_args, "executable_path": "/usr/bin/chromium", "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict[str, object]) -> dict[str, object]:
    return {**browser_context_args, "locale": "zh-CN", "viewport": {"width": 1366, "height": 900}}


def shot(page, name: str) -> None:  # type: ignore[no-untyped-def]
    target = os.environ.get("NFM_SCREENSHOT_DIR")
    if target:
        Path(target).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(target) / f"{name}.png"), full_page=True)


def test_it_runs_the_self_assessment_journey(world: World, live_server, page, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    base = live_server.url
    page.goto(f"{base}/")
    shot(page, "01-front-page")
    page.get_by_role("link", name="登录", exact=True).first.click()
    page.fill("#id_username", "ent_admin")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.get_by_role("link", name="开始新的自评估").click()
    page.get_by_role("button", name="开始填写").click()
    page.wait_for_url(re.compile(r"/assessments/\d+/$"))
    assessment = Assessment.objects.get()
    shot(page, "02-overview")

    # Fill the first sub-domain, one click per requirement, saved as we go.
    page.locator("a.list-group-item").first.click()
    cards = page.locator(".req")
    total = cards.count()
    assert total > 5
    for i in range(total):
        cards.nth(i).get_by_role("button", name="全部满足", exact=True).click()
        page.wait_for_selector(f"#row-progress strong:text-is('{i + 1}')")
    shot(page, "03-subdomain")

    # Leave and come back: the ratings are still there.
    page.goto(f"{base}/")
    page.get_by_role("link", name="继续填写").click()
    first_row = page.locator("a.list-group-item").first
    assert f"{total}/{total}" in first_row.inner_text()
    first_row.click()
    assert page.locator(".req .btn-success[aria-pressed=true]").count() == total

    # A stale write is refused with a clear message.
    rid = page.locator(".req").first.get_attribute("data-requirement")
    record = RatingRecord.objects.get(assessment=assessment, requirement_id=rid)
    RatingRecord.objects.filter(pk=record.pk).update(value="0.5", version=record.version + 1)
    page.locator(".req").first.get_by_role("button", name="不满足", exact=True).click()
    page.wait_for_selector(".req .alert-danger")
    assert "保存失败" in page.locator(".req").first.inner_text()

    # The questionnaire explains itself: 不适用 opens its reason field at once (nothing is sent without a
    # reason), Enter there saves 不适用; the help dialog opens where the user is; on a phone the actions fit.
    page.get_by_role("link", name="下一个子域 →").click()
    card = page.locator(".req").first
    saves = []
    page.on("request", lambda r: saves.append(r.url) if r.url.endswith("/rate/") else None)
    card.get_by_role("button", name="不适用", exact=True).click()
    reason = card.locator("input[name=reason]")
    assert reason.is_visible() and reason.evaluate("e => e === document.activeElement")
    assert saves == []
    reason.fill("本企业无此工序")
    reason.press("Enter")
    card.locator(".rating[data-value=na]").wait_for()
    saved = RatingRecord.objects.get(
        assessment=assessment, requirement_id=card.get_attribute("data-requirement")
    )
    assert (saved.value, saved.reason) == ("na", "本企业无此工序")
    page.get_by_role("button", name="评分说明").click()
    assert "等级得分达到 0.8 即算达到" in page.locator("#rating-help").inner_text()
    page.locator("#rating-help").get_by_role("button", name="关闭").click()
    page.set_viewport_size({"width": 390, "height": 844})
    for action in ("提交", "撤回", "导入离线评估表"):
        box = page.get_by_role("link", name=action, exact=True).bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390, action
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shot(page, "03b-subdomain-phone")
    page.set_viewport_size({"width": 1366, "height": 900})

    # Import the rest from an offline workbook: preview, then apply.
    workbook = tmp_path / "离线评估表.xlsx"
    workbook.write_bytes(filled_workbook("smelting", lambda rid, row: "大部分满足"))
    page.goto(f"{base}/assessments/{assessment.pk}/import/")
    page.set_input_files("input[type=file]", str(workbook))
    page.get_by_role("button", name="上传并预览").click()
    page.wait_for_selector("#change-count")
    shot(page, "04-import-preview")
    page.get_by_role("button", name=re.compile("确认导入")).click()
    page.wait_for_url(re.compile(r"/assessments/\d+/$"))
    assert RatingRecord.objects.filter(assessment=assessment).count() == assessment.requirement_count

    # Submit and see the grade.
    page.get_by_role("link", name="提交").click()
    page.get_by_role("button", name="确认提交").click()
    page.wait_for_url(re.compile(r"/results/$"))
    assessment.refresh_from_db()
    assert assessment.state == AssessmentState.SUBMITTED
    grade_label = assessment.results.get().get_grade_display()
    assert page.locator("#grade").inner_text().strip() == grade_label
    page.wait_for_selector("#radar svg")
    shot(page, "05-results")
    page.locator("a.explain-link").first.click()
    page.wait_for_selector("#explain .results-explanation")
    assert "总分 S" in page.locator("#explain").inner_text()
