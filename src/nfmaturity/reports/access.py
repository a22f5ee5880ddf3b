"""Who may download the report files of a stored result (docs/access.md has the policy).

A result is read through its assessment's own access helper: ``assessments.access`` for a self-assessment,
``formal.access`` for a formal one, so the files follow exactly the rules of the results page. The same 404 for
"missing" and "not yours". For a formal assessment the enterprise sees a result only once it has been sent to
it; each expert's own ratings (the Excel file with them) only the team members who have submitted their own,
the body's admin, and everybody who may read it once it is published.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.http import Http404

from nfmaturity.accounts.access import AnyUser
from nfmaturity.assessments.access import get_assessment_for_user
from nfmaturity.assessments.models import AssessmentKind, Result
from nfmaturity.formal.access import (
    ENTERPRISE,
    TEAM,
    Party,
    get_formal_for_user,
    may_see_colleague_ratings,
    team_seat,
)
from nfmaturity.formal.models import FormalAssessment, FormalState
from nfmaturity.reports.models import ReportFile
from nfmaturity.reports.selectors import result_with_assessment

# The states in which the enterprise has been sent its formal result (standard §4.7).
SENT = frozenset({FormalState.COMMUNICATION, FormalState.REBUTTAL, FormalState.FINAL, FormalState.PUBLISHED})


@dataclass(frozen=True)
class ResultAccess:
    result: Result
    expert_detail: bool  # may see each expert's own ratings


def get_result_for_user(user: AnyUser, result_pk: int) -> ResultAccess:
    result = result_with_assessment(result_pk)
    if result is None:
        raise Http404
    assessment = result.assessment
    if assessment.kind != AssessmentKind.FORMAL:
        get_assessment_for_user(user, assessment.pk)  # 404 when not his
        return ResultAccess(result, expert_detail=False)
    formal_pk = FormalAssessment.objects.filter(assessment=assessment).values_list("pk", flat=True).first()
    if formal_pk is None:
        raise Http404
    formal, mine = get_formal_for_user(user, formal_pk)
    staff = mine & (TEAM | {Party.BODY_ADMIN})
    if mine & ENTERPRISE and not staff and formal.state not in SENT:
        raise Http404
    if formal.state == FormalState.PUBLISHED:
        return ResultAccess(result, expert_detail=True)
    seat = team_seat(user, formal) if mine & TEAM else None
    return ResultAccess(result, expert_detail=bool(staff) and may_see_colleague_ratings(seat, mine))


def get_report_for_user(user: AnyUser, report_pk: int) -> tuple[ReportFile, ResultAccess]:
    report = ReportFile.objects.filter(pk=report_pk).first()
    if report is None:
        raise Http404
    access = get_result_for_user(user, report.result_id)
    if report.expert_detail and not access.expert_detail:
        raise Http404
    report.result = access.result
    return report, access
