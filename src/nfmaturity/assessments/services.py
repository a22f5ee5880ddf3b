"""Writes to self-assessments; one function per action, each in a short transaction with its audit events.

Lock order, the same in every write: the assessment row first (``lock_for_writing``), then what hangs off it.
So writes to one assessment (ratings, evidence, workbook import, withdrawal, submission) run one after another,
and a rating can never commit after the result was computed from the ratings. On SQLite the whole database is
written by one transaction at a time anyway (``BEGIN IMMEDIATE``); on PostgreSQL the row lock does it.
Slow work (checking and hashing an upload, writing the file) happens before the transaction opens.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth.models import User
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Count, F, FilteredRelation, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone

from nfmaturity.assessments.access import fillable_assessments, get_assessment_for_user
from nfmaturity.assessments.catalogs import current_version, sector_view
from nfmaturity.assessments.errors import (
    AssessmentError,
    AssessmentLockedError,
    StaleRatingError,
)
from nfmaturity.assessments.evidence import DuplicateEvidenceError, check_upload
from nfmaturity.assessments.models import (
    Assessment,
    AssessmentState,
    Attachment,
    RatingRecord,
    RatingValue,
    Result,
)
from nfmaturity.assessments.results import compute, latest_pointer, point_latest, store_result
from nfmaturity.assessments.selectors import requirement_label
from nfmaturity.audit.models import AuditAction
from nfmaturity.audit.services import record_event
from nfmaturity.catalog.loader import content_hash
from nfmaturity.enterprises.models import Enterprise, SectorChoice, Unit
from nfmaturity.scoring.errors import ScoringError, UnratedRequirementError

NA_REASON_REQUIRED = "选择“不适用”时必须填写理由"


@transaction.atomic
def start_self_assessment(
    *, enterprise: Enterprise, actor: User, sector: SectorChoice, unit: Unit | None = None
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


class AssessmentWithdrawnError(AssessmentLockedError):
    def __init__(self) -> None:
        AssessmentError.__init__(self, "该自评估已撤回，不能再修改评分或附件")


def _require_draft(assessment: Assessment) -> None:
    if assessment.state == AssessmentState.WITHDRAWN:
        raise AssessmentWithdrawnError
    if assessment.state != AssessmentState.DRAFT:
        raise AssessmentLockedError


def _lockable(actor: User) -> QuerySet[Assessment]:
    # ``of=("self",)``: lock the assessment row only, not the enterprise row joined for the audit event.
    return fillable_assessments(actor).select_for_update(of=("self",)).select_related("enterprise")


def _take(actor: User, pk: int, queryset: QuerySet[Assessment]) -> Assessment:
    locked = queryset.filter(pk=pk).first()
    if locked is None:
        # Not the actor's to fill: answer exactly as every page does (404 unseen, 403 seen but read-only).
        get_assessment_for_user(actor, pk, write=True)
        raise Http404
    _require_draft(locked)
    return locked


def _pk(assessment: Assessment | int) -> int:
    return assessment if isinstance(assessment, int) else assessment.pk


def lock_for_writing(actor: User, assessment: Assessment | int) -> Assessment:
    """Inside a transaction: the assessment, locked until commit, if ``actor`` may fill it and it is a draft.

    Every write starts here (see the module docstring). Raises Http404 / PermissionDenied as the access
    helper does, AssessmentLockedError when the assessment is no longer a draft.
    """
    return _take(actor, _pk(assessment), _lockable(actor))


def _state(record: RatingRecord | None) -> dict[str, str] | None:
    if record is None:
        return None
    return {"value": record.value, "reason": record.reason, "note": record.note}


def _rating_count(condition: Q) -> Coalesce:
    ratings = (
        RatingRecord.objects.filter(condition, assessment=OuterRef("pk"))
        .order_by()
        .values("assessment")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(ratings), 0)


@dataclass(frozen=True)
class SavedRating:
    """A rating as stored, with the progress it leaves (what the page shows after a save)."""

    assessment: Assessment  # as locked for the write, enterprise loaded
    record: RatingRecord  # updated_by loaded
    rated: int  # requirements rated in the assessment
    row_rated: int  # requirements rated in the requirement's sub-domain


def set_rating(
    *,
    assessment: Assessment | int,
    actor: User,
    requirement_id: str,
    value: RatingValue,
    expected_version: int,
    reason: str = "",
    note: str = "",
) -> SavedRating:
    """Rate one requirement, refusing the write if the rating changed since the user saw ``expected_version``
    (0 = "I saw no rating").

    ``assessment`` may be a bare primary key: the locking read checks that ``actor`` may fill it, so the
    rating click costs no separate access query. That read also brings the current rating and the progress
    counts (one statement), which keeps one save at 8 queries with session, user and membership.
    """
    value = RatingValue(value)
    reason = reason.strip() if value == RatingValue.NOT_APPLICABLE else ""
    if value == RatingValue.NOT_APPLICABLE and not reason:
        raise AssessmentError(NA_REASON_REQUIRED)
    note = note.strip()
    # Requirement ids are "<row id>:<level>:<number>" (the catalog loader refuses any other), so the
    # sub-domain's count can be read in the same statement, before the catalog is consulted.
    row_id = requirement_id.rsplit(":", 2)[0]
    # Built before the transaction opens: the membership read behind it need not hold the write lock.
    queryset = (
        _lockable(actor)
        .annotate(current=FilteredRelation("ratings", condition=Q(ratings__requirement_id=requirement_id)))
        .annotate(
            current_id=F("current__id"),
            current_version=F("current__version"),
            current_value=F("current__value"),
            current_reason=F("current__reason"),
            current_note=F("current__note"),
            rated=_rating_count(Q()),
            row_rated=_rating_count(Q(row_id=row_id)),
        )
    )
    with transaction.atomic():
        locked = _take(actor, _pk(assessment), queryset)
        requirement = sector_view(locked.catalog_version, locked.sector).requirements.get(requirement_id)
        if requirement is None:
            raise AssessmentError("评估标准中没有该要求")
        # The counts were read under the lock every rating write takes, so they are exact at commit; on
        # PostgreSQL they may miss a save that committed while this one waited for the lock (display only).
        rated: int = locked.rated  # type: ignore[attr-defined]
        row_rated: int = locked.row_rated  # type: ignore[attr-defined]
        current_id: int | None = locked.current_id  # type: ignore[attr-defined]
        if current_id is None:
            if expected_version != 0:
                raise StaleRatingError(None)
            try:
                record = RatingRecord.objects.create(
                    assessment=locked,
                    requirement_id=requirement_id,
                    row_id=requirement.row,
                    level=int(requirement.level),
                    value=value,
                    reason=reason,
                    note=note,
                    updated_by=actor,
                )
            except IntegrityError:
                # Only a writer that skipped the assessment lock could have inserted it meanwhile. No
                # savepoint (it would cost two queries per save): the transaction is left as it stands.
                raise StaleRatingError(None) from None
            old = None
            rated, row_rated = rated + 1, row_rated + 1
        else:
            old = {
                "value": locked.current_value,  # type: ignore[attr-defined]
                "reason": locked.current_reason,  # type: ignore[attr-defined]
                "note": locked.current_note,  # type: ignore[attr-defined]
            }
            if locked.current_version != expected_version:  # type: ignore[attr-defined]
                raise StaleRatingError(_fresh(locked, requirement_id))
            if (old["value"], old["reason"], old["note"]) == (value, reason, note):
                fresh = _fresh(locked, requirement_id)
                assert fresh is not None  # held by the lock since the read above
                return SavedRating(locked, fresh, rated, row_rated)
            now = timezone.now()
            updated = RatingRecord.objects.filter(pk=current_id, version=expected_version).update(
                value=value,
                reason=reason,
                note=note,
                version=F("version") + 1,
                updated_by=actor,
                updated_at=now,
            )
            if updated == 0:
                # PostgreSQL: a save that held the lock before us changed it after our snapshot was taken.
                raise StaleRatingError(_fresh(locked, requirement_id))
            record = RatingRecord(
                pk=current_id,
                assessment=locked,
                requirement_id=requirement_id,
                row_id=requirement.row,
                level=int(requirement.level),
                value=value,
                reason=reason,
                note=note,
                version=expected_version + 1,
                updated_by=actor,
                updated_at=now,
            )
        if requirement.row != row_id:  # not with the current loader; kept so a new id scheme stays correct
            row_rated = RatingRecord.objects.filter(assessment=locked, row_id=requirement.row).count()
        record_event(
            actor=actor,
            action=AuditAction.RATING_CHANGED,
            obj=record,
            organisation_id=locked.enterprise.organisation_id,
            old=old,
            new={**(_state(record) or {}), "requirement_id": requirement_id, "assessment_id": locked.pk},
        )
    return SavedRating(locked, record, rated, row_rated)


def _fresh(assessment: Assessment, requirement_id: str) -> RatingRecord | None:
    return (
        RatingRecord.objects.select_related("updated_by")
        .filter(assessment=assessment, requirement_id=requirement_id)
        .first()
    )


def _when(moment: datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


def _who(user: User) -> str:
    return user.get_full_name() or user.get_username()


@dataclass(frozen=True)
class AddedAttachment:
    attachment: Attachment
    # The same file (same SHA-256) uploaded earlier to other requirements of this assessment: accepted, as
    # one document often proves several requirements, but shown to the user in case it was a slip.
    also_at: list[str]


def add_attachment(
    *, assessment: Assessment, actor: User, requirement_id: str, upload: UploadedFile[bytes]
) -> AddedAttachment:
    """Store an evidence file for one requirement.

    The file is checked, hashed and written before the transaction opens; the transaction only locks the
    assessment, looks for the same file, inserts the row and its audit event. A refused or failed write
    removes the file it wrote (each upload gets its own file name, so no other row can point at it).
    The same file twice on one requirement is refused: the second copy proves nothing more.
    """
    view = sector_view(assessment.catalog_version, assessment.sector)
    requirement = view.requirements.get(requirement_id)
    if requirement is None:
        raise AssessmentError("评估标准中没有该要求")
    _require_draft(assessment)  # early answer; checked again under the lock
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
    attachment.file.save(checked.name, upload, save=False)
    try:
        with transaction.atomic():
            locked = lock_for_writing(actor, assessment)
            earlier = list(
                Attachment.objects.filter(assessment=locked, sha256=checked.sha256)
                .select_related("uploaded_by")
                .order_by("uploaded_at", "id")
            )
            for other in earlier:
                if other.requirement_id == requirement_id:
                    raise DuplicateEvidenceError(
                        f"该文件已于 {_when(other.uploaded_at)} 由 {_who(other.uploaded_by)} 上传到本条要求"
                        f"（{requirement_label(view, requirement_id)}，文件名“{other.original_name}”），"
                        "无需重复上传。"
                    )
            attachment.assessment = locked
            attachment.save()
            record_event(
                actor=actor,
                action=AuditAction.ATTACHMENT_ADDED,
                obj=attachment,
                organisation_id=locked.enterprise.organisation_id,
                new={
                    "requirement_id": requirement_id,
                    "name": checked.name,
                    "sha256": checked.sha256,
                    "size": checked.size,
                    "same_file_at": [a.requirement_id for a in earlier],
                },
            )
    except BaseException:
        if attachment.file.name:
            attachment.file.storage.delete(attachment.file.name)
        raise
    also_at = [
        f"{requirement_label(view, a.requirement_id)}（{_when(a.uploaded_at)}）"
        for a in earlier
        if a.requirement_id in view.requirements
    ]
    return AddedAttachment(attachment, also_at)


def remove_attachment(*, attachment: Attachment, actor: User) -> None:
    """Remove an evidence file from a draft; the audit event keeps who uploaded what (name, size, SHA-256)."""
    with transaction.atomic():
        locked = lock_for_writing(actor, attachment.assessment_id)
        current = (
            Attachment.objects.select_related("uploaded_by")
            .filter(pk=attachment.pk, assessment=locked)
            .first()
        )
        if current is None:
            raise AssessmentError("该附件已被删除")
        view = sector_view(locked.catalog_version, locked.sector)
        record_event(
            actor=actor,
            action=AuditAction.ATTACHMENT_REMOVED,
            obj=current,
            organisation_id=locked.enterprise.organisation_id,
            old={
                "requirement_id": current.requirement_id,
                "requirement": requirement_label(view, current.requirement_id)
                if current.requirement_id in view.requirements
                else current.requirement_id,
                "name": current.original_name,
                "size": current.size,
                "sha256": current.sha256,
                "uploaded_by": current.uploaded_by.get_username(),
                "uploaded_at": current.uploaded_at.isoformat(),
            },
        )
        name, storage = current.file.name, current.file.storage
        current.delete()
        if name:
            # The bytes go only once the removal is committed (and never inside the transaction).
            transaction.on_commit(lambda: storage.delete(name))


def withdraw_assessment(*, assessment: Assessment | int, actor: User, reason: str = "") -> Assessment:
    """Withdraw a draft self-assessment: it leaves the lists of work in progress but is kept, read-only."""
    with transaction.atomic():
        locked = lock_for_writing(actor, assessment)
        locked.state = AssessmentState.WITHDRAWN
        locked.save(update_fields=["state"])
        record_event(
            actor=actor,
            action=AuditAction.ASSESSMENT_WITHDRAWN,
            obj=locked,
            organisation_id=locked.enterprise.organisation_id,
            old={"state": AssessmentState.DRAFT},
            new={"state": AssessmentState.WITHDRAWN},
            reason=reason.strip(),
        )
    return locked


def submit_assessment(*, assessment: Assessment | int, actor: User) -> Result:
    """Score the complete questionnaire with the engine, store the result and lock the assessment."""
    with transaction.atomic():
        # The lock makes the ratings read below final: every rating write waits for it, then finds the
        # assessment submitted. Two people pressing 提交 at once store one result.
        locked = lock_for_writing(actor, assessment)
        try:
            outcome = compute(locked, allow_unrated=False)
        except UnratedRequirementError as exc:
            raise AssessmentError(f"还有 {len(exc.ids)} 项要求未评分，全部评分后才能提交") from None
        except ScoringError as exc:
            raise AssessmentError(str(exc)) from None
        result = store_result(locked, outcome, version=1)
        locked.state = AssessmentState.SUBMITTED
        locked.submitted_at = timezone.now()
        locked.submitted_by = actor
        locked.save(update_fields=["state", "submitted_at", "submitted_by"])
        # The enterprise's latest result is now this one (one upsert, safe against a concurrent submission
        # of another of its assessments: the later statement wins; both are "now").
        point_latest([latest_pointer(result, locked)])
        record_event(
            actor=actor,
            action=AuditAction.ASSESSMENT_SUBMITTED,
            obj=locked,
            organisation_id=locked.enterprise.organisation_id,
            old={"state": AssessmentState.DRAFT},
            new={"state": AssessmentState.SUBMITTED, "total": result.total, "grade": result.grade},
        )
    return result
