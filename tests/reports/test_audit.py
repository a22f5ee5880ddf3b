"""Every report request and every download is audited: who asked for which file (and whether it was queued or
an existing file reused), who downloaded which file (its hash), who took the pre-filled workbook. The index
report's events are tested with its queue path (test_index_report.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from nfmaturity.assessments.models import Assessment, Result
from nfmaturity.assessments.services import start_self_assessment, submit_assessment
from nfmaturity.audit.models import AuditAction, AuditEvent
from nfmaturity.enterprises.models import SectorChoice
from nfmaturity.reports.models import ReportFile
from tests.web.conftest import WORKED_CHECK, World, fill

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def result(world: World, settings: Any, tmp_path: Path) -> Result:
    settings.NFM_REPORTS_DIR = tmp_path / "reports"
    admin = world.users["ent_admin"]
    assessment: Assessment = start_self_assessment(
        enterprise=world.enterprise,  # type: ignore[arg-type]
        actor=admin,  # type: ignore[arg-type]
        sector=SectorChoice.SMELTING,
    )
    fill(assessment, WORKED_CHECK, admin)
    submit_assessment(assessment=assessment, actor=admin)  # type: ignore[arg-type]
    return Result.objects.get(assessment=assessment)


def _events(action: AuditAction) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action).order_by("pk"))


def test_requests_downloads_and_the_workbook_are_audited(world: World, result: Result) -> None:
    member, regulator = world.client("ent_member"), world.client("regulator")
    organisation = world.enterprise.organisation_id
    assert member.post(f"/reports/results/{result.pk}/files/", {"format": "xlsx"}, **HTMX).status_code == 200
    assert (
        regulator.post(f"/reports/results/{result.pk}/files/", {"format": "xlsx"}, **HTMX).status_code == 200
    )
    report = ReportFile.objects.get()
    asked = _events(AuditAction.REPORT_REQUESTED)
    assert [(e.actor_id, e.new["queued"], e.object_id, e.organisation_id) for e in asked] == [
        (world.users["ent_member"].pk, True, str(report.pk), organisation),
        (world.users["regulator"].pk, False, str(report.pk), organisation),  # the finished file, reused
    ]
    assert asked[0].new == {
        "result": result.pk,
        "version": 1,
        "format": "xlsx",
        "expert_detail": False,
        "queued": True,
    }
    assert not _events(AuditAction.REPORT_DOWNLOADED)
    response = regulator.get(f"/reports/files/{report.pk}/download/")
    assert response.status_code == 200
    (downloaded,) = _events(AuditAction.REPORT_DOWNLOADED)
    assert (downloaded.actor_id, downloaded.object_id) == (world.users["regulator"].pk, str(report.pk))
    assert downloaded.new == {"format": "xlsx", "sha256": report.sha256, "size": report.size}
    # Refused downloads leave no trace of a download.
    assert world.client("outsider").get(f"/reports/files/{report.pk}/download/").status_code == 404
    assert len(_events(AuditAction.REPORT_DOWNLOADED)) == 1
    assert member.get(f"/reports/results/{result.pk}/next-workbook/").status_code == 200
    (workbook,) = _events(AuditAction.NEXT_WORKBOOK_DOWNLOADED)
    assert (workbook.actor_id, workbook.object_type, workbook.object_id) == (
        world.users["ent_member"].pk,
        "assessments.result",
        str(result.pk),
    )
