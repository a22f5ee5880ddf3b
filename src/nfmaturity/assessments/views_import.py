"""Offline workbook: download → fill in Excel/WPS → upload → preview (conflicts first) → apply all or nothing."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import quote

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_http_methods

from nfmaturity.accounts.requests import AuthenticatedRequest
from nfmaturity.assessments import imports
from nfmaturity.assessments.access import get_assessment_for_user
from nfmaturity.assessments.catalogs import catalog
from nfmaturity.assessments.errors import AssessmentError, WorkbookRejectedError
from nfmaturity.assessments.forms import WorkbookForm
from nfmaturity.assessments.models import Assessment, ImportState, RatingValue, WorkbookImport
from nfmaturity.catalog.model import Sector
from nfmaturity.scoring.ratings import Rating
from nfmaturity.workbook.limits import WORKBOOK_MAX_BYTES
from nfmaturity.workbook.xlsx import Prefill, workbook_bytes

# Room for the multipart envelope and the CSRF field around a file at the size cap.
_FORM_SLACK = 64 * 1024


# CSRF is checked by ``_receive`` below, after the size check: the CSRF check reads (and stores) the
# whole request body, which for an oversized upload is exactly what must not happen.
@csrf_exempt
@login_required
@require_http_methods(["GET", "POST"])
def upload_workbook(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    assessment = get_assessment_for_user(request.user, pk, write=True)
    if request.method == "GET" and request.GET.get("download") == "1":
        return _download(assessment)
    if request.method == "POST":
        declared = _declared_length(request)
        if declared > WORKBOOK_MAX_BYTES + _FORM_SLACK:
            error = imports.WorkbookTooLargeError(declared).message
            return _upload_page(request, assessment, WorkbookForm(), error=error, status=413)
    return _receive(request, assessment)


def _declared_length(request: HttpRequest) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


@csrf_protect
def _receive(request: AuthenticatedRequest, assessment: Assessment) -> HttpResponse:
    form = WorkbookForm(request.POST or None, request.FILES or None)
    if request.method != "POST":
        return _upload_page(request, assessment, form)
    if not form.is_valid():
        # No file, or an empty one: said once, in the same place as every other refusal.
        reason = next(iter(form.errors.get("file") or ["请选择已填写的离线评估表文件"]))
        return _upload_page(
            request, assessment, WorkbookForm(), error=f"未导入任何评分：{reason}", status=422
        )
    try:
        # Parsed here, outside any transaction (ATOMIC_REQUESTS is off); only the comparison with the
        # platform's ratings runs in one, and it is short.
        parsed = imports.read_upload(form.cleaned_data["file"])
        pending = imports.preview_workbook(assessment=assessment, actor=request.user, parsed=parsed)
    except imports.WorkbookTooLargeError as exc:
        return _upload_page(request, assessment, form, error=exc.message, status=413)
    except WorkbookRejectedError as exc:
        if len(exc.problems) == 1:  # a problem with the whole file (damaged, hostile, …): one sentence
            return _upload_page(
                request, assessment, form, error=f"未导入任何评分：{exc.problems[0]}", status=422
            )
        return _upload_page(request, assessment, form, error=exc.message, problems=exc.problems, status=422)
    except AssessmentError as exc:
        return _upload_page(request, assessment, form, error=exc.message, status=422)
    return redirect("assessments:import_apply", pk=assessment.pk, import_pk=pending.pk)


def _upload_page(
    request: HttpRequest,
    assessment: Assessment,
    form: WorkbookForm,
    *,
    error: str = "",
    problems: list[str] | None = None,
    status: int = 200,
) -> HttpResponse:
    return render(
        request,
        "assessments/import.html",
        {
            "assessment": assessment,
            "can_fill": assessment.is_draft,
            "form": form,
            "error": error,
            "problems": problems or [],
            "max_mb": WORKBOOK_MAX_BYTES // 1024 // 1024,
        },
        status=status,
    )


def _download(assessment: Assessment) -> HttpResponse:
    # The workbook carries the ratings given so far, each with its version, so that on import a rating
    # changed on the platform after this moment is recognised as a conflict, not silently overwritten.
    prefill = {
        r.requirement_id: Prefill(Rating(r.value), r.reason, r.note, version=r.version)
        for r in assessment.ratings.all()
    }
    data = workbook_bytes(
        catalog(assessment.catalog_version),
        Sector(assessment.sector),
        prefill,
        assessment_id=assessment.pk,
        exported_at=timezone.now(),
    )
    response = HttpResponse(
        data, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    filename = f"自评估-{assessment.get_sector_display()}-{assessment.catalog_version}-{assessment.pk}.xlsx"
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    return response


@login_required
@require_http_methods(["GET", "POST"])
def apply_workbook(request: AuthenticatedRequest, pk: int, import_pk: int) -> HttpResponse:
    assessment = get_assessment_for_user(request.user, pk, write=True)
    pending = WorkbookImport.objects.filter(pk=import_pk, assessment=assessment).first()
    if pending is None:
        raise Http404
    error = ""
    if request.method == "POST":
        take = _taken_from_workbook(request.POST, pending.conflicts)
        try:
            count = imports.apply_workbook_import(
                workbook_import=pending, actor=request.user, take_workbook=take
            )
        except AssessmentError as exc:
            error = exc.message
        else:
            kept = len(pending.conflicts) - len(take)
            text = f"已导入 {count} 项评分。"
            if kept:
                text += f"{kept} 项冲突保留了平台上较新的评分。"
            messages.success(request, text)
            return redirect("assessments:overview", pk=assessment.pk)
    conflicts = [_shown(c) for c in pending.conflicts]
    return render(
        request,
        "assessments/import_preview.html",
        {
            "assessment": assessment,
            "can_fill": assessment.is_draft,
            "pending": pending,
            "rows": [_shown(c) for c in pending.changes],
            "conflicts": conflicts,
            "legacy": any(c["workbook_version"] is None for c in pending.conflicts),
            "applied": pending.state == ImportState.APPLIED,
            "error": error,
        },
        status=409 if error else 200,
    )


def _taken_from_workbook(post: QueryDict, conflicts: list[dict[str, Any]]) -> set[str]:
    """The conflicts the user chose to resolve with the workbook's value; anything else keeps the platform's."""
    bulk = post.get("all")
    if bulk == "workbook":
        return {c["requirement_id"] for c in conflicts}
    if bulk == "platform":
        return set()
    return {c["requirement_id"] for c in conflicts if post.get(f"c-{c['row_number']}") == "workbook"}


_LABELS = dict(RatingValue.choices)


def _shown(entry: dict[str, Any]) -> dict[str, Any]:
    updated_at = entry.get("updated_at")
    # Imports previewed before conflicts existed lack the newer keys: show them as "unchanged text".
    entry = {
        "label": f"第{entry['row_number']}行",
        "old_reason": entry["reason"],
        "old_note": entry["note"],
        **entry,
    }
    return {
        **entry,
        "label_new": _LABELS[entry["value"]],
        "label_old": _LABELS.get(entry["old_value"] or "", "未评分"),
        "value_changed": entry["value"] != entry["old_value"],
        "reason_changed": entry["reason"] != entry["old_reason"],
        "note_changed": entry["note"] != entry["old_note"],
        "updated_at": datetime.fromisoformat(updated_at) if updated_at else None,
    }
