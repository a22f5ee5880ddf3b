"""The yearly 数字化转型指数报告 as PDF and Word, read back (pdftotext, python-docx) on the hand-computed data set
of test_dashboard: in 2026 广西 counts B (三级 3.10) and E1 (二级 2.40, formal); in 2025 A (一级 1.20); B rose
from 一级 (2025-02-01) to 三级 (2026-05-01). 湖南's enterprise and the demo one appear nowhere."""

from __future__ import annotations

import io
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import Http404
from django.test import RequestFactory
from django.utils import timezone
from docx import Document

from nfmaturity.assessments.models import GradeLevel
from nfmaturity.reports import index_report
from tests.web.conftest import World

from .test_dashboard import NOW, HandData, build_hand_data


@pytest.fixture
def hand(world: World, monkeypatch: pytest.MonkeyPatch) -> HandData:
    monkeypatch.setattr(timezone, "now", lambda: NOW)
    return build_hand_data(world)


@pytest.mark.django_db
def test_the_report_content(hand: HandData) -> None:
    report = index_report.build_index_report(hand.world.users["regulator"], 2026)
    assert report.title == "广西壮族自治区有色金属行业2026年数字化转型指数报告"
    assert (report.assessed, report.average, report.good, report.good_share) == (
        2,
        Decimal("2.75"),
        2,
        Decimal("100.0"),
    )
    assert (report.previous_assessed, report.previous_average) == (1, Decimal("1.20"))
    assert report.grade_counts == [0, 0, 1, 1, 0, 0]
    assert {(r.label, r.enterprises, r.average) for r in report.by_region} == {
        ("百色市", 1, Decimal("3.10")),
        ("河池市", 1, Decimal("2.40")),
    }
    # D2: (0.5 + 1) / 2 = 0.75 is weaker than D1: (3 + 2) / 2 = 2.5.
    assert [(d["name"], d["figures"][0]) for d in report.domains] == [
        (hand.d2, Decimal("0.75")),
        (hand.d1, Decimal("2.50")),
    ]
    assert (report.rose, report.fell) == (1, 0)
    assert [(m.name, m.before, m.after) for m in report.risers] == [
        ("百色铝业有限公司", GradeLevel.ONE.label, GradeLevel.THREE.label)
    ]


def _download(hand: HandData, fmt: str, user: str = "regulator") -> bytes:
    request = RequestFactory().get("/reports/index/", {"year": "2026", "format": fmt})
    request.user = hand.world.users[user]  # type: ignore[assignment]
    response = index_report.index_page(request)
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    return response.content


@pytest.mark.django_db
def test_the_pdf_reads_back(hand: HandData, tmp_path: Path) -> None:
    pdf = tmp_path / "index.pdf"
    pdf.write_bytes(_download(hand, "pdf"))
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, check=True, text=True
    ).stdout
    compact = "".join(text.split())
    assert "广西壮族自治区有色金属行业2026年数字化转型指数报告" in compact
    assert "平均总分2.75" in compact
    assert "百色铝业有限公司" in compact  # the riser
    assert "河池市" in compact and "百色市" in compact
    assert "湖南有色冶炼" not in compact and "河池锡业" not in compact


@pytest.mark.django_db
def test_the_word_file_reads_back(hand: HandData) -> None:
    document = Document(io.BytesIO(_download(hand, "docx")))
    paragraphs = "\n".join(p.text for p in document.paragraphs)
    assert "广西壮族自治区有色金属行业2026年数字化转型指数报告" in paragraphs
    assert "等级上升 1 家、下降 0 家" in paragraphs
    cells = {cell.text for table in document.tables for row in table.rows for cell in row.cells}
    assert {"百色铝业有限公司", "河池市", hand.d2, "0.75"} <= cells
    assert len(document.inline_shapes) == 1  # the distribution chart


@pytest.mark.django_db
def test_only_overseers_get_it(hand: HandData) -> None:
    report = index_report.build_index_report(hand.world.users["hunan_regulator"], 2026)
    assert report.assessed == 1 and report.risers == []
    for user in (hand.world.users["ent_admin"], hand.world.users["expert"]):
        request = RequestFactory().get("/reports/index/", {"year": "2026", "format": "pdf"})
        request.user = user  # type: ignore[assignment]
        with pytest.raises(Http404):
            index_report.index_page(request)
    request = RequestFactory().get("/reports/index/")
    request.user = AnonymousUser()
    assert index_report.index_page(request).status_code == 302


@pytest.mark.django_db
def test_the_dashboard_offers_it_and_its_page_lists_the_years(hand: HandData) -> None:
    regulator = hand.world.client("regulator")
    assert 'href="/reports/index/"' in regulator.get("/analytics/").text
    page = regulator.get("/reports/index/")
    assert page.status_code == 200 and "2026 年" in page.text and "下载 PDF" in page.text
