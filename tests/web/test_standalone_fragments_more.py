"""Every htmx fragment of the platform answers a full page when its address is opened on its own.

Pages load parts of themselves with htmx and link the same addresses inside ``<noscript>`` (or a user opens them
in a new tab, or bookmarks them). tests/web/test_standalone_fragments.py covers the results page's explanation
and plan; this module covers the rest, all answered through ``accounts.fragment_pages``: the peer benchmark,
the improvement plan's outcomes, a formal assessment's timeline, an enterprise's formal results, the report
downloads panel (of a self-assessment and of a formal result), the dashboard's domain figures and trends, and
the index report's list of files. For each: a plain GET is a page (the site's
navigation, a Chinese title naming what it is, the fragment's content, the way back, ``Vary: HX-Request``);
htmx gets the bare fragment at the queries it always cost; htmx restoring its history gets the page; someone
who may not read it gets the same 404 both ways.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.db import connection, transaction
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext

from nfmaturity.accounts.models import Organisation, OrganisationKind
from nfmaturity.assessments.models import Assessment, Result
from nfmaturity.assessments.services import start_self_assessment, submit_assessment
from nfmaturity.audit.models import AuditAction
from nfmaturity.audit.services import record_event
from nfmaturity.enterprises.models import SectorChoice
from nfmaturity.formal.models import FormalAssessment
from nfmaturity.plans import services as plan_services

from .conftest import PASSWORD, WORKED_CHECK, World, fill

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

from reports import make_experts, make_formal_result

HTMX = {"HX-Request": "true"}
RESTORE = {"HX-Request": "true", "HX-History-Restore-Request": "true"}
NAME = "南丹锡业有限公司"  # enterprise A of the test world


@dataclass(frozen=True)
class Case:
    """One fragment address: where it is, what its page must say, and what marks the fragment itself."""

    url: str
    title: str  # the page's <title> starts with this
    marker: str  # in the fragment, so in both answers
    back: str  # the way back (an href on the page)
    reader: str  # a persona who may read it
    # The fragment for htmx: the same number as before the pages existed (measured on ce6883e, the commit before
    # them, with this module's data).
    htmx_queries: int


@dataclass(frozen=True)
class Data:
    submitted: Assessment
    result: Result
    formal: FormalAssessment
    formal_result: Result


@pytest.fixture(scope="module")
def data(
    module_world: World, django_db_blocker: object, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Data]:
    with (
        override_settings(NFM_REPORTS_DIR=tmp_path_factory.mktemp("reports")),
        django_db_blocker.unblock(),  # type: ignore[attr-defined]
        transaction.atomic(),
    ):
        admin = module_world.users["ent_admin"]
        assessment = start_self_assessment(
            enterprise=module_world.enterprise,
            actor=admin,  # type: ignore[arg-type]
            sector=SectorChoice.SMELTING,
        )
        fill(assessment, WORKED_CHECK, admin)
        result = submit_assessment(assessment=assessment, actor=admin)  # type: ignore[arg-type]
        assessment.refresh_from_db()
        body = Organisation.objects.get(kind=OrganisationKind.BODY, name="评估中心")
        experts = make_experts(body, prefix="frag-zj")
        formal_result = make_formal_result(module_world.enterprise, body, admin, experts, published=True)  # type: ignore[arg-type]
        formal = FormalAssessment.objects.get(assessment=formal_result.assessment)
        # What the timeline tells (the factory writes the rows, not the workflow's events).
        record_event(
            actor=admin,  # type: ignore[arg-type]
            action=AuditAction.RESULT_PUBLISHED,
            obj=formal,
            new={"result_version": 1, "result_number": "NFM-TEST-0001"},
        )
        yield Data(assessment, result, formal, formal_result)
        transaction.set_rollback(True)


def cases(world: World, data: Data) -> dict[str, Case]:
    pk = data.submitted.pk
    results = f"/assessments/{pk}/results/"
    self_title = f"{NAME} 冶炼自评估 #{pk}"
    formal_title = f"{NAME} 正式评估 #{data.formal.pk}"
    return {
        "peers": Case(
            f"/analytics/peers/{pk}/",
            f"同类企业对比 — {self_title}",
            "同类企业对比（百分位）",
            results,
            "ent_member",
            10,
        ),
        "outcomes": Case(
            f"/plans/assessment/{pk}/outcomes/",
            f"提升计划的成效 — {self_title}",
            'id="plan-outcomes"',
            results,
            "ent_admin",
            6,
        ),
        "timeline": Case(
            f"/formal/{data.formal.pk}/timeline/",
            f"时间线 — {formal_title}",
            "结果编号 NFM-TEST-0001",
            f"/formal/{data.formal.pk}/",
            "ent_admin",
            5,
        ),
        "formal_results": Case(
            f"/formal/enterprise/{world.enterprise.pk}/results/",
            f"正式评估结果 — {NAME}",
            'id="formal-results"',
            f"/assessments/enterprise/{world.enterprise.pk}/history/",
            "ent_admin",
            6,
        ),
        "self_files": Case(
            f"/reports/results/{data.result.pk}/files/",
            f"报告下载 — {self_title}",
            "报告下载 · 第 1 版结果",
            results,
            "ent_member",
            6,
        ),
        "self_files_by_assessment": Case(
            f"/reports/assessments/{pk}/files/",
            f"报告下载 — {self_title}",
            "报告下载 · 第 1 版结果",
            results,
            "ent_admin",
            8,
        ),
        "formal_files": Case(
            f"/reports/results/{data.formal_result.pk}/files/",
            f"报告下载 — {NAME} 冶炼正式评估 #{data.formal.pk}",
            "报告下载 · 第 1 版结果",
            f"/formal/{data.formal.pk}/results/",
            "ent_admin",
            7,
        ),
        # The regulator's dashboard parts and the index report's list of files (广西's regulator).
        "domains": Case(
            "/analytics/domains/",
            "能力域得分与热力图",
            "能力域平均得分（由弱到强）",
            "/analytics/",
            "regulator",
            6,
        ),
        "trends": Case(
            "/analytics/trends/", "逐年趋势", "逐年趋势（按提交年份）", "/analytics/", "regulator", 6
        ),
        "index_files": Case(
            "/reports/index/files/",
            "数字化转型指数报告",
            "已申请的指数报告 · 广西壮族自治区",
            "/analytics/",
            "regulator",
            7,
        ),
    }


CASES = (
    "peers",
    "outcomes",
    "timeline",
    "formal_results",
    "self_files",
    "self_files_by_assessment",
    "formal_files",
    "domains",
    "trends",
    "index_files",
)


def _title(html: str) -> str:
    found = re.search(r"<title>(.*?)</title>", html, re.S)
    assert found is not None
    return found.group(1).strip()


def _get(client: Client, url: str, headers: dict[str, str] | None = None) -> tuple[int, str, str]:
    response = client.get(url, headers=headers or {})
    return response.status_code, response.content.decode(), response.headers.get("Vary", "")


@pytest.mark.parametrize("name", CASES)
def test_opened_on_its_own_a_fragment_is_a_full_page_and_htmx_keeps_the_bare_fragment(
    module_world: World, data: Data, db: None, name: str, django_assert_num_queries: Any
) -> None:
    case = cases(module_world, data)[name]
    client = module_world.client(case.reader)

    with CaptureQueriesContext(connection) as page_queries:
        status, page, vary = _get(client, case.url)
    assert status == 200 and "HX-Request" in vary
    # The page adds only its navigation's read (and a formal result's way back, its formal assessment).
    assert len(page_queries) <= case.htmx_queries + 2
    assert page.lstrip().startswith("<!doctype html>") and 'id="site-nav"' in page
    assert _title(page).startswith(case.title), _title(page)
    assert case.marker in page and f'href="{case.back}"' in page

    with django_assert_num_queries(case.htmx_queries):
        status, fragment, vary = _get(client, case.url, HTMX)
    assert status == 200 and "HX-Request" in vary
    assert "<html" not in fragment and "<title>" not in fragment and 'id="site-nav"' not in fragment
    assert case.marker in fragment

    # htmx putting the address back as the whole page (history cache miss) gets the page.
    status, restored, _ = _get(client, case.url, RESTORE)
    assert status == 200 and 'id="site-nav"' in restored and case.marker in restored


@pytest.mark.parametrize("name", CASES)
def test_someone_who_may_not_read_it_gets_the_same_404_either_way(
    module_world: World, data: Data, db: None, name: str
) -> None:
    case = cases(module_world, data)[name]
    # 百色's admin: another enterprise. The body's expert on no team: reads no enterprise's results.
    for persona in ("outsider", "expert"):
        client = module_world.client(persona)
        for headers in (None, HTMX):
            assert _get(client, case.url, headers)[0] == 404, (persona, headers)
    for headers in (None, HTMX):
        assert module_world.client("anonymous").get(case.url, headers=headers or {}).status_code == 302


def test_a_missing_object_is_the_same_404_as_one_not_yours(module_world: World, data: Data, db: None) -> None:
    client = module_world.client("ent_admin")
    for url in (
        "/analytics/peers/999999/",
        "/plans/assessment/999999/outcomes/",
        "/formal/999999/timeline/",
        "/formal/enterprise/999999/results/",
        "/reports/results/999999/files/",
        "/reports/assessments/999999/files/",
    ):
        for headers in (None, HTMX):
            assert _get(client, url, headers)[0] == 404, url


def test_the_outcomes_page_says_when_there_is_nothing_to_compare_and_shows_a_saved_plan(
    module_world: World, data: Data, db: None
) -> None:
    client = module_world.client("ent_admin")
    url = f"/plans/assessment/{data.submitted.pk}/outcomes/"
    status, page, _ = _get(client, url)
    assert status == 200 and 'id="no-outcomes"' in page and "暂无可对照的成效" in page
    assert f'href="/plans/assessment/{data.submitted.pk}/roadmap/"' in page
    # The bare fragment stays empty for htmx (the results page shows nothing there).
    assert _get(client, url, HTMX)[1].strip() == '<div id="plan-outcomes"></div>'

    plan = plan_services.create_plan(
        assessment=data.submitted,
        actor=module_world.users["ent_admin"],  # type: ignore[arg-type]
        target_grade=3,
    )
    status, page, _ = _get(client, url)
    assert status == 200 and 'id="saved-plan"' in page and f'href="/plans/{plan.pk}/"' in page
    assert 'id="no-outcomes"' not in page
    status, fragment, _ = _get(client, url, HTMX)
    assert 'id="saved-plan"' in fragment and "<html" not in fragment


def test_the_peer_page_of_a_draft_says_it_is_compared_once_submitted(module_world: World, db: None) -> None:
    draft = start_self_assessment(
        enterprise=module_world.enterprise,
        actor=module_world.users["ent_admin"],  # type: ignore[arg-type]
        sector=SectorChoice.MINING,
    )
    status, page, _ = _get(module_world.client("ent_admin"), f"/analytics/peers/{draft.pk}/")
    assert status == 200 and 'id="site-nav"' in page and "返回暂定结果" in page
    assert "提交后，以保存的正式结果与同类企业比较" in page


def test_the_unread_badge_opened_on_its_own_is_the_notifications_page(module_world: World, db: None) -> None:
    client = module_world.client("ent_admin")
    status, html, vary = _get(client, "/accounts/notifications/?part=badge")
    assert status == 200 and "<html" in html and _title(html).startswith("通知") and "HX-Request" in vary
    status, html, vary = _get(client, "/accounts/notifications/?part=badge", HTMX)
    assert status == 200 and "<html" not in html and "HX-Request" in vary


def test_a_report_asked_for_without_javascript_comes_back_to_the_page(
    module_world: World, data: Data, db: None
) -> None:
    client = module_world.client("ent_admin")
    url = f"/reports/results/{data.result.pk}/files/"
    response = client.post(url, {"format": "xlsx"})
    assert response.status_code == 302 and response.headers["Location"] == url
    status, page, _ = _get(client, url)
    assert status == 200 and 'id="site-nav"' in page
    # A bad format is refused on the page (without JavaScript) or in the panel (htmx), both 422.
    response = client.post(url, {"format": "exe"})
    assert response.status_code == 422 and 'id="site-nav"' in response.content.decode()
    response = client.post(url, {"format": "exe"}, headers=HTMX)
    assert response.status_code == 422 and "<html" not in response.content.decode()
    assert "HX-Request" in response.headers.get("Vary", "")


# ---- in a real browser without JavaScript: every <noscript> link leads to a page, on a desktop and a phone ----

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, object]) -> dict[str, object]:
    from .test_browser import CHROMIUM_ARGS

    return {**browser_type_launch_args, "executable_path": "/usr/bin/chromium", "args": CHROMIUM_ARGS}


def _open(page: Any, link: str, title: str, marker: str, shot: str) -> None:
    """Follow a link as a user without JavaScript would; the page it opens is whole, fits and names itself."""
    page.get_by_role("link", name=link, exact=True).first.click()
    page.wait_for_load_state()
    assert page.title().startswith(title), page.title()
    assert page.locator("#site-nav").count() == 1
    assert page.locator(marker).count() >= 1, marker
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), shot
    target = os.environ.get("NFM_SCREENSHOT_DIR")
    if target:
        Path(target).mkdir(parents=True, exist_ok=True)
        width = page.viewport_size["width"]
        page.screenshot(path=f"{target}/{shot}-{width}.png", full_page=True)


def _log_in(browser: Any, base: str, username: str, width: int, height: int) -> Any:
    context = browser.new_context(java_script_enabled=False, viewport={"width": width, "height": height})
    page = context.new_page()
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()
    return page


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("width", "height"), [(1280, 900), (390, 844)], ids=["desktop", "phone"])
def test_without_javascript_every_loaded_part_is_a_page_one_link_away(  # type: ignore[no-untyped-def]
    world: World, submitted: Assessment, live_server, browser, width: int, height: int
) -> None:
    admin = world.users["ent_admin"]
    body = Organisation.objects.get(kind=OrganisationKind.BODY, name="评估中心")
    formal_result = make_formal_result(world.enterprise, body, admin, make_experts(body, prefix="js-zj"))  # type: ignore[arg-type]
    formal = FormalAssessment.objects.get(assessment=formal_result.assessment)
    record_event(actor=admin, action=AuditAction.RESULT_PUBLISHED, obj=formal, new={"result_version": 1})  # type: ignore[arg-type]
    base = live_server.url
    results = f"{base}/assessments/{submitted.pk}/results/"

    page = _log_in(browser, base, "ent_admin", width, height)
    page.goto(results)
    _open(page, "查看同类企业对比", "同类企业对比 — 南丹锡业有限公司", "#peers", "peers-page")
    page.locator("#back-to-results").click()
    page.wait_for_url(results)
    _open(
        page,
        "打开报告下载页（PDF、Word、Excel）",
        "报告下载 — 南丹锡业有限公司",
        ".report-files",
        "files-page",
    )
    page.locator("#back-to-results").click()
    page.wait_for_url(results)
    _open(page, "查看提升计划的成效", "提升计划的成效 — 南丹锡业有限公司", "#no-outcomes", "outcomes-page")

    page.goto(f"{base}/assessments/enterprise/{world.enterprise.pk}/history/")
    _open(page, "正式评估结果", "正式评估结果 — 南丹锡业有限公司", "#formal-results", "formal-results-page")
    page.locator("#formal-results").get_by_role("link", name="结果").click()
    page.wait_for_url(f"**/formal/{formal.pk}/results/")
    _open(
        page,
        "打开报告下载页（PDF、Word、Excel）",
        "报告下载 — 南丹锡业有限公司 冶炼正式评估",
        ".report-files",
        "formal-files-page",
    )
    page.locator("#back-to-results").click()
    page.wait_for_url(f"**/formal/{formal.pk}/results/")
    page.goto(f"{base}/formal/{formal.pk}/")
    _open(
        page,
        "查看时间线",
        f"时间线 — 南丹锡业有限公司 正式评估 #{formal.pk}",
        "#timeline li",
        "timeline-page",
    )
    page.locator("#back-to-formal").click()
    page.wait_for_url(f"**/formal/{formal.pk}/")
    page.context.close()

    page = _log_in(browser, base, "regulator", width, height)
    page.goto(f"{base}/analytics/")
    _open(page, "直接打开", "能力域得分与热力图", "#domain-table, table", "domains-page")
    page.goto(f"{base}/analytics/")
    page.get_by_role("link", name="直接打开").nth(1).click()
    page.wait_for_load_state()
    assert page.title().startswith("逐年趋势") and page.locator("#site-nav").count() == 1
    assert page.get_by_text("逐年趋势（按提交年份）").count() == 1
    # The index report's list is polled by its page; its address opened on its own is that page.
    page.goto(f"{base}/reports/index/files/")
    assert page.title().startswith("数字化转型指数报告") and page.locator("#index-files").count() == 1
    assert page.locator("#site-nav").count() == 1
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    target = os.environ.get("NFM_SCREENSHOT_DIR")
    if target:
        for name, url in (
            ("trends-page", "/analytics/trends/"),
            ("index-files-page", "/reports/index/files/"),
        ):
            page.goto(f"{base}{url}")
            page.screenshot(path=f"{target}/{name}-{width}.png", full_page=True)
    page.context.close()
