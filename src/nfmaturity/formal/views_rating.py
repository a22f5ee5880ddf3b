"""The expert's independent rating pages: his rows, a row page with htmx saves, submission, the 组长's
N/A confirmations and reopenings, and the offline field workbook.

Nothing here shows a colleague's rating: the consensus pages do, behind ``may_see_colleague_ratings``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import quote

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from nfmaturity.accounts.requests import AuthenticatedRequest
from nfmaturity.assessments import imports
from nfmaturity.assessments.errors import WorkbookRejectedError
from nfmaturity.assessments.models import ImportState, RatingValue
from nfmaturity.formal import field_workbook
from nfmaturity.formal import services_rating as svc
from nfmaturity.formal.access import TEAM, Party, get_formal_for_user, may_see_colleague_ratings, team_seat
from nfmaturity.formal.forms_rating import ExpertRatingForm, ReopenForm, WorkbookUploadForm
from nfmaturity.formal.models import FormalAssessment, FormalState, TeamMember
from nfmaturity.formal.workflow import FormalError
from nfmaturity.workbook.limits import NOTE_MAX_CHARS, REASON_MAX_CHARS, WORKBOOK_MAX_BYTES

READERS = TEAM | {Party.BODY_ADMIN}


def _seat_or_403(request: AuthenticatedRequest, pk: int) -> tuple[FormalAssessment, TeamMember]:
    formal, _ = get_formal_for_user(request.user, pk, act_as=TEAM)
    seat = team_seat(request.user, formal)
    if seat is None:
        raise PermissionDenied
    return formal, seat


def _can_rate(formal: FormalAssessment, seat: TeamMember | None) -> bool:
    return seat is not None and formal.state == FormalState.ONSITE and seat.ratings_submitted_at is None


def _common(formal: FormalAssessment, seat: TeamMember | None) -> dict[str, Any]:
    return {
        "formal": formal,
        "seat": seat,
        "can_rate": _can_rate(formal, seat),
        "rating_choices": RatingValue.choices,
        "reason_max": REASON_MAX_CHARS,
        "note_max": NOTE_MAX_CHARS,
    }


@login_required
@require_safe
def rating(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """The expert's rows and progress; for the 组长 and the body admin, the team's progress too."""
    formal, mine = get_formal_for_user(request.user, pk, act_as=READERS)
    seat = team_seat(request.user, formal) if mine & TEAM else None
    rows = svc.my_rows(formal, seat) if seat is not None else []
    total = sum(r.total for r in rows)
    rated = sum(r.rated for r in rows)
    leads = Party.LEADER in mine or (Party.BODY_ADMIN in mine and seat is None)
    pending_na = (
        len(svc.pending_not_applicable(formal))
        if Party.LEADER in mine and may_see_colleague_ratings(seat, mine)
        else 0
    )
    return render(
        request,
        "formal/rating_overview.html",
        {
            **_common(formal, seat),
            "rows": rows,
            "total": total,
            "rated": rated,
            "missing": total - rated,
            "is_leader": Party.LEADER in mine,
            "team": svc.team_progress(formal) if leads else [],
            "pending_na": pending_na,
            "can_open": Party.LEADER in mine and formal.state == FormalState.ONSITE,
            "reopen_form": ReopenForm(),
        },
    )


@login_required
@require_safe
def rating_row(request: AuthenticatedRequest, pk: int, index: int) -> HttpResponse:
    formal, seat = _seat_or_403(request, pk)
    view = svc.view_of(formal)
    if not 0 <= index < len(view.rows):
        raise Http404
    row = view.rows[index]
    mine = sorted(view.row_index[r] for r in svc.assigned_rows(seat))
    if index not in mine:
        raise Http404
    items = svc.rating_items(formal, seat, list(row.requirements))
    position = mine.index(index)
    return render(
        request,
        "formal/rating_row.html",
        {
            **_common(formal, seat),
            "row": row,
            "index": index,
            "items": items,
            "row_rated": sum(1 for i in items if i.rating is not None),
            "row_total": len(items),
            "previous": mine[position - 1] if position > 0 else None,
            "next": mine[position + 1] if position + 1 < len(mine) else None,
        },
    )


def _item_response(
    request: HttpRequest,
    formal: FormalAssessment,
    seat: TeamMember,
    item: svc.RatingItem,
    *,
    status: int = 200,
) -> HttpResponse:
    view = svc.view_of(formal)
    row = view.rows[view.row_index[item.requirement.row]]
    row_rated = seat.ratings.filter(row_id=row.id).count()
    return render(
        request,
        "formal/rating_item_response.html",
        {
            **_common(formal, seat),
            "item": item,
            "row_rated": row_rated,
            "row_total": len(row.requirements),
        },
        status=status,
    )


@login_required
@require_POST
def rating_rate(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    form = ExpertRatingForm(request.POST)
    if not form.is_valid() and any(name in form.errors for name in ExpertRatingForm.TAMPER_FIELDS):
        _seat_or_403(request, pk)
        raise Http404
    data = form.cleaned_data
    typed_value = str(request.POST.get("value", ""))
    typed_reason = str(request.POST.get("reason", ""))
    typed_note = str(request.POST.get("note", ""))
    if form.is_valid():
        try:
            saved = svc.set_expert_rating(
                formal=pk,
                actor=request.user,
                requirement_id=data["requirement_id"],
                value=RatingValue(data["value"]),
                expected_version=data["version"],
                reason=data["reason"],
                note=data["note"],
            )
        except svc.StaleExpertRatingError as exc:
            return _refused(
                request,
                pk,
                data["requirement_id"],
                exc.message,
                typed_value,
                typed_reason,
                typed_note,
                conflict=True,
            )
        except FormalError as exc:
            return _refused(
                request, pk, data["requirement_id"], exc.message, typed_value, typed_reason, typed_note
            )
        view = svc.view_of(saved.formal)
        item = svc.RatingItem(
            requirement=view.requirements[saved.rating.requirement_id],
            label=svc.requirement_label(view, saved.rating.requirement_id),
            rating=saved.rating,
            self_rating=None,
        )
        return _item_response(request, saved.formal, saved.seat, item)
    message = "；".join(str(e) for errors in form.errors.values() for e in errors)
    return _refused(request, pk, data["requirement_id"], message, typed_value, typed_reason, typed_note)


def _refused(
    request: AuthenticatedRequest,
    pk: int,
    requirement_id: str,
    message: str,
    value: str,
    reason: str,
    note: str,
    *,
    conflict: bool = False,
) -> HttpResponse:
    """A save that wrote nothing: the block again with the platform's rating, what he typed, and why."""
    formal, seat = _seat_or_403(request, pk)
    view = svc.view_of(formal)
    requirement = view.requirements.get(requirement_id)
    if requirement is None:
        raise Http404
    item = svc.rating_items(formal, seat, [requirement], evidence=False)[0]
    item.self_rating = None
    item.error = message
    item.conflict = conflict
    item.typed_value = value if value in RatingValue.values else ""
    item.typed_reason = reason
    item.typed_note = note
    return _item_response(request, formal, seat, item, status=409 if conflict else 422)


@login_required
@require_POST
def rating_submit(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    formal, _ = _seat_or_403(request, pk)
    try:
        opened = svc.submit_ratings(formal=formal, actor=request.user)
    except FormalError as exc:
        messages.error(request, exc.message)
        return redirect("formal:rating", pk=formal.pk)
    if opened:
        messages.success(request, "评分已提交。全体专家均已提交，评分合议已开始。")
        return redirect("formal:consensus", pk=formal.pk)
    messages.success(request, "评分已提交并冻结。现在可以查看其他专家的评分；全体提交后开始评分合议。")
    return redirect("formal:rating", pk=formal.pk)


@login_required
@require_POST
def rating_reopen(request: AuthenticatedRequest, pk: int, member_pk: int) -> HttpResponse:
    formal, seat = _seat_or_403(request, pk)
    if not seat.is_leader:
        raise PermissionDenied
    form = ReopenForm(request.POST)
    try:
        if not form.is_valid():
            raise FormalError("重新开放评分须填写原因")
        member = svc.reopen_ratings(
            formal=formal, actor=request.user, member_pk=member_pk, reason=form.cleaned_data["reason"]
        )
    except FormalError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"已重新开放{member.expert.full_name}的评分。")
    return redirect("formal:rating", pk=formal.pk)


@login_required
@require_http_methods(["GET", "POST"])
def rating_not_applicable(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """The 组长's list of 不适用 ratings awaiting his confirmation (once he has submitted his own)."""
    formal, seat = _seat_or_403(request, pk)
    if not seat.is_leader:
        raise PermissionDenied
    allowed = may_see_colleague_ratings(seat, frozenset({Party.LEADER}))
    error = ""
    if request.method == "POST":
        if not allowed:
            raise PermissionDenied
        ids = [int(v) for v in request.POST.getlist("rating") if v.isdigit()]
        try:
            count = svc.confirm_not_applicable(formal=formal, actor=request.user, rating_ids=ids)
        except FormalError as exc:
            error = exc.message
        else:
            messages.success(request, f"已确认 {count} 项不适用评分。")
            return redirect("formal:rating_not_applicable", pk=formal.pk)
    view = svc.view_of(formal)
    pending = svc.pending_not_applicable(formal) if allowed else []
    return render(
        request,
        "formal/rating_not_applicable.html",
        {
            "formal": formal,
            "seat": seat,
            "allowed": allowed,
            "pending": [(r, svc.requirement_label(view, r.requirement_id)) for r in pending],
            "error": error,
        },
        status=422 if error else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def rating_workbook(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """GET: download his field workbook. POST: upload a filled one and go to the preview."""
    formal, seat = _seat_or_403(request, pk)
    if request.method == "GET":
        if request.GET.get("download") != "1":
            return _upload_page(request, formal, seat, WorkbookUploadForm())
        data = field_workbook.export_bytes(formal, seat)
        response = HttpResponse(
            data, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )
        name = f"现场评估表-{formal.enterprise.name}-{formal.pk}-{seat.expert.full_name}.xlsx"
        response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(name)}"
        return response
    form = WorkbookUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        reason = next(iter(form.errors.get("file") or ["请选择已填写的现场评估表文件"]))
        return _upload_page(request, formal, seat, form, error=f"未导入任何评分：{reason}", status=422)
    try:
        parsed = imports.read_upload(form.cleaned_data["file"])
        pending = field_workbook.preview(formal=formal, actor=request.user, parsed=parsed)
    except imports.WorkbookTooLargeError as exc:
        return _upload_page(request, formal, seat, form, error=exc.message, status=413)
    except WorkbookRejectedError as exc:
        if len(exc.problems) == 1:
            return _upload_page(
                request, formal, seat, form, error=f"未导入任何评分：{exc.problems[0]}", status=422
            )
        return _upload_page(request, formal, seat, form, error=exc.message, problems=exc.problems, status=422)
    except FormalError as exc:
        return _upload_page(request, formal, seat, form, error=exc.message, status=422)
    return redirect("formal:rating_workbook_apply", pk=formal.pk, import_pk=pending.pk)


def _upload_page(
    request: HttpRequest,
    formal: FormalAssessment,
    seat: TeamMember,
    form: WorkbookUploadForm,
    *,
    error: str = "",
    problems: list[str] | None = None,
    status: int = 200,
) -> HttpResponse:
    return render(
        request,
        "formal/rating_workbook.html",
        {
            **_common(formal, seat),
            "form": form,
            "error": error,
            "problems": problems or [],
            "max_mb": WORKBOOK_MAX_BYTES // 1024 // 1024,
        },
        status=status,
    )


_LABELS = dict(RatingValue.choices)


def _shown(entry: dict[str, Any]) -> dict[str, Any]:
    updated_at = entry.get("updated_at")
    return {
        **entry,
        "label_new": _LABELS[entry["value"]],
        "label_old": _LABELS.get(entry["old_value"] or "", "未评分"),
        "updated_at": datetime.fromisoformat(updated_at) if updated_at else None,
    }


@login_required
@require_http_methods(["GET", "POST"])
def rating_workbook_apply(request: AuthenticatedRequest, pk: int, import_pk: int) -> HttpResponse:
    formal, seat = _seat_or_403(request, pk)
    pending = field_workbook.pending_import(formal, request.user, import_pk)
    error = ""
    if request.method == "POST":
        bulk = request.POST.get("all")
        if bulk == "workbook":
            take = {c["requirement_id"] for c in pending.conflicts}
        elif bulk == "platform":
            take = set()
        else:
            take = {
                c["requirement_id"]
                for c in pending.conflicts
                if request.POST.get(f"c-{c['row_number']}") == "workbook"
            }
        try:
            count = field_workbook.apply(
                formal=formal, actor=request.user, import_pk=pending.pk, take_workbook=take
            )
        except FormalError as exc:
            error = exc.message
        else:
            kept = len(pending.conflicts) - len(take)
            text = f"已导入 {count} 项评分。"
            if kept:
                text += f"{kept} 项冲突保留了平台上较新的评分。"
            messages.success(request, text)
            return redirect("formal:rating", pk=formal.pk)
    return render(
        request,
        "formal/rating_workbook_preview.html",
        {
            **_common(formal, seat),
            "pending": pending,
            "rows": [_shown(c) for c in pending.changes],
            "conflicts": [_shown(c) for c in pending.conflicts],
            "applied": pending.state == ImportState.APPLIED,
            "error": error,
        },
        status=409 if error else 200,
    )
