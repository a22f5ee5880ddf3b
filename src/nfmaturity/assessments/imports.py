"""Importing a filled offline workbook: parse and preview (nothing rated), then apply all or nothing."""

from __future__ import annotations

import hashlib
from io import BytesIO
from pathlib import PurePath

from django.contrib.auth.models import AbstractBaseUser
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from nfmaturity.assessments.catalogs import sector_view
from nfmaturity.assessments.errors import AssessmentError, StaleRatingError, WorkbookRejectedError
from nfmaturity.assessments.models import (
    Assessment,
    ImportState,
    RatingRecord,
    RatingValue,
    WorkbookImport,
)
from nfmaturity.assessments.services import _require_draft, set_rating
from nfmaturity.audit.models import AuditAction
from nfmaturity.audit.services import record_event
from nfmaturity.workbook.xlsx import FilledWorkbook, WorkbookError, read_workbook


def _row_changes(assessment: Assessment, filled: FilledWorkbook) -> tuple[list[dict[str, object]], int, int]:
    current = {r.requirement_id: r for r in RatingRecord.objects.filter(assessment=assessment)}
    view = sector_view(assessment.catalog_version, assessment.sector)
    changes: list[dict[str, object]] = []
    unchanged = blank = 0
    for row in filled.rows:
        if row.rating is None:
            blank += 1
            continue
        value = RatingValue(row.rating.value)
        reason = row.na_reason if value == RatingValue.NOT_APPLICABLE else ""
        old = current.get(row.requirement_id)
        if old is not None and (old.value, old.reason, old.note) == (value, reason, row.note):
            unchanged += 1
            continue
        requirement = view.requirements[row.requirement_id]
        changes.append(
            {
                "row_number": row.row_number,
                "requirement_id": row.requirement_id,
                "row_name": view.rows[view.row_index[requirement.row]].name,
                "level": int(requirement.level),
                "number": requirement.number,
                "value": value.value,
                "reason": reason,
                "note": row.note,
                "old_value": old.value if old else None,
                "old_version": old.version if old else 0,
            }
        )
    return changes, unchanged, blank


@transaction.atomic
def preview_workbook(
    *, assessment: Assessment, actor: AbstractBaseUser, upload: UploadedFile
) -> WorkbookImport:
    """Read a filled offline workbook and record what importing it would change; nothing is rated yet."""
    assessment = Assessment.objects.get(pk=assessment.pk)
    _require_draft(assessment)
    data = upload.read()
    name = PurePath(upload.name or "workbook.xlsx").name
    try:
        filled = read_workbook(BytesIO(data), name=name)
    except WorkbookError as exc:
        raise WorkbookRejectedError(list(exc.problems)) from None
    view = sector_view(assessment.catalog_version, assessment.sector)
    problems = []
    if filled.version != assessment.catalog_version or filled.code != view.catalog.code:
        problems.append(
            f"工作簿对应标准版本“{filled.code} {filled.version}”，本次自评估使用“{view.catalog.code} "
            f"{assessment.catalog_version}”，请下载本次自评估的离线评估表重新填写"
        )
    if filled.sector.value != assessment.sector:
        problems.append(
            f"工作簿是“{filled.sector.label}”评估表，本次自评估的环节是“{assessment.get_sector_display()}”"
        )
    for row in filled.rows:
        if row.requirement_id not in view.requirements:
            problems.append(f"第{row.row_number}行：要求编号 {row.requirement_id} 不在本次自评估的评分标准中")
    if problems:
        raise WorkbookRejectedError(problems)
    changes, unchanged, blank = _row_changes(assessment, filled)
    return WorkbookImport.objects.create(
        assessment=assessment,
        filename=name,
        sha256=hashlib.sha256(data).hexdigest(),
        changes=changes,
        unchanged=unchanged,
        blank=blank,
        uploaded_by=actor,
    )


@transaction.atomic
def apply_workbook_import(*, workbook_import: WorkbookImport, actor: AbstractBaseUser) -> int:
    """Apply every previewed change, or none: if any rating changed since the preview, nothing is written."""
    locked = (
        WorkbookImport.objects.select_for_update().select_related("assessment").get(pk=workbook_import.pk)
    )
    if locked.state != ImportState.PENDING:
        raise AssessmentError("该导入已执行过，请勿重复导入")
    assessment = locked.assessment
    _require_draft(assessment)
    for change in locked.changes:
        try:
            set_rating(
                assessment=assessment,
                actor=actor,
                requirement_id=str(change["requirement_id"]),
                value=RatingValue(change["value"]),
                expected_version=int(change["old_version"]),
                reason=str(change["reason"]),
                note=str(change["note"]),
            )
        except StaleRatingError:
            raise AssessmentError(
                f"导入未执行：第{change['row_number']}行的要求在预览之后已被他人修改。请重新上传工作簿，核对后再导入。"
            ) from None
    locked.state = ImportState.APPLIED
    locked.applied_at = timezone.now()
    locked.save(update_fields=["state", "applied_at"])
    record_event(
        actor=actor,
        action=AuditAction.WORKBOOK_IMPORTED,
        obj=assessment,
        organisation_id=assessment.enterprise.organisation_id,
        new={"file": locked.filename, "sha256": locked.sha256, "changed": len(locked.changes)},
    )
    return len(locked.changes)
