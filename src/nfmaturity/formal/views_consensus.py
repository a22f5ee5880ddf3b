"""The consensus pages (overview, one page per sub-domain row, the settle action) and the raters' agreement.

Who reads them: a team member once he has submitted his own ratings, the body admin from the consensus on
(``may_see_colleague_ratings``). The enterprise never sees individual ratings (403: it may read the
assessment, not this); anyone else gets the 404 of a missing assessment.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.html import format_html_join
from django.utils.safestring import SafeString
from django.views.decorators.http import require_POST, require_safe

from nfmaturity.accounts.requests import AuthenticatedRequest
from nfmaturity.assessments.models import RatingValue
from nfmaturity.assessments.results import compute
from nfmaturity.formal import services_consensus as svc
from nfmaturity.formal.access import Party, get_formal_for_user, may_see_colleague_ratings, team_seat
from nfmaturity.formal.agreement import agreement_for
from nfmaturity.formal.forms_rating import SettleForm
from nfmaturity.formal.models import FormalAssessment, FormalState, SettlementMethod, TeamMember
from nfmaturity.formal.services_rating import open_consensus, view_of
from nfmaturity.formal.workflow import FormalError
from nfmaturity.scoring.display import format_truncated

S = FormalState
BEFORE_CONSENSUS = (S.DRAFT, S.APPLIED, S.REFUSED, S.WITHDRAWN, S.TEAM, S.PLANNING, S.ONSITE)


def consensus_reader(
    request: AuthenticatedRequest, pk: int
) -> tuple[FormalAssessment, frozenset[Party], TeamMember | None]:
    """The assessment, if the user may see every expert's ratings now; 403 if he may read it but not
    these (an expert before his own submission, the enterprise, the body admin before the consensus)."""
    formal, mine = get_formal_for_user(request.user, pk)
    seat = team_seat(request.user, formal) if mine & {Party.LEADER, Party.EXPERT} else None
    if seat is None and Party.BODY_ADMIN in mine and formal.state in BEFORE_CONSENSUS:
        raise PermissionDenied
    if not (mine & {Party.LEADER, Party.EXPERT, Party.BODY_ADMIN}) or not may_see_colleague_ratings(
        seat, mine
    ):
        raise PermissionDenied
    return formal, mine, seat


def _can_settle(formal: FormalAssessment, seat: TeamMember | None) -> bool:
    return seat is not None and formal.state in svc.SETTLE_STATES


def _common(formal: FormalAssessment, seat: TeamMember | None) -> dict[str, Any]:
    return {
        "formal": formal,
        "seat": seat,
        "is_leader": seat is not None and seat.is_leader,
        "can_settle": _can_settle(formal, seat),
        "rating_choices": RatingValue.choices,
        "method_choices": SettlementMethod.choices,
    }


def vote_cells(item: svc.ConsensusItem) -> SafeString:
    """The overview's vote cells of one requirement, built here: the table can hold hundreds of rows
    and the template engine would spend most of the page's time on them."""
    return format_html_join(
        "",
        '<td class="text-center small vote-cell vote-{}">{}</td>',
        ((v.value or "none", v.label) for v in item.votes),
    )


@login_required
@require_safe
def consensus(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    formal, _, seat = consensus_reader(request, pk)
    view = view_of(formal)
    data = svc.consensus_data(formal, view=view, full=False)
    items = data.items
    open_items = [i for i in svc.disagreements_first(items) if not i.is_settled]
    score = compute(formal.assessment, allow_unrated=True)
    settled = sum(1 for i in items if i.is_settled)
    unanimous_open = sum(1 for i in open_items if i.consensus is not None and i.consensus.unanimous)
    return render(
        request,
        "formal/consensus_overview.html",
        {
            **_common(formal, seat),
            "members": data.members,
            "rows": svc.row_summaries(view, items),
            "disagreements": [
                (i, view.row_index[i.requirement.row], vote_cells(i)) for i in open_items if i.flagged
            ],
            "total": len(items),
            "settled": settled,
            "flagged": sum(1 for i in items if i.flagged),
            "unanimous_open": unanimous_open,
            "score_total": format_truncated(score.total),
            "score_grade": score.grade.label,
            "score_warning": score.warning,
            "can_open": seat is not None and seat.is_leader and formal.state == S.ONSITE,
            "can_close": seat is not None and seat.is_leader and formal.state == S.CONSENSUS,
        },
    )


@login_required
@require_safe
def consensus_row(request: AuthenticatedRequest, pk: int, index: int) -> HttpResponse:
    formal, _, seat = consensus_reader(request, pk)
    view = view_of(formal)
    if not 0 <= index < len(view.rows):
        raise Http404
    row = view.rows[index]
    data = svc.consensus_data(formal, list(row.requirements), view=view)
    svc.attach_evidence(formal, data.items)
    return render(
        request,
        "formal/consensus_row.html",
        {
            **_common(formal, seat),
            "row": row,
            "index": index,
            "members": data.members,
            "items": svc.disagreements_first(data.items),
            "previous": index - 1 if index > 0 else None,
            "next": index + 1 if index + 1 < len(view.rows) else None,
        },
    )


@login_required
@require_POST
def consensus_settle(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    formal, _, seat = consensus_reader(request, pk)
    if seat is None:
        raise PermissionDenied
    form = SettleForm(request.POST)
    view = view_of(formal)
    if not form.is_valid() and any(n in form.errors for n in SettleForm.TAMPER_FIELDS):
        raise Http404
    requirement_id = form.cleaned_data["requirement_id"]
    requirement = view.requirements.get(requirement_id)
    if requirement is None:
        raise Http404
    error, conflict = "", False
    if form.is_valid():
        data = form.cleaned_data
        try:
            svc.settle(
                formal=formal.pk,
                requirement_id=requirement_id,
                value=RatingValue(data["value"]),
                reason=data["reason"],
                method=SettlementMethod(data["method"]),
                rationale=data["rationale"],
                actor=request.user,
                expected_version=data["version"],
            )
        except svc.StaleSettlementError as exc:
            error, conflict = exc.message, True
        except FormalError as exc:
            error = exc.message
    else:
        error = "；".join(str(e) for errors in form.errors.values() for e in errors)
    formal.refresh_from_db(fields=["state"])
    item = svc.consensus_data(formal, [requirement], view=view).items[0]
    item.error, item.conflict = error, conflict
    context: dict[str, Any] = {**_common(formal, seat), "item": item}
    if error:
        context["typed"] = {k: request.POST.get(k, "") for k in ("value", "method", "reason", "rationale")}
    return render(
        request,
        "formal/consensus_item.html",
        context,
        status=(409 if conflict else 422) if error else 200,
    )


@login_required
@require_POST
def consensus_unanimous(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    formal, _, seat = consensus_reader(request, pk)
    if seat is None:
        raise PermissionDenied
    try:
        count = svc.accept_unanimous(formal=formal.pk, actor=request.user)
    except FormalError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"已按“一致”确定 {count} 项要求的合议评分。")
    return redirect("formal:consensus", pk=formal.pk)


@login_required
@require_POST
def consensus_open(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    formal, _ = get_formal_for_user(request.user, pk, act_as=frozenset({Party.LEADER}))
    try:
        open_consensus(formal=formal.pk, actor=request.user)
    except FormalError as exc:
        messages.error(request, exc.message)
        return redirect("formal:rating", pk=formal.pk)
    messages.success(request, "评分合议已开始。")
    return redirect("formal:consensus", pk=formal.pk)


@login_required
@require_POST
def consensus_close(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    formal, _ = get_formal_for_user(request.user, pk, act_as=frozenset({Party.LEADER}))
    try:
        svc.close_consensus(formal=formal.pk, actor=request.user)
    except FormalError as exc:
        messages.error(request, exc.message)
        return redirect("formal:consensus", pk=formal.pk)
    messages.success(request, "评分合议已结束，进入“形成评估结论”阶段。")
    return redirect("formal:hub", pk=formal.pk)


@login_required
@require_POST
def consensus_resume(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    formal, _ = get_formal_for_user(request.user, pk, act_as=frozenset({Party.LEADER}))
    try:
        svc.resume_consensus(formal=formal.pk, actor=request.user, reason=request.POST.get("reason", ""))
    except FormalError as exc:
        messages.error(request, exc.message)
        return redirect("formal:hub", pk=formal.pk)
    messages.success(request, "已返回评分合议：修改合议评分后，请重新结束合议并发送新版本结果。")
    return redirect("formal:consensus", pk=formal.pk)


@login_required
@require_safe
def agreement(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Raters' agreement: the body admin (from the consensus on) and the 组长 (once he has submitted)."""
    formal, mine, seat = consensus_reader(request, pk)
    if not (Party.BODY_ADMIN in mine or Party.LEADER in mine):
        raise PermissionDenied
    return render(
        request,
        "formal/consensus_agreement.html",
        {**_common(formal, seat), "agreement": agreement_for(formal)},
    )
