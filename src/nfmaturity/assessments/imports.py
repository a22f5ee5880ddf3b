"""Importing a filled offline workbook, in three short steps.

1. ``read_upload`` parses the file **outside any transaction**: parsing a large or crafted file takes time,
   and a write transaction held meanwhile would block every other user's save (on SQLite, the whole
   database).
2. ``preview_workbook`` compares the parsed rows with the platform's ratings in one short transaction and
   stores what importing would change. A row whose platform rating changed after the workbook was
   downloaded is a *conflict*: it is kept apart, and by default the platform's newer value is kept.
3. ``apply_workbook_import`` writes the previewed changes and the conflicts the user chose to take from the
   workbook, all or nothing, with a constant number of bulk statements whatever the row count.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime
from io import BytesIO
from pathlib import PurePath
from typing import Any

from django.contrib.auth.models import User
from django.core.files.uploadedfile import UploadedFile
from django.db import connection, transaction
from django.utils import timezone

from nfmaturity.assessments.catalogs import SectorView, sector_view
from nfmaturity.assessments.errors import AssessmentError, WorkbookRejectedError
from nfmaturity.assessments.models import (
    Assessment,
    ImportState,
    RatingRecord,
    RatingValue,
    WorkbookImport,
)
from nfmaturity.assessments.selectors import requirement_label
from nfmaturity.assessments.services import lock_for_writing
from nfmaturity.audit.models import AuditAction
from nfmaturity.audit.services import EventSpec, record_events
from nfmaturity.workbook.limits import WORKBOOK_MAX_BYTES
from nfmaturity.workbook.xlsx import FilledRow, FilledWorkbook, WorkbookError, read_workbook


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


@dataclass(frozen=True)
class _Diff:
    changes: list[dict[str, Any]]
    conflicts: list[dict[str, Any]]
    unchanged: int
    blank: int


def _conflicting(row: FilledRow, old: RatingRecord | None, exported_at: datetime | None) -> bool:
    """Did the platform rating change after the workbook was downloaded? (Only asked of rows that differ.)"""
    if row.version is not None:
        return (old.version if old else 0) != row.version
    # An old-format workbook carries no per-row versions: fall back on the export time, or, without one,
    # treat every existing rating it would change as a conflict (the preview says why).
    if old is None:
        return False
    return exported_at is None or old.updated_at > exported_at


def _compare(view: SectorView, filled: FilledWorkbook, current: Mapping[str, RatingRecord]) -> _Diff:
    changes: list[dict[str, Any]] = []
    conflicts: list[dict[str, Any]] = []
    unchanged = blank = 0
    for row in filled.rows:
        old = current.get(row.requirement_id)
        if row.rating is None and old is None:
            blank += 1
            continue
        # A blank cell never erases: no rating keeps the platform's, no note or reason keeps the old text.
        value = RatingValue(row.rating.value) if row.rating is not None else RatingValue(old.value)  # type: ignore[union-attr]
        reason = ""
        if value == RatingValue.NOT_APPLICABLE:
            reason = row.na_reason or (old.reason if old else "")
        note = row.note or (old.note if old else "")
        if old is not None and (old.value, old.reason, old.note) == (value, reason, note):
            if row.rating is None:
                blank += 1
            else:
                unchanged += 1
            continue
        entry: dict[str, Any] = {
            "row_number": row.row_number,
            "requirement_id": row.requirement_id,
            "label": requirement_label(view, row.requirement_id),
            "value": value.value,
            "reason": reason,
            "note": note,
            "old_value": old.value if old else None,
            "old_reason": old.reason if old else "",
            "old_note": old.note if old else "",
            "old_version": old.version if old else 0,
        }
        if _conflicting(row, old, filled.exported_at):
            entry["workbook_version"] = row.version
            entry["updated_by"] = _who(old) if old else ""
            entry["updated_at"] = old.updated_at.isoformat() if old else ""
            conflicts.append(entry)
        else:
            changes.append(entry)
    return _Diff(changes, conflicts, unchanged, blank)


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
        diff = _compare(view, parsed.workbook, current)
        return WorkbookImport.objects.create(
            assessment=locked,
            filename=parsed.filename,
            sha256=parsed.sha256,
            changes=diff.changes,
            conflicts=diff.conflicts,
            exported_at=parsed.workbook.exported_at,
            unchanged=diff.unchanged,
            blank=diff.blank,
            uploaded_by=actor,
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


def _state(value: str, reason: str, note: str) -> dict[str, str]:
    # The same shape as services.set_rating's audit rows.
    return {"value": value, "reason": reason, "note": note}


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
        taken = [c for c in locked.conflicts if c["requirement_id"] in take_workbook]
        writes = sorted([*locked.changes, *taken], key=lambda c: int(c["row_number"]))
        current = {
            r.requirement_id: r
            # ``of=("self",)``: lock the ratings, not the users joined to name who changed them.
            for r in RatingRecord.objects.select_for_update(of=("self",))
            .select_related("updated_by")
            .filter(assessment=assessment)
        }
        stale = [w for w in writes if _version(current.get(w["requirement_id"])) != w["old_version"]]
        if stale:
            raise AssessmentError(_stale_message(stale, current))
        now = timezone.now()
        created: list[RatingRecord] = []
        updated: list[RatingRecord] = []
        olds: dict[str, dict[str, str] | None] = {}
        for w in writes:
            record = current.get(w["requirement_id"])
            if record is None:
                requirement = view.requirements[w["requirement_id"]]
                record = RatingRecord(
                    assessment=assessment,
                    requirement_id=w["requirement_id"],
                    row_id=requirement.row,
                    level=int(requirement.level),
                    updated_by=actor,
                )
                created.append(record)
                olds[w["requirement_id"]] = None
            else:
                olds[w["requirement_id"]] = _state(record.value, record.reason, record.note)
                updated.append(record)
            record.value, record.reason, record.note = w["value"], w["reason"], w["note"]
        RatingRecord.objects.bulk_create(created)
        _update_ratings(updated, actor, now)
        events = [
            EventSpec(
                action=AuditAction.RATING_CHANGED,
                obj=record,
                old=olds[record.requirement_id],
                new={
                    **_state(record.value, record.reason, record.note),
                    "requirement_id": record.requirement_id,
                    "assessment_id": assessment.pk,
                },
            )
            for record in [*created, *updated]
        ]
        events.append(
            EventSpec(
                action=AuditAction.WORKBOOK_IMPORTED,
                obj=assessment,
                new={
                    "file": locked.filename,
                    "sha256": locked.sha256,
                    "changed": len(writes),
                    "conflicts_from_workbook": len(taken),
                    "conflicts_kept_platform": len(locked.conflicts) - len(taken),
                },
            )
        )
        record_events(actor=actor, events=events, organisation_id=assessment.enterprise.organisation_id)
        WorkbookImport.objects.filter(pk=locked.pk).update(state=ImportState.APPLIED, applied_at=now)
    return len(writes)


def _update_ratings(records: list[RatingRecord], actor: User, now: datetime) -> None:
    """One UPDATE … FROM (VALUES …) for every changed rating, each version raised by one.

    Django's ``bulk_update`` builds one CASE branch per row and field and spends over a second in Python
    on 722 rows; this statement runs in milliseconds on PostgreSQL and SQLite (3.33+) alike. The caller
    holds the locks, so the versions it read are the ones raised here.
    """
    if not records:
        return
    table = connection.ops.quote_name(RatingRecord._meta.db_table)
    values = ", ".join(["(CAST(%s AS BIGINT), %s, %s, %s)"] * len(records))
    params: list[Any] = [actor.pk, connection.ops.adapt_datetimefield_value(now)]
    for r in records:
        params += [r.pk, r.value, r.reason, r.note]
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET value = v.column2, reason = v.column3, note = v.column4, "
            f"version = {table}.version + 1, updated_by_id = %s, updated_at = %s "
            f"FROM (VALUES {values}) AS v WHERE {table}.id = v.column1",
            params,
        )


def _version(record: RatingRecord | None) -> int:
    return record.version if record is not None else 0


def _stale_message(stale: list[dict[str, Any]], current: Mapping[str, RatingRecord]) -> str:
    first = stale[0]
    record = current.get(first["requirement_id"])
    who = f"已被 {_who(record)} " if record is not None else "已被他人"
    more = f"等 {len(stale)} 项要求" if len(stale) > 1 else ""
    return (
        f"导入未执行：{first.get('label', '')}（工作簿第{first['row_number']}行）{more}的评分在预览之后{who}修改，"
        "未写入任何评分。请重新上传工作簿，核对后再导入。"
    )
