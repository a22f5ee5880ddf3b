"""The results part's next steps (conclusion → publication), read from the formal row alone (no query), so
the home page's task list costs the same whatever the number of assessments."""

from __future__ import annotations

from django.urls import reverse
from django.utils import timezone

from nfmaturity.formal.access import ENTERPRISE, TEAM, Party
from nfmaturity.formal.models import FormalAssessment, FormalState
from nfmaturity.formal.steps import Step, Viewer

S = FormalState
SENT = (S.COMMUNICATION, S.REBUTTAL, S.FINAL, S.PUBLISHED)


def steps(formal: FormalAssessment, viewer: Viewer) -> list[Step]:
    mine = viewer.parties
    state = formal.state
    out: list[Step] = []

    def url(name: str) -> str:
        return reverse(f"formal:{name}", args=[formal.pk])

    if state == S.CONCLUSION and mine & TEAM:
        if Party.LEADER in mine:
            out.append(Step("编写评估结论并批准发送评估结果", url("conclusion"), waiting=True))
        else:
            out.append(Step("参与编写评估结论", url("conclusion")))
    if state == S.COMMUNICATION:
        if Party.ENTERPRISE_ADMIN in mine:
            out.append(Step("确认评估结果或提出异议", url("results"), waiting=True))
        deadline_passed = (
            formal.contest_deadline is not None and timezone.localdate() > formal.contest_deadline
        )
        if Party.LEADER in mine and deadline_passed:
            out.append(Step("异议期已过，进入末次会议", url("results"), waiting=True))
    if state == S.REBUTTAL:
        if mine & TEAM:
            out.append(Step("答复企业异议并重新评分", url("rebuttal"), waiting=True))
        elif mine & ENTERPRISE or Party.BODY_ADMIN in mine:
            out.append(Step("查看异议处理情况", url("rebuttal")))
    if state == S.FINAL:
        if Party.LEADER in mine:
            out.append(Step("记录末次会议与最终结论", url("final"), waiting=not formal.final_conclusion))
        if Party.BODY_ADMIN in mine:
            out.append(Step("发布评估结果", url("final"), waiting=bool(formal.final_conclusion)))
    if state in SENT and mine:
        out.append(Step("查看评估结果" if state != S.PUBLISHED else "查看已发布的评估结果", url("results")))
    if state == S.PUBLISHED and Party.BODY_ADMIN in mine:
        out.append(Step("重新开启（需说明原因）", url("reopen")))
    return out
