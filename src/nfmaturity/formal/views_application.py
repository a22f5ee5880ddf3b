"""Pages from the application to the start of the on-site stage: the list, the hub, the application and its
acceptance, the roster, the team, the plans and the first meeting.

Views parse, call one service, render. A refused action re-renders its page with the Chinese reason (422;
409 for a stale form) and what the user typed; a done action redirects (303) to the page that shows it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from nfmaturity.accounts.access import membership_of
from nfmaturity.accounts.models import Role
from nfmaturity.accounts.requests import AuthenticatedRequest
from nfmaturity.assessments.evidence import ALLOWED_LABEL
from nfmaturity.enterprises.access import own_enterprise
from nfmaturity.enterprises.models import SectorChoice
from nfmaturity.formal import (
    selectors,
    services_application,
    services_planning,
    services_team,
)
from nfmaturity.formal.access import TEAM, Party, get_formal_for_user, team_seat
from nfmaturity.formal.forms_application import (
    ApplicationForm,
    DecisionForm,
    DocumentForm,
    ExpertProfileForm,
    MeetingForm,
    PlanForm,
    RelationForm,
    WithdrawForm,
)
from nfmaturity.formal.models import (
    ApplicationDocument,
    AssessmentPlan,
    DocumentKind,
    ExpertProfile,
    FormalAssessment,
    FormalState,
    PlanKind,
)
from nfmaturity.formal.services_application import ApplicationData
from nfmaturity.formal.services_planning import MeetingData, PlanData
from nfmaturity.formal.steps import Viewer, steps_for
from nfmaturity.formal.workflow import FormalError, StaleFormError

S = FormalState
Parties = frozenset[Party]
LEADS = frozenset({Party.LEADER, Party.BODY_ADMIN})


def _done(
    name: str, formal: FormalAssessment | None = None, text: str = "", request: HttpRequest | None = None
) -> HttpResponse:
    if request is not None and text:
        messages.success(request, text)
    url = reverse(f"formal:{name}", args=[formal.pk] if formal is not None else [])
    return HttpResponseRedirect(url, status=303)


def _posted(request: HttpRequest) -> Any:
    """The submitted fields on a POST, even when there are none (an empty POST is a refused form, not a GET)."""
    return request.POST if request.method == "POST" else None


def _status(exc: FormalError) -> int:
    return 409 if isinstance(exc, StaleFormError) else 422


# ---- list and hub -------------------------------------------------------------------------------------------


@login_required
@require_safe
def formal_list(request: AuthenticatedRequest) -> HttpResponse:
    kind = selectors.list_kind(request.user)
    if kind == "other" and not request.user.is_superuser:
        raise Http404
    rows = list(selectors.formal_list(request.user))
    return render(
        request,
        "formal/list.html",
        {
            "kind": kind,
            "rows": rows,
            "groups": selectors.by_state(rows),
            "can_apply": kind == "enterprise" and membership_of(request.user).role == Role.ENTERPRISE_ADMIN,  # type: ignore[union-attr]
        },
    )


@login_required
@require_safe
def hub(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    formal, mine = get_formal_for_user(request.user, pk)
    seat = team_seat(request.user, formal) if mine & TEAM else None
    members = selectors.team(formal) if formal.state not in (S.DRAFT, S.APPLIED) else []
    return render(
        request,
        "formal/hub.html",
        {
            "formal": formal,
            "mine": mine,
            "party_labels": _party_labels(mine),
            "road": selectors.road(formal),
            "steps": steps_for(formal, Viewer(mine, seat)),
            "members": members,
            "documents": selectors.documents(formal),
        },
    )


PARTY_LABELS = {
    Party.ENTERPRISE_ADMIN: "申请企业管理员",
    Party.ENTERPRISE_MEMBER: "申请企业成员",
    Party.BODY_ADMIN: "评估机构管理员",
    Party.LEADER: "评估组组长",
    Party.EXPERT: "评估组成员",
    Party.OVERSEER: "主管部门（只读）",
}


def _party_labels(mine: Parties) -> list[str]:
    return [label for party, label in PARTY_LABELS.items() if party in mine]


# ---- the application ----------------------------------------------------------------------------------------


def _application_data(form: ApplicationForm, formal: FormalAssessment | None = None) -> ApplicationData:
    data = form.cleaned_data
    return ApplicationData(
        body=data["body"],
        sector=SectorChoice(data["sector"]) if "sector" in data else SectorChoice(formal.assessment.sector),  # type: ignore[union-attr]
        unit=data.get("unit") if "unit" in data else (formal.assessment.unit if formal else None),
        target_grade=data["target_grade"],
        lawful_declared=data["lawful_declared"],
        safety_accident=data["safety_accident"],
        environment_incident=data["environment_incident"],
        starting_self_assessment=data["starting_self_assessment"],
        application_note=data["application_note"],
    )


@login_required
@require_http_methods(["GET", "POST"])
def apply(request: AuthenticatedRequest) -> HttpResponse:
    enterprise = own_enterprise(request.user)
    membership = membership_of(request.user)
    if enterprise is None or membership is None or membership.role != Role.ENTERPRISE_ADMIN:
        raise PermissionDenied
    form = ApplicationForm(_posted(request), enterprise=enterprise)
    error = ""
    if request.method == "POST" and form.is_valid():
        try:
            formal = services_application.create_application(actor=request.user, data=_application_data(form))
        except FormalError as exc:
            error = exc.message
        else:
            return _done(
                "application", formal, "申请已保存为草稿：请上传中长期规划、年度目标等材料后提交。", request
            )
    return render(
        request,
        "formal/apply.html",
        {"form": form, "enterprise": enterprise, "error": error},
        status=422 if (error or form.errors) else 200,
    )


def _application_page(
    request: AuthenticatedRequest,
    formal: FormalAssessment,
    mine: Parties,
    *,
    form: ApplicationForm | None = None,
    document_form: DocumentForm | None = None,
    decision_form: DecisionForm | None = None,
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    editable = formal.state == S.DRAFT and Party.ENTERPRISE_ADMIN in mine
    if editable and form is None:
        form = ApplicationForm(
            enterprise=formal.enterprise,
            editing=True,
            initial={
                "body": formal.body_id,
                "target_grade": formal.target_grade,
                "lawful_declared": formal.lawful_declared,
                "safety_accident": formal.safety_accident,
                "environment_incident": formal.environment_incident,
                "starting_self_assessment": formal.starting_self_assessment_id,
                "application_note": formal.application_note,
            },
        )
    docs = selectors.documents(formal)
    return render(
        request,
        "formal/application.html",
        {
            "formal": formal,
            "mine": mine,
            "editable": editable,
            "form": form if editable else None,
            "document_form": (document_form or DocumentForm()) if editable else None,
            "decision_form": (decision_form or DecisionForm())
            if formal.state == S.APPLIED and Party.BODY_ADMIN in mine
            else None,
            "can_withdraw": formal.state in (S.DRAFT, S.APPLIED) and Party.ENTERPRISE_ADMIN in mine,
            "documents": docs,
            "missing_documents": selectors.missing_documents(docs),
            "problems": services_application.submission_problems(formal) if editable else [],
            "starting": selectors.starting_result(formal),
            "enterprise": formal.enterprise,
            "upload_hint": f"{ALLOWED_LABEL}，单个文件不超过 {_max_mb()} MB",
            "error": error,
            "stale": status == 409,
        },
        status=status,
    )


def _max_mb() -> int:
    from django.conf import settings

    return int(settings.NFM_UPLOAD_MAX_BYTES) // 1048576


@login_required
@require_http_methods(["GET", "POST"])
def application(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    if request.method == "GET":
        formal, mine = get_formal_for_user(request.user, pk)
        return _application_page(request, formal, mine)
    formal, mine = get_formal_for_user(request.user, pk, act_as=frozenset({Party.ENTERPRISE_ADMIN}))
    form = ApplicationForm(request.POST, enterprise=formal.enterprise, editing=True)
    if not form.is_valid():
        return _application_page(request, formal, mine, form=form, status=422)
    try:
        services_application.update_application(
            formal=formal,
            actor=request.user,
            data=_application_data(form, formal),
            expected_version=_int(request, "version"),
        )
    except FormalError as exc:
        formal.refresh_from_db()
        return _application_page(request, formal, mine, form=form, error=exc.message, status=_status(exc))
    return _done("application", formal, "申请已保存。", request)


def _act(
    request: AuthenticatedRequest,
    pk: int,
    act_as: Parties,
    action: Callable[[FormalAssessment], Any],
    page: Callable[[AuthenticatedRequest, FormalAssessment, Parties, str, int], HttpResponse],
    success: tuple[str, str],
) -> HttpResponse:
    """A button action: check the part, call the service, redirect; on refusal the page again with why."""
    formal, mine = get_formal_for_user(request.user, pk, act_as=act_as)
    try:
        action(formal)
    except FormalError as exc:
        formal, mine = get_formal_for_user(request.user, pk)
        return page(request, formal, mine, exc.message, _status(exc))
    return _done(success[0], formal, success[1], request)


def _app_page(
    request: AuthenticatedRequest, formal: FormalAssessment, mine: Parties, error: str, status: int
) -> HttpResponse:
    return _application_page(request, formal, mine, error=error, status=status)


@login_required
@require_POST
def application_submit(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    return _act(
        request,
        pk,
        frozenset({Party.ENTERPRISE_ADMIN}),
        lambda f: services_application.submit_application(formal=f, actor=request.user),
        _app_page,
        ("hub", "申请已提交，等待评估机构受理。"),
    )


@login_required
@require_POST
def application_withdraw(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    form = WithdrawForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    return _act(
        request,
        pk,
        frozenset({Party.ENTERPRISE_ADMIN}),
        lambda f: services_application.withdraw_application(formal=f, actor=request.user, reason=reason),
        _app_page,
        ("hub", "申请已撤回，记录仍保留。"),
    )


@login_required
@require_POST
def decide(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    formal, mine = get_formal_for_user(request.user, pk, act_as=frozenset({Party.BODY_ADMIN}))
    form = DecisionForm(request.POST)
    if not form.is_valid():
        return _application_page(
            request, formal, mine, decision_form=form, error="请选择受理或不予受理", status=422
        )
    try:
        if form.cleaned_data["decision"] == "accept":
            services_application.accept_application(
                formal=formal, actor=request.user, note=form.cleaned_data["reason"]
            )
            text = "已受理申请，请组建评估组。"
        else:
            services_application.refuse_application(
                formal=formal, actor=request.user, reason=form.cleaned_data["reason"]
            )
            text = "已作出不予受理决定，企业已收到通知。"
    except FormalError as exc:
        formal, mine = get_formal_for_user(request.user, pk)
        return _application_page(
            request, formal, mine, decision_form=form, error=exc.message, status=_status(exc)
        )
    return _done("hub", formal, text, request)


@login_required
@require_POST
def document_upload(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    formal, mine = get_formal_for_user(request.user, pk, act_as=frozenset({Party.ENTERPRISE_ADMIN}))
    form = DocumentForm(request.POST, request.FILES)
    if not form.is_valid():
        error = "；".join(str(e) for errors in form.errors.values() for e in errors)
        return _application_page(request, formal, mine, document_form=form, error=error, status=422)
    try:
        document = services_application.add_document(
            formal=formal,
            actor=request.user,
            kind=DocumentKind(form.cleaned_data["kind"]),
            upload=form.cleaned_data["file"],
        )
    except FormalError as exc:
        return _application_page(
            request, formal, mine, document_form=form, error=exc.message, status=_status(exc)
        )
    return _done(
        "application", formal, f"已上传“{document.original_name}”（{document.get_kind_display()}）。", request
    )


def _document_for_user(user: User, pk: int) -> tuple[ApplicationDocument, FormalAssessment, Parties]:
    document = ApplicationDocument.objects.filter(pk=pk).first()
    if document is None:
        raise Http404
    formal, mine = get_formal_for_user(user, document.formal_id)
    return document, formal, mine


@login_required
@require_safe
def document_download(request: AuthenticatedRequest, pk: int) -> FileResponse:
    document, _formal, _mine = _document_for_user(request.user, pk)
    return FileResponse(
        document.file.open("rb"),
        as_attachment=True,
        filename=document.original_name,
        content_type=document.content_type,
    )


@login_required
@require_POST
def document_remove(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    document, formal, mine = _document_for_user(request.user, pk)
    if Party.ENTERPRISE_ADMIN not in mine:
        raise PermissionDenied
    try:
        services_application.remove_document(document=document, actor=request.user)
    except FormalError as exc:
        return _application_page(request, formal, mine, error=exc.message, status=_status(exc))
    return _done("application", formal, f"已删除“{document.original_name}”。", request)


# ---- the roster ---------------------------------------------------------------------------------------------


def _body_admin(user: User) -> None:
    membership = membership_of(user)
    if membership is None or membership.organisation.kind != "body":
        raise Http404
    if membership.role != Role.BODY_ADMIN:
        raise PermissionDenied


@login_required
@require_safe
def roster(request: AuthenticatedRequest) -> HttpResponse:
    _body_admin(request.user)
    memberships = services_team.rosterable(request.user)
    profiles = {
        p.user_id: p
        for p in ExpertProfile.objects.filter(user_id__in=[m.user_id for m in memberships]).prefetch_related(
            "relations"
        )
    }
    rows = [(m, profiles.get(m.user_id)) for m in memberships]
    return render(request, "formal/roster.html", {"rows": rows})


@login_required
@require_http_methods(["GET", "POST"])
def roster_edit(request: AuthenticatedRequest, user_pk: int) -> HttpResponse:
    _body_admin(request.user)
    target = next((m for m in services_team.rosterable(request.user) if m.user_id == user_pk), None)
    if target is None:
        raise Http404
    profile = ExpertProfile.objects.filter(user_id=user_pk).first()
    initial: dict[str, Any] = {"full_name": target.user.get_full_name() or target.user.username}
    if profile is not None:
        initial = {
            "full_name": profile.full_name,
            "disciplines": profile.disciplines,
            "title": profile.title,
            "qualifications": profile.qualifications,
        }
    form = ExpertProfileForm(_posted(request), initial=initial)
    error = ""
    if request.method == "POST" and form.is_valid():
        try:
            services_team.save_expert_profile(actor=request.user, user=target.user, **form.cleaned_data)
        except FormalError as exc:
            error = exc.message
        else:
            return _done("roster", None, f"已保存{form.cleaned_data['full_name']}的专家资料。", request)
    return render(
        request,
        "formal/roster_edit.html",
        {"form": form, "target": target, "profile": profile, "error": error},
        status=422 if (error or form.errors) else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def relations(request: AuthenticatedRequest) -> HttpResponse:
    profile = ExpertProfile.objects.filter(user=request.user).first()
    if profile is None:
        raise Http404
    form = RelationForm(_posted(request))
    error = ""
    if request.method == "POST" and form.is_valid():
        try:
            services_team.declare_relation(actor=request.user, **form.cleaned_data)
        except FormalError as exc:
            error = exc.message
        else:
            return _done(
                "relations",
                None,
                "已申报。与申请企业或其集团有近三年利益关系时，您将不能加入其评估组。",
                request,
            )
    return render(
        request,
        "formal/relations.html",
        {"form": form, "profile": profile, "relations": list(profile.relations.all()), "error": error},
        status=422 if (error or form.errors) else 200,
    )


@login_required
@require_POST
def relation_remove(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    services_team.remove_relation(actor=request.user, pk=pk)
    return _done("relations", None, "已删除该项申报。", request)


# ---- the team -----------------------------------------------------------------------------------------------


def _team_page(
    request: AuthenticatedRequest, formal: FormalAssessment, mine: Parties, error: str = "", status: int = 200
) -> HttpResponse:
    members = selectors.team(formal)
    admin = Party.BODY_ADMIN in mine
    editable = admin and formal.state == S.TEAM
    seat = next((m for m in members if m.expert.user_id == request.user.pk), None)
    return render(
        request,
        "formal/team.html",
        {
            "formal": formal,
            "mine": mine,
            "members": members,
            "editable": editable,
            "candidates": selectors.candidates(formal, members) if editable else [],
            "conflicts": selectors.member_conflicts(formal, members) if admin else {},
            "problems": services_team.team_problems(formal) if formal.state == S.TEAM else [],
            "seat": seat,
            "can_sign": seat is not None and formal.state in (S.TEAM, S.PLANNING),
            "assignment_rows": selectors.assignment_rows(formal),
            "error": error,
        },
        status=status,
    )


@login_required
@require_safe
def team(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    formal, mine = get_formal_for_user(request.user, pk)
    if formal.state in (S.DRAFT, S.APPLIED, S.REFUSED, S.WITHDRAWN):
        raise Http404
    return _team_page(request, formal, mine)


ADMIN = frozenset({Party.BODY_ADMIN})


def _int(request: HttpRequest, name: str) -> int:
    try:
        return int(request.POST.get(name, ""))
    except ValueError:
        raise Http404 from None


@login_required
@require_POST
def team_add(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    expert_id = _int(request, "expert") if request.POST.get("expert") else 0
    return _act(
        request,
        pk,
        ADMIN,
        lambda f: services_team.add_member(formal=f, actor=request.user, expert_id=expert_id),
        _team_page,
        ("team", "已加入评估组。"),
    )


@login_required
@require_POST
def team_remove(request: AuthenticatedRequest, pk: int, member: int) -> HttpResponse:
    return _act(
        request,
        pk,
        ADMIN,
        lambda f: services_team.remove_member(formal=f, actor=request.user, member_id=member),
        _team_page,
        ("team", "已移出评估组。"),
    )


@login_required
@require_POST
def team_leader(request: AuthenticatedRequest, pk: int, member: int) -> HttpResponse:
    return _act(
        request,
        pk,
        ADMIN,
        lambda f: services_team.set_leader(formal=f, actor=request.user, member_id=member),
        _team_page,
        ("team", "已指定组长。"),
    )


@login_required
@require_POST
def team_sign(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    which = request.POST.get("declaration", "")
    label = services_team.DECLARATIONS.get(which, ("", "声明"))[1]
    return _act(
        request,
        pk,
        frozenset({Party.EXPERT}),
        lambda f: services_team.sign_declaration(formal=f, actor=request.user, which=which),
        _team_page,
        ("team", f"已签署{label}。"),
    )


@login_required
@require_POST
def team_assign(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    if request.POST.get("default"):
        return _act(
            request,
            pk,
            ADMIN,
            lambda f: services_team.assign_default(formal=f, actor=request.user),
            _team_page,
            ("team", "已按专业领域重新分配能力子域。"),
        )
    formal, _mine = get_formal_for_user(request.user, pk, act_as=ADMIN)
    mapping: dict[str, list[int]] = {row.row_id: [] for row in selectors.assignment_rows(formal)}
    for value in request.POST.getlist("pair"):
        row_id, _, member = value.rpartition("|")
        if row_id in mapping and member.isdigit():
            mapping[row_id].append(int(member))
    return _act(
        request,
        pk,
        ADMIN,
        lambda f: services_team.set_assignments(formal=f, actor=request.user, mapping=mapping),
        _team_page,
        ("team", "能力子域分配已保存。"),
    )


@login_required
@require_POST
def team_confirm(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    return _act(
        request,
        pk,
        ADMIN,
        lambda f: services_team.confirm_team(formal=f, actor=request.user),
        _team_page,
        ("hub", "评估组已确认，进入编制评估计划阶段。"),
    )


# ---- plans and the first meeting ----------------------------------------------------------------------------


def _planning_page(
    request: AuthenticatedRequest, formal: FormalAssessment, mine: Parties, error: str = "", status: int = 200
) -> HttpResponse:
    plan_state = selectors.planning(formal)
    open_ = formal.state == S.PLANNING
    return render(
        request,
        "formal/planning.html",
        {
            "formal": formal,
            "mine": mine,
            "planning": plan_state,
            "plans": [(kind, plan_state.plans[kind.value]) for kind in PlanKind],
            "can_write": open_ and bool(mine & LEADS),
            "can_confirm": open_ and Party.ENTERPRISE_ADMIN in mine,
            "problems": services_planning.onsite_problems(formal) if open_ else [],
            "members": selectors.team(formal),
            "documents": selectors.documents(formal),
            "starting": selectors.starting_result(formal),
            "error": error,
        },
        status=status,
    )


@login_required
@require_safe
def planning(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    formal, mine = get_formal_for_user(request.user, pk)
    if formal.state in (S.DRAFT, S.APPLIED, S.REFUSED, S.WITHDRAWN, S.TEAM):
        raise Http404
    return _planning_page(request, formal, mine)


def _kind(kind: str) -> PlanKind:
    if kind not in PlanKind.values:
        raise Http404
    return PlanKind(kind)


def _plan_data(form: PlanForm) -> PlanData:
    data = form.cleaned_data
    return PlanData(**{k: data[k] for k in PlanData.__dataclass_fields__})


@login_required
@require_http_methods(["GET", "POST"])
def plan_edit(request: AuthenticatedRequest, pk: int, kind: str) -> HttpResponse:
    plan_kind = _kind(kind)
    formal, _mine = get_formal_for_user(request.user, pk, act_as=LEADS)
    if formal.state != S.PLANNING:
        return (
            _done("planning", formal)
            if formal.state not in (S.DRAFT, S.APPLIED, S.TEAM)
            else _done("hub", formal)
        )
    plan = AssessmentPlan.objects.filter(formal=formal, kind=plan_kind).first()
    initial: dict[str, Any] = {}
    if plan is not None:
        initial = {k: getattr(plan, k) for k in PlanData.__dataclass_fields__}
    # The version the form is based on travels beside the fields (0: there was no plan yet).
    based_on = _int(request, "version") if request.method == "POST" else (plan.version if plan else 0)
    form = PlanForm(_posted(request), initial=initial)
    error, status = "", 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services_planning.save_plan(
                    formal=formal,
                    actor=request.user,
                    kind=plan_kind,
                    data=_plan_data(form),
                    expected_version=based_on,
                )
            except FormalError as exc:
                error, status = exc.message, _status(exc)
                plan = (
                    AssessmentPlan.objects.filter(formal=formal, kind=plan_kind)
                    .select_related("updated_by")
                    .first()
                )
            else:
                return _done("planning", formal, f"{plan_kind.label}已保存。", request)
        else:
            status = 422
    return render(
        request,
        "formal/plan_edit.html",
        {
            "formal": formal,
            "kind": plan_kind,
            "form": form,
            "plan": plan,
            "based_on": based_on,
            "error": error,
            "stale": status == 409,
        },
        status=status,
    )


@login_required
@require_POST
def plan_confirm(request: AuthenticatedRequest, pk: int, kind: str) -> HttpResponse:
    plan_kind = _kind(kind)
    version = _int(request, "version")
    return _act(
        request,
        pk,
        frozenset({Party.ENTERPRISE_ADMIN}),
        lambda f: services_planning.confirm_plan(
            formal=f, actor=request.user, kind=plan_kind, expected_version=version
        ),
        _planning_page,
        ("planning", f"已确认{plan_kind.label}。"),
    )


@login_required
@require_http_methods(["GET", "POST"])
def meeting(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    formal, _mine = get_formal_for_user(request.user, pk, act_as=LEADS)
    if formal.state != S.PLANNING:
        return _done("hub", formal)
    current = selectors.planning(formal).meeting
    initial: dict[str, Any] = {}
    if current is not None:
        initial = {
            "held_at": current.held_at,
            "place": current.place,
            "attendees": current.attendees,
            "minutes": current.minutes,
        }
    form = MeetingForm(_posted(request), initial=initial)
    error = ""
    if request.method == "POST" and form.is_valid():
        try:
            services_planning.record_first_meeting(
                formal=formal, actor=request.user, data=MeetingData(**form.cleaned_data)
            )
        except FormalError as exc:
            error = exc.message
        else:
            return _done("planning", formal, "首次会议已记录。", request)
    return render(
        request,
        "formal/meeting.html",
        {"formal": formal, "form": form, "meeting": current, "error": error},
        status=422 if (error or form.errors) else 200,
    )


@login_required
@require_POST
def onsite(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    return _act(
        request,
        pk,
        LEADS,
        lambda f: services_planning.start_onsite(formal=f, actor=request.user),
        _planning_page,
        ("hub", "已进入现场评估与打分阶段。"),
    )
