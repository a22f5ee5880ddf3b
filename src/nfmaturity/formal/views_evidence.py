"""Evidence pages: the list and the form to add (team), the access-checked download, the removal."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from nfmaturity.accounts.requests import AuthenticatedRequest
from nfmaturity.assessments.evidence import ALLOWED_LABEL
from nfmaturity.formal import services_evidence as svc
from nfmaturity.formal.access import TEAM, get_formal_for_user, team_seat
from nfmaturity.formal.forms_rating import EvidenceForm
from nfmaturity.formal.models import CollectionMethod, FormalState
from nfmaturity.formal.services_rating import assigned_rows, requirement_label, view_of
from nfmaturity.formal.workflow import FormalError


@login_required
@require_http_methods(["GET", "POST"])
def evidence(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    formal, mine = get_formal_for_user(request.user, pk)
    if not (mine & svc.READERS):
        raise PermissionDenied
    seat = team_seat(request.user, formal) if mine & TEAM else None
    can_add = seat is not None and formal.state in svc.ADD_STATES
    if request.method == "POST" and not can_add:
        raise PermissionDenied
    view = view_of(formal)
    # The expert's own rows first in the list of requirements to link, then the others.
    own = assigned_rows(seat) if seat is not None else set()
    rows = sorted(view.rows, key=lambda r: r.id not in own)
    choices = [
        (row.name, [(req.id, f"{req.level.label}-{req.number} {req.text[:40]}") for req in row.requirements])
        for row in rows
    ]
    initial = {}
    wanted = request.GET.get("requirement", "")
    if wanted in view.requirements:
        initial["requirements"] = [wanted]
    posted = request.method == "POST"
    form = EvidenceForm(
        request.POST if posted else None,
        request.FILES if posted else None,
        choices=choices,
        initial=initial,
    )
    error = ""
    if request.method == "POST" and form.is_valid() and seat is not None:
        data = form.cleaned_data
        try:
            added = svc.add_evidence(
                formal=formal,
                actor=request.user,
                description=data["description"],
                method=CollectionMethod(data["method"]),
                collected_on=data["collected_on"],
                requirement_ids=list(data["requirements"]),
                upload=data["file"],
            )
        except FormalError as exc:
            error = exc.message
        else:
            messages.success(request, f"已记录证据（关联 {added.links.count()} 条要求）。")
            return redirect("formal:evidence", pk=formal.pk)
    elif request.method == "POST":
        error = "；".join(str(e) for errors in form.errors.values() for e in errors)
    items = svc.evidence_list(formal)
    labelled = [
        (
            e,
            [
                requirement_label(view, link.requirement_id)
                for link in e.links.all()
                if link.requirement_id in view.requirements
            ],
        )
        for e in items
    ]
    return render(
        request,
        "formal/evidence_list.html",
        {
            "formal": formal,
            "seat": seat,
            "form": form,
            "can_add": can_add,
            "can_remove": seat is not None and formal.state == FormalState.ONSITE,
            "items": labelled,
            "error": error,
            "upload_hint": f"{ALLOWED_LABEL}，不超过 {settings.NFM_UPLOAD_MAX_BYTES // 1048576} MB",
        },
        status=422 if error else 200,
    )


@login_required
@require_safe
def evidence_download(request: AuthenticatedRequest, pk: int) -> FileResponse:
    item, _, _ = svc.get_evidence_for_user(request.user, pk)
    if not item.file:
        raise Http404
    return FileResponse(
        item.file.open("rb"),
        as_attachment=True,
        filename=item.original_name,
        content_type=item.content_type,
    )


@login_required
@require_POST
def evidence_remove(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    item, formal, _ = svc.get_evidence_for_user(request.user, pk)
    try:
        svc.remove_evidence(evidence_pk=item.pk, actor=request.user)
    except FormalError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "证据已删除（删除记录保留在操作记录中）。")
    return redirect("formal:evidence", pk=formal.pk)
