"""Pages of the results part: conclusion, results (every version, diff), contest and rebuttal, final meeting,
publication and reopening. Views parse, call one service, render; refusals come back on the same page with
what the user typed (422, or 409 for a stale form with the newer data beside it)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from nfmaturity.accounts.fragment_pages import fragment_or_page
from nfmaturity.assessments.access import get_enterprise_assessments_for_user
from nfmaturity.assessments.catalogs import sector_view
from nfmaturity.assessments.errors import AssessmentError
from nfmaturity.assessments.models import RatingValue
from nfmaturity.assessments.report import live_figures, standouts, stored_figures
from nfmaturity.assessments.results import compute
from nfmaturity.catalog.model import LEVELS
from nfmaturity.formal import services_publication as publication
from nfmaturity.formal import services_results as results_services
from nfmaturity.formal.access import ENTERPRISE, TEAM, Party, get_formal_for_user
from nfmaturity.formal.forms_results import (
    AnswerForm,
    ConclusionForm,
    ContestForm,
    FinalMeetingForm,
    ReasonForm,
    SendForm,
)
from nfmaturity.formal.models import (
    ContestPoint,
    ContestState,
    Evidence,
    EvidenceSource,
    FormalAssessment,
    FormalState,
    Meeting,
    MeetingKind,
    ResultVersion,
)
from nfmaturity.formal.timeline import timeline
from nfmaturity.formal.versions import diff, formal_results_of, versions_of
from nfmaturity.formal.workflow import FormalError, StaleFormError

S = FormalState
LEADER = frozenset({Party.LEADER})
BODY_ADMIN = frozenset({Party.BODY_ADMIN})
ENTERPRISE_ADMIN = frozenset({Party.ENTERPRISE_ADMIN})
READERS = TEAM | ENTERPRISE | BODY_ADMIN | {Party.OVERSEER}


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


def _base(request: HttpRequest, formal: FormalAssessment, mine: frozenset[Party]) -> dict[str, Any]:
    return {
        "formal": formal,
        "mine": mine,
        "is_leader": Party.LEADER in mine,
        "is_team": bool(mine & TEAM),
        "is_body_admin": Party.BODY_ADMIN in mine,
        "is_enterprise_admin": Party.ENTERPRISE_ADMIN in mine,
    }


# ---- 形成评估结论 -----------------------------------------------------------------------------------------


def _conclusion_page(
    request: HttpRequest,
    formal: FormalAssessment,
    mine: frozenset[Party],
    form: ConclusionForm | None = None,
    send_form: SendForm | None = None,
    error: str = "",
    status: int = 200,
    stale: bool = False,
) -> HttpResponse:
    try:
        figures = live_figures(formal.assessment, compute(formal.assessment, allow_unrated=True))
    except AssessmentError as exc:
        figures, error = None, error or exc.message
    initial = {
        "version": formal.version,
        "overall_assessment": formal.overall_assessment,
        "strengths": formal.strengths,
        "weaknesses": formal.weaknesses,
        "recommendations": formal.recommendations,
    }
    strengths, weaknesses = standouts(figures) if figures else ([], [])
    return render(
        request,
        "formal/conclusion_edit.html",
        {
            **_base(request, formal, mine),
            "form": form or ConclusionForm(initial=initial),
            "send_form": send_form
            or SendForm(initial={"version": formal.version, "deadline": results_services.default_deadline()}),
            "fig": figures,
            "strong_rows": strengths,
            "weak_rows": weaknesses,
            "saved": formal,
            "error": error,
            "editable": formal.state == S.CONCLUSION and bool(mine & TEAM),
            "stale": stale,
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def conclusion(request: HttpRequest, pk: int) -> HttpResponse:
    if request.method != "POST":
        formal, mine = get_formal_for_user(request.user, pk, act_as=TEAM | BODY_ADMIN)
        return _conclusion_page(request, formal, mine)
    formal, mine = get_formal_for_user(request.user, pk, act_as=TEAM)
    form = ConclusionForm(request.POST)
    if not form.is_valid():
        return _conclusion_page(request, formal, mine, form=form, status=422)
    data = form.cleaned_data
    try:
        results_services.save_conclusion(
            formal=formal,
            actor=_user(request),
            expected_version=data["version"],
            overall_assessment=data["overall_assessment"],
            strengths=data["strengths"],
            weaknesses=data["weaknesses"],
            recommendations=data["recommendations"],
        )
    except StaleFormError as exc:
        formal.refresh_from_db()
        # The typed text stays in the form; the newer version number lets the user save over it knowingly.
        retry = ConclusionForm({**request.POST.dict(), "version": formal.version})
        retry.is_valid()
        return _conclusion_page(request, formal, mine, form=retry, error=exc.message, status=409, stale=True)
    except FormalError as exc:
        return _conclusion_page(request, formal, mine, form=form, error=exc.message, status=422)
    messages.success(request, "评估结论已保存")
    return redirect("formal:conclusion", pk=formal.pk)


@login_required
@require_POST
def conclusion_send(request: HttpRequest, pk: int) -> HttpResponse:
    formal, mine = get_formal_for_user(request.user, pk, act_as=LEADER)
    form = SendForm(request.POST)
    if not form.is_valid():
        return _conclusion_page(request, formal, mine, send_form=form, status=422)
    try:
        version = results_services.approve_and_send(
            formal=formal,
            actor=_user(request),
            expected_version=form.cleaned_data["version"],
            deadline=form.cleaned_data["deadline"],
        )
    except StaleFormError as exc:
        formal.refresh_from_db()
        return _conclusion_page(request, formal, mine, error=exc.message, status=409)
    except FormalError as exc:
        return _conclusion_page(request, formal, mine, send_form=form, error=exc.message, status=422)
    messages.success(request, f"已批准并发送第 {version.result.version} 版评估结果")
    return redirect("formal:results", pk=formal.pk)


# ---- 评估结果（各版本） -------------------------------------------------------------------------------------


def contest_choices(formal: FormalAssessment, ratings: dict[str, str]) -> list[tuple[str, object]]:
    """The requirements, grouped by sub-domain, each with its settled rating in the sent version."""
    view = sector_view(formal.assessment.catalog_version, formal.assessment.sector)
    groups: dict[str, list[tuple[str, str]]] = {}
    for rid, requirement in view.requirements.items():
        row = view.rows[view.row_index[requirement.row]]
        value = ratings.get(rid)
        label = f"{requirement.level.label} 第{requirement.number}条（评估组评分：{RatingValue(value).label if value else '—'}）"
        groups.setdefault(f"{row.domain} / {row.name}", []).append((rid, label))
    return [("", "请选择要求"), *groups.items()]


def _may_contest(formal: FormalAssessment, mine: frozenset[Party]) -> bool:
    return (
        Party.ENTERPRISE_ADMIN in mine
        and formal.state in (S.COMMUNICATION, S.REBUTTAL)
        and (formal.contest_deadline is None or timezone.localdate() <= formal.contest_deadline)
    )


def _points(formal: FormalAssessment) -> list[ContestPoint]:
    view = sector_view(formal.assessment.catalog_version, formal.assessment.sector)
    points = list(
        ContestPoint.objects.filter(formal=formal)
        .select_related("result", "submitted_by", "answered_by")
        .prefetch_related("evidence")
        .order_by("-result__version", "submitted_at", "id")
    )
    for point in points:
        requirement = view.requirements.get(point.requirement_id)
        if requirement is not None:
            row = view.rows[view.row_index[requirement.row]]
            point.label = f"{row.name} {requirement.level.label} 第{requirement.number}条"  # type: ignore[attr-defined]
            point.text = requirement.text  # type: ignore[attr-defined]
    return points


def _results_page(
    request: HttpRequest,
    formal: FormalAssessment,
    mine: frozenset[Party],
    *,
    contest_form: ContestForm | None = None,
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    versions = versions_of(formal)
    raw = request.GET.get("v", "")
    chosen: ResultVersion | None = None
    if versions:
        chosen = next((v for v in versions if str(v.result.version) == raw), versions[0])
    context: dict[str, Any] = {
        **_base(request, formal, mine),
        "versions": versions,
        "chosen": chosen,
        "error": error,
        "levels": LEVELS,
        "sees_code": formal.state == S.PUBLISHED and bool(mine & (ENTERPRISE | BODY_ADMIN | TEAM)),
    }
    if chosen is not None:
        figures = stored_figures(formal.assessment, chosen.result)
        strengths, weaknesses = standouts(figures)
        context.update(
            {
                "fig": figures,
                "strong_rows": strengths,
                "weak_rows": weaknesses,
                "is_latest": chosen == versions[0],
                "points": _points(formal),
                "may_contest": _may_contest(formal, mine) and chosen == versions[0],
                "may_accept": Party.ENTERPRISE_ADMIN in mine and formal.state == S.COMMUNICATION,
                "may_close": Party.LEADER in mine
                and formal.state == S.COMMUNICATION
                and formal.contest_deadline is not None
                and timezone.localdate() > formal.contest_deadline,
            }
        )
        if context["may_contest"]:
            context["contest_form"] = contest_form or ContestForm(
                choices=contest_choices(formal, chosen.ratings)
            )
    return render(request, "formal/results_page.html", context, status=status)


@login_required
@require_safe
def results(request: HttpRequest, pk: int) -> HttpResponse:
    formal, mine = get_formal_for_user(request.user, pk, act_as=READERS)
    return _results_page(request, formal, mine)


@login_required
@require_safe
def results_diff(request: HttpRequest, pk: int) -> HttpResponse:
    formal, mine = get_formal_for_user(request.user, pk, act_as=READERS)
    versions = versions_of(formal)
    by_number = {str(v.result.version): v for v in versions}
    if len(versions) < 2:
        raise Http404
    before = by_number.get(request.GET.get("a", ""), versions[1])
    after = by_number.get(request.GET.get("b", ""), versions[0])
    if before.result.version > after.result.version:
        before, after = after, before
    return render(
        request,
        "formal/results_diff.html",
        {**_base(request, formal, mine), "versions": versions, "diff": diff(formal, before, after)},
    )


@login_required
@require_POST
def contest(request: HttpRequest, pk: int) -> HttpResponse:
    formal, mine = get_formal_for_user(request.user, pk, act_as=ENTERPRISE_ADMIN)
    latest = results_services.latest_version(formal)
    form = ContestForm(request.POST, choices=contest_choices(formal, latest.ratings if latest else {}))
    if not form.is_valid():
        return _results_page(request, formal, mine, contest_form=form, status=422)
    try:
        results_services.contest(
            formal=formal,
            actor=_user(request),
            requirement_id=form.cleaned_data["requirement_id"],
            argument=form.cleaned_data["argument"],
            files=request.FILES.getlist("files"),
        )
    except FormalError as exc:
        formal.refresh_from_db()
        return _results_page(request, formal, mine, contest_form=form, error=exc.message, status=422)
    messages.success(request, "异议已提交，评估组将逐条答复")
    return redirect("formal:results", pk=formal.pk)


@login_required
@require_POST
def accept(request: HttpRequest, pk: int) -> HttpResponse:
    formal, mine = get_formal_for_user(request.user, pk, act_as=ENTERPRISE_ADMIN)
    try:
        results_services.accept_result(formal=formal, actor=_user(request))
    except FormalError as exc:
        return _results_page(request, formal, mine, error=exc.message, status=422)
    messages.success(request, "已确认评估结果，评估组将召开末次会议")
    return redirect("formal:results", pk=formal.pk)


@login_required
@require_POST
def close(request: HttpRequest, pk: int) -> HttpResponse:
    formal, mine = get_formal_for_user(request.user, pk, act_as=LEADER)
    try:
        results_services.close_communication(formal=formal, actor=_user(request))
    except FormalError as exc:
        return _results_page(request, formal, mine, error=exc.message, status=422)
    messages.success(request, "结果沟通已结束，进入末次会议")
    return redirect("formal:final", pk=formal.pk)


# ---- 再次论证 ---------------------------------------------------------------------------------------------


def _rebuttal_page(
    request: HttpRequest,
    formal: FormalAssessment,
    mine: frozenset[Party],
    *,
    forms: dict[int, AnswerForm] | None = None,
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    points = _points(formal)
    latest = results_services.latest_version(formal)
    current = [p for p in points if latest is not None and p.result_id == latest.result_id]
    answerable = formal.state == S.REBUTTAL and bool(mine & TEAM)
    if answerable:
        for point in current:
            if point.state == ContestState.PENDING:
                point.form = (forms or {}).get(point.pk) or AnswerForm(  # type: ignore[attr-defined]
                    prefix=f"p{point.pk}", initial={"value": point.old_value}
                )
    return render(
        request,
        "formal/rebuttal_list.html",
        {
            **_base(request, formal, mine),
            "current": current,
            "earlier": [p for p in points if p not in current],
            "answerable": answerable,
            "pending": sum(1 for p in current if p.state == ContestState.PENDING),
            "may_rescore": formal.state == S.REBUTTAL and Party.LEADER in mine,
            # Overseers read the points; the enterprise's files stay with the parties (contest_evidence).
            "may_download": bool(mine & (TEAM | ENTERPRISE | BODY_ADMIN)),
            "error": error,
        },
        status=status,
    )


@login_required
@require_safe
def rebuttal(request: HttpRequest, pk: int) -> HttpResponse:
    formal, mine = get_formal_for_user(request.user, pk, act_as=READERS)
    return _rebuttal_page(request, formal, mine)


@login_required
@require_POST
def rebuttal_answer(request: HttpRequest, pk: int, point_pk: int) -> HttpResponse:
    formal, mine = get_formal_for_user(request.user, pk, act_as=TEAM)
    point = ContestPoint.objects.filter(formal=formal, pk=point_pk).first()
    if point is None:
        raise Http404
    form = AnswerForm(request.POST, prefix=f"p{point.pk}")
    if not form.is_valid():
        return _rebuttal_page(request, formal, mine, forms={point.pk: form}, status=422)
    data = form.cleaned_data
    accepted = data["decision"] == "accept"
    try:
        results_services.answer_point(
            point=point,
            actor=_user(request),
            answer=results_services.Answer(
                accepted=accepted,
                answer=data["answer"],
                value=RatingValue(data["value"]) if accepted and data["value"] else None,
                reason=data["reason"],
            ),
        )
    except (FormalError, AssessmentError) as exc:
        formal.refresh_from_db()
        return _rebuttal_page(request, formal, mine, forms={point.pk: form}, error=exc.message, status=422)
    messages.success(request, "已答复该异议")
    return redirect("formal:rebuttal", pk=formal.pk)


@login_required
@require_POST
def rescore(request: HttpRequest, pk: int) -> HttpResponse:
    formal, mine = get_formal_for_user(request.user, pk, act_as=LEADER)
    try:
        version = results_services.rescore(
            formal=formal, actor=_user(request), reason=request.POST.get("reason", "")
        )
    except FormalError as exc:
        return _rebuttal_page(request, formal, mine, error=exc.message, status=422)
    if version is None:
        messages.success(request, "评分未变，评估结果维持不变，进入末次会议")
        return redirect("formal:final", pk=formal.pk)
    messages.success(request, f"已重新评分并发送第 {version.result.version} 版评估结果")
    return redirect("formal:results", pk=formal.pk)


@login_required
@require_safe
def contest_evidence(request: HttpRequest, pk: int, evidence_pk: int) -> FileResponse:
    """An enterprise's rebuttal file, for the team, the body and the enterprise (never served directly)."""
    formal, _ = get_formal_for_user(request.user, pk, act_as=TEAM | ENTERPRISE | BODY_ADMIN)
    evidence = Evidence.objects.filter(
        formal=formal, pk=evidence_pk, source=EvidenceSource.ENTERPRISE
    ).first()
    if evidence is None or not evidence.file:
        raise Http404
    return FileResponse(
        evidence.file.open("rb"),
        as_attachment=True,
        filename=evidence.original_name,
        content_type=evidence.content_type or "application/octet-stream",
    )


# ---- 末次会议、发布、重新开启 ------------------------------------------------------------------------------


def _final_page(
    request: HttpRequest,
    formal: FormalAssessment,
    mine: frozenset[Party],
    form: FinalMeetingForm | None = None,
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    meeting = Meeting.objects.filter(formal=formal, kind=MeetingKind.FINAL).first()
    if form is None:
        initial: dict[str, Any] = {"version": formal.version, "final_conclusion": formal.final_conclusion}
        if meeting is not None:
            initial.update(
                {
                    "held_at": timezone.localtime(meeting.held_at),
                    "place": meeting.place,
                    "attendees": meeting.attendees,
                    "minutes": meeting.minutes,
                }
            )
        form = FinalMeetingForm(initial=initial)
    return render(
        request,
        "formal/results_final.html",
        {
            **_base(request, formal, mine),
            "form": form,
            "meeting": meeting,
            "latest": results_services.latest_version(formal),
            "may_record": formal.state == S.FINAL and Party.LEADER in mine,
            "may_publish": formal.state == S.FINAL and Party.BODY_ADMIN in mine,
            "error": error,
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def final(request: HttpRequest, pk: int) -> HttpResponse:
    if request.method != "POST":
        formal, mine = get_formal_for_user(request.user, pk, act_as=READERS)
        return _final_page(request, formal, mine)
    formal, mine = get_formal_for_user(request.user, pk, act_as=LEADER)
    form = FinalMeetingForm(request.POST)
    if not form.is_valid():
        return _final_page(request, formal, mine, form=form, status=422)
    data = form.cleaned_data
    try:
        publication.record_final_meeting(
            formal=formal,
            actor=_user(request),
            expected_version=data["version"],
            held_at=data["held_at"],
            place=data["place"],
            attendees=data["attendees"],
            minutes=data["minutes"],
            final_conclusion=data["final_conclusion"],
        )
    except StaleFormError as exc:
        formal.refresh_from_db()
        retry = FinalMeetingForm({**request.POST.dict(), "version": formal.version})
        retry.is_valid()
        return _final_page(request, formal, mine, form=retry, error=exc.message, status=409)
    except FormalError as exc:
        return _final_page(request, formal, mine, form=form, error=exc.message, status=422)
    messages.success(request, "末次会议与最终结论已记录")
    return redirect("formal:final", pk=formal.pk)


@login_required
@require_POST
def publish(request: HttpRequest, pk: int) -> HttpResponse:
    formal, mine = get_formal_for_user(request.user, pk, act_as=BODY_ADMIN)
    try:
        published = publication.publish(formal=formal, actor=_user(request))
    except FormalError as exc:
        return _final_page(request, formal, mine, error=exc.message, status=422)
    messages.success(request, f"评估结果已发布，结果编号 {published.result_number}")
    return redirect("formal:results", pk=formal.pk)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def reopen(request: HttpRequest, pk: int) -> HttpResponse:
    formal, mine = get_formal_for_user(request.user, pk, act_as=BODY_ADMIN)
    form = ReasonForm(request.POST or None)
    error = ""
    if request.method == "POST" and form.is_valid():
        try:
            publication.reopen(formal=formal, actor=_user(request), reason=form.cleaned_data["reason"])
        except FormalError as exc:
            error = exc.message
        else:
            messages.success(request, "已重新开启，评估回到“形成评估结论”阶段")
            return redirect("formal:conclusion", pk=formal.pk)
    status = 200 if request.method != "POST" else 422
    return render(
        request,
        "formal/results_reopen.html",
        {**_base(request, formal, mine), "form": form, "error": error},
        status=status,
    )


@login_required
@require_POST
def listing(request: HttpRequest, pk: int) -> HttpResponse:
    formal, mine = get_formal_for_user(request.user, pk, act_as=ENTERPRISE_ADMIN)
    try:
        publication.set_public_listing(
            formal=formal, actor=_user(request), listed=request.POST.get("listed") == "1"
        )
    except FormalError as exc:
        return _results_page(request, formal, mine, error=exc.message, status=422)
    messages.success(request, "公开展示设置已保存")
    return redirect("formal:results", pk=formal.pk)


# ---- 时间线 ---------------------------------------------------------------------------------------------


@login_required
@require_safe
def timeline_fragment(request: HttpRequest, pk: int) -> HttpResponse:
    """The timeline, loaded into the hub page (``formal/_timeline.html``) and shown on its own without JS."""
    formal, mine = get_formal_for_user(request.user, pk)
    return fragment_or_page(
        request,
        "formal/results_timeline.html",
        "formal/results_history.html",
        {**_base(request, formal, mine), "timeline": timeline(formal)},
    )


# ---- 评估历史中的正式评估 -----------------------------------------------------------------------------------


@login_required
@require_safe
def enterprise_results(request: HttpRequest, enterprise_pk: int) -> HttpResponse:
    """The enterprise's formal results, for its history page (loaded there as a fragment: the history lives
    in ``assessments``, a layer below this one) and on their own without JS. The same 404 as the history."""
    enterprise = get_enterprise_assessments_for_user(request.user, enterprise_pk)
    rows = formal_results_of(request.user, enterprise)
    return fragment_or_page(
        request,
        "formal/results_rows.html",
        "formal/results_list.html",
        {"enterprise": enterprise, "formal_rows": rows},
    )
