"""Pages of the improvement plan: the roadmap (choose a target, read, save), tracking, one action, the next
assessment's outcomes, and 弱项整改 after a formal assessment. Views parse, call one service, render."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.files.storage import default_storage
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from nfmaturity.accounts.fragment_pages import fragment_or_page
from nfmaturity.accounts.requests import AuthenticatedRequest
from nfmaturity.assessments.access import can_fill
from nfmaturity.assessments.catalogs import sector_view
from nfmaturity.assessments.errors import AssessmentError
from nfmaturity.assessments.selectors import latest_result
from nfmaturity.formal.models import FormalAssessment
from nfmaturity.plans import access, selectors, services
from nfmaturity.plans.errors import PlanError, StaleActionError, StaleRectificationError
from nfmaturity.plans.forms import ActionForm, DecisionForm, RectificationForm, SavePlanForm, StatusForm
from nfmaturity.plans.models import (
    ActionStatus,
    ImprovementPlan,
    PlanAction,
    Rectification,
    RectificationState,
)
from nfmaturity.plans.roadmap import EFFORT_UNIT, choices_for
from nfmaturity.plans.weak_items import WeakItem, weak_requirements


def _target(raw: str | None) -> int | None:
    return int(raw) if raw and raw.isdigit() else None


@login_required
@require_safe
def roadmap(request: HttpRequest, pk: int) -> HttpResponse:
    assessment = access.get_submitted_for_user(request.user, pk)
    result = latest_result(assessment)
    if result is None:
        raise Http404
    view = sector_view(assessment.catalog_version, assessment.sector)
    choices = choices_for(result, view)
    target = _target(request.GET.get("target"))
    if target not in [b.level for b in choices]:
        target = None
    literal = request.GET.get("path") == "literal"
    try:
        built = selectors.cached_roadmap(assessment, result, target_grade=target, literal=literal)
    except AssessmentError as exc:  # the stored result no longer agrees with the locked ratings
        return render(
            request, "plans/roadmap.html", {"assessment": assessment, "error": exc.message}, status=409
        )
    return render(
        request,
        "plans/roadmap.html",
        {
            "assessment": assessment,
            "result": result,
            "roadmap": built,
            "choices": choices,
            "literal": literal,
            "can_edit": can_fill(request.user, assessment),
            "saved": selectors.current_plan(assessment),
            "formals": selectors.published_formals(request.user, assessment.enterprise_id),
            "unit": EFFORT_UNIT,
        },
    )


@login_required
@require_POST
def save(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    assessment = access.get_submitted_for_user(request.user, pk, write=True)
    form = SavePlanForm(request.POST)
    if not form.is_valid():
        raise Http404  # the page only sends a valid target and path
    try:
        plan = services.create_plan(
            assessment=assessment,
            actor=request.user,
            target_grade=form.cleaned_data["target"],
            literal=form.cleaned_data["path"] == "literal",
        )
    except (PlanError, AssessmentError) as exc:
        return render(
            request, "plans/roadmap.html", {"assessment": assessment, "error": exc.message}, status=422
        )
    return redirect("plans:plan", plan.pk)


def _plan_context(request: HttpRequest, plan: ImprovementPlan) -> dict[str, Any]:
    actions = list(plan.actions.all())
    today = timezone.localdate()
    later = selectors.later_assessment(plan)
    rows = [(a, selectors.is_overdue(a, today)) for a in actions]
    # The table can be narrowed (a plan has up to a few hundred actions); progress is always the whole plan's.
    status = request.GET.get("status", "")
    scenario = request.GET.get("scenario", "")
    shown = [
        (a, late)
        for a, late in rows
        if (not status or a.status == status or (status == "overdue" and late))
        and (not scenario or a.scenario == scenario)
    ]
    return {
        "plan": plan,
        "assessment": plan.assessment,
        "rows": shown,
        "filtered": len(shown) != len(rows),
        "status": status,
        "scenario": scenario,
        "scenarios": list(dict.fromkeys(a.scenario for a in actions)),
        "progress": selectors.progress_of(actions, today),
        "can_edit": access.can_edit_plan(request.user, plan) and not plan.superseded,
        "later": later,
        "outcomes": None if later is None else selectors.outcomes(plan, later),
        "unit": EFFORT_UNIT,
        "total_effort": sum(a.effort for a in actions),
        "statuses": ActionStatus,
    }


@login_required
@require_safe
def plan_page(request: HttpRequest, pk: int) -> HttpResponse:
    plan = access.get_plan_for_user(request.user, pk)
    return render(request, "plans/plan.html", _plan_context(request, plan))


def _action_context(
    request: HttpRequest,
    action: PlanAction,
    *,
    edit_form: ActionForm | None = None,
    status_form: StatusForm | None = None,
    error: str = "",
    newer: PlanAction | None = None,
) -> dict[str, Any]:
    current = newer or action
    made_from = action.plan.assessment
    view = sector_view(made_from.catalog_version, made_from.sector)
    return {
        "action": action,
        "requirements": [
            view.requirements[rid] for rid in action.requirement_ids if rid in view.requirements
        ],
        "plan": action.plan,
        "assessment": action.plan.assessment,
        "can_edit": access.can_edit_plan(request.user, action.plan) and not action.plan.superseded,
        "edit_form": edit_form
        or ActionForm(
            initial={
                "version": current.version,
                "effort": current.effort,
                "owner": current.owner,
                "due_date": current.due_date,
                "budget": current.budget,
                "notes": current.notes,
            }
        ),
        "status_form": status_form
        or StatusForm(
            initial={
                "version": current.version,
                "status": current.status,
                "evidence_text": current.evidence_text,
            }
        ),
        "error": error,
        "newer": newer,
        "overdue": selectors.is_overdue(action, timezone.localdate()),
        "unit": EFFORT_UNIT,
    }


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def action_page(request: HttpRequest, pk: int) -> HttpResponse:
    if request.method != "POST":
        action = access.get_action_for_user(request.user, pk)
        return render(request, "plans/action.html", _action_context(request, action))
    action = access.get_action_for_user(request.user, pk, write=True)
    form = ActionForm(request.POST)
    if not form.is_valid():
        return render(
            request, "plans/action.html", _action_context(request, action, edit_form=form), status=422
        )
    data = form.cleaned_data
    try:
        services.update_action(
            action=action.pk,
            actor=request.user,  # type: ignore[arg-type]
            version=data["version"],
            changes=services.ActionChanges(
                effort=data["effort"],
                owner=data["owner"],
                due_date=data["due_date"],
                budget=data["budget"],
                notes=data["notes"],
            ),
        )
    except StaleActionError as exc:
        # Keep what was typed; show the newer saved values beside it; the next save is based on them.
        typed = ActionForm({**request.POST.dict(), "version": exc.current.version})
        typed.is_valid()
        context = _action_context(request, action, edit_form=typed, error=exc.message, newer=exc.current)
        return render(request, "plans/action.html", context, status=409)
    except PlanError as exc:
        return render(
            request,
            "plans/action.html",
            _action_context(request, action, edit_form=form, error=exc.message),
            status=422,
        )
    return redirect(reverse("plans:plan", args=[action.plan_id]) + f"#action-{action.pk}")


@login_required
@require_POST
def action_status(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    action = access.get_action_for_user(request.user, pk, write=True)
    form = StatusForm(request.POST, request.FILES)
    if not form.is_valid():
        return render(
            request, "plans/action.html", _action_context(request, action, status_form=form), status=422
        )
    data = form.cleaned_data
    try:
        services.change_status(
            action=action.pk,
            actor=request.user,
            version=data["version"],
            status=ActionStatus(data["status"]),
            evidence_text=data["evidence_text"],
            upload=data["file"],
        )
    except StaleActionError as exc:
        typed = StatusForm({**request.POST.dict(), "version": exc.current.version})
        typed.is_valid()
        context = _action_context(request, action, status_form=typed, error=exc.message, newer=exc.current)
        return render(request, "plans/action.html", context, status=409)
    except PlanError as exc:
        context = _action_context(request, action, status_form=form, error=exc.message)
        return render(request, "plans/action.html", context, status=422)
    return redirect(reverse("plans:plan", args=[action.plan_id]) + f"#action-{action.pk}")


@login_required
@require_safe
def action_file(request: HttpRequest, pk: int) -> FileResponse:
    action = access.get_action_for_user(request.user, pk)
    name = action.evidence_file.name or ""
    if not name or not default_storage.exists(name):
        raise Http404
    response = FileResponse(
        default_storage.open(name, "rb"),
        as_attachment=True,
        filename=action.evidence_name or "evidence",
        content_type=action.evidence_content_type or "application/octet-stream",
    )
    return response


@login_required
@require_safe
def next_outcomes(request: HttpRequest, pk: int) -> HttpResponse:
    """For the results page (htmx): what the previous plan's actions changed in this assessment. Opened on its
    own (a new tab, a bookmark) the same card is a page with the way back to the results."""
    assessment = access.get_submitted_for_user(request.user, pk)
    plan = selectors.earlier_plan(assessment)
    found = None if plan is None else selectors.outcomes(plan, assessment)
    # The way back to this assessment's own saved plan, from its results page.
    saved = selectors.current_plan(assessment)
    progress = (
        None if saved is None else selectors.progress_of(list(saved.actions.all()), timezone.localdate())
    )
    return fragment_or_page(
        request,
        "plans/_outcomes_card.html",
        "plans/outcomes_page.html",
        {"assessment": assessment, "found": found, "saved": saved, "progress": progress},
    )


# ---- 弱项整改 ---------------------------------------------------------------------------------------------


RECTIFICATION_PAGE = 30  # weak items per page: a formal assessment can have hundreds


def _page_of(weak: dict[str, WeakItem], requirement_id: str) -> int:
    order = list(weak)
    return order.index(requirement_id) // RECTIFICATION_PAGE + 1 if requirement_id in weak else 1


def _rectification_context(
    request: HttpRequest,
    formal_pk: int,
    *,
    typed: dict[str, RectificationForm] | None = None,
    error: str = "",
) -> dict[str, Any]:
    formal, mine = access.get_published_for_user(request.user, formal_pk)
    weak = weak_requirements(formal)
    measures = {
        r.requirement_id: r for r in Rectification.objects.filter(formal=formal).select_related("decided_by")
    }
    typed = typed or {}
    number = _page_of(weak, next(iter(typed))) if typed else request.GET.get("page")
    page = Paginator(list(weak.values()), RECTIFICATION_PAGE).get_page(number)
    items: list[tuple[WeakItem, Rectification | None, RectificationForm]] = []
    for position, item in enumerate(page, start=page.start_index()):
        measure = measures.get(item.requirement_id)
        form = typed.get(item.requirement_id) or RectificationForm(
            initial={
                "requirement_id": item.requirement_id,
                "version": None if measure is None else measure.version,
                "measure": "" if measure is None else measure.measure,
                "due_date": None if measure is None else measure.due_date,
            },
            prefix=f"r{position}",
        )
        items.append((item, measure, form))
    counts = {state: sum(1 for m in measures.values() if m.state == state) for state in RectificationState}
    return {
        "formal": formal,
        "items": items,
        "page": page,
        "weak_count": len(weak),
        "may_submit": access.may_submit_rectification(mine),
        "may_decide": access.may_decide_rectification(mine),
        "confirmed": counts[RectificationState.CONFIRMED],
        "submitted": counts[RectificationState.SUBMITTED],
        "returned": counts[RectificationState.RETURNED],
        "missing": len(weak) - len(measures),
        "error": error,
        "states": RectificationState,
    }


def _to_item(formal: FormalAssessment, requirement_id: str) -> HttpResponse:
    page = _page_of(weak_requirements(formal), requirement_id)
    return redirect(reverse("plans:rectification", args=[formal.pk]) + f"?page={page}#w-{requirement_id}")


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def rectification(request: HttpRequest, pk: int) -> HttpResponse:
    if request.method != "POST":
        return render(request, "plans/rectification.html", _rectification_context(request, pk))
    formal, mine = access.get_published_for_user(request.user, pk)
    if not access.may_submit_rectification(mine):
        raise PermissionDenied
    prefix = request.POST.get("prefix", "")
    form = RectificationForm(request.POST, prefix=prefix or None)
    if not form.is_valid():
        rid = request.POST.get(f"{prefix}-requirement_id" if prefix else "requirement_id", "")
        context = _rectification_context(request, pk, typed={rid: form}, error="请检查填写的内容")
        return render(request, "plans/rectification.html", context, status=422)
    data = form.cleaned_data
    try:
        services.submit_rectification(
            formal=formal.pk,
            actor=request.user,  # type: ignore[arg-type]
            requirement_id=data["requirement_id"],
            measure=data["measure"],
            due_date=data["due_date"],
            version=data["version"],
            url=request.build_absolute_uri(reverse("plans:rectification", args=[formal.pk])),
        )
    except StaleRectificationError as exc:
        context = _rectification_context(request, pk, typed={data["requirement_id"]: form}, error=exc.message)
        return render(request, "plans/rectification.html", context, status=409)
    except PlanError as exc:
        context = _rectification_context(request, pk, typed={data["requirement_id"]: form}, error=exc.message)
        return render(request, "plans/rectification.html", context, status=422)
    return _to_item(formal, data["requirement_id"])


@login_required
@require_POST
def decide(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    measure = Rectification.objects.filter(pk=pk).first()
    if measure is None:
        raise Http404
    formal, mine = access.get_published_for_user(request.user, measure.formal_id)
    if not access.may_decide_rectification(mine):
        raise PermissionDenied
    form = DecisionForm(request.POST)
    if not form.is_valid():
        raise Http404
    try:
        services.decide_rectification(
            rectification=measure.pk,
            actor=request.user,
            version=form.cleaned_data["version"],
            confirm=form.cleaned_data["decision"] == "confirm",
            reason=form.cleaned_data["reason"],
            url=request.build_absolute_uri(reverse("plans:rectification", args=[formal.pk])),
        )
    except PlanError as exc:
        context = _rectification_context(request, formal.pk, error=exc.message)
        return render(
            request,
            "plans/rectification.html",
            context,
            status=409 if isinstance(exc, StaleRectificationError) else 422,
        )
    return _to_item(formal, measure.requirement_id)
