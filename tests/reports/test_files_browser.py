"""The downloads panel in a real Chromium: from the results page, make the Excel file and download it; a file
waiting for the worker shows its progress and turns into a download link by itself (htmx polling). Set
NFM_SCREENSHOT_DIR to keep screenshots at 1280 and 390 px."""

from __future__ import annotations

import os
from io import BytesIO
from pathlib import Path

import pytest
from openpyxl import load_workbook

from nfmaturity.assessments.models import Assessment, Result
from nfmaturity.assessments.services import start_self_assessment, submit_assessment
from nfmaturity.enterprises.models import SectorChoice
from nfmaturity.reports import jobs
from nfmaturity.reports.files import request_report
from nfmaturity.reports.models import ReportFormat
from tests.web.conftest import PASSWORD, WORKED_CHECK, World, fill
from tests.web.test_browser import browser_context_args, browser_type_launch_args  # noqa: F401  (fixtures)

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def shot(page, name: str, width: int) -> None:  # type: ignore[no-untyped-def]
    target = os.environ.get("NFM_SCREENSHOT_DIR")
    if target:
        Path(target).mkdir(parents=True, exist_ok=True)
        page.set_viewport_size({"width": width, "height": 900})
        page.locator(".report-files").screenshot(path=str(Path(target) / f"{name}-{width}.png"))


def test_the_downloads_panel_makes_polls_and_downloads(  # type: ignore[no-untyped-def]
    world: World, live_server, page, settings, tmp_path: Path
) -> None:
    settings.NFM_REPORTS_DIR = tmp_path / "reports"
    admin = world.users["ent_admin"]
    assessment: Assessment = start_self_assessment(
        enterprise=world.enterprise,
        actor=admin,  # type: ignore[arg-type]
        sector=SectorChoice.SMELTING,
    )
    fill(assessment, WORKED_CHECK, admin)
    result: Result = submit_assessment(assessment=assessment, actor=admin)  # type: ignore[arg-type]

    base = live_server.url
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", "ent_member")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.goto(f"{base}/assessments/{assessment.pk}/results/")
    panel = page.locator(".report-files")
    panel.get_by_role("button", name="生成 Excel").wait_for()
    for width in (1280, 390):
        shot(page, "reports-01-panel", width)
    page.set_viewport_size({"width": 1280, "height": 900})

    panel.get_by_role("button", name="生成 Excel").click()
    link = page.get_by_role("link", name="下载 Excel")
    link.wait_for()
    with page.expect_download() as info:
        link.click()
    download = info.value
    assert download.suggested_filename.endswith("-第1版.xlsx")
    overview = {
        row[0]: row[1]
        for row in load_workbook(BytesIO(Path(download.path()).read_bytes()))["概况"].iter_rows(
            values_only=True
        )
    }
    assert overview["总分精确值"] == result.total

    # A Word file waiting for the worker: the panel shows it queued and polls until the link appears.
    waiting = request_report(result=result, fmt=ReportFormat.DOCX, actor=None).report
    page.reload()
    page.get_by_text("排队中……0%").wait_for()
    for width in (1280, 390):
        shot(page, "reports-02-queued", width)
    page.set_viewport_size({"width": 1280, "height": 900})
    jobs.generate(waiting.pk)  # the worker's task, here in the test's thread
    page.get_by_role("link", name="下载 Word").wait_for(timeout=15_000)
    for width in (1280, 390):
        shot(page, "reports-03-done", width)
