"""Evidence collected on site (现场采集证据, standard §4.5.2): a record, how it was collected, when, by whom,
optionally a file, linked to one or more requirements.

Team members add evidence while ONSITE and during the CONSENSUS; its collector removes it while ONSITE. The
file is checked (type by extension and content, size) and hashed before the transaction opens, and stored
under the media root (never served directly: ``views_evidence.download`` checks access).
"""

from __future__ import annotations

from datetime import date

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.http import Http404

from nfmaturity.assessments.errors import AssessmentError
from nfmaturity.assessments.evidence import check_upload
from nfmaturity.audit.models import AuditAction
from nfmaturity.audit.services import record_event
from nfmaturity.formal.access import ENTERPRISE, Party, get_formal_for_user
from nfmaturity.formal.models import (
    CollectionMethod,
    Evidence,
    EvidenceLink,
    EvidenceSource,
    FormalAssessment,
    FormalState,
)
from nfmaturity.formal.services_rating import requirement_label, seat_for_write, view_of
from nfmaturity.formal.workflow import FormalError, lock, require

# Who sees evidence (besides the team): the body's admin and the enterprise assessed; never anyone else.
READERS = frozenset({Party.LEADER, Party.EXPERT, Party.BODY_ADMIN}) | ENTERPRISE
ADD_STATES = (FormalState.ONSITE, FormalState.CONSENSUS)


def get_evidence_for_user(user: User, pk: int) -> tuple[Evidence, FormalAssessment, frozenset[Party]]:
    """One piece of evidence, 404 unless the user may read the assessment's evidence."""
    evidence = Evidence.objects.select_related("collected_by").filter(pk=pk).first()
    if evidence is None:
        raise Http404
    formal, mine = get_formal_for_user(user, evidence.formal_id)
    if not (mine & READERS):
        raise Http404
    return evidence, formal, mine


def add_evidence(
    *,
    formal: FormalAssessment,
    actor: User,
    description: str,
    method: CollectionMethod,
    collected_on: date,
    requirement_ids: list[str],
    upload: UploadedFile[bytes] | None = None,
) -> Evidence:
    description = description.strip()
    if not description:
        raise FormalError("请填写证据记录")
    view = view_of(formal)
    ids = list(dict.fromkeys(requirement_ids))
    if not ids:
        raise FormalError("请至少选择一条证据所支持的要求")
    unknown = [i for i in ids if i not in view.requirements]
    if unknown:
        raise FormalError("评估标准中没有所选的要求")
    require(formal, "采集证据", *ADD_STATES)  # early answer; checked again under the lock
    evidence = Evidence(
        formal=formal,
        source=EvidenceSource.TEAM,
        method=CollectionMethod(method),
        description=description,
        collected_on=collected_on,
        collected_by=actor,
    )
    if upload is not None:
        try:
            checked = check_upload(upload)
        except AssessmentError as exc:
            raise FormalError(exc.message) from None
        evidence.original_name = checked.name
        evidence.extension = checked.extension
        evidence.content_type = checked.content_type
        evidence.size = checked.size
        evidence.sha256 = checked.sha256
        evidence.file.save(checked.name, upload, save=False)
    try:
        with transaction.atomic():
            locked = lock(formal)
            seat_for_write(actor, locked)
            require(locked, "采集证据", *ADD_STATES)
            evidence.formal = locked
            evidence.save()
            EvidenceLink.objects.bulk_create(
                EvidenceLink(evidence=evidence, formal=locked, requirement_id=i) for i in ids
            )
            record_event(
                actor=actor,
                action=AuditAction.EVIDENCE_ADDED,
                obj=evidence,
                organisation_id=locked.enterprise.organisation_id,
                new={
                    "formal_id": locked.pk,
                    "method": evidence.method,
                    "collected_on": collected_on.isoformat(),
                    "requirements": ids,
                    "name": evidence.original_name,
                    "sha256": evidence.sha256,
                    "size": evidence.size,
                },
            )
    except BaseException:
        if evidence.file.name:
            evidence.file.storage.delete(evidence.file.name)
        raise
    return evidence


def remove_evidence(*, evidence_pk: int, actor: User) -> Evidence:
    """Its collector removes a piece of evidence while ONSITE; the audit event keeps what it was."""
    with transaction.atomic():
        formal_pk = Evidence.objects.filter(pk=evidence_pk).values_list("formal_id", flat=True).first()
        if formal_pk is None:
            raise Http404
        locked = lock(formal_pk)
        seat_for_write(actor, locked)
        current = Evidence.objects.filter(pk=evidence_pk, formal=locked).first()
        if current is None:
            raise Http404
        if current.collected_by_id != actor.pk:
            raise PermissionDenied
        require(locked, "删除证据", FormalState.ONSITE)
        view = view_of(locked)
        links = list(EvidenceLink.objects.filter(evidence=current).values_list("requirement_id", flat=True))
        record_event(
            actor=actor,
            action=AuditAction.EVIDENCE_REMOVED,
            obj=current,
            organisation_id=locked.enterprise.organisation_id,
            old={
                "formal_id": locked.pk,
                "description": current.description,
                "method": current.method,
                "collected_on": current.collected_on.isoformat(),
                "requirements": [requirement_label(view, i) if i in view.requirements else i for i in links],
                "name": current.original_name,
                "size": current.size,
                "sha256": current.sha256,
                "created_at": current.created_at.isoformat(),
            },
        )
        name, storage = current.file.name, current.file.storage
        current.delete()
        if name:
            transaction.on_commit(lambda: storage.delete(name))
    return current


def evidence_list(formal: FormalAssessment) -> list[Evidence]:
    """The assessment's evidence with its links (two queries)."""
    return list(
        Evidence.objects.filter(formal=formal)
        .select_related("collected_by")
        .prefetch_related("links")
        .order_by("-created_at", "-id")
    )
