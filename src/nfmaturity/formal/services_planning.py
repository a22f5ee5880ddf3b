"""编制评估计划 and the 首次会议 (standard §4.4.3, §4.5.1): the 组长 (or the body admin) writes the
pre-assessment plan and the formal-assessment plan, the enterprise admin confirms each one at the version he
read, the 组长 records the first meeting, and ``start_onsite`` opens the on-site stage (PLANNING → ONSITE).

A plan carries a version: a save based on an older version is refused (``StaleFormError``), and a save after
the enterprise confirmed a plan leaves ``confirmed_version`` behind, so the changed plan needs a new
confirmation before the on-site stage can start.
"""

from __future__ import annotations

import datetime
from dataclasses import asdict, dataclass

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from nfmaturity.accounts.notifications import notify
from nfmaturity.audit.models import AuditAction
from nfmaturity.audit.services import record_event
from nfmaturity.formal import workflow
from nfmaturity.formal.access import Party
from nfmaturity.formal.models import (
    AssessmentPlan,
    FormalAssessment,
    FormalState,
    Meeting,
    MeetingKind,
    PlanKind,
    TeamMember,
)
from nfmaturity.formal.services_application import enterprise_admins, hub_url, take
from nfmaturity.formal.workflow import FormalError, StaleFormError

S = FormalState


@dataclass(frozen=True)
class PlanData:
    purpose: str
    scope: str
    tasks: str
    methods: str
    start_date: datetime.date | None
    end_date: datetime.date | None
    people: str
    agenda: str


def _plan_state(plan: AssessmentPlan) -> dict[str, object]:
    data = {k: getattr(plan, k) for k in PlanData.__dataclass_fields__}
    return {k: v.isoformat() if isinstance(v, datetime.date) else v for k, v in data.items()}


def save_plan(
    *, formal: FormalAssessment | int, actor: User, kind: PlanKind, data: PlanData, expected_version: int
) -> AssessmentPlan:
    """Write a plan; ``expected_version`` is the version the form was based on (0: there was none)."""
    if data.start_date and data.end_date and data.end_date < data.start_date:
        raise FormalError("结束日期不能早于开始日期")
    pk = formal if isinstance(formal, int) else formal.pk
    with transaction.atomic():
        locked = take(actor, pk, Party.LEADER, Party.BODY_ADMIN)
        workflow.require(locked, f"修改{PlanKind(kind).label}", S.PLANNING)
        plan = AssessmentPlan.objects.select_for_update().filter(formal=locked, kind=kind).first()
        current = plan.version if plan is not None else 0
        if current != expected_version:
            raise StaleFormError
        old = _plan_state(plan) if plan is not None else None
        if plan is None:
            plan = AssessmentPlan(formal=locked, kind=kind, version=0)
        for key, value in asdict(data).items():
            setattr(plan, key, value.strip() if isinstance(value, str) else value)
        new = _plan_state(plan)
        if old == new:
            return plan
        plan.version += 1
        plan.updated_by = actor
        plan.save()
        record_event(
            actor=actor,
            action=AuditAction.PLAN_SAVED,
            obj=plan,
            organisation_id=locked.enterprise.organisation_id,
            old=None if old is None else {k: old[k] for k in new if old[k] != new[k]},
            new={
                "kind": kind,
                "version": plan.version,
                **{k: v for k, v in new.items() if not old or old[k] != v},
            },
        )
        if plan.confirmed_version is not None:
            notify(
                enterprise_admins(locked.enterprise),
                f"{plan.get_kind_display()}已修改（第 {plan.version} 版），请重新确认",
                hub_url(locked),
            )
    return plan


def confirm_plan(
    *, formal: FormalAssessment | int, actor: User, kind: PlanKind, expected_version: int
) -> AssessmentPlan:
    """The enterprise admin confirms the plan at the version he read."""
    pk = formal if isinstance(formal, int) else formal.pk
    with transaction.atomic():
        locked = take(actor, pk, Party.ENTERPRISE_ADMIN)
        workflow.require(locked, f"确认{PlanKind(kind).label}", S.PLANNING)
        plan = AssessmentPlan.objects.select_for_update().filter(formal=locked, kind=kind).first()
        if plan is None:
            raise FormalError(f"评估组尚未编制{PlanKind(kind).label}")
        if plan.version != expected_version:
            raise FormalError(
                f"{plan.get_kind_display()}已更新为第 {plan.version} 版，请阅读最新内容后再确认"
            )
        if plan.confirmed_version == plan.version:
            raise FormalError(f"{plan.get_kind_display()}第 {plan.version} 版已确认")
        old = plan.confirmed_version
        plan.confirmed_by = actor
        plan.confirmed_at = timezone.now()
        plan.confirmed_version = plan.version
        plan.save(update_fields=["confirmed_by", "confirmed_at", "confirmed_version"])
        record_event(
            actor=actor,
            action=AuditAction.PLAN_CONFIRMED,
            obj=plan,
            organisation_id=locked.enterprise.organisation_id,
            old={"confirmed_version": old},
            new={"kind": kind, "confirmed_version": plan.version},
        )
        leaders = [
            m.expert.user
            for m in TeamMember.objects.filter(formal=locked, is_leader=True).select_related("expert__user")
        ]
        notify(
            leaders,
            f"{locked.enterprise.name}已确认{plan.get_kind_display()}（第 {plan.version} 版）",
            hub_url(locked),
        )
    return plan


@dataclass(frozen=True)
class MeetingData:
    held_at: datetime.datetime
    place: str
    attendees: str
    minutes: str


def record_first_meeting(*, formal: FormalAssessment | int, actor: User, data: MeetingData) -> Meeting:
    """Record (or correct) the 首次会议 while the plans are being made."""
    if not data.attendees.strip() or not data.minutes.strip():
        raise FormalError("请填写参会人员和会议纪要")
    pk = formal if isinstance(formal, int) else formal.pk
    with transaction.atomic():
        locked = take(actor, pk, Party.LEADER, Party.BODY_ADMIN)
        workflow.require(locked, "记录首次会议", S.PLANNING)
        meeting = Meeting.objects.select_for_update().filter(formal=locked, kind=MeetingKind.FIRST).first()
        old = None
        if meeting is None:
            meeting = Meeting(formal=locked, kind=MeetingKind.FIRST, recorded_by=actor)
        else:
            old = {"held_at": meeting.held_at.isoformat(), "place": meeting.place}
        meeting.held_at = data.held_at
        meeting.place = data.place.strip()
        meeting.attendees = data.attendees.strip()
        meeting.minutes = data.minutes.strip()
        meeting.recorded_by = actor
        meeting.save()
        record_event(
            actor=actor,
            action=AuditAction.MEETING_RECORDED,
            obj=meeting,
            organisation_id=locked.enterprise.organisation_id,
            old=old,
            new={"kind": MeetingKind.FIRST, "held_at": meeting.held_at.isoformat(), "place": meeting.place},
        )
    return meeting


def onsite_problems(formal: FormalAssessment) -> list[str]:
    """What is still missing before the on-site stage may start, in Chinese (empty: nothing)."""
    plans = {p.kind: p for p in AssessmentPlan.objects.filter(formal=formal)}
    problems = []
    for kind in PlanKind:
        plan = plans.get(kind)
        if plan is None:
            problems.append(f"尚未编制{kind.label}")
        elif plan.confirmed_version is None:
            problems.append(f"{kind.label}尚未经企业确认")
        elif plan.confirmed_version != plan.version:
            problems.append(f"{kind.label}确认后又修改过（现为第 {plan.version} 版），须企业重新确认")
    if not Meeting.objects.filter(formal=formal, kind=MeetingKind.FIRST).exists():
        problems.append("尚未记录首次会议")
    return problems


def start_onsite(*, formal: FormalAssessment | int, actor: User) -> FormalAssessment:
    """PLANNING → ONSITE once both plans are confirmed at their current version and the first meeting held."""
    pk = formal if isinstance(formal, int) else formal.pk
    with transaction.atomic():
        locked = take(actor, pk, Party.LEADER, Party.BODY_ADMIN)
        workflow.require(locked, "开始现场评估", S.PLANNING)
        problems = onsite_problems(locked)
        if problems:
            raise FormalError("还不能开始现场评估：" + "；".join(problems))
        workflow.move(locked, S.ONSITE, actor=actor, action=AuditAction.ONSITE_STARTED)
        members = [
            m.expert.user for m in TeamMember.objects.filter(formal=locked).select_related("expert__user")
        ]
        notify(
            [*members, *enterprise_admins(locked.enterprise)],
            f"{locked.enterprise.name}正式评估进入现场评估与打分阶段",
            hub_url(locked),
        )
    return locked
