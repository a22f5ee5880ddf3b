"""企业申请 and 受理 (standard §4.2.1, §4.4.1): one function per action, each in one transaction that locks
the formal assessment first (``workflow.lock``), checks the state and the actor's part, writes and audits.

The application is written as a draft (DRAFT), with its plan documents, then submitted (→ APPLIED); the body
admin accepts it (→ TEAM) or refuses it with a reason (→ REFUSED); the enterprise may withdraw it until the
decision (→ WITHDRAWN). An uploaded document is checked and hashed before the transaction opens.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from nfmaturity.accounts.models import Membership, Organisation, OrganisationKind, Role
from nfmaturity.accounts.notifications import notify
from nfmaturity.assessments.catalogs import current_version, sector_view
from nfmaturity.assessments.errors import AssessmentError
from nfmaturity.assessments.evidence import check_upload
from nfmaturity.assessments.models import (
    Assessment,
    AssessmentKind,
    AssessmentState,
    GradeLevel,
)
from nfmaturity.audit.models import AuditAction
from nfmaturity.audit.services import record_event
from nfmaturity.catalog.loader import content_hash
from nfmaturity.enterprises.models import Enterprise, SectorChoice, Unit
from nfmaturity.formal import workflow
from nfmaturity.formal.access import Party, parties
from nfmaturity.formal.models import (
    ApplicationDocument,
    DocumentKind,
    FormalAssessment,
    FormalState,
)
from nfmaturity.formal.workflow import FormalError, StaleFormError

S = FormalState
# The documents without which an application cannot be submitted (§4.2.1: 中长期规划 and 年度目标).
REQUIRED_DOCUMENTS = (DocumentKind.LONG_TERM_PLAN, DocumentKind.ANNUAL_TARGETS)
ACCIDENT_REFUSAL = "申报了本年度或上一年度发生重大及以上生产安全事故，按评估方法第 4.2.1 条不能申请正式评估"
INCIDENT_REFUSAL = "申报了本年度或上一年度发生重大及以上环境事件，按评估方法第 4.2.1 条不能申请正式评估"
LAWFUL_REQUIRED = "须声明企业依法依规经营，方可提交申请"


def enterprise_admins(enterprise: Enterprise) -> list[User]:
    return [
        m.user
        for m in Membership.objects.filter(
            organisation_id=enterprise.organisation_id, role=Role.ENTERPRISE_ADMIN
        ).select_related("user")
    ]


def body_admins(body: Organisation) -> list[User]:
    return [
        m.user
        for m in Membership.objects.filter(organisation=body, role=Role.BODY_ADMIN).select_related("user")
    ]


def hub_url(formal: FormalAssessment) -> str:
    return reverse("formal:hub", args=[formal.pk])


def take(actor: User, pk: int, *allowed: Party) -> FormalAssessment:
    """Inside a transaction: the formal assessment locked, if ``actor`` plays one of ``allowed`` in it
    (404 when he may not see it at all, 403 when he may see it but not act)."""
    locked = workflow.lock(pk)
    mine = parties(actor, locked)
    if not mine:
        raise Http404
    if not mine & set(allowed):
        raise PermissionDenied
    return locked


def _enterprise_admin_of(actor: User) -> Enterprise:
    membership = Membership.objects.select_related("organisation").filter(user=actor).first()
    if (
        membership is None
        or membership.organisation.kind != OrganisationKind.ENTERPRISE
        or membership.role != Role.ENTERPRISE_ADMIN
    ):
        raise PermissionDenied
    enterprise = Enterprise.objects.filter(organisation_id=membership.organisation_id).first()
    if enterprise is None:
        raise PermissionDenied
    return enterprise


@dataclass(frozen=True)
class ApplicationData:
    """What the enterprise fills in (the form's cleaned data)."""

    body: Organisation
    sector: SectorChoice
    unit: Unit | None
    target_grade: GradeLevel
    lawful_declared: bool
    safety_accident: bool
    environment_incident: bool
    starting_self_assessment: Assessment | None
    application_note: str


def _check_data(enterprise: Enterprise, data: ApplicationData) -> None:
    if data.body.kind != OrganisationKind.BODY:
        raise FormalError("请选择一家评估机构")
    if data.unit is not None and data.unit.enterprise_id != enterprise.pk:
        raise FormalError("所选评估单元不属于本企业")
    start = data.starting_self_assessment
    if start is not None and not (
        start.enterprise_id == enterprise.pk
        and start.kind == AssessmentKind.SELF
        and start.state == AssessmentState.SUBMITTED
    ):
        raise FormalError("作为起点的自评估须是本企业已提交的自评估")


def _snapshot(formal: FormalAssessment) -> dict[str, object]:
    return {
        "body": formal.body_id,
        "target_grade": formal.target_grade,
        "lawful_declared": formal.lawful_declared,
        "safety_accident": formal.safety_accident,
        "environment_incident": formal.environment_incident,
        "starting_self_assessment": formal.starting_self_assessment_id,
        "application_note": formal.application_note,
    }


def create_application(*, actor: User, data: ApplicationData) -> FormalAssessment:
    """Start an application (DRAFT): the FORMAL assessment pinned to the current catalog, and its workflow row."""
    enterprise = _enterprise_admin_of(actor)
    _check_data(enterprise, data)
    version = current_version()
    view = sector_view(version, data.sector)
    with transaction.atomic():
        assessment = Assessment.objects.create(
            enterprise=enterprise,
            unit=data.unit,
            sector=data.sector,
            kind=AssessmentKind.FORMAL,
            catalog_version=version,
            catalog_hash=content_hash(version),
            requirement_count=view.requirement_count,
            created_by=actor,
        )
        formal = FormalAssessment.objects.create(
            assessment=assessment,
            enterprise=enterprise,
            body=data.body,
            state=S.DRAFT,
            target_grade=data.target_grade,
            lawful_declared=data.lawful_declared,
            safety_accident=data.safety_accident,
            environment_incident=data.environment_incident,
            starting_self_assessment=data.starting_self_assessment,
            application_note=data.application_note.strip(),
            declaration_year=timezone.localdate().year,
            created_by=actor,
        )
        record_event(
            actor=actor,
            action=AuditAction.APPLICATION_CREATED,
            obj=formal,
            organisation_id=enterprise.organisation_id,
            new={
                **_snapshot(formal),
                "sector": data.sector,
                "unit": data.unit.name if data.unit else None,
                "catalog_version": version,
            },
        )
    return formal


def update_application(
    *, formal: FormalAssessment | int, actor: User, data: ApplicationData, expected_version: int
) -> FormalAssessment:
    """Change a draft application (body, grade, declarations, starting point, note); the unit and sector
    are fixed with the assessment when the draft is created."""
    pk = formal if isinstance(formal, int) else formal.pk
    with transaction.atomic():
        locked = take(actor, pk, Party.ENTERPRISE_ADMIN)
        workflow.require(locked, "修改申请", S.DRAFT)
        if locked.version != expected_version:
            raise StaleFormError
        _check_data(locked.enterprise, data)
        old = _snapshot(locked)
        locked.body = data.body
        locked.target_grade = data.target_grade
        locked.lawful_declared = data.lawful_declared
        locked.safety_accident = data.safety_accident
        locked.environment_incident = data.environment_incident
        locked.starting_self_assessment = data.starting_self_assessment
        locked.application_note = data.application_note.strip()
        new = _snapshot(locked)
        changed = sorted(k for k in new if new[k] != old[k])
        if changed:
            locked.version += 1
            locked.save()
            record_event(
                actor=actor,
                action=AuditAction.APPLICATION_UPDATED,
                obj=locked,
                organisation_id=locked.enterprise.organisation_id,
                old={k: old[k] for k in changed},
                new={k: new[k] for k in changed},
            )
    return locked


def add_document(
    *, formal: FormalAssessment, actor: User, kind: DocumentKind, upload: UploadedFile[bytes]
) -> ApplicationDocument:
    """Attach a plan document to a draft application: checked (type, content, size) and hashed before the
    transaction; the file written is removed again when the write is refused."""
    try:
        checked = check_upload(upload)
    except AssessmentError as exc:
        raise FormalError(exc.message) from None
    document = ApplicationDocument(
        formal=formal,
        kind=kind,
        original_name=checked.name,
        extension=checked.extension,
        content_type=checked.content_type,
        size=checked.size,
        sha256=checked.sha256,
        uploaded_by=actor,
    )
    document.file.save(checked.name, upload, save=False)
    try:
        with transaction.atomic():
            locked = take(actor, formal.pk, Party.ENTERPRISE_ADMIN)
            workflow.require(locked, "上传申请材料", S.DRAFT)
            same = ApplicationDocument.objects.filter(formal=locked, kind=kind, sha256=checked.sha256).first()
            if same is not None:
                raise FormalError(
                    f"同一文件已作为“{DocumentKind(kind).label}”上传过（“{same.original_name}”）"
                )
            document.formal = locked
            document.save()
            record_event(
                actor=actor,
                action=AuditAction.APPLICATION_DOCUMENT_ADDED,
                obj=document,
                organisation_id=locked.enterprise.organisation_id,
                new={"kind": kind, "name": checked.name, "size": checked.size, "sha256": checked.sha256},
            )
    except BaseException:
        if document.file.name:
            document.file.storage.delete(document.file.name)
        raise
    return document


def remove_document(*, document: ApplicationDocument, actor: User) -> None:
    with transaction.atomic():
        locked = take(actor, document.formal_id, Party.ENTERPRISE_ADMIN)
        workflow.require(locked, "删除申请材料", S.DRAFT)
        current = ApplicationDocument.objects.filter(pk=document.pk, formal=locked).first()
        if current is None:
            raise FormalError("该材料已被删除")
        record_event(
            actor=actor,
            action=AuditAction.APPLICATION_DOCUMENT_REMOVED,
            obj=current,
            organisation_id=locked.enterprise.organisation_id,
            old={
                "kind": current.kind,
                "name": current.original_name,
                "size": current.size,
                "sha256": current.sha256,
            },
        )
        name, storage = current.file.name, current.file.storage
        current.delete()
        if name:
            transaction.on_commit(lambda: storage.delete(name))


def submission_problems(formal: FormalAssessment) -> list[str]:
    """Every reason the draft cannot be submitted yet, in Chinese (empty: it can)."""
    problems = []
    if formal.safety_accident:
        problems.append(ACCIDENT_REFUSAL)
    if formal.environment_incident:
        problems.append(INCIDENT_REFUSAL)
    if not formal.lawful_declared:
        problems.append(LAWFUL_REQUIRED)
    present = set(ApplicationDocument.objects.filter(formal=formal).values_list("kind", flat=True))
    for kind in REQUIRED_DOCUMENTS:
        if kind not in present:
            problems.append(f"缺少申请材料“{kind.label}”，请上传后再提交")
    return problems


def submit_application(*, formal: FormalAssessment | int, actor: User) -> FormalAssessment:
    pk = formal if isinstance(formal, int) else formal.pk
    with transaction.atomic():
        locked = take(actor, pk, Party.ENTERPRISE_ADMIN)
        workflow.require(locked, "提交申请", S.DRAFT)
        problems = submission_problems(locked)
        if problems:
            raise FormalError("；".join(problems))
        locked.applied_by = actor
        locked.applied_at = timezone.now()
        locked.declaration_year = timezone.localdate().year
        workflow.move(
            locked,
            S.APPLIED,
            actor=actor,
            action=AuditAction.APPLICATION_SUBMITTED,
            fields=("applied_by", "applied_at", "declaration_year"),
        )
        notify(
            body_admins(locked.body),
            f"{locked.enterprise.name}提交了正式评估申请（{locked.assessment.get_sector_display()}），待受理",
            hub_url(locked),
        )
    return locked


def withdraw_application(
    *, formal: FormalAssessment | int, actor: User, reason: str = ""
) -> FormalAssessment:
    pk = formal if isinstance(formal, int) else formal.pk
    with transaction.atomic():
        locked = take(actor, pk, Party.ENTERPRISE_ADMIN)
        workflow.require(locked, "撤回申请", S.DRAFT, S.APPLIED)
        was_applied = locked.state == S.APPLIED
        workflow.move(
            locked, S.WITHDRAWN, actor=actor, action=AuditAction.APPLICATION_WITHDRAWN, reason=reason.strip()
        )
        if was_applied:
            notify(
                body_admins(locked.body),
                f"{locked.enterprise.name}撤回了正式评估申请 #{locked.pk}",
                hub_url(locked),
            )
    return locked


def accept_application(*, formal: FormalAssessment | int, actor: User, note: str = "") -> FormalAssessment:
    """受理: the body admin takes the application on (→ TEAM)."""
    pk = formal if isinstance(formal, int) else formal.pk
    with transaction.atomic():
        locked = take(actor, pk, Party.BODY_ADMIN)
        workflow.require(locked, "受理申请", S.APPLIED)
        locked.decided_by = actor
        locked.decided_at = timezone.now()
        locked.decision_reason = note.strip()
        workflow.move(
            locked,
            S.TEAM,
            actor=actor,
            action=AuditAction.APPLICATION_ACCEPTED,
            reason=locked.decision_reason,
            fields=("decided_by", "decided_at", "decision_reason"),
        )
        notify(
            enterprise_admins(locked.enterprise),
            f"{locked.body.name}已受理贵企业的正式评估申请，正在组建评估组",
            hub_url(locked),
        )
    return locked


def refuse_application(*, formal: FormalAssessment | int, actor: User, reason: str) -> FormalAssessment:
    """不予受理, with the reason the enterprise reads (required)."""
    reason = reason.strip()
    if not reason:
        raise FormalError("不予受理时必须填写理由")
    pk = formal if isinstance(formal, int) else formal.pk
    with transaction.atomic():
        locked = take(actor, pk, Party.BODY_ADMIN)
        workflow.require(locked, "作出不予受理决定", S.APPLIED)
        locked.decided_by = actor
        locked.decided_at = timezone.now()
        locked.decision_reason = reason
        workflow.move(
            locked,
            S.REFUSED,
            actor=actor,
            action=AuditAction.APPLICATION_REFUSED,
            reason=reason,
            fields=("decided_by", "decided_at", "decision_reason"),
        )
        notify(
            enterprise_admins(locked.enterprise),
            f"{locked.body.name}不予受理贵企业的正式评估申请：{reason}",
            hub_url(locked),
        )
    return locked
