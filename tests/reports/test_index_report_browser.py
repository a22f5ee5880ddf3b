"""The index report's journey in a real Chromium: the regulator picks a year, asks for the PDF, the list shows it
built and offers the download (read back with pdftotext); a file waiting for the worker shows its progress and
turns into a download link by itself (htmx polling). Set NFM_SCREENSHOT_DIR to keep screenshots at 1280 and
390 px."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from nfmaturity.reports import jobs
from nfmaturity.reports.models import IndexReportFile, ReportState
from tests.analytics.test_dashboard import build_hand_data
from tests.web.conftest import PASSWORD, World
from tests.web.test_browser import browser_context_args, browser_type_launch_args  # noqa: F401  (fixtures)

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def shot(page, name: str) -> None:  # type: ignore[no-untyped-def]
    target = os.environ.get("NFM_SCREENSHOT_DIR")
    if target:
        Path(target).mkdir(parents=True, exist_ok=True)
        for width in (1280, 390):
            page.set_viewport_size({"width": width, "height": 900})
            page.screenshot(path=str(Path(target) / f"{name}-{width}.png"), full_page=True)
        page.set_viewport_size({"width": 1280, "height": 900})


def test_ask_watch_and_download_the_index_report(  # type: ignore[no-untyped-def]
    world: World, live_server, page, settings, tmp_path: Path
) -> None:
    settings.NFM_REPORTS_DIR = tmp_path / "reports"
    build_hand_data(world)
    base = live_server.url
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", "regulator")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.goto(f"{base}/reports/index/")
    page.get_by_text("还没有申请过指数报告").wait_for()
    shot(page, "index-01-empty")

    page.select_option("#year", "2026")
    page.get_by_role("button", name="生成 PDF").click()
    link = page.get_by_role("link", name="下载 PDF")
    link.wait_for()
    with page.expect_download() as info:
        link.click()
    download = info.value
    assert download.suggested_filename == "广西壮族自治区有色金属行业2026年数字化转型指数报告.pdf"
    text = subprocess.run(
        ["pdftotext", download.path(), "-"], capture_output=True, check=True, text=True
    ).stdout
    assert "广西壮族自治区有色金属行业2026年数字化转型指数报告" in "".join(text.split())
    if os.environ.get("NFM_SCREENSHOT_DIR"):  # kept for looking at it
        download.save_as(Path(os.environ["NFM_SCREENSHOT_DIR"]) / "index-report.pdf")

    # A Word file waiting for the worker: the list shows it queued and polls until its link appears.
    regulator = world.users["regulator"]
    waiting = IndexReportFile.objects.create(
        audience=f"org:{regulator.membership.organisation_id}",
        organisation_id=regulator.membership.organisation_id,
        jurisdiction="450000",
        year=2025,
        format="docx",
        data_stamp="-",
        requested_by=regulator,
        state=ReportState.QUEUED,
    )
    page.reload()
    page.get_by_text("排队中……0%").wait_for()
    shot(page, "index-02-queued")
    jobs.generate_index(waiting.pk)  # the worker's task, here in the test's thread
    page.get_by_role("link", name="下载 Word").wait_for(timeout=15_000)
    shot(page, "index-03-done")
