from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from nfmaturity.assessments import selectors, services
from nfmaturity.assessments.access import can_fill, get_assessment_for_user, get_attachment_for_user
from nfmaturity.assessments.errors import AssessmentError, StaleRatingError
from nfmaturity.assessments.forms import AttachmentForm, RatingForm, StartForm
from nfmaturity.assessments.models import Assessment, RatingValue
from nfmaturity.enterprises.access import get_enterprise_for_user, own_enterprise


@login_required
@require_http_methods(["GET", "POST"])
def start(request: HttpRequest) -> HttpResponse:
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
    }


@login_required
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
        },
    )


@login_required
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
        },
    )


def _requirement_response(
    request: HttpRequest, assessment: Assessment, item: selectors.RequirementItem, status: int = 200
) -> HttpResponse:
    """The re-rendered requirement card plus out-of-band progress counters."""
    view = selectors.view_of(assessment)
    row_id = item.requirement.row
    rated = selectors.rated_count(assessment)
    row_rated = assessment.ratings.filter(row_id=row_id).count()
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


@login_required
@require_POST
def rate(request: HttpRequest, pk: int) -> HttpResponse:
    assessment = get_assessment_for_user(request.user, pk, write=True)
    form = RatingForm(request.POST)
    if not form.is_valid():
        raise Http404  # only a tampered form gets here
    data = form.cleaned_data
    try:
        services.set_rating(
            assessment=assessment,
            actor=request.user,
            requirement_id=data["requirement_id"],
            value=RatingValue(data["value"]),
            expected_version=data["version"],
            reason=data["reason"],
            note=data["note"],
        )
    except StaleRatingError as exc:
        item = selectors.requirement_item(assessment, data["requirement_id"])
        item.error = exc.message
        return _requirement_response(request, assessment, item, status=409)
    except AssessmentError as exc:
        item = selectors.requirement_item(assessment, data["requirement_id"])
        item.error = exc.message
        item.show_reason = data["value"] == RatingValue.NOT_APPLICABLE
        return _requirement_response(request, assessment, item, status=422)
    item = selectors.requirement_item(assessment, data["requirement_id"])
    return _requirement_response(request, assessment, item)


@login_required
@require_POST
def upload(request: HttpRequest, pk: int) -> HttpResponse:
    assessment = get_assessment_for_user(request.user, pk, write=True)
    form = AttachmentForm(request.POST, request.FILES)
    requirement_id = request.POST.get("requirement_id", "")
    item = selectors.requirement_item(assessment, requirement_id)
    if not form.is_valid():
        item.error = "请选择要上传的文件"
        return _requirement_response(request, assessment, item, status=422)
    try:
        services.add_attachment(
            assessment=assessment,
            actor=request.user,
            requirement_id=requirement_id,
            upload=form.cleaned_data["file"],
        )
    except AssessmentError as exc:
        item.error = exc.message
        return _requirement_response(request, assessment, item, status=422)
    return _requirement_response(request, assessment, selectors.requirement_item(assessment, requirement_id))


@login_required
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
def submit(request: HttpRequest, pk: int) -> HttpResponse:
    assessment = get_assessment_for_user(request.user, pk, write=True)
    if not assessment.is_draft:
        return redirect("assessments:results", pk=assessment.pk)
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
            "missing": missing,
            "first_missing": first_missing,
            "error": error,
        },
        status=422 if error else 200,
    )


def results_url(assessment: Assessment) -> str:
    return reverse("assessments:results", args=[assessment.pk])
