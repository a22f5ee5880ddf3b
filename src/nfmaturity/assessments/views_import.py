"""Importing a filled offline workbook: upload → preview of the changes → apply all or nothing."""

from __future__ import annotations

from urllib.parse import quote

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from nfmaturity.assessments import imports
from nfmaturity.assessments.access import get_assessment_for_user
from nfmaturity.assessments.catalogs import catalog
from nfmaturity.assessments.errors import AssessmentError, WorkbookRejectedError
from nfmaturity.assessments.forms import WorkbookForm
from nfmaturity.assessments.models import ImportState, RatingValue, WorkbookImport
from nfmaturity.catalog.model import Sector
from nfmaturity.scoring.ratings import Rating
from nfmaturity.workbook.xlsx import Prefill, workbook_bytes


@login_required
@require_http_methods(["GET", "POST"])
def upload_workbook(request: HttpRequest, pk: int) -> HttpResponse:
    assessment = get_assessment_for_user(request.user, pk, write=True)
    if request.GET.get("download") == "1":
        # The workbook carries the ratings given so far, so offline work goes on from where it stands.
        prefill = {
            r.requirement_id: Prefill(Rating(r.value), r.reason, r.note) for r in assessment.ratings.all()
        }
        data = workbook_bytes(catalog(assessment.catalog_version), Sector(assessment.sector), prefill)
        response = HttpResponse(
            data, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )
        filename = (
            f"自评估-{assessment.get_sector_display()}-{assessment.catalog_version}-{assessment.pk}.xlsx"
        )
        response["Content-Disposition"] = f"attachment; filename*=UTF-8''{_quote(filename)}"
        return response
    form = WorkbookForm(request.POST or None, request.FILES or None)
    problems: list[str] = []
    error = ""
    if request.method == "POST" and form.is_valid():
        try:
            pending = imports.preview_workbook(
                assessment=assessment, actor=request.user, upload=form.cleaned_data["file"]
            )
        except WorkbookRejectedError as exc:
            error, problems = exc.message, exc.problems
        except AssessmentError as exc:
            error = exc.message
        else:
            return redirect("assessments:import_apply", pk=assessment.pk, import_pk=pending.pk)
    return render(
        request,
        "assessments/import.html",
        {
            "assessment": assessment,
            "can_fill": assessment.is_draft,
            "form": form,
            "error": error,
            "problems": problems,
        },
        status=422 if error else 200,
    )


def _quote(name: str) -> str:
    return quote(name)


@login_required
@require_http_methods(["GET", "POST"])
def apply_workbook(request: HttpRequest, pk: int, import_pk: int) -> HttpResponse:
    assessment = get_assessment_for_user(request.user, pk, write=True)
    pending = WorkbookImport.objects.filter(pk=import_pk, assessment=assessment).first()
    if pending is None:
        raise Http404
    error = ""
    if request.method == "POST":
        try:
            count = imports.apply_workbook_import(workbook_import=pending, actor=request.user)
        except AssessmentError as exc:
            error = exc.message
        else:
            messages.success(request, f"已导入 {count} 项评分。")
            return redirect("assessments:overview", pk=assessment.pk)
    labels = dict(RatingValue.choices)
    rows = [
        {**c, "label": labels[c["value"]], "old_label": labels.get(c["old_value"] or "", "未评分")}
        for c in pending.changes
    ]
    return render(
        request,
        "assessments/import_preview.html",
        {
            "assessment": assessment,
            "can_fill": assessment.is_draft,
            "pending": pending,
            "rows": rows,
            "applied": pending.state == ImportState.APPLIED,
            "error": error,
        },
        status=409 if error else 200,
    )
