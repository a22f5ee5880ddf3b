"""Findings of the outside QA that only a real browser shows (tests/qa/test_findings.py has the rest)."""

from __future__ import annotations

import os

import pytest

from tests.web.conftest import PASSWORD, World
from tests.web.test_browser import browser_context_args, browser_type_launch_args

# The Chromium launch set-up is test_browser's; re-exported so pytest uses it for this module too.
__all__ = ["browser_context_args", "browser_type_launch_args"]

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_top_navigation_fits_the_window_at_every_width(world: World, live_server, page) -> None:  # type: ignore[no-untyped-def]
    # F1: an enterprise admin's navigation (seven links, a long name, 通知, 修改密码, 退出) was 1321 px wide
    # in a 1280 px window, and wider than the window at every tablet width: 退出 was cut off.
    admin = world.users["ent_admin"]
    admin.first_name = "企业管理员（演示）南丹锡业"  # type: ignore[attr-defined]
    admin.save()  # type: ignore[attr-defined]
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "ent_admin")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    logout = page.get_by_role("button", name="退出")
    for width in (1400, 1280, 1200, 1024, 992, 900, 768, 390):
        page.set_viewport_size({"width": width, "height": 800})
        assert page.evaluate("document.documentElement.scrollWidth") <= width, width
        if logout.is_visible():  # behind the toggler below the breakpoint
            box = logout.bounding_box()
            assert box is not None and box["x"] + box["width"] <= width, width


def test_the_grade_chart_labels_do_not_overlap_at_phone_width(world: World, live_server, page) -> None:  # type: ignore[no-untyped-def]
    # F8: the regulator's grade chart wrote its seven labels ("未达到一级", "一级 规范级" …) on one line each:
    # at 390 px they ran into each other.
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "regulator")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    page.wait_for_selector("#grades svg text")
    boxes = page.evaluate(
        """() => {
            const chart = document.querySelector('#grades svg').getBoundingClientRect();
            return [...document.querySelectorAll('#grades svg text')]
                .map(t => t.getBoundingClientRect())
                .filter(r => r.top > chart.top + chart.height * 0.8)  // the category axis, under the bars
                .map(r => [r.left, r.right, r.top, r.bottom]);
        }"""
    )
    assert len(boxes) >= 7
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            apart = a[1] <= b[0] + 0.5 or b[1] <= a[0] + 0.5 or a[3] <= b[2] or b[3] <= a[2]
            assert apart, (a, b)
