from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from nfmaturity.accounts.requests import AuthenticatedRequest
from nfmaturity.assessments import selectors, services
from nfmaturity.assessments.access import can_fill, get_assessment_for_user, get_attachment_for_user
from nfmaturity.assessments.errors import AssessmentError, StaleRatingError
from nfmaturity.assessments.evidence import ALLOWED_LABEL, DuplicateEvidenceError
from nfmaturity.assessments.forms import AttachmentForm, RatingForm, StartForm, WithdrawForm
from nfmaturity.assessments.models import Assessment, AssessmentState, RatingValue
from nfmaturity.assessments.selectors import Typed
from nfmaturity.enterprises.access import get_enterprise_for_user, own_enterprise
from nfmaturity.workbook.limits import NOTE_MAX_CHARS, REASON_MAX_CHARS


@login_required
@require_http_methods(["GET", "POST"])
def start(request: AuthenticatedRequest) -> HttpResponse:
    enterprise = own_enterprise(request.user)
    if enterprise is None:
        raise PermissionDenied
    enterprise = get_enterprise_for_user(request.user, enterprise.pk)
    form = StartForm(request.POST or None, enterprise=enterprise)
    if request.method == "POST" and form.is_valid():
        assessment = services.start_self_assessment(
            enterprise=enterprise,
            actor=request.user,
            sector=form.cleaned_data["sector"],
            unit=form.cleaned_data["unit"],
        )
        return redirect("assessments:overview", pk=assessment.pk)
    return render(request, "assessments/start.html", {"form": form, "enterprise": enterprise})


def _common(request: HttpRequest, assessment: Assessment) -> dict[str, object]:
    return {
        "assessment": assessment,
        "can_fill": assessment.is_draft and can_fill(request.user, assessment),
        "rating_choices": RatingValue.choices,
        "reason_max": REASON_MAX_CHARS,
        "note_max": NOTE_MAX_CHARS,
        "upload_hint": f"{ALLOWED_LABEL}，每个不超过 {settings.NFM_UPLOAD_MAX_BYTES // 1048576} MB",
    }


@login_required
@require_safe  # pages that only read: a POST is refused before any lookup
def overview(request: HttpRequest, pk: int) -> HttpResponse:
    assessment = get_assessment_for_user(request.user, pk)
    domains = selectors.outline(assessment)
    rated = sum(d.rated for d in domains)
    return render(
        request,
        "assessments/overview.html",
        {
            **_common(request, assessment),
            "domains": domains,
            "rated": rated,
            "percent": selectors.percent(rated, assessment.requirement_count),
            "grade_help": selectors.grade_help(selectors.view_of(assessment)),
        },
    )


@login_required
@require_safe
def row(request: HttpRequest, pk: int, index: int) -> HttpResponse:
    assessment = get_assessment_for_user(request.user, pk)
    row, groups, row_rated = selectors.row_page(assessment, index)
    view = selectors.view_of(assessment)
    rated = selectors.rated_count(assessment)
    return render(
        request,
        "assessments/row.html",
        {
            **_common(request, assessment),
            "row": row,
            "index": index,
            "groups": groups,
            "row_rated": row_rated,
            "row_total": len(row.requirements),
            "rated": rated,
            "percent": selectors.percent(rated, assessment.requirement_count),
            "previous": index - 1 if index > 0 else None,
            "next": index + 1 if index + 1 < len(view.rows) else None,
            "row_notes": [view.notes[n] for n in row.notes if n in view.notes],
            "grade_help": selectors.grade_help(view),
        },
    )


def _rating_response(
    request: HttpRequest,
    assessment: Assessment,
    item: selectors.RequirementItem,
    *,
    rated: int | None = None,
    row_rated: int | None = None,
    status: int = 200,
) -> HttpResponse:
    """The re-rendered rating block of one requirement plus out-of-band progress counters."""
    view = selectors.view_of(assessment)
    row_id = item.requirement.row
    if rated is None or row_rated is None:
        rated, row_rated = selectors.progress(assessment, row_id)
    context = {
        **_common(request, assessment),
        "item": item,
        "oob": True,
        "row_rated": row_rated,
        "row_total": len(view.rows[view.row_index[row_id]].requirements),
        "rated": rated,
        "percent": selectors.percent(rated, assessment.requirement_count),
    }
    return render(request, "assessments/_requirement_response.html", context, status=status)


def _refused(
    request: HttpRequest, pk: int, requirement_id: str, typed: Typed, message: str, *, conflict: bool = False
) -> HttpResponse:
    """A save that wrote nothing: the card again with the platform's state, what the user typed, and why."""
    assessment = get_assessment_for_user(request.user, pk, write=True)
    item = selectors.requirement_item(assessment, requirement_id)
    item.error = message
    item.typed = typed
    item.conflict = conflict
    return _rating_response(request, assessment, item, status=409 if conflict else 422)


@login_required
@require_POST
def rate(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    form = RatingForm(request.POST)
    if not form.is_valid():
        if any(name in form.errors for name in RatingForm.TAMPER_FIELDS):
            get_assessment_for_user(request.user, pk, write=True)  # 404/403 before anything else
            raise Http404  # only a tampered form gets here
        typed = Typed(
            request.POST.get("value", ""), request.POST.get("reason", ""), request.POST.get("note", "")
        )
        message = "；".join(str(e) for errors in form.errors.values() for e in errors)
        return _refused(request, pk, form.cleaned_data["requirement_id"], typed, message)
    data = form.cleaned_data
    typed = Typed(data["value"], data["reason"], data["note"])
    try:
        # The primary key, not an object: the service's locking read is the access check (8 queries a save).
        saved = services.set_rating(
            assessment=pk,
            actor=request.user,
            requirement_id=data["requirement_id"],
            value=RatingValue(data["value"]),
            expected_version=data["version"],
            reason=data["reason"],
            note=data["note"],
        )
    except StaleRatingError as exc:
        return _refused(request, pk, data["requirement_id"], typed, exc.message, conflict=True)
    except AssessmentError as exc:
        return _refused(request, pk, data["requirement_id"], typed, exc.message)
    view = selectors.view_of(saved.assessment)
    requirement = view.requirements[data["requirement_id"]]
    # The rating block only: the evidence list beside it is not re-read on a rating click.
    item = selectors.RequirementItem(
        requirement,
        saved.record,
        [],
        [],
        selectors.requirement_label(view, requirement.id),
    )
    return _rating_response(request, saved.assessment, item, rated=saved.rated, row_rated=saved.row_rated)


def _evidence_response(
    request: HttpRequest, assessment: Assessment, item: selectors.RequirementItem, status: int = 200
) -> HttpResponse:
    return render(
        request, "assessments/_evidence.html", {**_common(request, assessment), "item": item}, status=status
    )


@login_required
@require_POST
def upload(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    assessment = get_assessment_for_user(request.user, pk, write=True)
    form = AttachmentForm(request.POST, request.FILES)
    requirement_id = request.POST.get("requirement_id", "")
    item = selectors.requirement_item(assessment, requirement_id)
    if not form.is_valid():
        item.evidence_error = "；".join(str(e) for errors in form.errors.values() for e in errors)
        return _evidence_response(request, assessment, item, status=422)
    try:
        added = services.add_attachment(
            assessment=assessment,
            actor=request.user,
            requirement_id=requirement_id,
            upload=form.cleaned_data["file"],
        )
    except DuplicateEvidenceError as exc:
        item.evidence_error = exc.message
        return _evidence_response(request, assessment, item, status=409)
    except AssessmentError as exc:
        item.evidence_error = exc.message
        return _evidence_response(request, assessment, item, status=422)
    item = selectors.requirement_item(assessment, requirement_id)
    item.evidence_notice = f"已上传“{added.attachment.original_name}”。"
    if added.also_at:
        item.evidence_notice += (
            f"提示：同一文件此前已上传到 {'、'.join(added.also_at)}。"
            "一份文件可以同时作为多条要求的证据；如是误传，可点“删除”。"
        )
    return _evidence_response(request, assessment, item)


@login_required
@require_POST
def remove_attachment(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    attachment = get_attachment_for_user(request.user, pk)
    assessment = get_assessment_for_user(request.user, attachment.assessment_id, write=True)
    try:
        services.remove_attachment(attachment=attachment, actor=request.user)
    except AssessmentError as exc:
        item = selectors.requirement_item(assessment, attachment.requirement_id)
        item.evidence_error = exc.message
        return _evidence_response(request, assessment, item, status=422)
    item = selectors.requirement_item(assessment, attachment.requirement_id)
    item.evidence_notice = f"已删除“{attachment.original_name}”。"
    return _evidence_response(request, assessment, item)


@login_required
@require_http_methods(["GET", "POST"])
def withdraw(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    assessment = get_assessment_for_user(request.user, pk, write=True)
    if not assessment.is_draft:
        return redirect("assessments:overview", pk=assessment.pk)
    form = WithdrawForm(request.POST or None)
    error = ""
    if request.method == "POST" and form.is_valid():
        try:
            services.withdraw_assessment(
                assessment=assessment, actor=request.user, reason=form.cleaned_data["reason"]
            )
        except AssessmentError as exc:
            error = exc.message
        else:
            messages.success(
                request,
                f"{assessment.get_sector_display()}自评估 #{assessment.pk} 已撤回，记录仍保留（只读）。",
            )
            return redirect("home")
    rated = selectors.rated_count(assessment)
    return render(
        request,
        "assessments/withdraw.html",
        {**_common(request, assessment), "form": form, "rated": rated, "error": error},
        status=422 if error else 200,
    )


@login_required
@require_safe
def download(request: HttpRequest, pk: int) -> FileResponse:
    attachment = get_attachment_for_user(request.user, pk)
    return FileResponse(
        attachment.file.open("rb"),
        as_attachment=True,
        filename=attachment.original_name,
        content_type=attachment.content_type,
    )


@login_required
@require_http_methods(["GET", "POST"])
def submit(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    assessment = get_assessment_for_user(request.user, pk, write=True)
    if not assessment.is_draft:
        submitted = assessment.state == AssessmentState.SUBMITTED
        return redirect("assessments:results" if submitted else "assessments:overview", pk=assessment.pk)
    rated = selectors.rated_count(assessment)
    error = ""
    if request.method == "POST":
        try:
            services.submit_assessment(assessment=assessment, actor=request.user)
        except AssessmentError as exc:
            error = exc.message
        else:
            messages.success(request, "自评估已提交，结果已保存。")
            return redirect("assessments:results", pk=assessment.pk)
    missing = assessment.requirement_count - rated
    first_missing = selectors.first_incomplete_row(assessment) if missing else None
    return render(
        request,
        "assessments/submit.html",
        {
            **_common(request, assessment),
            "rated": rated,
            "percent": selectors.percent(rated, assessment.requirement_count),
            "missing": missing,
            "first_missing": first_missing,
            "error": error,
        },
        status=422 if error else 200,
    )


def results_url(assessment: Assessment) -> str:
    return reverse("assessments:results", args=[assessment.pk])
