"""Report files through the pages: ask for one, watch it queue and finish, download it; the finished file is
reused, a new result version gets its own file while the old one stays downloadable, and a failure is shown in
Chinese with a retry. Tasks run inline here (settings_test); tests/reports/test_jobs.py runs a real worker."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from django.test import Client

from nfmaturity.assessments.models import Assessment, Result
from nfmaturity.assessments.results import compute, store_result
from nfmaturity.assessments.services import start_self_assessment, submit_assessment
from nfmaturity.enterprises.models import SectorChoice
from nfmaturity.reports import jobs
from nfmaturity.reports.files import file_path, request_report
from nfmaturity.reports.models import ReportFile, ReportFormat, ReportState
from tests.web.conftest import WORKED_CHECK, World, fill

pytestmark = pytest.mark.django_db


@pytest.fixture
def submitted(world: World) -> Assessment:
    """A submitted self-assessment of enterprise A (WORKED_CHECK ratings) with its stored result."""
    admin = world.users["ent_admin"]
    assessment = start_self_assessment(enterprise=world.enterprise, actor=admin, sector=SectorChoice.SMELTING)  # type: ignore[arg-type]
    fill(assessment, WORKED_CHECK, admin)
    submit_assessment(assessment=assessment, actor=admin)  # type: ignore[arg-type]
    assessment.refresh_from_db()
    return assessment


HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture(autouse=True)
def _reports_in_tmp(settings: object, tmp_path: Path) -> None:
    settings.NFM_REPORTS_DIR = tmp_path / "reports"  # type: ignore[attr-defined]


def _result(assessment: Assessment) -> Result:
    return Result.objects.filter(assessment=assessment).order_by("-version").first()  # type: ignore[return-value]


def _ask(client: Client, result: Result, fmt: str) -> str:
    response = client.post(f"/reports/results/{result.pk}/files/", {"format": fmt}, **HTMX)
    assert response.status_code == 200
    return response.content.decode()


def test_the_results_page_loads_the_downloads_panel(world: World, submitted: Assessment) -> None:
    client = world.client("ent_member")
    page = client.get(f"/assessments/{submitted.pk}/results/").content.decode()
    assert f'hx-get="/reports/assessments/{submitted.pk}/files/"' in page
    panel = client.get(f"/reports/assessments/{submitted.pk}/files/", **HTMX).content.decode()
    assert "报告下载 · 第 1 版结果" in panel
    for label in ("生成 PDF", "生成 Word", "生成 Excel"):
        assert label in panel
    assert "<html" not in panel  # a fragment for htmx
    # Without JavaScript the same panel is a page of its own, with the navigation.
    full = client.get(f"/reports/assessments/{submitted.pk}/files/").content.decode()
    assert "<html" in full and "返回评估结果" in full


def test_an_excel_file_is_made_stored_and_downloaded(
    world: World, submitted: Assessment, tmp_path: Path
) -> None:
    client = world.client("ent_member")
    result = _result(submitted)
    panel = _ask(client, result, "xlsx")
    report = ReportFile.objects.get(result=result, format=ReportFormat.XLSX)
    assert report.state == ReportState.DONE and report.progress == 100
    assert report.requested_by == world.users["ent_member"] and report.attempts == 1
    assert f"/reports/files/{report.pk}/download/" in panel and "下载 Excel" in panel
    assert "every 1s" not in panel  # nothing pending: no polling

    stored = file_path(report)
    assert stored.is_relative_to(tmp_path / "reports")  # under the data directory, not a web root
    data = stored.read_bytes()
    assert len(data) == report.size and hashlib.sha256(data).hexdigest() == report.sha256

    response = client.get(f"/reports/files/{report.pk}/download/")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == data  # type: ignore[attr-defined]
    assert response["Content-Disposition"].startswith("attachment; filename*=UTF-8''")
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def test_asking_again_reuses_the_finished_file(
    world: World, submitted: Assessment, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = world.client("ent_admin")
    result = _result(submitted)
    _ask(client, result, "xlsx")
    first = ReportFile.objects.get(result=result)

    def must_not_build(*args: object, **kwargs: object) -> bytes:
        raise AssertionError("the finished file should have been reused")

    monkeypatch.setattr(jobs, "build", must_not_build)
    _ask(world.client("ent_member"), result, "xlsx")
    again = ReportFile.objects.get(result=result)
    assert (again.pk, again.sha256, again.attempts) == (first.pk, first.sha256, 1)


def test_a_new_result_version_gets_a_new_file_and_the_old_one_stays(
    world: World, submitted: Assessment
) -> None:
    client = world.client("ent_admin")
    old = _result(submitted)
    _ask(client, old, "xlsx")
    new = store_result(submitted, compute(submitted, allow_unrated=False), version=2)
    panel = _ask(client, new, "xlsx")
    files = {r.result_id: r for r in ReportFile.objects.filter(result__assessment=submitted)}
    assert set(files) == {old.pk, new.pk}
    assert files[old.pk].path != files[new.pk].path
    assert "以前版本结果的报告文件" in panel and f"/reports/files/{files[old.pk].pk}/download/" in panel
    assert client.get(f"/reports/files/{files[old.pk].pk}/download/").status_code == 200
    # The results page's panel shows the newest version.
    latest = client.get(f"/reports/assessments/{submitted.pk}/files/", **HTMX).content.decode()
    assert "第 2 版结果" in latest


def test_a_failure_is_shown_in_chinese_and_can_be_retried(
    world: World, submitted: Assessment, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = world.client("ent_admin")
    result = _result(submitted)
    real_build = jobs.build

    def broken(*args: object, **kwargs: object) -> bytes:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(jobs, "build", broken)
    panel = _ask(client, result, "xlsx")
    report = ReportFile.objects.get(result=result)
    assert report.state == ReportState.FAILED
    assert "生成失败：生成报告时发生内部错误，请稍后重试" in panel and "disk on fire" not in panel
    assert "重试生成 Excel" in panel

    monkeypatch.setattr(jobs, "build", real_build)
    panel = _ask(client, result, "xlsx")
    report.refresh_from_db()
    assert report.state == ReportState.DONE and report.attempts == 2 and report.error == ""
    assert "下载 Excel" in panel


def test_a_builder_error_is_shown_as_its_own_message(
    world: World, submitted: Assessment, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(jobs.BUILDERS, ReportFormat.PDF, ("nfmaturity.reports.no_such_module", "build_pdf"))
    panel = _ask(world.client("ent_admin"), _result(submitted), "pdf")
    assert "生成失败：本平台暂不能生成PDF文件" in panel


def test_a_queued_file_shows_its_progress_and_polls(world: World, submitted: Assessment) -> None:
    result = _result(submitted)
    asked = request_report(result=result, fmt=ReportFormat.DOCX, actor=world.users["ent_admin"])  # type: ignore[arg-type]
    assert asked.queued  # not enqueued: it stays queued, as while the worker is busy
    ReportFile.objects.filter(pk=asked.report.pk).update(state=ReportState.RUNNING, progress=40)
    panel = world.client("ent_member").get(f"/reports/results/{result.pk}/files/", **HTMX).content.decode()
    assert 'hx-trigger="every 1s"' in panel
    assert "生成中……40%" in panel and 'value="40"' in panel
    # Asking again while it is on its way does not queue it twice.
    assert not request_report(result=result, fmt=ReportFormat.DOCX, actor=None).queued


def test_a_file_that_is_not_finished_or_was_lost_is_not_served(world: World, submitted: Assessment) -> None:
    client = world.client("ent_admin")
    result = _result(submitted)
    asked = request_report(result=result, fmt=ReportFormat.XLSX, actor=None)
    assert client.get(f"/reports/files/{asked.report.pk}/download/").status_code == 404
    _ask(client, result, "xlsx")  # the queued one is on its way: reused, not built here
    jobs.generate(asked.report.pk)
    report = ReportFile.objects.get(pk=asked.report.pk)
    file_path(report).unlink()
    assert client.get(f"/reports/files/{report.pk}/download/").status_code == 404
    # Asking again rebuilds the lost file.
    _ask(client, result, "xlsx")
    report.refresh_from_db()
    assert report.state == ReportState.DONE and file_path(report).is_file()


def test_an_unknown_format_is_refused(world: World, submitted: Assessment) -> None:
    response = world.client("ent_admin").post(
        f"/reports/results/{_result(submitted).pk}/files/", {"format": "exe"}, **HTMX
    )
    assert response.status_code == 422 and not ReportFile.objects.exists()


def test_the_panel_costs_a_fixed_number_of_queries(
    world: World, submitted: Assessment, django_assert_num_queries: object
) -> None:
    client = world.client("ent_member")
    result = _result(submitted)
    _ask(client, result, "xlsx")
    client.get(f"/reports/results/{result.pk}/files/", **HTMX)
    with django_assert_num_queries(PANEL_QUERIES):  # type: ignore[operator]
        assert client.get(f"/reports/results/{result.pk}/files/", **HTMX).status_code == 200


PANEL_QUERIES = 7  # whatever the number of files and versions shown


def test_the_excel_file_carries_the_saved_plan_and_is_made_again_when_the_plan_changes(
    world: World, submitted: Assessment
) -> None:
    from io import BytesIO

    from django.utils import timezone
    from openpyxl import load_workbook

    from nfmaturity.plans.models import PlanAction
    from nfmaturity.plans.services import create_plan

    admin = world.users["ent_admin"]
    plan = create_plan(assessment=submitted, actor=admin, target_grade=submitted.results.get().grade + 1)  # type: ignore[arg-type]
    action = PlanAction.objects.filter(plan=plan).order_by("position").first()
    assert action is not None
    client = world.client("ent_admin")
    result = _result(submitted)
    _ask(client, result, "xlsx")
    report = ReportFile.objects.get(result=result)
    sheet = load_workbook(BytesIO(file_path(report).read_bytes()))["改进计划"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:6] == ("序号", "场景", "能力域", "能力子域", "等级", "能力建设")
    assert rows[1][5] == action.title and len(rows) == plan.actions.count() + 2
    assert str(rows[-1][0]).startswith(f"目标等级：{plan.get_target_grade_display()}")

    # The owner is filled in later: the finished file no longer shows the plan, so it is offered and made again.
    PlanAction.objects.filter(pk=action.pk).update(owner="信息中心 王工", updated_at=timezone.now())
    panel = client.get(f"/reports/results/{result.pk}/files/", **HTMX).content.decode()
    assert "生成 Excel" in panel and f"/reports/files/{report.pk}/download/" not in panel
    _ask(client, result, "xlsx")
    report.refresh_from_db()
    assert report.attempts == 2
    rows = list(
        load_workbook(BytesIO(file_path(report).read_bytes()))["改进计划"].iter_rows(values_only=True)
    )
    assert rows[1][9] == "信息中心 王工"


def test_a_file_the_worker_never_finished_is_shown_as_failed_and_retried(
    world: World, submitted: Assessment
) -> None:
    from datetime import timedelta

    from django.utils import timezone

    result = _result(submitted)
    asked = request_report(result=result, fmt=ReportFormat.XLSX, actor=None)  # queued, no worker takes it
    ReportFile.objects.filter(pk=asked.report.pk).update(requested_at=timezone.now() - timedelta(hours=2))
    client = world.client("ent_admin")
    panel = client.get(f"/reports/results/{result.pk}/files/", **HTMX).content.decode()
    assert "生成失败：等待后台任务进程超时" in panel and "重试生成 Excel" in panel
    assert 'hx-trigger="every 1s"' not in panel
    _ask(client, result, "xlsx")
    report = ReportFile.objects.get(pk=asked.report.pk)
    assert report.state == ReportState.DONE
