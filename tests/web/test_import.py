"""Offline workbook import: preview, all-or-nothing apply, clear errors for bad rows."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile

from nfmaturity.assessments.models import Assessment, ImportState, RatingRecord, RatingValue, WorkbookImport
from nfmaturity.assessments.services import set_rating
from nfmaturity.audit.models import AuditAction, AuditEvent

from .conftest import World
from .workbooks import filled_workbook

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def upload(world: World, assessment: Assessment, data: bytes, name: str = "填好的.xlsx"):  # type: ignore[no-untyped-def]
    return world.client("ent_admin").post(
        f"/assessments/{assessment.pk}/import/", {"file": SimpleUploadedFile(name, data, content_type=XLSX)}
    )


def test_it_previews_then_applies_every_change_with_audit(world: World, draft: Assessment) -> None:
    data = filled_workbook("smelting", lambda rid, row: "全部满足" if row % 2 else "部分满足")
    response = upload(world, draft, data)
    pending = WorkbookImport.objects.get()
    assert response.status_code == 302 and response.url.endswith(f"/import/{pending.pk}/")
    assert len(pending.changes) == draft.requirement_count and not RatingRecord.objects.exists()
    preview = world.client("ent_admin").get(response.url).content.decode()
    assert f'id="change-count">{draft.requirement_count}<' in preview
    applied = world.client("ent_admin").post(response.url)
    assert applied.status_code == 302
    assert RatingRecord.objects.filter(assessment=draft).count() == draft.requirement_count
    pending.refresh_from_db()
    assert pending.state == ImportState.APPLIED
    assert AuditEvent.objects.filter(action=AuditAction.RATING_CHANGED).count() == draft.requirement_count
    assert AuditEvent.objects.filter(action=AuditAction.WORKBOOK_IMPORTED).count() == 1


def test_it_lists_bad_rows_in_chinese_and_imports_nothing(world: World, draft: Assessment) -> None:
    data = filled_workbook("smelting", lambda rid, row: "很好" if row in (5, 9) else "全部满足")
    response = upload(world, draft, data)
    body = response.content.decode()
    assert response.status_code == 422
    assert "第5行" in body and "第9行" in body and "无法识别的评分" in body and "未导入任何评分" in body
    assert not WorkbookImport.objects.exists() and not RatingRecord.objects.exists()


def test_it_refuses_a_workbook_of_another_sector(world: World, draft: Assessment) -> None:
    response = upload(world, draft, filled_workbook("mining", lambda rid, row: "全部满足"))
    assert response.status_code == 422 and "采选" in response.content.decode()


def test_it_refuses_a_file_that_is_not_a_workbook(world: World, draft: Assessment) -> None:
    response = upload(world, draft, b"not excel", name="x.xlsx")
    assert response.status_code == 422 and "不是有效的 Excel" in response.content.decode()


def test_it_applies_nothing_when_a_rating_changed_after_the_preview(world: World, draft: Assessment) -> None:
    response = upload(world, draft, filled_workbook("smelting", lambda rid, row: "大部分满足"))
    pending = WorkbookImport.objects.get()
    first = pending.changes[0]["requirement_id"]
    set_rating(
        assessment=draft,
        actor=world.users["ent_member"],
        requirement_id=first,
        value=RatingValue.NONE,
        expected_version=0,
    )
    applied = world.client("ent_admin").post(response.url)
    assert applied.status_code == 409 and "导入未执行" in applied.content.decode()
    assert RatingRecord.objects.filter(assessment=draft).count() == 1
    pending.refresh_from_db()
    assert pending.state == ImportState.PENDING


def test_it_keeps_platform_ratings_for_rows_left_blank(world: World, draft: Assessment) -> None:
    response = upload(
        world, draft, filled_workbook("smelting", lambda rid, row: "全部满足" if row < 12 else None)
    )
    pending = WorkbookImport.objects.get()
    assert len(pending.changes) == 10 and pending.blank == draft.requirement_count - 10
    world.client("ent_admin").post(response.url)
    assert RatingRecord.objects.filter(assessment=draft).count() == 10


def test_the_downloaded_workbook_carries_the_ratings_given_so_far(world: World, draft: Assessment) -> None:
    from io import BytesIO

    from nfmaturity.scoring.ratings import Rating
    from nfmaturity.workbook.xlsx import read_workbook

    first, second = "nfdt:2024:common:组织建设:S1:1", "nfdt:2024:common:组织建设:S1:2"
    user = world.users["ent_admin"]
    set_rating(
        assessment=draft, actor=user, requirement_id=first, value=RatingValue.MOSTLY, expected_version=0
    )
    set_rating(
        assessment=draft,
        actor=user,
        requirement_id=second,
        value=RatingValue.NOT_APPLICABLE,
        expected_version=0,
        reason="本厂无此业务",
        note="见附件",
    )
    response = world.client("ent_member").get(f"/assessments/{draft.pk}/import/?download=1")
    assert response.status_code == 200 and response["Content-Type"] == XLSX
    rows = {r.requirement_id: r for r in read_workbook(BytesIO(response.content)).rows}
    assert rows[first].rating == Rating.MOSTLY
    assert (rows[second].rating, rows[second].na_reason, rows[second].note) == (
        Rating.NOT_APPLICABLE,
        "本厂无此业务",
        "见附件",
    )
    assert sum(1 for r in rows.values() if r.rating is not None) == 2
    # Uploading it back changes nothing: the platform already holds these ratings.
    upload(world, draft, response.content)
    assert WorkbookImport.objects.get().changes == []
