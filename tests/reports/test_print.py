"""The results page printed from the browser (Ctrl+P): Chromium prints it to PDF with the print stylesheet, the
navigation and buttons are gone, the level bars keep their colour, the radar fits the page, and the figures are
the stored result's. Set NFM_REPORT_DIR to keep the PDF and look at it (pdftoppm -png -r 60)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from fractions import Fraction
from pathlib import Path

import pytest

from nfmaturity.scoring.display import format_truncated

from .conftest import SelfCase, keep

# Playwright's sync API runs an event loop in this thread; the test's own ORM calls are still synchronous.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils 未安装"),
]

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, object]) -> dict[str, object]:
    return {**browser_type_launch_args, "executable_path": "/usr/bin/chromium", "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict[str, object]) -> dict[str, object]:
    return {**browser_context_args, "locale": "zh-CN", "viewport": {"width": 1280, "height": 900}}


def test_the_results_page_prints_cleanly(self_case: SelfCase, live_server, page, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "ent_admin")
    page.fill("#id_password", "Ceshi-mima-2024")
    page.click("button[type=submit]")
    page.goto(f"{live_server.url}/assessments/{self_case.assessment.pk}/results/")
    page.wait_for_selector("#radar svg")
    assert page.locator("link[rel=stylesheet][media=print][href*='results-print']").count() == 1

    page.emulate_media(media="print")
    assert page.locator("header.navbar").is_hidden()
    assert page.locator("#explain").is_hidden()  # the side panel
    page.wait_for_selector(".report-files:has-text('版结果')", state="attached")  # the panel htmx loaded
    assert all(not el.is_visible() for el in page.locator(".report-files").all())  # download links
    for selector in ("a.btn", "button.btn", "form button"):
        assert all(not el.is_visible() for el in page.locator(selector).all()), selector
    # The bars print their colour and the page keeps the whole radar within the A4 width (about 700 CSS px).
    assert (
        page.evaluate("getComputedStyle(document.querySelector('.level-bar progress')).printColorAdjust")
        == "exact"
    )
    radar = page.locator("#radar svg").bounding_box()
    assert radar is not None and radar["width"] <= 720

    pdf = page.pdf(format="A4", print_background=False)  # the browser's default: backgrounds off
    keep("results-print.pdf", pdf)
    path = tmp_path / "print.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True).stdout
    printed = text.decode("utf-8")
    assert format_truncated(Fraction(self_case.result.total)) in printed
    assert self_case.result.get_grade_display() in printed
    assert "退出" not in printed and "开始新的自评估" not in printed  # no navigation
    pages = int(
        re.search(  # type: ignore[union-attr]
            r"Pages:\s+(\d+)", subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True).stdout
        ).group(1)
    )
    assert pages <= 8
    subprocess.run(
        ["pdftoppm", "-png", "-r", "40", "-f", "1", "-l", "1", str(path), str(tmp_path / "p")], check=True
    )
    assert list(tmp_path.glob("p*.png"))
