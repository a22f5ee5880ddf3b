"""Importing a filled offline workbook, in three short steps.

1. ``read_upload`` parses the file **outside any transaction**: parsing a large or crafted file takes time,
   and a write transaction held meanwhile would block every other user's save (on SQLite, the whole
   database).
2. ``preview_workbook`` compares the parsed rows with the platform's ratings in one short transaction and
   stores what importing would change. A row whose platform rating changed after the workbook was
   downloaded is a *conflict*: it is kept apart, and by default the platform's newer value is kept.
3. ``apply_workbook_import`` writes the previewed changes and the conflicts the user chose to take from the
   workbook, all or nothing, with a constant number of bulk statements whatever the row count.

The merge rules (blank cells, conflicts, the bulk writes) are ``workbook_merge``'s, shared with the experts'
field workbook; what is this import's own is which workbook belongs here, the locks and the audit actions.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Collection
from dataclasses import dataclass
from functools import partial
from io import BytesIO
from pathlib import PurePath

from django.contrib.auth.models import User
from django.core.files.uploadedfile import UploadedFile
from django.db import connection, transaction
from django.utils import timezone

from nfmaturity.assessments import workbook_merge as merging
from nfmaturity.assessments.catalogs import SectorView, sector_view
from nfmaturity.assessments.errors import AssessmentError, WorkbookRejectedError
from nfmaturity.assessments.models import (
    Assessment,
    ImportState,
    RatingRecord,
    WorkbookImport,
)
from nfmaturity.assessments.services import lock_for_writing
from nfmaturity.audit.models import AuditAction
from nfmaturity.audit.services import record_events
from nfmaturity.workbook.limits import WORKBOOK_MAX_BYTES
from nfmaturity.workbook.xlsx import FilledWorkbook, WorkbookError, read_workbook


class WorkbookTooLargeError(AssessmentError):
    def __init__(self, size: int) -> None:
        super().__init__(
            f"文件大小 {size / 1024 / 1024:.1f} MB，超过离线评估表的上限 {WORKBOOK_MAX_BYTES // 1024 // 1024} MB，"
            "未导入任何评分。请上传从本次自评估下载、在 Excel/WPS 中填写的 .xlsx 工作簿。"
        )


@dataclass(frozen=True)
class ParsedUpload:
    """An uploaded workbook, read and checked, not yet compared with the platform."""

    filename: str
    sha256: str
    workbook: FilledWorkbook


def read_upload(upload: UploadedFile[bytes]) -> ParsedUpload:
    """Parse an uploaded workbook. Never call this inside a transaction (see the module docstring)."""
    size = upload.size or 0
    if size > WORKBOOK_MAX_BYTES:
        raise WorkbookTooLargeError(size)
    data = upload.read(WORKBOOK_MAX_BYTES + 1)
    if len(data) > WORKBOOK_MAX_BYTES:
        raise WorkbookTooLargeError(len(data))
    name = PurePath(upload.name or "workbook.xlsx").name[-200:]
    try:
        filled = read_workbook(BytesIO(data), name=name)
    except WorkbookError as exc:
        raise WorkbookRejectedError(list(exc.problems)) from None
    return ParsedUpload(filename=name, sha256=hashlib.sha256(data).hexdigest(), workbook=filled)


def _check_belongs(assessment: Assessment, view: SectorView, filled: FilledWorkbook) -> None:
    """A workbook of another assessment, sector or standard version is refused in one sentence."""
    if filled.assessment_id is not None and filled.assessment_id != assessment.pk:
        raise AssessmentError(
            f"这份工作簿属于另一次自评估（编号 {filled.assessment_id}），未导入任何评分。"
            f"请从本次自评估（编号 {assessment.pk}）下载离线评估表后填写。"
        )
    if filled.code != view.catalog.code or filled.version != assessment.catalog_version:
        raise AssessmentError(
            f"这份工作簿按标准版本“{filled.code} {filled.version}”导出，本次自评估使用“{view.catalog.code} "
            f"{assessment.catalog_version}”，未导入任何评分。请从本次自评估下载离线评估表后填写。"
        )
    if filled.sector.value != assessment.sector:
        raise AssessmentError(
            f"这份工作簿是“{filled.sector.label}”评估表，本次自评估的评估环节是“{assessment.get_sector_display()}”，"
            "未导入任何评分。请从本次自评估下载离线评估表后填写。"
        )
    unknown = [row for row in filled.rows if row.requirement_id not in view.requirements]
    if unknown:
        raise WorkbookRejectedError(
            [
                f"{row.place or f'第{row.row_number}行'}：该行的要求编号不在本次自评估的评分标准中（可能被改动过）"
                for row in unknown
            ]
        )


def _who(record: RatingRecord) -> str:
    return record.updated_by.get_full_name() or record.updated_by.get_username()


def preview_workbook(*, assessment: Assessment, actor: User, parsed: ParsedUpload) -> WorkbookImport:
    """Record what importing a parsed workbook would change; nothing is rated yet."""
    view = sector_view(assessment.catalog_version, assessment.sector)
    _check_belongs(assessment, view, parsed.workbook)
    with transaction.atomic():
        # The lock makes the versions read below one consistent snapshot of a draft assessment.
        locked = lock_for_writing(actor, assessment)
        current = {
            r.requirement_id: r
            for r in RatingRecord.objects.filter(assessment=locked).select_related("updated_by")
        }
        filled = parsed.workbook
        # A workbook without per-row versions is an old format: its export time tells what it saw.
        diff = merging.compare(view, filled, current, since=filled.exported_at, who=_who)
        return merging.store_preview(
            assessment_id=locked.pk,
            filename=parsed.filename,
            sha256=parsed.sha256,
            filled=filled,
            diff=diff,
            actor=actor,
        )


def lift_sqlite_parameter_cap() -> None:
    """Let one bulk statement carry a whole sector on SQLite.

    Django 5.2 assumes SQLite's old compile-time limit of 999 parameters per statement and splits bulk
    writes into batches of ~99 rows, so the query count would grow with the row count. The real limit is
    read from the connection (32 766 by default since SQLite 3.32, 250 000 in Debian's build), as later
    Django versions do.
    """
    if connection.vendor != "sqlite":
        return
    connection.ensure_connection()
    raw = connection.connection
    limit = raw.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    if limit > connection.features.max_query_params:
        connection.features.max_query_params = limit


def apply_workbook_import(
    *, workbook_import: WorkbookImport, actor: User, take_workbook: Collection[str] = ()
) -> int:
    """Write the previewed changes and the conflicts named in ``take_workbook`` (requirement ids), or none.

    If any rating to be written changed since the preview, nothing is written. Returns the number written.
    """
    lift_sqlite_parameter_cap()
    with transaction.atomic():
        # Lock order as every write (see services): the assessment first, then what hangs off it.
        assessment = lock_for_writing(actor, workbook_import.assessment_id)
        locked = WorkbookImport.objects.select_for_update().get(pk=workbook_import.pk)
        if locked.state != ImportState.PENDING:
            raise AssessmentError("该工作簿已导入过，请勿重复导入")
        view = sector_view(assessment.catalog_version, assessment.sector)
        todo = merging.plan(locked, take_workbook)
        current = {
            r.requirement_id: r
            # ``of=("self",)``: lock the ratings, not the users joined to name who changed them.
            for r in RatingRecord.objects.select_for_update(of=("self",))
            .select_related("updated_by")
            .filter(assessment=assessment)
        }
        stale = merging.stale(todo.writes, current)
        if stale:
            record = current.get(stale[0]["requirement_id"])
            by = f"已被 {_who(record)} " if record is not None else "已被他人"
            raise AssessmentError(merging.stale_message(stale, by))
        now = timezone.now()

        merged = merging.merge(
            todo.writes, current, view, partial(RatingRecord, assessment=assessment, updated_by=actor)
        )
        RatingRecord.objects.bulk_create(merged.created)
        merging.update_ratings(
            RatingRecord,
            merged.updated,
            also="updated_by_id = %s, updated_at = %s",
            params=[actor.pk, connection.ops.adapt_datetimefield_value(now)],
        )
        events = merging.rating_events(AuditAction.RATING_CHANGED, merged, assessment_id=assessment.pk)
        events.append(merging.import_event(AuditAction.WORKBOOK_IMPORTED, assessment, locked, todo))
        record_events(actor=actor, events=events, organisation_id=assessment.enterprise.organisation_id)
        merging.mark_applied(locked, now)
    return len(todo.writes)
