"""The explanation and plan links of the results page work when opened on their own (QA finding O2).

The results page loads them with htmx and swaps the bare fragment in; the same addresses are plain links
(middle-click, a new tab, a bookmark, no JavaScript). Those get a full page around the same fragment: the
site's navigation, a Chinese title, the way back to the results. htmx keeps the bare fragment at the same
number of queries; both answers say ``Vary: HX-Request``; access is the results page's, with the same 404.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator

import pytest
from django.core.cache import cache
from django.test import Client

from nfmaturity.assessments.models import Assessment, RatingRecord, RatingValue

from .conftest import PASSWORD, World

HTMX = {"HX-Request": "true"}
# A submitted result's cached explanation or plan, for htmx: session, user, membership (access), assessment with
# enterprise and unit, stored result; the same as before the full page existed (measured on both versions).
# The full page adds one read: the navigation's link to the user's own enterprise.
EXPLAIN_HTMX_QUERIES = 5
PLAN_HTMX_QUERIES = 5
PAGE_EXTRA_QUERIES = 1


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    cache.clear()
    yield
    cache.clear()


def _get(client: Client, url: str, *, htmx: bool = False) -> tuple[int, str, str]:
    response = client.get(url, headers=HTMX if htmx else {})
    return response.status_code, response.content.decode(), response.headers.get("Vary", "")


def _title(html: str) -> str:
    found = re.search(r"<title>(.*?)</title>", html, re.S)
    assert found is not None
    return found.group(1).strip()


def test_an_explanation_opened_on_its_own_is_a_full_page_and_htmx_keeps_the_fragment(
    world: World, submitted: Assessment
) -> None:
    client = world.client("ent_admin")
    url = f"/assessments/{submitted.pk}/explain/?target=total"
    status, page, vary = _get(client, url)
    assert status == 200 and "HX-Request" in vary
    assert page.lstrip().startswith("<!doctype html>") and 'id="site-nav"' in page and 'rel="icon"' in page
    assert _title(page).startswith(f"得分说明 — {world.enterprise.name} 冶炼自评估 #{submitted.pk}")
    assert 'id="explain-total">2.50<' in page and "合计 S" in page  # the fragment itself
    assert f'id="back-to-results" href="/assessments/{submitted.pk}/results/"' in page
    # The other figures are one plain link away; the current one is marked.
    assert re.search(r'class="nav-link active" href="[^"]*target=total" aria-current="page"', page)
    assert f'href="/assessments/{submitted.pk}/explain/?target=level:3"' in page

    status, fragment, vary = _get(client, url, htmx=True)
    assert status == 200 and "HX-Request" in vary
    assert "<html" not in fragment and 'id="site-nav"' not in fragment
    assert fragment.startswith('<div class="results-explanation">') and 'id="explain-total">2.50<' in fragment
    # The page wraps exactly the fragment htmx gets (here both from the cache of the rendered explanation).
    assert fragment in page

    # A cell, asked for without htmx (the cache now cold): its page too; htmx again bare.
    cache.clear()
    status, cell, _ = _get(client, f"/assessments/{submitted.pk}/explain/?target=cell:0:3")
    assert status == 200 and 'id="site-nav"' in cell and "部分满足" in cell and "<title>得分说明 — " in cell
    status, cell, _ = _get(client, f"/assessments/{submitted.pk}/explain/?target=cell:0:3", htmx=True)
    assert status == 200 and "<html" not in cell and "部分满足" in cell


def test_a_plan_page_opened_on_its_own_is_a_full_page_and_its_pager_and_form_work_without_javascript(
    world: World, submitted: Assessment
) -> None:
    client = world.client("ent_member")
    base = f"/assessments/{submitted.pk}/plan/"
    status, page, vary = _get(client, f"{base}?target=3&path=consecutive&page=2")
    assert status == 200 and "HX-Request" in vary
    assert 'id="site-nav"' in page and _title(page).startswith(
        f"提升路线图 — {world.enterprise.name} 冶炼自评估 #{submitted.pk}"
    )
    assert "第 21–40 项，共 73 项（第 2/4 页）" in page
    assert f'href="/assessments/{submitted.pk}/results/"' in page and "返回评估结果" in page
    # The pager's plain links and the form's action lead to this same page (the form has a no-script button).
    assert f'href="{base}?target=3&path=consecutive&page=3"' in page
    assert f'action="{base}"' in page and "<noscript>" in page
    status, literal, _ = _get(client, f"{base}?target=4&path=literal")
    assert status == 200 and 'id="site-nav"' in literal and "最低代价：" in literal

    status, fragment, vary = _get(client, f"{base}?target=3&path=consecutive&page=2", htmx=True)
    assert status == 200 and "HX-Request" in vary
    assert fragment.startswith('<div class="card mb-3" id="plan">') and "<html" not in fragment
    assert "第 21–40 项" in fragment and fragment in page


def test_a_draft_gets_its_pages_too_labelled_as_provisional(world: World, draft: Assessment) -> None:
    client = world.client("ent_admin")
    status, page, _ = _get(client, f"/assessments/{draft.pk}/explain/?target=level:1")
    assert status == 200 and 'id="site-nav"' in page and "返回暂定结果" in page
    status, page, _ = _get(client, f"/assessments/{draft.pk}/plan/")
    assert status == 200 and 'id="site-nav"' in page and "按暂定结果" in page


def test_a_refusal_is_a_full_page_too_and_keeps_its_status(world: World, submitted: Assessment) -> None:
    # Ratings changed under a submitted result: the platform refuses to explain it (409), in either form.
    RatingRecord.objects.filter(assessment=submitted, level=3).update(value=RatingValue.FULL)
    client = world.client("ent_admin")
    for tail in ("explain/?target=level:3", "plan/"):
        url = f"/assessments/{submitted.pk}/{tail}"
        status, page, vary = _get(client, url)
        assert status == 409 and "与提交时保存的结果不一致" in page and 'id="site-nav"' in page
        assert "HX-Request" in vary
        status, fragment, _ = _get(client, url, htmx=True)
        assert status == 409 and "与提交时保存的结果不一致" in fragment and "<html" not in fragment


# Who gets what, with and without htmx: the results page's rules (docs/access.md), the same 404 for
# "missing" and "not yours", and a bogus target is a 404 for everyone who may read.
SUBMITTED_READERS = {"ent_admin", "ent_member", "regulator", "national_regulator", "platform_admin"}
NOBODY_ELSE = ("outsider", "pending_admin", "expert", "body_admin", "hunan_regulator")


def test_access_is_the_results_pages_whether_or_not_htmx_asks(
    world: World, submitted: Assessment, draft: Assessment
) -> None:
    urls = {
        "explain": f"/assessments/{submitted.pk}/explain/?target=level:2",
        "plan": f"/assessments/{submitted.pk}/plan/?page=2",
        "draft_explain": f"/assessments/{draft.pk}/explain/?target=total",
        "draft_plan": f"/assessments/{draft.pk}/plan/",
        "missing": f"/assessments/{draft.pk + 1000}/explain/?target=total",
    }
    for persona in (*SUBMITTED_READERS, *NOBODY_ELSE, "anonymous"):
        client = world.client(persona)
        for htmx in (False, True):
            for name, url in urls.items():
                status, body, _ = _get(client, url, htmx=htmx)
                if persona == "anonymous":
                    expected = 302
                elif name == "missing":
                    expected = 404
                elif name.startswith("draft"):
                    expected = 200 if persona in ("ent_admin", "ent_member") else 404
                else:
                    expected = 200 if persona in SUBMITTED_READERS else 404
                assert status == expected, (persona, htmx, name, status)
                if expected == 200:
                    assert ("<html" in body) is not htmx, (persona, htmx, name)
                    assert ("<title>" in body) is not htmx
            bogus = f"/assessments/{submitted.pk}/explain/?target=cell:999:9"
            if persona in SUBMITTED_READERS:
                assert _get(client, bogus, htmx=htmx)[0] == 404


def test_the_htmx_answers_cost_what_they_did_and_the_page_adds_only_the_navigation(
    world: World, submitted: Assessment, django_assert_num_queries: object
) -> None:
    client = world.client("ent_admin")
    explain = f"/assessments/{submitted.pk}/explain/?target=total"
    plan = f"/assessments/{submitted.pk}/plan/"
    for url in (explain, plan):  # compute once (then cached), and warm the session
        client.get(url, headers=HTMX)
    for url, queries in ((explain, EXPLAIN_HTMX_QUERIES), (plan, PLAN_HTMX_QUERIES)):
        with django_assert_num_queries(queries):  # type: ignore[operator]
            assert client.get(url, headers=HTMX).status_code == 200
        with django_assert_num_queries(queries + PAGE_EXTRA_QUERIES):  # type: ignore[operator]
            assert client.get(url).status_code == 200


# ---- in a real browser: a link opened in a tab of its own, on a desktop and on a phone ----------------------

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, object]) -> dict[str, object]:
    from .test_browser import CHROMIUM_ARGS

    return {**browser_type_launch_args, "executable_path": "/usr/bin/chromium", "args": CHROMIUM_ARGS}


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("width", "height"), [(1280, 900), (390, 844)], ids=["desktop", "phone"])
def test_a_score_link_and_a_plan_page_opened_in_their_own_tab(  # type: ignore[no-untyped-def]
    world: World, submitted: Assessment, live_server, page, width: int, height: int
) -> None:
    page.set_viewport_size({"width": width, "height": height})
    missing: list[str] = []
    page.on("response", lambda r: missing.append(r.url) if r.status == 404 else None)
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "ent_admin")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.goto(f"{live_server.url}/assessments/{submitted.pk}/results/")
    href = page.locator("a.explain-link").first.get_attribute("href")
    assert href == f"/assessments/{submitted.pk}/explain/?target=total"

    # What "open in new tab" does: the link's own address, no htmx.
    page.goto(f"{live_server.url}{href}")
    assert page.title().startswith(f"得分说明 — {world.enterprise.name}")
    assert page.locator("#explain-total").inner_text() == "2.50"
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    target = os.environ.get("NFM_SCREENSHOT_DIR")
    if target:
        page.screenshot(path=f"{target}/explain-page-{width}.png", full_page=True)
    page.get_by_role("link", name="S3 等级得分").click()
    page.wait_for_selector("#explain-level")
    assert page.locator("#explain-level").inner_text() == "0.50"

    page.goto(f"{live_server.url}/assessments/{submitted.pk}/plan/?target=3&path=consecutive&page=2")
    assert page.title().startswith(f"提升路线图 — {world.enterprise.name}")
    page.wait_for_selector("#plan :text('第 21–40 项')")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    if target:
        page.screenshot(path=f"{target}/plan-page-{width}.png", full_page=True)
    # On this page htmx swaps the plan in place as on the results page: the fragment, not a page in a page.
    page.locator("#plan").get_by_role("link", name="下一页").click()
    page.wait_for_selector("#plan :text('第 41–60 项')")
    page.select_option("#plan-target", "4")
    page.wait_for_selector("#plan :text('到四级 平台级')")
    assert page.locator("#site-nav").count() == 1 and page.locator("#plan").count() == 1
    page.locator("#back-to-results").click()
    page.wait_for_url(f"**/assessments/{submitted.pk}/results/")
    assert not [u for u in missing if "favicon" in u], missing
    # The results page loads its parts (plan, peers, downloads) by htmx: let them finish before the test's
    # database is emptied, which the live server shares on SQLite (an answer still being read locks a table).
    page.wait_for_load_state("networkidle")
    page.goto("about:blank")
