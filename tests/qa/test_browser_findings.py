"""Findings of the outside QA that only a real browser shows (tests/qa/test_findings.py has the rest)."""

from __future__ import annotations

import os

import pytest

from nfmaturity.formal.models import FormalAssessment, FormalState
from tests.formal.factory import rate_assigned
from tests.formal.test_rating import build_onsite
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


def _lines(page, selector: str) -> list[int]:  # type: ignore[no-untyped-def]
    """How many lines the text of each element matching ``selector`` takes."""
    return page.evaluate(  # type: ignore[no-any-return]
        """sel => [...document.querySelectorAll(sel)].map(el => {
            const range = document.createRange(); range.selectNodeContents(el);
            const rects = [...range.getClientRects()].filter(r => r.width > 0).sort((a, b) => a.top - b.top);
            let lines = 0, bottom = -Infinity;  // a rect starting below the lines so far starts a new one
            for (const r of rects) { if (r.top >= bottom - 1) lines += 1; bottom = Math.max(bottom, r.bottom); }
            return lines;
        })""",
        selector,
    )


def test_the_consensus_tables_keep_names_and_requirements_on_one_line_at_phone_width(
    world: World,
    live_server,
    page,
    body,
    experts,  # type: ignore[no-untyped-def]
) -> None:
    # F12: at 390 px the disagreements table broke "组织建设 S2 第1条" after every character, and the
    # agreement page did the same to "韦组长（演示）（组长）": one character per line, a column metres long.
    for expert in experts:
        expert.full_name = f"{expert.full_name}（演示）"
        expert.save()
    onsite = build_onsite(world, body, experts)
    first = onsite.requirements[0]
    rate_assigned(onsite.formal, onsite.members[0], "1", submit=True)
    rate_assigned(onsite.formal, onsite.members[1], "1", submit=True)
    rate_assigned(onsite.formal, onsite.members[2], "1", overrides={first: "0.5"}, submit=True)
    for member in onsite.members[3:]:
        rate_assigned(onsite.formal, member, "0.8", submit=True)
    FormalAssessment.objects.filter(pk=onsite.formal.pk).update(state=FormalState.CONSENSUS)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", onsite.user(0).username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    page.goto(f"{live_server.url}/formal/{onsite.formal.pk}/consensus/")
    labels = _lines(page, "h3 + .card tbody td:first-child a")
    assert labels and max(labels) == 1, labels
    page.goto(f"{live_server.url}/formal/{onsite.formal.pk}/agreement/")
    names = _lines(page, "tbody td.text-nowrap, tbody tr td:first-child")
    assert names and max(names) == 1, names


def test_the_members_table_keeps_each_cell_on_one_line_at_phone_width(
    world: World, live_server, page
) -> None:  # type: ignore[no-untyped-def]
    # F13: at 390 px the members page wrote "评估机构管理员（演示）" one character per line.
    admin = world.users["body_admin"]
    admin.first_name = "评估机构管理员（演示）"  # type: ignore[attr-defined]
    admin.save()  # type: ignore[attr-defined]
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "body_admin")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    page.goto(f"{live_server.url}/accounts/members/")
    cells = _lines(page, ".table-responsive tbody td")
    assert cells and max(cells) == 1, cells
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


def test_table_text_is_not_one_character_per_line_at_phone_width(  # type: ignore[no-untyped-def]
    world: World, submitted, live_server, page
) -> None:
    # F14: at 390 px the enterprise's own list wrote its grade "二级 场景级" in five lines, and the registry its
    # "中型·规上" likewise: every column squeezed to one character.
    page.set_viewport_size({"width": 390, "height": 844})
    for persona, url, selector in (
        ("ent_admin", "/", ".table-responsive tbody td"),
        ("regulator", "/enterprises/", ".table-responsive tbody td"),
    ):
        page.context.clear_cookies()
        page.goto(f"{live_server.url}/accounts/login/")
        page.fill("#id_username", persona)
        page.fill("#id_password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(f"{live_server.url}/")
        page.goto(f"{live_server.url}{url}")
        texts = page.eval_on_selector_all(selector, "els => els.map(e => e.innerText.trim())")
        lines = _lines(page, selector)
        short = [(t, n) for t, n in zip(texts, lines, strict=True) if 0 < len(t) <= 8]
        assert short and max(n for _, n in short) <= 2, short
