"""Registration to statistics in a real Chromium: an enterprise registers and is told it awaits
verification, logs in again with the login name the platform gave it, a regulator of its jurisdiction
verifies it in the queue, and the regulator's dashboard then counts it."""

from __future__ import annotations

import os
import re

import pytest

from nfmaturity.enterprises.models import Enterprise, VerificationState

from .conftest import PASSWORD, World, uscc
from .test_browser import browser_context_args, browser_type_launch_args, shot

# Playwright's sync API runs an event loop in this thread; the test's own ORM calls are still synchronous.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

__all__ = ["browser_context_args", "browser_type_launch_args"]  # the launch fixtures, shared


def verified_count(page) -> int:  # type: ignore[no-untyped-def]
    card = page.locator(".card", has=page.locator(".subheader", has_text="已核验企业"))
    return int(card.locator(".h1").inner_text())


def log_in(page, base: str, username: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{base}/")


def test_a_registered_enterprise_is_verified_and_then_counted(world: World, live_server, page) -> None:  # type: ignore[no-untyped-def]
    base = live_server.url

    # The regulator's figure before: the verified enterprises of 广西 (A and B).
    log_in(page, base, "regulator")
    before = verified_count(page)
    page.get_by_role("button", name="退出").click()

    page.goto(f"{base}/enterprises/register/")
    page.fill("#id_name", "柳州铝材加工有限公司")
    page.fill("#id_uscc", uscc("L5"))
    page.select_option("#id_region_code", "450200")
    page.get_by_label("加工").check()
    page.get_by_label("铝", exact=True).check()
    page.select_option("#id_size", "small")
    page.fill("#id_admin_name", "钱七")
    page.fill("#id_admin_email", "qian@example.com")
    page.fill("#id_login_stem", "qianqi")
    page.fill("#id_password1", PASSWORD)
    page.fill("#id_password2", PASSWORD)
    shot(page, "10-register")
    page.get_by_role("button", name="注册").click()
    page.wait_for_url(f"{base}/enterprises/registered/")
    login_name = page.locator("#login-name").inner_text().strip()
    assert re.fullmatch(r"qianqi-[2-9a-z]{4}", login_name)
    assert "待核验" in page.locator(".verification-banner").inner_text()
    shot(page, "11-registered")

    # The login name the platform gave works; the enterprise can self-assess and sees it awaits verification.
    page.get_by_role("button", name="退出").click()
    log_in(page, base, login_name)
    banner = page.locator(".verification-banner").inner_text()
    assert "待核验" in banner and "广西壮族自治区工业和信息化厅" in banner
    assert page.get_by_role("link", name="开始新的自评估").is_visible()
    page.get_by_role("button", name="退出").click()

    # The regulator of 广西 verifies it in the queue, after reading what to check.
    log_in(page, base, "regulator")
    assert verified_count(page) == before
    page.goto(f"{base}/enterprises/verification/")
    row = page.locator("#queue tbody tr", has_text="柳州铝材加工有限公司")
    row.get_by_role("link", name="核验", exact=True).click()
    assert "校验位正确" in page.locator("#findings").inner_text()
    shot(page, "12-verify")
    page.fill("#id_note", "已在公示系统核对名称与代码")
    page.get_by_role("button", name="核验通过").click()
    page.wait_for_url(f"{base}/enterprises/verification/")
    assert "已核验通过" in page.locator(".alert-success").inner_text()
    assert page.locator("#queue tbody tr", has_text="柳州铝材加工有限公司").count() == 0
    enterprise = Enterprise.objects.get(name="柳州铝材加工有限公司")
    assert enterprise.verification == VerificationState.VERIFIED

    page.goto(f"{base}/")
    assert verified_count(page) == before + 1
    shot(page, "13-dashboard-after")
