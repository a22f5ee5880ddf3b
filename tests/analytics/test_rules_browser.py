"""In a real Chromium: a regulator copies an example rule, saves it, sees who matches and why, exports; the
enterprise reports its indicators and sees its peer position on the results page. Set NFM_SCREENSHOT_DIR to keep
screenshots of each page at 1280 and 390 px."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from nfmaturity.assessments.services import start_self_assessment, submit_assessment
from nfmaturity.enterprises.models import SectorChoice
from tests.web.conftest import PASSWORD, WORKED_CHECK, fill
from tests.web.test_browser import browser_context_args, browser_type_launch_args  # noqa: F401  (fixtures)

from .conftest import World
from .test_rules_dataset import make_enterprise, make_result, unique_name

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def shots(page, name: str) -> None:  # type: ignore[no-untyped-def]
    target = os.environ.get("NFM_SCREENSHOT_DIR")
    if not target:
        return
    Path(target).mkdir(parents=True, exist_ok=True)
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(Path(target) / f"{name}-{width}.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})


def login(page, base: str, username: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/$"))


def test_a_regulator_builds_a_rule_and_an_enterprise_sees_its_peers(  # type: ignore[no-untyped-def]
    world: World, live_server, page
) -> None:
    base = live_server.url
    small = make_enterprise("河池小型冶炼厂", size="small", region="451221")
    make_result(small, total="1.50", grade=1, days_ago=400)
    make_result(small, total="2.10", grade=2, days_ago=10)
    for total in ("1.00", "2.00", "2.50", "3.00", "4.00"):
        make_result(make_enterprise(unique_name("同行冶炼厂")), total=total, grade=1)

    login(page, base, "regulator")
    page.goto(f"{base}/analytics/rules/")
    shots(page, "rules-list")
    page.locator(".card", has_text="两年内等级提升≥1级的小微企业").get_by_role(
        "link", name="复制为本机构规则"
    ).click()
    page.wait_for_url(re.compile(r"/analytics/rules/new/\?from="))
    assert page.locator("#id_rise_enabled").is_checked()
    shots(page, "rules-form")
    page.fill("#id_name", "本厅以奖代补候选（小微）")
    page.get_by_role("button", name="保存并运行").click()
    page.wait_for_url(re.compile(r"/analytics/rules/\d+/$"))
    assert page.locator("#match-count").inner_text() == "1"
    row = page.locator("table.rules-matches tbody tr").first
    assert "河池小型冶炼厂" in row.inner_text() and "等级提升 1 级：" in row.inner_text()
    shots(page, "rules-run")
    with page.expect_download() as download:
        page.get_by_role("link", name="导出 Excel").click()
    assert download.value.suggested_filename.endswith(".xlsx")

    page.context.clear_cookies()
    admin = world.users["ent_admin"]
    assessment = start_self_assessment(enterprise=world.enterprise, actor=admin, sector=SectorChoice.SMELTING)
    fill(assessment, WORKED_CHECK, admin)
    submit_assessment(assessment=assessment, actor=admin)
    login(page, base, "ent_admin")
    page.goto(f"{base}/analytics/indicators/{world.enterprise.pk}/")
    page.locator("a.btn-primary", has_text="年度").click()
    page.fill("#id_equipment_networked", "120")
    page.get_by_role("button", name="保存").click()
    assert "生产设备联网率应在 0–100 % 之间" in page.content()
    assert page.input_value("#id_equipment_networked") == "120"
    shots(page, "indicators-form-refused")
    page.fill("#id_equipment_networked", "45")
    page.fill("#id_energy_per_unit", "410")
    page.fill("#id_energy_product", "电锌")
    page.get_by_role("button", name="保存").click()
    page.wait_for_url(re.compile(r"/analytics/indicators/\d+/$"))
    assert "45.00 %" in page.content()
    shots(page, "indicators-page")
    page.goto(f"{base}/assessments/{assessment.pk}/results/")
    page.wait_for_selector("#peer-total")
    assert page.locator("#peer-total").inner_text() == "高于 50%"
    assert "45.00 %" in page.locator("#indicators-panel").inner_text()
    page.locator("#peers").scroll_into_view_if_needed()
    shots(page, "results-peers")
