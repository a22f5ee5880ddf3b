"""Writes to self-assessments; one function per action, each in a transaction with its audit events."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from nfmaturity.assessments.catalogs import current_version, sector_view
from nfmaturity.assessments.errors import (
    AssessmentError,
    AssessmentLockedError,
    StaleRatingError,
)
from nfmaturity.assessments.evidence import check_upload
from nfmaturity.assessments.models import (
    Assessment,
    AssessmentState,
    Attachment,
    RatingRecord,
    RatingValue,
    Result,
)
from nfmaturity.assessments.results import compute, stored_fields
from nfmaturity.audit.models import AuditAction
from nfmaturity.audit.services import record_event
from nfmaturity.catalog.loader import content_hash
from nfmaturity.enterprises.models import Enterprise, SectorChoice, Unit
from nfmaturity.scoring.errors import ScoringError, UnratedRequirementError

NA_REASON_REQUIRED = "选择“不适用”时必须填写理由"


@transaction.atomic
def start_self_assessment(
    *, enterprise: Enterprise, actor: AbstractBaseUser, sector: SectorChoice, unit: Unit | None = None
) -> Assessment:
    if unit is not None and unit.enterprise_id != enterprise.pk:
        raise AssessmentError("所选评估单元不属于本企业")
    version = current_version()
    view = sector_view(version, sector)
    assessment = Assessment.objects.create(
        enterprise=enterprise,
        unit=unit,
        sector=sector,
        catalog_version=version,
        catalog_hash=content_hash(version),
        requirement_count=view.requirement_count,
        created_by=actor,
    )
    record_event(
        actor=actor,
        action=AuditAction.ASSESSMENT_STARTED,
        obj=assessment,
        organisation_id=enterprise.organisation_id,
        new={"sector": sector, "unit": unit.name if unit else None, "catalog_version": version},
    )
    return assessment


def _require_draft(assessment: Assessment) -> None:
    if assessment.state != AssessmentState.DRAFT:
        raise AssessmentLockedError


def _state(record: RatingRecord | None) -> dict[str, str] | None:
    if record is None:
        return None
    return {"value": record.value, "reason": record.reason, "note": record.note}


@transaction.atomic
def set_rating(
    *,
    assessment: Assessment,
    actor: AbstractBaseUser,
    requirement_id: str,
    value: RatingValue,
    expected_version: int,
    reason: str = "",
    note: str = "",
) -> RatingRecord:
    """Rate one requirement, refusing the write if the rating changed since the user saw ``expected_version``
    (0 = "I saw no rating")."""
    # Re-read the state inside the transaction: a submit may have happened since the page loaded.
    assessment = Assessment.objects.get(pk=assessment.pk)
    _require_draft(assessment)
    requirement = sector_view(assessment.catalog_version, assessment.sector).requirements.get(requirement_id)
    if requirement is None:
        raise AssessmentError("评估标准中没有该要求")
    reason = reason.strip() if value == RatingValue.NOT_APPLICABLE else ""
    if value == RatingValue.NOT_APPLICABLE and not reason:
        raise AssessmentError(NA_REASON_REQUIRED)
    note = note.strip()
    current = RatingRecord.objects.filter(assessment=assessment, requirement_id=requirement_id).first()
    if current is None:
        if expected_version != 0:
            raise StaleRatingError(None)
        try:
            with transaction.atomic():
                record = RatingRecord.objects.create(
                    assessment=assessment,
                    requirement_id=requirement_id,
                    row_id=requirement.row,
                    level=int(requirement.level),
                    value=value,
                    reason=reason,
                    note=note,
                    updated_by=actor,
                )
        except IntegrityError:
            # Someone else created it between our read and our insert.
            raise StaleRatingError(_fresh(assessment, requirement_id)) from None
        old = None
    else:
        if current.version != expected_version:
            raise StaleRatingError(current)
        if (current.value, current.reason, current.note) == (value, reason, note):
            return current
        updated = RatingRecord.objects.filter(pk=current.pk, version=expected_version).update(
            value=value,
            reason=reason,
            note=note,
            version=F("version") + 1,
            updated_by=actor,
            updated_at=timezone.now(),
        )
        if updated == 0:
            raise StaleRatingError(_fresh(assessment, requirement_id))
        old = _state(current)
        record = RatingRecord.objects.select_related("updated_by").get(pk=current.pk)
    record_event(
        actor=actor,
        action=AuditAction.RATING_CHANGED,
        obj=record,
        organisation_id=assessment.enterprise.organisation_id,
        old=old,
        new={**(_state(record) or {}), "requirement_id": requirement_id, "assessment_id": assessment.pk},
    )
    return record


def _fresh(assessment: Assessment, requirement_id: str) -> RatingRecord | None:
    return (
        RatingRecord.objects.select_related("updated_by")
        .filter(assessment=assessment, requirement_id=requirement_id)
        .first()
    )


@transaction.atomic
def add_attachment(
    *, assessment: Assessment, actor: AbstractBaseUser, requirement_id: str, upload: UploadedFile
) -> Attachment:
    assessment = Assessment.objects.get(pk=assessment.pk)
    _require_draft(assessment)
    if requirement_id not in sector_view(assessment.catalog_version, assessment.sector).requirements:
        raise AssessmentError("评估标准中没有该要求")
    checked = check_upload(upload)
    attachment = Attachment(
        assessment=assessment,
        requirement_id=requirement_id,
        original_name=checked.name,
        extension=checked.extension,
        content_type=checked.content_type,
        size=checked.size,
        sha256=checked.sha256,
        uploaded_by=actor,
    )
    # The file is written before the row commits; a rollback leaves at worst an unreferenced file named by
    # its own SHA-256, never a row pointing at a missing file.
    attachment.file.save(checked.name, upload, save=False)
    attachment.save()
    record_event(
        actor=actor,
        action=AuditAction.ATTACHMENT_ADDED,
        obj=attachment,
        organisation_id=assessment.enterprise.organisation_id,
        new={
            "requirement_id": requirement_id,
            "name": checked.name,
            "sha256": checked.sha256,
            "size": checked.size,
        },
    )
    return attachment


@transaction.atomic
def submit_assessment(*, assessment: Assessment, actor: AbstractBaseUser) -> Result:
    """Score the complete questionnaire with the engine, store the result and lock the assessment."""
    # Lock the row: two people pressing 提交 at once must not store two results.
    assessment = Assessment.objects.select_for_update().select_related("enterprise").get(pk=assessment.pk)
    _require_draft(assessment)
    try:
        outcome = compute(assessment, allow_unrated=False)
    except UnratedRequirementError as exc:
        raise AssessmentError(f"还有 {len(exc.ids)} 项要求未评分，全部评分后才能提交") from None
    except ScoringError as exc:
        raise AssessmentError(str(exc)) from None
    result = Result.objects.create(
        assessment=assessment, version=1, catalog_hash=assessment.catalog_hash, **stored_fields(outcome)
    )
    assessment.state = AssessmentState.SUBMITTED
    assessment.submitted_at = timezone.now()
    assessment.submitted_by = actor
    assessment.save(update_fields=["state", "submitted_at", "submitted_by"])
    record_event(
        actor=actor,
        action=AuditAction.ASSESSMENT_SUBMITTED,
        obj=assessment,
        organisation_id=assessment.enterprise.organisation_id,
        old={"state": AssessmentState.DRAFT},
        new={"state": AssessmentState.SUBMITTED, "total": result.total, "grade": result.grade},
    )
    return result
