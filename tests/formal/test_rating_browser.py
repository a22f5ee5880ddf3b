"""The rating and consensus journey in a real Chromium (htmx, CSP): an expert rates his shared row with
clicks (one 不适用 with its reason), submits; the 组长, last to submit, opens the consensus, sees the
disagreement first and settles it by his ruling; the overview shows the provisional score.
Set NFM_SCREENSHOT_DIR to keep screenshots at 1280 and 390 px wide."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from nfmaturity.accounts.models import Organisation
from nfmaturity.formal.models import ExpertProfile, ExpertRating, FormalState, Settlement, TeamMember
from tests.web.conftest import PASSWORD, World
from tests.web.test_browser import browser_context_args, browser_type_launch_args  # noqa: F401

from .factory import rate_assigned
from .test_rating import build_onsite

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def shot(page, name: str) -> None:  # type: ignore[no-untyped-def]
    target = os.environ.get("NFM_SCREENSHOT_DIR")
    if not target:
        return
    Path(target).mkdir(parents=True, exist_ok=True)
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(Path(target) / f"{name}-{width}.png"), full_page=True)
    page.set_viewport_size({"width": 1366, "height": 900})


def login(page, base: str, username: str) -> None:  # type: ignore[no-untyped-def]
    page.context.clear_cookies()
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()


def test_rate_submit_and_settle_in_the_browser(  # type: ignore[no-untyped-def]
    world: World, body: Organisation, experts: list[ExpertProfile], live_server, page
) -> None:
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    onsite = build_onsite(world, body, experts)
    formal = onsite.formal
    first = onsite.requirements[0]
    # Everyone but experts 1 (the 组长) and 3 has rated and submitted; expert 2 said 全部满足.
    for member in onsite.members[1:]:
        if member != onsite.members[2]:
            rate_assigned(formal, member, "1", submit=True)
    rate_assigned(formal, onsite.members[0], "1", overrides={first: "0.5"})
    # Expert 3 has rated his other rows already; the shared row he rates here, in the browser.
    rate_assigned(formal, onsite.members[2], "0.8")
    ExpertRating.objects.filter(member=onsite.members[2], row_id=onsite.row_id).delete()
    base = live_server.url

    login(page, base, onsite.user(2).username)
    page.goto(f"{base}/formal/{formal.pk}/rating/{onsite.row_index}/")
    cards = page.locator(".req")
    count = cards.count()
    for i in range(count):
        card = cards.nth(i)
        if i == count - 1:
            card.get_by_role("button", name=re.compile("^不适用")).click()
            card.locator("input[name=reason]").fill("本企业没有该工序")
            card.get_by_role("button", name="保存为“不适用”").click()
            card.locator('.rating[data-value="na"]').wait_for()
        else:
            card.get_by_role("button", name=re.compile("^全部满足")).click()
            card.locator('.rating[data-value="1"]').wait_for()
    shot(page, "h2-rating-row")
    # Evidence for the first requirement, from its card: the evidence page opens with it selected.
    cards.first.get_by_role("link", name="添加证据").click()
    page.fill("#id_description", "与质量部长座谈，查看检验记录")
    page.set_input_files(
        "#id_file", files=[{"name": "检验记录.txt", "mimeType": "text/plain", "buffer": "检验记录".encode()}]
    )
    page.get_by_role("button", name="保存证据").click()
    page.wait_for_load_state()
    assert "检验记录.txt" in page.content(), page.locator(".alert").all_inner_texts()
    shot(page, "h2-evidence")
    page.goto(f"{base}/formal/{formal.pk}/rating/{onsite.row_index}/")
    assert "与质量部长座谈" in page.content()
    assert ExpertRating.objects.filter(member=onsite.members[2], row_id=onsite.row_id).count() == count
    page.goto(f"{base}/formal/{formal.pk}/rating/")
    page.get_by_role("button", name=re.compile("提交我的评分")).click()
    page.wait_for_load_state()
    assert TeamMember.objects.get(pk=onsite.members[2].pk).ratings_submitted_at is not None

    login(page, base, onsite.user(0).username)
    page.goto(f"{base}/formal/{formal.pk}/rating/")
    shot(page, "h2-rating-overview")
    page.get_by_role("button", name=re.compile("提交我的评分")).click()
    page.wait_for_url(re.compile(rf"/formal/{formal.pk}/consensus/$"))
    formal.refresh_from_db()
    assert formal.state == FormalState.CONSENSUS
    assert "待合议的分歧（2 项）" in page.content()  # 0.5 against 1, and the 不适用 split
    shot(page, "h2-consensus-overview")
    page.get_by_role("link", name=re.compile("第1条")).first.click()
    item = page.locator(".consensus-item").first
    item.locator("select[name=value]").select_option("0.8")
    item.locator("select[name=method]").select_option("leader")
    item.locator("input[name=rationale]").fill("现场抽查后折中")
    item.get_by_role("button", name="确定").click()
    page.locator(".consensus-item.settled").first.wait_for()
    shot(page, "h2-consensus-row")
    assert Settlement.objects.get(requirement_id=first).value == "0.8"
    page.goto(f"{base}/formal/{formal.pk}/consensus/")
    page.get_by_role("button", name=re.compile("采纳全部一致评分")).click()
    page.wait_for_load_state()
    page.goto(f"{base}/formal/{formal.pk}/rating/not-applicable/")
    shot(page, "h2-not-applicable")
    page.get_by_role("button", name="确认所选的不适用").click()
    page.wait_for_load_state()
    assert ExpertRating.objects.get(value="na").na_confirmed_by_id == onsite.user(0).pk
    page.goto(f"{base}/formal/{formal.pk}/agreement/")
    shot(page, "h2-agreement")
    assert "平均绝对偏差" in page.content()
    assert not [e for e in errors if "Content Security Policy" in e or "Refused" in e], errors
