"""Offline workbook import: preview, all-or-nothing bulk apply, one-sentence refusals, parsing outside any
transaction, the upload size cap."""

from __future__ import annotations

import time
from io import BytesIO
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from openpyxl import load_workbook

from nfmaturity.assessments import imports, views_import
from nfmaturity.assessments.catalogs import sector_view
from nfmaturity.assessments.models import Assessment, ImportState, RatingRecord, RatingValue, WorkbookImport
from nfmaturity.assessments.services import set_rating, start_self_assessment
from nfmaturity.audit.models import AuditAction, AuditEvent
from nfmaturity.enterprises.models import SectorChoice
from nfmaturity.workbook.xlsx import META_SHEET

from .conftest import World
from .workbooks import filled_workbook

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Applying a previewed import, whatever its size: savepoint, lock the assessment, lock the import, read the
# ratings, one INSERT of new ratings, one UPDATE of changed ones, one INSERT of audit rows, mark applied,
# release.
APPLY_QUERIES = 9


def upload(world: World, assessment: Assessment, data: bytes, name: str = "填好的.xlsx"):  # type: ignore[no-untyped-def]
    return world.client("ent_admin").post(
        f"/assessments/{assessment.pk}/import/", {"file": SimpleUploadedFile(name, data, content_type=XLSX)}
    )


def alert(response: Any) -> str:
    body: str = response.content.decode()
    return body.split('class="alert alert-danger"', 1)[1].split("</div>", 1)[0]


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
    events = AuditEvent.objects.filter(action=AuditAction.RATING_CHANGED)
    assert events.count() == draft.requirement_count
    one = events.get(new__requirement_id="nfdt:2024:common:组织建设:S1:1")
    assert one.old is None and one.new == {
        "value": "0.5",
        "reason": "",
        "note": "",
        "requirement_id": "nfdt:2024:common:组织建设:S1:1",
        "assessment_id": draft.pk,
    }
    assert one.actor == world.users["ent_admin"] and one.organisation_id == world.enterprise.organisation_id
    assert AuditEvent.objects.filter(action=AuditAction.WORKBOOK_IMPORTED).count() == 1
    assert world.client("ent_admin").post(response.url).status_code == 409  # applying twice is refused


def _existing(world: World, draft: Assessment, rids: list[str]) -> None:
    view = sector_view(draft.catalog_version, draft.sector)
    RatingRecord.objects.bulk_create(
        RatingRecord(
            assessment=draft,
            requirement_id=rid,
            row_id=view.requirements[rid].row,
            level=int(view.requirements[rid].level),
            value=RatingValue.MOSTLY,
            note="旧说明",
            updated_by=world.users["ent_member"],
        )
        for rid in rids
    )


@pytest.mark.parametrize("rows", [5, 722], ids=["5-rows", "722-rows"])
def test_applying_takes_the_same_few_queries_for_5_or_722_rows(
    world: World, draft: Assessment, rows: int, django_assert_num_queries: Any
) -> None:
    view = sector_view(draft.catalog_version, draft.sector)
    rids = list(view.requirements)
    _existing(world, draft, rids[:2])  # so both the INSERT and the UPDATE path run
    data = filled_workbook("smelting", lambda rid, row: "全部满足" if row < rows + 2 else None)
    parsed = imports.read_upload(SimpleUploadedFile("w.xlsx", data))
    pending = imports.preview_workbook(assessment=draft, actor=world.users["ent_admin"], parsed=parsed)
    assert len(pending.changes) == rows
    started = time.perf_counter()
    with django_assert_num_queries(APPLY_QUERIES):
        imports.apply_workbook_import(workbook_import=pending, actor=world.users["ent_admin"])
    elapsed = time.perf_counter() - started
    assert elapsed < 1.0, f"{rows} 行导入耗时 {elapsed:.3f} s"
    assert RatingRecord.objects.filter(assessment=draft, value=RatingValue.FULL).count() == rows
    updated = RatingRecord.objects.get(assessment=draft, requirement_id=rids[0])
    assert (updated.version, updated.note, updated.updated_by) == (2, "旧说明", world.users["ent_admin"])
    assert AuditEvent.objects.filter(action=AuditAction.RATING_CHANGED).count() == rows


def test_it_lists_bad_rows_in_chinese_and_imports_nothing(world: World, draft: Assessment) -> None:
    data = filled_workbook("smelting", lambda rid, row: "很好" if row in (5, 9) else "全部满足")
    response = upload(world, draft, data)
    body = response.content.decode()
    assert response.status_code == 422
    assert "第5行" in body and "第9行" in body and "无法识别的评分" in body and "未导入任何评分" in body
    assert "nfdt:" not in alert(response)
    assert not WorkbookImport.objects.exists() and not RatingRecord.objects.exists()


def _with_meta(data: bytes, **meta: str) -> bytes:
    wb = load_workbook(BytesIO(data))
    ws = wb[META_SHEET]
    for line in range(1, ws.max_row + 1):
        if ws.cell(line, 1).value in meta:
            ws.cell(line, 2).value = meta[str(ws.cell(line, 1).value)]
    out = BytesIO()
    wb.save(out)
    return out.getvalue()


@pytest.mark.parametrize("kind", ["assessment", "sector", "version"])
def test_a_workbook_of_another_assessment_sector_or_version_is_refused_in_one_sentence(
    world: World, draft: Assessment, kind: str
) -> None:
    target = draft
    if kind == "assessment":
        data = world.client("ent_admin").get(f"/assessments/{draft.pk}/import/?download=1").content
        target = start_self_assessment(
            enterprise=world.enterprise, actor=world.users["ent_admin"], sector=SectorChoice.SMELTING
        )
        expected = f"这份工作簿属于另一次自评估（编号 {draft.pk}）"
    elif kind == "sector":
        data = filled_workbook("mining", lambda rid, row: "全部满足")
        expected = "这份工作簿是“采选”评估表，本次自评估的评估环节是“冶炼”"
    else:
        data = _with_meta(filled_workbook("smelting", lambda rid, row: "全部满足"), version="2023")
        expected = "标准版本"
    response = upload(world, target, data)
    assert response.status_code == 422
    message = alert(response)
    assert expected in message and "<li>" not in message and "未导入任何评分" in message
    assert 'name="file"' in response.content.decode()
    assert not WorkbookImport.objects.exists() and not RatingRecord.objects.exists()


def test_it_refuses_a_file_that_is_not_a_workbook(world: World, draft: Assessment) -> None:
    response = upload(world, draft, b"not excel", name="x.xlsx")
    message = alert(response)
    assert response.status_code == 422 and "Excel" in message and "未导入任何评分" in message
    assert "<li>" not in message  # a file-level problem is one sentence, not a list of one


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
    body = applied.content.decode()
    assert applied.status_code == 409 and "导入未执行" in body
    assert "组织建设 S1 第1条" in body and "ent_member" in body and "nfdt:" not in alert(applied)
    assert RatingRecord.objects.filter(assessment=draft).count() == 1
    assert not AuditEvent.objects.filter(action=AuditAction.WORKBOOK_IMPORTED).exists()
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


def test_the_downloaded_workbook_carries_the_ratings_their_versions_and_its_origin(
    world: World, draft: Assessment
) -> None:
    from nfmaturity.scoring.ratings import Rating
    from nfmaturity.workbook.xlsx import read_workbook

    first, second = "nfdt:2024:common:组织建设:S1:1", "nfdt:2024:common:组织建设:S1:2"
    user = world.users["ent_admin"]
    set_rating(
        assessment=draft, actor=user, requirement_id=first, value=RatingValue.PARTLY, expected_version=0
    )
    set_rating(
        assessment=draft, actor=user, requirement_id=first, value=RatingValue.MOSTLY, expected_version=1
    )
    set_rating(
        assessment=draft,
        actor=user,
        requirement_id=second,
        value=RatingValue.NOT_APPLICABLE,
        expected_version=0,
        reason="本厂无此业务",
        note="=见附件",
    )
    before = time.time()
    response = world.client("ent_member").get(f"/assessments/{draft.pk}/import/?download=1")
    assert response.status_code == 200 and response["Content-Type"] == XLSX
    filled = read_workbook(BytesIO(response.content))
    assert filled.assessment_id == draft.pk and filled.exported_at is not None
    assert before - 1 <= filled.exported_at.timestamp() <= time.time() + 1
    rows = {r.requirement_id: r for r in filled.rows}
    assert (rows[first].rating, rows[first].version) == (Rating.MOSTLY, 2)
    assert (rows[second].rating, rows[second].na_reason, rows[second].note, rows[second].version) == (
        Rating.NOT_APPLICABLE,
        "本厂无此业务",
        "=见附件",
        1,
    )
    assert sum(1 for r in rows.values() if r.rating is not None) == 2
    assert {r.version for r in rows.values() if r.rating is None} == {0}
    # Uploading it back changes nothing: the platform already holds these ratings.
    upload(world, draft, response.content)
    assert WorkbookImport.objects.get().changes == []


def test_the_workbook_is_parsed_outside_any_transaction(
    world: World, draft: Assessment, transactional_db: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Parsing a big or crafted file takes time; inside a write transaction it would block every other
    # user's save (on SQLite the whole database) for as long.
    assert connection.settings_dict["ATOMIC_REQUESTS"] is False
    seen: list[bool] = []
    real = imports.read_workbook

    def spy(*args: Any, **kwargs: Any) -> Any:
        seen.append(connection.in_atomic_block)
        return real(*args, **kwargs)

    monkeypatch.setattr(imports, "read_workbook", spy)
    response = upload(
        world, draft, filled_workbook("smelting", lambda rid, row: "全部满足" if row < 5 else None)
    )
    assert response.status_code == 302 and seen == [False]
    assert WorkbookImport.objects.count() == 1


def test_an_upload_over_the_size_cap_is_refused_before_it_is_parsed(
    world: World, draft: Assessment, monkeypatch: pytest.MonkeyPatch
) -> None:
    cap = 100 * 1024
    monkeypatch.setattr(views_import, "WORKBOOK_MAX_BYTES", cap)
    monkeypatch.setattr(imports, "WORKBOOK_MAX_BYTES", cap)
    parsed: list[object] = []
    monkeypatch.setattr(imports, "read_workbook", lambda *a, **k: parsed.append(a))
    # Far over: refused on the declared length, before the body is read. Just over: refused on the file's size.
    for size in (cap * 4, cap + 1):
        response = upload(world, draft, b"x" * size)
        assert response.status_code == 413, size
        assert "超过离线评估表的上限" in alert(response) and 'name="file"' in response.content.decode()
    assert parsed == [] and not WorkbookImport.objects.exists()
