"""Writes of plans and rectifications: one function per action, short transaction, lock, check, write, audit.

The roadmap is computed before the transaction (it re-scores 700-odd ratings); an uploaded completion file is
checked and written to storage before it too, so the transaction only writes rows.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import User
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from nfmaturity.accounts.models import Membership, OrganisationKind, Role
from nfmaturity.accounts.notifications import notify
from nfmaturity.assessments.access import can_fill
from nfmaturity.assessments.errors import AssessmentError
from nfmaturity.assessments.evidence import CheckedFile, check_upload
from nfmaturity.assessments.models import Assessment, AssessmentState
from nfmaturity.assessments.selectors import latest_result
from nfmaturity.audit.models import AuditAction
from nfmaturity.audit.services import record_event
from nfmaturity.formal.models import FormalAssessment, FormalState, TeamMember
from nfmaturity.plans.errors import PlanError, StaleActionError, StaleRectificationError
from nfmaturity.plans.models import (
    ActionStatus,
    ImprovementPlan,
    PlanAction,
    PlanPath,
    Rectification,
    RectificationState,
)
from nfmaturity.plans.roadmap import build_roadmap
from nfmaturity.plans.weak_items import weak_requirements


def _organisation(assessment: Assessment) -> int:
    return assessment.enterprise.organisation_id


def create_plan(
    *, assessment: Assessment | int, actor: User, target_grade: int | None, literal: bool = False
) -> ImprovementPlan:
    """Save the roadmap to ``target_grade`` as the enterprise's plan for ``assessment`` (an earlier plan made
    from the same assessment is kept, marked superseded)."""
    pk = assessment if isinstance(assessment, int) else assessment.pk
    assessment = Assessment.objects.select_related("enterprise").get(pk=pk)
    if assessment.state != AssessmentState.SUBMITTED:
        raise PlanError("只有已提交的自评估才能制定提升计划")
    result = latest_result(assessment)
    if result is None:
        raise PlanError("该自评估没有保存的结果")
    try:
        roadmap = build_roadmap(assessment, result, target_grade=target_grade, literal=literal)
    except ValueError:
        raise PlanError("所选目标等级不可选，请重新选择") from None
    if not roadmap.actions:
        raise PlanError("所选目标已经达到，没有需要建设的能力，无需保存计划")
    with transaction.atomic():
        locked = Assessment.objects.select_for_update().select_related("enterprise").get(pk=assessment.pk)
        if not can_fill(actor, locked):
            raise PlanError("只有本企业的人员可以保存提升计划")
        if latest_result(locked) != result:
            raise PlanError("评估结果已更新，请刷新页面后重新生成路线图")
        earlier = list(
            ImprovementPlan.objects.select_for_update().filter(assessment=locked, superseded=False)
        )
        ImprovementPlan.objects.filter(pk__in=[p.pk for p in earlier]).update(superseded=True)
        plan = ImprovementPlan.objects.create(
            assessment=locked,
            enterprise=locked.enterprise,
            result=result,
            result_version=result.version,
            target_grade=roadmap.target_grade,
            path=PlanPath.LITERAL if roadmap.literal else PlanPath.CONSECUTIVE,
            size=roadmap.size,
            before_total=str(roadmap.before_total),
            reaches_total=str(roadmap.reaches_total),
            reaches_grade=roadmap.reaches_grade,
            enterprise_advice=roadmap.enterprise_advice,
            created_by=actor,
        )
        PlanAction.objects.bulk_create(
            PlanAction(
                plan=plan,
                position=position,
                title=a.title,
                aspect=a.aspect,
                scenario=a.scenario,
                domain=a.domain,
                subdomain=a.subdomain,
                row_id=a.row_id,
                level=a.level,
                requirement_ids=list(a.requirement_ids),
                current_rating=a.current.value,
                target_rating=a.target.value,
                gain=str(a.gain),
                default_effort=a.effort,
                effort=a.effort,
                updated_by=actor,
            )
            for position, a in enumerate(roadmap.actions, start=1)
        )
        record_event(
            actor=actor,
            action=AuditAction.IMPROVEMENT_PLAN_CREATED,
            obj=plan,
            organisation_id=_organisation(locked),
            new={
                "assessment": locked.pk,
                "result_version": result.version,
                "target_grade": roadmap.target_grade,
                "path": roadmap.path,
                "actions": len(roadmap.actions),
                "reaches_total": str(roadmap.reaches_total),
                "superseded": [p.pk for p in earlier],
            },
        )
    return plan


@dataclass(frozen=True)
class ActionChanges:
    """What the edit form carries (all fields at once: the form shows them all)."""

    effort: int
    owner: str
    due_date: datetime.date | None
    budget: Decimal | None
    notes: str


EDITABLE = ("effort", "owner", "due_date", "budget", "notes")


def _lock_action(actor: User, action_pk: int, version: int) -> PlanAction:
    action = (
        PlanAction.objects.select_for_update(of=("self",))
        .select_related("plan__assessment__enterprise", "updated_by")
        .get(pk=action_pk)
    )
    if not can_fill(actor, action.plan.assessment):
        raise PlanError("只有本企业的人员可以修改提升计划")
    if action.plan.superseded:
        raise PlanError("该计划已被更新的计划取代，不能再修改")
    if action.version != version:
        raise StaleActionError(action)
    return action


def _plain(value: Any) -> Any:
    return value if value is None or isinstance(value, (int, str)) else str(value)


def update_action(
    *, action: PlanAction | int, actor: User, version: int, changes: ActionChanges
) -> PlanAction:
    """Edit an action's effort, owner, due date, budget and notes (refused if someone saved it meanwhile)."""
    if changes.effort < 1:
        raise PlanError("工作量须为正整数（人周）")
    pk = action if isinstance(action, int) else action.pk
    with transaction.atomic():
        locked = _lock_action(actor, pk, version)
        old = {f: _plain(getattr(locked, f)) for f in EDITABLE}
        for field in EDITABLE:
            setattr(locked, field, getattr(changes, field))
        new = {f: _plain(getattr(locked, f)) for f in EDITABLE}
        if old == new:
            return locked
        locked.version += 1
        locked.updated_by = actor
        locked.save(update_fields=[*EDITABLE, "version", "updated_by", "updated_at"])
        changed = [f for f in EDITABLE if old[f] != new[f]]
        record_event(
            actor=actor,
            action=AuditAction.IMPROVEMENT_ACTION_UPDATED,
            obj=locked,
            organisation_id=_organisation(locked.plan.assessment),
            old={f: old[f] for f in changed},
            new={f: new[f] for f in changed},
        )
    return locked


def _store_file(upload: UploadedFile[bytes], plan_id: int) -> tuple[CheckedFile, str]:
    checked = check_upload(upload)
    upload.seek(0)
    path = f"plans/{plan_id}/{checked.sha256[:2]}/{checked.sha256}{checked.extension}"
    if not default_storage.exists(path):
        path = default_storage.save(path, upload)
    return checked, path


def change_status(
    *,
    action: PlanAction | int,
    actor: User,
    version: int,
    status: ActionStatus,
    evidence_text: str = "",
    upload: UploadedFile[bytes] | None = None,
) -> PlanAction:
    """Move an action to ``status``. 已完成 needs evidence of completion (a text, optionally a file)."""
    pk = action if isinstance(action, int) else action.pk
    plan_id = PlanAction.objects.filter(pk=pk).values_list("plan_id", flat=True).first()
    if plan_id is None:
        raise PlanError("该事项不存在")
    evidence_text = evidence_text.strip()
    if status == ActionStatus.DONE and not evidence_text:
        raise PlanError("标记为已完成时须填写完成证明（做了什么、在哪里可以查验），可另附文件")
    stored: tuple[CheckedFile, str] | None = None
    if upload is not None:
        try:
            stored = _store_file(upload, plan_id)
        except AssessmentError as exc:  # the evidence check's Chinese reason (type, size, content)
            raise PlanError(exc.message) from exc
    with transaction.atomic():
        locked = _lock_action(actor, pk, version)
        old = {"status": locked.status, "evidence_text": locked.evidence_text, "file": locked.evidence_name}
        locked.status = status
        if evidence_text or status == ActionStatus.DONE:
            locked.evidence_text = evidence_text
        if stored is not None:
            checked, path = stored
            locked.evidence_file.name = path
            locked.evidence_name = checked.name
            locked.evidence_extension = checked.extension
            locked.evidence_content_type = checked.content_type
            locked.evidence_sha256 = checked.sha256
        locked.completed_at = timezone.now() if status == ActionStatus.DONE else None
        locked.version += 1
        locked.updated_by = actor
        locked.save()
        record_event(
            actor=actor,
            action=AuditAction.IMPROVEMENT_ACTION_STATUS,
            obj=locked,
            organisation_id=_organisation(locked.plan.assessment),
            old=old,
            new={
                "status": locked.status,
                "evidence_text": locked.evidence_text,
                "file": locked.evidence_name,
            },
        )
    return locked


# ---- 弱项整改 -------------------------------------------------------------------------------------------------


def _lock_published(formal_pk: int) -> FormalAssessment:
    formal = (
        FormalAssessment.objects.select_for_update(of=("self",))
        .select_related("enterprise")
        .get(pk=formal_pk)
    )
    if formal.state != FormalState.PUBLISHED:
        raise PlanError("只有已发布的正式评估才能提交弱项整改")
    return formal


def _leaders(formal: FormalAssessment) -> list[User]:
    return [
        m.expert.user
        for m in TeamMember.objects.filter(formal=formal, is_leader=True).select_related("expert__user")
    ]


def _enterprise_admins(formal: FormalAssessment) -> list[User]:
    return [
        m.user
        for m in Membership.objects.filter(
            organisation_id=formal.enterprise.organisation_id,
            organisation__kind=OrganisationKind.ENTERPRISE,
            role=Role.ENTERPRISE_ADMIN,
        ).select_related("user")
    ]


def submit_rectification(
    *,
    formal: FormalAssessment | int,
    actor: User,
    requirement_id: str,
    measure: str,
    due_date: datetime.date | None,
    version: int | None,
    url: str = "",
) -> Rectification:
    """The enterprise's measure for one weak item (new, or resubmitted after it was returned)."""
    measure = measure.strip()
    if not measure:
        raise PlanError("请填写整改措施")
    pk = formal if isinstance(formal, int) else formal.pk
    with transaction.atomic():
        locked = _lock_published(pk)
        weak = weak_requirements(locked)
        if requirement_id not in weak:
            raise PlanError("该要求不是本次正式评估的弱项")
        current = (
            Rectification.objects.select_for_update()
            .filter(formal=locked, requirement_id=requirement_id)
            .first()
        )
        now = timezone.now()
        if current is None:
            if version is not None:
                raise PlanError("该整改措施已被删除，请刷新页面")
            item = weak[requirement_id]
            rectification = Rectification.objects.create(
                formal=locked,
                requirement_id=requirement_id,
                row_id=item.row_id,
                level=item.level,
                settled_value=item.value,
                measure=measure,
                due_date=due_date,
                submitted_by=actor,
                submitted_at=now,
            )
            old = None
        else:
            if version != current.version:
                raise StaleRectificationError(current)
            if current.state == RectificationState.CONFIRMED:
                raise PlanError("该整改措施已由组长确认，不能再修改")
            old = {"measure": current.measure, "state": current.state, "return_reason": current.return_reason}
            current.measure = measure
            current.due_date = due_date
            current.state = RectificationState.SUBMITTED
            current.submitted_by = actor
            current.submitted_at = now
            current.version += 1
            current.save()
            rectification = current
        record_event(
            actor=actor,
            action=AuditAction.RECTIFICATION_SUBMITTED,
            obj=rectification,
            organisation_id=locked.enterprise.organisation_id,
            old=old,
            new={"requirement": requirement_id, "measure": measure, "due_date": _plain(due_date)},
        )
        notify(
            _leaders(locked),
            f"{locked.enterprise.name} 提交了弱项整改措施（{requirement_id.rsplit(':', 2)[-2]} 第{requirement_id.rsplit(':', 1)[-1]}条），请确认。",
            url,
        )
    return rectification


def decide_rectification(
    *,
    rectification: Rectification | int,
    actor: User,
    version: int,
    confirm: bool,
    reason: str = "",
    url: str = "",
) -> Rectification:
    """The 组长 confirms a measure, or sends it back with a reason."""
    reason = reason.strip()
    if not confirm and not reason:
        raise PlanError("退回时须写明理由")
    pk = rectification if isinstance(rectification, int) else rectification.pk
    with transaction.atomic():
        formal_pk = Rectification.objects.filter(pk=pk).values_list("formal_id", flat=True).get()
        locked_formal = _lock_published(formal_pk)
        if not TeamMember.objects.filter(formal=locked_formal, expert__user=actor, is_leader=True).exists():
            raise PlanError("只有评估组组长可以确认或退回整改措施")
        locked = Rectification.objects.select_for_update().get(pk=pk)
        if locked.version != version:
            raise StaleRectificationError(locked)
        if locked.state != RectificationState.SUBMITTED:
            raise PlanError("该整改措施不在待确认状态")
        locked.state = RectificationState.CONFIRMED if confirm else RectificationState.RETURNED
        locked.return_reason = "" if confirm else reason
        locked.decided_by = actor
        locked.decided_at = timezone.now()
        locked.version += 1
        locked.save()
        record_event(
            actor=actor,
            action=AuditAction.RECTIFICATION_CONFIRMED if confirm else AuditAction.RECTIFICATION_RETURNED,
            obj=locked,
            organisation_id=locked_formal.enterprise.organisation_id,
            old={"state": RectificationState.SUBMITTED.value},
            new={"state": locked.state},
            reason=reason,
        )
        text = "组长已确认" if confirm else f"组长退回了（理由：{reason}）"
        notify(_enterprise_admins(locked_formal), f"弱项整改措施：{text}。", url)
    return locked
