"""The regulator's journey in a real Chromium: sign in, open the dashboard, let the heat map load, drill down
from a number to its enterprises, sort, and export the list to Excel (read back with openpyxl).
Set NFM_SCREENSHOT_DIR to keep screenshots (1280 px and 390 px wide)."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from openpyxl import load_workbook

from tests.web.conftest import PASSWORD, World
from tests.web.test_browser import browser_context_args, browser_type_launch_args  # noqa: F401  (fixtures)

from .test_dashboard import build_hand_data

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def shot(page, name: str) -> None:  # type: ignore[no-untyped-def]
    target = os.environ.get("NFM_SCREENSHOT_DIR")
    if target:
        Path(target).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(target) / f"{name}.png"), full_page=True)


def test_dashboard_drill_down_and_export(world: World, live_server, page, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    hand = build_hand_data(world)
    base = live_server.url
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", "regulator")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.get_by_role("link", name="打开行业看板").click()
    page.wait_for_url(re.compile(r"/analytics/$"))
    assert page.get_by_role("heading", name="行业看板").is_visible()
    # The heat map arrives by htmx: 河池市 and 百色市, the weakest domain first.
    heat = page.locator("table.heatmap")
    heat.wait_for()
    assert heat.locator("thead th").nth(1).inner_text() == hand.d2
    assert heat.locator("tbody tr").first.locator("th").inner_text() == "河池市"
    shot(page, "dashboard-1280")
    page.set_viewport_size({"width": 390, "height": 844})
    shot(page, "dashboard-390")
    page.set_viewport_size({"width": 1280, "height": 900})

    # Filter to 河池市 with the form, then drill from the share at ≥ 二级 to its enterprises.
    page.select_option("#f-region", "451200")
    page.get_by_role("button", name="筛选").click()
    page.wait_for_url(re.compile(r"region=451200"))
    page.locator(".card-body", has_text="二级及以上").get_by_role("link").first.click()
    page.wait_for_url(re.compile(r"/analytics/enterprises/\?.*min_grade=2"))
    assert page.locator("#drill-count").inner_text() == "1"
    assert page.locator("tbody tr").first.inner_text().startswith("金城江矿业有限公司")
    shot(page, "drill-1280")

    # On the whole province again, a heat-map cell lists the city's enterprises by that domain, weakest first.
    page.get_by_role("link", name="返回看板").click()
    page.get_by_role("link", name="清除").click()
    page.wait_for_url(re.compile(r"/analytics/$"))
    heat.wait_for()
    page.locator("table.heatmap tbody tr").first.locator("td a").first.click()
    page.wait_for_url(re.compile(r"domain="))
    rows = page.locator("tbody tr")
    assert rows.count() == 2
    with page.expect_download() as info:
        page.get_by_role("link", name="导出 Excel").click()
    target = tmp_path / "list.xlsx"
    info.value.save_as(target)
    sheet = load_workbook(target)["企业清单"]
    values = list(sheet.iter_rows(values_only=True))
    assert "河池市" in values[0][0]
    names = [row[0] for row in values[2:]]
    assert sorted(names) == ["南丹锡业有限公司", "金城江矿业有限公司"]
    assert [row[0] for row in values[2:]] == [
        page.locator("tbody tr").nth(i).locator("td").first.inner_text().strip() for i in range(2)
    ]
