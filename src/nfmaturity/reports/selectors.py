"""Reads behind the report files: the ratings a stored result was computed from, each expert's ratings, the
files of a result, the assessments the CLI lists."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q, QuerySet

from nfmaturity.assessments.models import Assessment, AssessmentKind, Result
from nfmaturity.formal.models import ExpertRating, ResultVersion, Settlement, TeamMember
from nfmaturity.reports.models import ReportFile, ReportFormat


@dataclass(frozen=True)
class GivenRating:
    value: str  # a RatingValue value
    reason: str = ""  # 不适用理由
    note: str = ""  # the enterprise's note (self) or the settlement's rationale (formal)
    method: str = ""  # formal: how the team settled it (label)


def result_with_assessment(pk: int) -> Result | None:
    return (
        Result.objects.select_related("assessment", "assessment__enterprise", "assessment__unit")
        .filter(pk=pk)
        .first()
    )


def is_formal(result: Result) -> bool:
    return result.assessment.kind == AssessmentKind.FORMAL


def version_of(result: Result) -> ResultVersion | None:
    return ResultVersion.objects.filter(result=result).first()


def ratings_of(result: Result) -> dict[str, GivenRating]:
    """The rating of every requirement as the result ``result`` was computed from it.

    A self-assessment's ratings are locked once it is submitted (its one result). A formal assessment's
    versions each keep the settled ratings they were computed from (``ResultVersion.ratings``); reasons and
    the settlement method come from the team's settlement of the requirement.
    """
    assessment = result.assessment
    if assessment.kind != AssessmentKind.FORMAL:
        return {
            r.requirement_id: GivenRating(r.value, r.reason, r.note)
            for r in assessment.ratings.only("requirement_id", "value", "reason", "note")
        }
    settled = {
        s.requirement_id: s
        for s in Settlement.objects.filter(formal__assessment=assessment).only(
            "requirement_id", "value", "reason", "method", "rationale"
        )
    }
    version = version_of(result)
    values: dict[str, str] = (
        dict(version.ratings)
        if version is not None
        else dict(assessment.ratings.values_list("requirement_id", "value"))
    )
    out = {}
    for requirement_id, value in values.items():
        settlement = settled.get(requirement_id)
        same = settlement is not None and settlement.value == value
        out[requirement_id] = GivenRating(
            value,
            settlement.reason if same and settlement is not None else "",
            settlement.rationale if same and settlement is not None else "",
            settlement.get_method_display() if same and settlement is not None else "",
        )
    return out


@dataclass(frozen=True)
class ExpertColumn:
    title: str  # "专家1（组长）"
    ratings: dict[str, str]  # requirement id → RatingValue value


def expert_columns(result: Result) -> list[ExpertColumn]:
    """Each team member's own ratings of the formal assessment (two queries)."""
    members = list(
        TeamMember.objects.filter(formal__assessment=result.assessment_id).select_related("expert")
    )
    by_member: dict[int, dict[str, str]] = {m.pk: {} for m in members}
    for member_id, requirement_id, value in ExpertRating.objects.filter(
        formal__assessment=result.assessment_id
    ).values_list("member_id", "requirement_id", "value"):
        by_member.setdefault(member_id, {})[requirement_id] = value
    return [
        ExpertColumn(f"{m.expert.full_name}{'（组长）' if m.is_leader else ''}", by_member[m.pk])
        for m in members
    ]


def files_of_assessment(assessment: Assessment, *, expert_detail: bool) -> QuerySet[ReportFile]:
    """The report files of every result version of ``assessment`` a user sees (newest version first): the
    Excel file with or without each expert's ratings, as ``expert_detail`` says; PDF and Word have one kind."""
    return (
        ReportFile.objects.filter(result__assessment=assessment)
        .filter(
            Q(expert_detail=False) & ~Q(format=ReportFormat.XLSX)
            | Q(format=ReportFormat.XLSX, expert_detail=expert_detail)
        )
        .select_related("result")
    )


def assessments_for_cli(enterprise_uscc: str | None) -> QuerySet[Assessment]:
    rows = Assessment.objects.select_related("enterprise", "unit").order_by(
        "enterprise__name", "created_at", "id"
    )
    if enterprise_uscc:
        rows = rows.filter(enterprise__uscc=enterprise_uscc)
    return rows


def latest_results(assessment_ids: list[int]) -> dict[int, Result]:
    """The newest stored result version of each assessment (one query)."""
    out: dict[int, Result] = {}
    for result in Result.objects.filter(assessment_id__in=assessment_ids).order_by(
        "assessment_id", "-version"
    ):
        out.setdefault(result.assessment_id, result)
    return out
