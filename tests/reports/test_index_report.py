"""The yearly 数字化转型指数报告 through the report-file queue, read back (pdftotext, python-docx) on the
hand-computed data set of tests/analytics/test_dashboard.py: in 2026 广西 counts B (三级 3.10) and E1 (二级 2.40,
formal); in 2025 A (一级 1.20); B rose from 一级 (2025-02-01) to 三级 (2026-05-01). 湖南's enterprise and the
demo one appear nowhere.

The regulator asks on the page (POST year and format), the row is queued and built by the worker (inline here,
settings_test), the list shows it with its download; asking again with unchanged data reuses the file, changed
data gives a new one; a failure is shown in Chinese with a retry; only the asking organisation (and the platform
admin) may download; every request and download is audited."""

from __future__ import annotations

import io
import subprocess
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from docx import Document

from nfmaturity.accounts.models import Organisation
from nfmaturity.assessments.models import GradeLevel
from nfmaturity.audit.models import AuditAction, AuditEvent
from nfmaturity.reports import files, index_files, index_report
from nfmaturity.reports.models import IndexReportFile, ReportState
from tests.analytics.test_dashboard import NOW, HandData, build_hand_data
from tests.web.conftest import World

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}
TITLE = "广西壮族自治区有色金属行业2026年数字化转型指数报告"


@pytest.fixture
def hand(world: World, monkeypatch: pytest.MonkeyPatch, settings: Any, tmp_path: Path) -> HandData:
    monkeypatch.setattr(timezone, "now", lambda: NOW)
    settings.NFM_REPORTS_DIR = tmp_path / "reports"
    return build_hand_data(world)


def _ask(client: Client, fmt: str, year: int = 2026) -> str:
    response = client.post("/reports/index/", {"year": str(year), "format": fmt}, **HTMX)
    assert response.status_code == 200
    return response.content.decode()


def _download(client: Client, report: IndexReportFile) -> bytes:
    response = client.get(f"/reports/index/files/{report.pk}/download/")
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    return b"".join(response.streaming_content)  # type: ignore[attr-defined]


def _pdf_text(data: bytes, tmp_path: Path) -> str:
    pdf = tmp_path / "index.pdf"
    pdf.write_bytes(data)
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, check=True, text=True
    ).stdout
    return "".join(text.split())


def test_the_report_content(hand: HandData) -> None:
    report = index_report.build_index_report(hand.world.users["regulator"], 2026)
    assert report.title == TITLE
    assert (report.assessed, report.average, report.good, report.good_share) == (
        2,
        Decimal("2.75"),
        2,
        Decimal("100.0"),
    )
    # 2025 as it stood: A 1.20 and B's 2025 result 1.00 (B has assessed again since; it still counts in 2025).
    assert (report.previous_assessed, report.previous_average) == (2, Decimal("1.10"))
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
    hunan = index_report.build_index_report(hand.world.users["hunan_regulator"], 2026)
    assert hunan.assessed == 1 and hunan.risers == []


def test_asked_queued_built_listed_downloaded_and_audited(hand: HandData, tmp_path: Path) -> None:
    regulator = hand.world.client("regulator")
    panel = _ask(regulator, "pdf")
    report = IndexReportFile.objects.get()
    assert (report.state, report.progress, report.year, report.jurisdiction) == (
        ReportState.DONE,
        100,
        2026,
        "450000",
    )
    assert report.requested_by == hand.world.users["regulator"]
    assert f'href="/reports/index/files/{report.pk}/download/"' in panel and "2026 年 · PDF" in panel
    assert "every 2s" not in panel  # nothing pending: no polling
    assert files.file_path(report).is_file()
    compact = _pdf_text(_download(regulator, report), tmp_path)
    assert TITLE in compact and "报告年度：2026年" in compact
    assert "平均总分2.75" in compact and "百色铝业有限公司" in compact
    assert "河池市" in compact and "百色市" in compact
    assert "湖南有色冶炼" not in compact and "河池锡业" not in compact
    events = AuditEvent.objects.filter(object_type="reports.indexreportfile", object_id=str(report.pk))
    assert [(e.action, e.actor_id) for e in events.order_by("pk")] == [
        (AuditAction.INDEX_REPORT_REQUESTED, hand.world.users["regulator"].pk),
        (AuditAction.INDEX_REPORT_DOWNLOADED, hand.world.users["regulator"].pk),
    ]
    requested = events.get(action=AuditAction.INDEX_REPORT_REQUESTED)
    assert requested.new == {"jurisdiction": "450000", "year": 2026, "format": "pdf", "queued": True}
    assert requested.organisation_id == report.organisation_id is not None


def test_the_word_file_through_the_queue(hand: HandData) -> None:
    regulator = hand.world.client("regulator")
    _ask(regulator, "docx")
    report = IndexReportFile.objects.get(format="docx")
    response = regulator.get(f"/reports/index/files/{report.pk}/download/")
    assert response["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.wordprocessingml"
    )
    document = Document(io.BytesIO(b"".join(response.streaming_content)))  # type: ignore[attr-defined]
    paragraphs = "\n".join(p.text for p in document.paragraphs)
    assert TITLE in paragraphs and "等级上升 1 家、下降 0 家" in paragraphs
    cells = {cell.text for table in document.tables for row in table.rows for cell in row.cells}
    assert {"百色铝业有限公司", "河池市", hand.d2, "0.75"} <= cells
    assert len(document.inline_shapes) == 1  # the distribution chart


def test_unchanged_data_reuse_the_file_changed_data_make_a_new_one(
    hand: HandData, monkeypatch: pytest.MonkeyPatch
) -> None:
    regulator = hand.world.client("regulator")
    _ask(regulator, "pdf")
    first = IndexReportFile.objects.get()
    _ask(regulator, "pdf")
    assert IndexReportFile.objects.get() == first  # the same row, not built again
    again = AuditEvent.objects.filter(action=AuditAction.INDEX_REPORT_REQUESTED).order_by("-pk").first()
    assert again is not None and again.new["queued"] is False
    # An enterprise of the jurisdiction changes: the figures may differ, so a new file is built.
    monkeypatch.undo()  # the clock runs on (the world's enterprises were saved at the real time, after NOW)
    hand.e1.name = "金城江矿业股份有限公司"
    hand.e1.save()
    regulator = hand.world.client("regulator")  # signed in again: the session of July has expired
    panel = _ask(regulator, "pdf")
    second = IndexReportFile.objects.exclude(pk=first.pk).get()
    assert second.data_stamp != first.data_stamp and second.is_done
    assert panel.index(f"/reports/index/files/{second.pk}/") < panel.index(
        f"/reports/index/files/{first.pk}/"
    )
    assert panel.count("此后数据已更新") == 1  # the earlier file, still downloadable
    # A change outside the jurisdiction (湖南) does not touch 广西's stamp.
    stamp = index_files.data_stamp("450000")
    assert hand.world.hunan is not None
    hand.world.hunan.name = "湖南有色冶炼集团"
    hand.world.hunan.save()
    assert index_files.data_stamp("450000") == stamp != index_files.data_stamp("430000")


def test_a_failure_is_shown_in_chinese_and_can_be_retried(
    hand: HandData, monkeypatch: pytest.MonkeyPatch
) -> None:
    regulator = hand.world.client("regulator")

    def broken(report: object) -> bytes:
        raise RuntimeError("boom")

    monkeypatch.setattr(index_report, "build_pdf", broken)
    panel = _ask(regulator, "pdf")
    report = IndexReportFile.objects.get()
    assert report.state == ReportState.FAILED and report.error == files.GENERIC_FAILURE
    assert "生成失败：" + files.GENERIC_FAILURE in panel and "重试生成" in panel
    assert regulator.get(f"/reports/index/files/{report.pk}/download/").status_code == 404
    monkeypatch.undo()
    monkeypatch.setattr(timezone, "now", lambda: NOW)
    panel = _ask(regulator, "pdf")  # the retry button posts the same year and format
    report.refresh_from_db()
    assert IndexReportFile.objects.count() == 1 and report.is_done and report.attempts == 2
    assert "生成失败" not in panel


def test_a_pending_file_is_polled_with_its_progress(hand: HandData, django_assert_num_queries: Any) -> None:
    regulator = hand.world.users["regulator"]
    organisation = regulator.membership.organisation_id
    IndexReportFile.objects.create(
        audience=f"org:{organisation}",
        organisation_id=organisation,
        jurisdiction="450000",
        year=2025,
        format="pdf",
        data_stamp="old",
        requested_by=regulator,
        state=ReportState.RUNNING,
        progress=40,
        started_at=NOW,
    )
    client = hand.world.client("regulator")
    client.get("/reports/index/files/", **HTMX)  # the session is read once
    # session, user, membership, the listing, the stamp's three aggregates
    with django_assert_num_queries(7):
        panel = client.get("/reports/index/files/", **HTMX).content.decode()
    assert 'hx-trigger="every 2s"' in panel and "生成中……40%" in panel and 'value="40"' in panel


def test_the_worker_refuses_when_the_requester_no_longer_oversees_the_jurisdiction(hand: HandData) -> None:
    regulator = hand.world.users["regulator"]
    requested = index_files.request_index_report(actor=regulator, year=2026, fmt=index_files.FORMATS[0])
    Organisation.objects.filter(pk=requested.report.organisation_id).update(jurisdiction="430000")
    regulator.refresh_from_db()
    from nfmaturity.reports import jobs

    jobs.generate_index(requested.report.pk)
    requested.report.refresh_from_db()
    assert requested.report.state == ReportState.FAILED
    assert requested.report.error == index_files.JURISDICTION_CHANGED


def test_only_the_asking_organisation_and_the_platform_admin_get_the_file(hand: HandData) -> None:
    _ask(hand.world.client("regulator"), "pdf")
    report = IndexReportFile.objects.get()
    url = f"/reports/index/files/{report.pk}/download/"
    for persona in ("hunan_regulator", "national_regulator", "ent_admin", "expert"):
        client = hand.world.client(persona)
        assert client.get(url).status_code == 404, persona
        assert url not in client.get("/reports/index/files/").content.decode()
    assert hand.world.client("platform_admin").get(url).status_code == 200
    # The 湖南 regulator's own list is empty, and his request covers 湖南 only.
    hunan = hand.world.client("hunan_regulator")
    assert "还没有申请过指数报告" in hunan.get("/reports/index/").content.decode()
    _ask(hunan, "pdf")
    theirs = IndexReportFile.objects.exclude(pk=report.pk).get()
    assert theirs.jurisdiction == "430000" and theirs.data_stamp != report.data_stamp


def test_the_dashboard_offers_it_and_its_page_lists_the_years(hand: HandData) -> None:
    regulator = hand.world.client("regulator")
    assert 'href="/reports/index/"' in regulator.get("/analytics/").text
    page = regulator.get("/reports/index/")
    assert page.status_code == 200 and "2026 年" in page.text and "生成 PDF" in page.text
    # Without htmx the form still works: the POST redirects back to the page, which lists the file.
    response = regulator.post("/reports/index/", {"year": "2025", "format": "pdf"})
    assert response.status_code == 302 and response["Location"] == "/reports/index/?year=2025"
    page = regulator.get(response["Location"])
    assert "2025 年 · PDF" in page.text and 'value="2025" selected' in page.text
    assert regulator.post("/reports/index/", {"year": "1999", "format": "pdf"}, **HTMX).status_code == 422
