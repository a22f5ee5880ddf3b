"""At phone width the top navigation folds behind a toggler that opens it; at desktop width it is all shown.

Set NFM_SCREENSHOT_DIR to keep screenshots of the dashboard and a form page at 1280 and 390 px.
"""

from __future__ import annotations

import os

import pytest

from .conftest import PASSWORD, World
from .test_browser import browser_context_args, browser_type_launch_args, shot

# The Chromium launch set-up is test_browser's; re-exported so pytest uses it for this module too.
__all__ = ["browser_context_args", "browser_type_launch_args"]

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}


def test_the_toggler_opens_the_navigation_at_phone_width(world: World, live_server, page) -> None:  # type: ignore[no-untyped-def]
    page.set_viewport_size(PHONE)
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "ent_admin")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    history = page.locator("#site-nav").get_by_role("link", name="评估历史")
    toggler = page.get_by_role("button", name="展开或收起导航菜单")
    assert toggler.is_visible() and not history.is_visible()
    shot(page, "phone-390-dashboard")
    toggler.click()
    page.locator("#site-nav.show").wait_for()  # Bootstrap adds .show once the opening animation ends
    assert history.is_visible() and toggler.get_attribute("aria-expanded") == "true"
    shot(page, "phone-390-dashboard-menu-open")

    page.set_viewport_size(DESKTOP)
    assert history.is_visible() and not toggler.is_visible()
    shot(page, "phone-1280-dashboard")
    if os.environ.get("NFM_SCREENSHOT_DIR"):  # a form page too, only when someone will look at it
        page.goto(f"{live_server.url}/enterprises/{world.enterprise.pk}/edit/")
        shot(page, "phone-1280-form")
        page.set_viewport_size(PHONE)
        shot(page, "phone-390-form")
        page.goto(f"{live_server.url}/no-such-page/")
        shot(page, "phone-390-404")
