"""Next steps of the on-site stage and the consensus (ONSITE, CONSENSUS), for the hub and the task list."""

from __future__ import annotations

from django.urls import reverse

from nfmaturity.assessments.models import RatingValue
from nfmaturity.formal.access import Party, may_see_colleague_ratings
from nfmaturity.formal.models import ExpertRating, FormalAssessment, FormalState, Settlement
from nfmaturity.formal.services_rating import assigned_requirements, assigned_rows, view_of
from nfmaturity.formal.steps import Step, Viewer

S = FormalState


def _url(name: str, formal: FormalAssessment) -> str:
    return reverse(f"formal:{name}", args=[formal.pk])


def steps(formal: FormalAssessment, viewer: Viewer) -> list[Step]:
    if formal.state not in (S.ONSITE, S.CONSENSUS):
        return []
    mine, seat = viewer.parties, viewer.seat
    out: list[Step] = []
    if seat is not None:
        out.append(Step("记录现场证据", _url("evidence", formal)))
    elif mine & {Party.BODY_ADMIN, Party.ENTERPRISE_ADMIN, Party.ENTERPRISE_MEMBER}:
        out.append(Step("查看现场证据", _url("evidence", formal)))
    if formal.state == S.ONSITE:
        if seat is not None and seat.ratings_submitted_at is None:
            total = len(assigned_requirements(view_of(formal), assigned_rows(seat)))
            rated = ExpertRating.objects.filter(member=seat, row_id__in=assigned_rows(seat)).count()
            out.append(
                Step(
                    f"对分配给您的 {total} 项要求评分（已评 {rated} 项）",
                    _url("rating", formal),
                    waiting=True,
                )
            )
        elif seat is not None or Party.BODY_ADMIN in mine:
            out.append(Step("查看评估组评分进度", _url("rating", formal)))
    if Party.LEADER in mine and seat is not None and may_see_colleague_ratings(seat, mine):
        pending = ExpertRating.objects.filter(
            formal=formal, value=RatingValue.NOT_APPLICABLE, na_confirmed_by__isnull=True
        ).count()
        if pending:
            out.append(
                Step(f"确认不适用（{pending} 项）", _url("rating_not_applicable", formal), waiting=True)
            )
    if formal.state == S.CONSENSUS and (seat is not None or Party.BODY_ADMIN in mine):
        total = len(view_of(formal).requirements)
        open_count = total - Settlement.objects.filter(formal=formal).count()
        if open_count:
            out.append(
                Step(f"评分合议（未定 {open_count} 项）", _url("consensus", formal), waiting=seat is not None)
            )
        elif Party.LEADER in mine:
            out.append(Step("结束评分合议，进入形成评估结论", _url("consensus", formal), waiting=True))
        else:
            out.append(Step("查看评分合议（已全部确定）", _url("consensus", formal)))
        if Party.BODY_ADMIN in mine or Party.LEADER in mine:
            out.append(Step("查看评分一致性", _url("agreement", formal)))
    return out
