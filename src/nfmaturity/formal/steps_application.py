"""Next steps from application to the start of the on-site stage (DRAFT … PLANNING), for the hub and the
"待我处理" list. ``waiting`` marks the steps the workflow waits for this user to take."""

from __future__ import annotations

from django.urls import reverse

from nfmaturity.formal.access import Party
from nfmaturity.formal.models import (
    FormalAssessment,
    FormalState,
    MeetingKind,
    PlanKind,
)
from nfmaturity.formal.steps import Step, Viewer

S = FormalState


def _url(name: str, formal: FormalAssessment) -> str:
    return reverse(f"formal:{name}", args=[formal.pk])


def steps(formal: FormalAssessment, viewer: Viewer) -> list[Step]:
    mine = viewer.parties
    state = formal.state
    out: list[Step] = []
    if state == S.DRAFT and Party.ENTERPRISE_ADMIN in mine:
        out.append(Step("完善评估申请（声明、规划材料）并提交", _url("application", formal), waiting=True))
    elif state == S.APPLIED:
        if Party.BODY_ADMIN in mine:
            out.append(
                Step("受理评估申请（查看材料，受理或不予受理）", _url("application", formal), waiting=True)
            )
        if Party.ENTERPRISE_ADMIN in mine:
            out.append(Step("查看申请（受理前可撤回）", _url("application", formal)))
    elif state == S.TEAM:
        if Party.BODY_ADMIN in mine:
            out.append(
                Step("组建评估组（成员、组长、能力子域分配）并确认", _url("team", formal), waiting=True)
            )
        seat = viewer.seat
        if seat is not None and (seat.conflict_declared_at is None or seat.confidentiality_signed_at is None):
            out.append(Step("签署利益冲突声明和保密承诺", _url("team", formal), waiting=True))
    elif state == S.PLANNING:
        out.extend(_planning_steps(formal, mine))
    team_url = _url("team", formal)
    reader = state in (S.TEAM, S.PLANNING) and Party.EXPERT in mine and Party.BODY_ADMIN not in mine
    if reader and not any(step.url == team_url for step in out):
        out.append(Step("查看评估组与能力子域分配", team_url))
    return out


def _planning_steps(formal: FormalAssessment, mine: frozenset[Party]) -> list[Step]:
    # Through the relations, so a list of many assessments can prefetch "plans" and "meetings" once.
    plans = {p.kind: p for p in formal.plans.all()}
    has_meeting = any(m.kind == MeetingKind.FIRST for m in formal.meetings.all())
    planning_url = _url("planning", formal)
    out: list[Step] = []
    confirmed = all(
        kind in plans and plans[kind].confirmed_version == plans[kind].version for kind in PlanKind
    )
    if mine & {Party.LEADER, Party.BODY_ADMIN}:
        missing = [kind.label for kind in PlanKind if kind not in plans]
        if missing:
            out.append(Step(f"编制{'、'.join(missing)}", planning_url, waiting=Party.LEADER in mine))
        if not has_meeting:
            out.append(Step("记录首次会议", _url("meeting", formal), waiting=Party.LEADER in mine))
        if confirmed and has_meeting:
            out.append(Step("开始现场评估", planning_url, waiting=True))
        elif not missing:
            out.append(Step("查看评估计划（等待企业确认）", planning_url))
    elif Party.EXPERT in mine:
        out.append(Step("查看评估计划与首次会议", planning_url))
    if Party.ENTERPRISE_ADMIN in mine:
        pending = [
            str(kind.label)
            for kind in PlanKind
            if kind in plans and plans[kind].confirmed_version != plans[kind].version
        ]
        if pending:
            out.append(Step(f"确认{'、'.join(pending)}", planning_url, waiting=True))
        else:
            out.append(Step("查看评估计划", planning_url))
    elif Party.ENTERPRISE_MEMBER in mine:
        out.append(Step("查看评估计划", planning_url))
    return out
