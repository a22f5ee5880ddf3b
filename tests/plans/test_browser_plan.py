"""The plan journey in a real Chromium, at 1280 and 390 px: results → choose a target → save the plan → mark an
action done. Set NFM_SCREENSHOT_DIR to keep screenshots of the pages on the way."""

from __future__ import annotations

import os
import re

import pytest

from nfmaturity.assessments.models import Assessment
from nfmaturity.plans.models import ActionStatus, ImprovementPlan
from tests.web.conftest import PASSWORD
from tests.web.test_browser import CHROMIUM_ARGS

from .conftest import World

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, object]) -> dict[str, object]:
    return {**browser_type_launch_args, "executable_path": "/usr/bin/chromium", "args": CHROMIUM_ARGS}


# The elements sticking out on the right, to name them when the page is wider than the screen.
WIDER = """[...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > innerWidth + 1)
  .slice(0, 5).map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right))"""


def _shot(page, name: str, width: int) -> None:  # type: ignore[no-untyped-def]
    target = os.environ.get("NFM_SCREENSHOT_DIR")
    if target:
        page.screenshot(path=f"{target}/plan-{name}-{width}.png", full_page=True)


@pytest.mark.parametrize(("width", "height"), [(1280, 900), (390, 844)], ids=["desktop", "phone"])
def test_results_to_a_saved_plan_with_an_action_done(  # type: ignore[no-untyped-def]
    world: World, submitted: Assessment, live_server, page, width: int, height: int
) -> None:
    page.set_viewport_size({"width": width, "height": height})
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "ent_admin")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.goto(f"{live_server.url}/assessments/{submitted.pk}/results/")
    page.wait_for_selector("#plan .plan-actions")
    page.locator("#plan").screenshot(
        path=os.environ.get("NFM_SCREENSHOT_DIR", "/tmp") + f"/plan-block-{width}.png"
    )

    # Choose 四级 on the results page; the link carries the target to the full roadmap.
    page.select_option("#plan-target", "4")
    page.wait_for_selector("#plan :text('到四级 平台级')")
    page.click("#plan-roadmap-link")
    page.wait_for_url(re.compile(r"/plans/assessment/\d+/roadmap/\?target=4"))
    assert "本页显示的是“逐级达标”路径。" in page.inner_text("#roadmap")
    assert page.inner_text("#roadmap-reaches") == "4.00"
    _shot(page, "roadmap", width)
    # Nothing overflows the phone's width.
    assert page.evaluate("document.documentElement.scrollWidth") <= width + 1, page.evaluate(WIDER)

    page.click("#roadmap-save")
    page.wait_for_url(re.compile(r"/plans/\d+/$"))
    plan = ImprovementPlan.objects.get()
    assert plan.target_grade == 4
    assert "已完成 0 /" in page.inner_text("#plan-counts")
    _shot(page, "tracking", width)

    first = plan.actions.order_by("position").first()
    assert first is not None
    page.locator(f"#action-{first.pk} a").first.click()
    page.wait_for_url(re.compile(r"/plans/action/\d+/$"))
    page.fill("#action-edit input[name=owner]", "信息中心 王工")
    page.click("#action-edit button[type=submit]")
    page.wait_for_url(re.compile(r"/plans/\d+/#action-\d+$"))
    page.locator(f"#action-{first.pk} a").first.click()
    page.select_option("#action-progress select[name=status]", "done")
    page.fill("#action-progress textarea[name=evidence_text]", "已印发数字化转型职责分工文件")
    _shot(page, "action", width)
    page.click("#action-progress button[type=submit]")
    page.wait_for_url(re.compile(r"/plans/\d+/#action-\d+$"))
    first.refresh_from_db()
    assert first.status == ActionStatus.DONE and first.owner == "信息中心 王工"
    total = plan.actions.count()
    assert f"已完成 1 / {total} 项" in page.inner_text("#plan-counts")
    assert page.text_content(f"#action-{first.pk} .plan-status") == "已完成"
    _shot(page, "tracking-done", width)
