"""Back-office pages. Each parses the request, calls one service or selector, renders."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from nfmaturity.accounts import organisations as organisation_services
from nfmaturity.accounts import services as account_services
from nfmaturity.accounts.forms import InvitationForm
from nfmaturity.accounts.models import Invitation, InvitationState, Organisation, OrganisationKind, Role
from nfmaturity.accounts.requests import AuthenticatedRequest
from nfmaturity.backoffice import access, audit_log, selectors
from nfmaturity.backoffice.access import Desk, Seat
from nfmaturity.backoffice.describe import OBJECT_TYPES, describe_events, person
from nfmaturity.backoffice.export import audit_workbook_file
from nfmaturity.backoffice.forms import (
    AuditFilterForm,
    JurisdictionForm,
    OrganisationCreateForm,
    RemoveMemberForm,
    RenameForm,
    RoleForm,
)
from nfmaturity.enterprises.regions import jurisdiction_name

PAGE_SIZE = 50


def _errors(request: AuthenticatedRequest, error: ValidationError | dict[str, Any]) -> None:
    """Show a refused change as messages on the page the user is sent back to."""
    if isinstance(error, ValidationError):
        for message in error.messages:
            messages.error(request, message)
        return
    for field_errors in error.values():
        for message in field_errors:
            messages.error(request, str(message))


def _page(seat: Seat, tab: str, **context: Any) -> dict[str, Any]:
    """What every back-office page shows: the sections this seat uses, and a regulator's jurisdiction."""
    place = ""
    if seat.desk is Desk.REGULATOR and seat.organisation is not None:
        place = jurisdiction_name(seat.organisation.jurisdiction)
    return {"seat": seat, "tab": tab, "seat_place": place, "now": timezone.now(), **context}


def _query_without(request: AuthenticatedRequest, *names: str) -> str:
    kept = ((k, request.GET.get(k, "")) for k in request.GET)
    return urlencode([(k, v) for k, v in kept if k not in names and v])


# Organisations --------------------------------------------------------------------------------------


def _search_text(request: AuthenticatedRequest, name: str) -> str:
    """A filter's text from the address; a NUL character ("%00") is a 500 on PostgreSQL, never a match."""
    return request.GET.get(name, "").replace("\x00", "").strip()


@login_required
@require_GET
def organisations(request: AuthenticatedRequest) -> HttpResponse:
    seat = access.require_seat(request.user, Desk.PLATFORM, Desk.REGULATOR)
    filters = {k: _search_text(request, k) for k in ("kind", "q", "demo")}
    if filters["kind"] not in OrganisationKind.values:
        filters["kind"] = ""
    listed = selectors.organisation_list(access.visible_organisations(seat), **filters)
    page = Paginator(listed, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "backoffice/organisations.html",
        _page(
            seat,
            "organisations",
            page=page,
            rows=[selectors.row_of(o) for o in page],
            filters=filters,
            kinds=OrganisationKind.choices,
            query_without_page=_query_without(request, "page"),
        ),
    )


@login_required
@require_http_methods(["GET", "POST"])
def organisation_new(request: AuthenticatedRequest) -> HttpResponse:
    seat = access.require_seat(request.user, Desk.PLATFORM)
    form = OrganisationCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            created = organisation_services.create_organisation_with_admin(
                actor=request.user,
                name=data["name"],
                kind=OrganisationKind(data["kind"]),
                jurisdiction=data["jurisdiction"],
                admin_name=data["admin_name"],
                admin_email=data["admin_email"],
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            # Rendered, not redirected: the invitation link exists only in this response.
            messages.success(
                request, f"已创建{created.organisation.get_kind_display()}“{created.organisation.name}”。"
            )
            return _organisation_page(
                request, seat, created.organisation, link=_invitation_link(request, created.invitation.token)
            )
    return render(request, "backoffice/organisation_new.html", _page(seat, "organisations", form=form))


def _invitation_link(request: AuthenticatedRequest, token: str) -> str:
    return request.build_absolute_uri(reverse("accounts:accept", args=[token]))


def _organisation_page(
    request: AuthenticatedRequest,
    seat: Seat,
    organisation: Organisation,
    *,
    link: str | None = None,
    invite_form: InvitationForm | None = None,
    rename_form: RenameForm | None = None,
    jurisdiction_form: JurisdictionForm | None = None,
    status: int = 200,
) -> HttpResponse:
    """The organisation page; a refused form is passed back bound, so what the user typed stays on screen."""
    members = list(selectors.members_of(organisation))
    context = _page(
        seat,
        "organisations",
        organisation=organisation,
        row=selectors.row_of(organisation),
        members=members,
        link=link,
    )
    if seat.manages:
        context |= {
            "role_forms": [
                (m, RoleForm(organisation=organisation, initial={"role": m.role})) for m in members
            ],
            "invitations": selectors.invitation_list(organisation.invitations.all())[:50],
            "invite_form": invite_form
            or InvitationForm(
                organisation=organisation,
                initial={"role": account_services.lowest_role(organisation.kind)},
            ),
            "rename_form": (rename_form or RenameForm(initial={"name": organisation.name}))
            if organisation.kind != OrganisationKind.ENTERPRISE
            else None,
            "jurisdiction_form": (
                jurisdiction_form or JurisdictionForm(initial={"jurisdiction": organisation.jurisdiction})
            )
            if organisation.kind == OrganisationKind.REGULATOR
            else None,
        }
    return render(request, "backoffice/organisation_detail.html", context, status=status)


@login_required
@require_GET
def organisation_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    seat = access.require_seat(request.user, Desk.PLATFORM, Desk.REGULATOR)
    return _organisation_page(request, seat, access.get_organisation(seat, pk))


def _organisation_to_manage(request: AuthenticatedRequest, pk: int) -> tuple[Seat, Organisation]:
    seat = access.require_seat(request.user, Desk.PLATFORM, Desk.REGULATOR)
    organisation = access.get_organisation(seat, pk)  # 404 before 403: a regulator learns nothing outside
    access.require_seat(request.user, Desk.PLATFORM)
    return seat, organisation


@login_required
@require_POST
def organisation_rename(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    seat, organisation = _organisation_to_manage(request, pk)
    form = RenameForm(request.POST)
    if form.is_valid():
        try:
            organisation_services.rename_organisation(
                actor=request.user, organisation=organisation, **form.cleaned_data
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, "机构名称已修改。")
            return redirect("backoffice:organisation", pk=organisation.pk)
    return _organisation_page(request, seat, organisation, rename_form=form, status=422)


@login_required
@require_POST
def organisation_jurisdiction(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    seat, organisation = _organisation_to_manage(request, pk)
    form = JurisdictionForm(request.POST)
    if form.is_valid():
        try:
            organisation_services.set_jurisdiction(
                actor=request.user, organisation=organisation, **form.cleaned_data
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, "管辖范围已修改。")
            return redirect("backoffice:organisation", pk=organisation.pk)
    return _organisation_page(request, seat, organisation, jurisdiction_form=form, status=422)


@login_required
@require_POST
def organisation_invite(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    seat, organisation = _organisation_to_manage(request, pk)
    form = InvitationForm(request.POST, organisation=organisation)
    if form.is_valid():
        try:
            issued = account_services.invite_colleague(
                organisation=organisation, actor=request.user, **form.cleaned_data
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            return _organisation_page(
                request, seat, organisation, link=_invitation_link(request, issued.token)
            )
    return _organisation_page(request, seat, organisation, invite_form=form)


# Members --------------------------------------------------------------------------------------------


@login_required
@require_POST
def membership_role(request: AuthenticatedRequest, pk: int) -> HttpResponseRedirect:
    seat = access.require_seat(request.user, Desk.PLATFORM, Desk.REGULATOR)
    membership = access.get_membership_to_manage(seat, pk)
    form = RoleForm(request.POST, organisation=membership.organisation)
    if not form.is_valid():
        _errors(request, form.errors)
    else:
        try:
            account_services.change_role(
                actor=request.user,
                membership=membership,
                role=Role(form.cleaned_data["role"]),
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as exc:
            _errors(request, exc)
        else:
            messages.success(request, f"{person(membership.user)} 的角色已修改。")
    return redirect("backoffice:organisation", pk=membership.organisation_id)


@login_required
@require_http_methods(["GET", "POST"])
def membership_remove(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    seat = access.require_seat(request.user, Desk.PLATFORM, Desk.REGULATOR)
    membership = access.get_membership_to_manage(seat, pk)
    form = RemoveMemberForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            account_services.remove_member(
                actor=request.user, membership=membership, reason=form.cleaned_data["reason"]
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, f"已将 {person(membership.user)} 移出{membership.organisation.name}。")
            return redirect("backoffice:organisation", pk=membership.organisation_id)
    return render(
        request,
        "backoffice/membership_remove.html",
        _page(seat, "organisations", member=membership, form=form),
    )


# Invitations ----------------------------------------------------------------------------------------


@login_required
@require_GET
def invitations(request: AuthenticatedRequest) -> HttpResponse:
    seat = access.require_seat(request.user, Desk.PLATFORM)
    filters = {k: _search_text(request, k) for k in ("state", "q")}
    listed = selectors.invitation_list(Invitation.objects.all(), state=filters["state"], q=filters["q"])
    page = Paginator(listed, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "backoffice/invitations.html",
        _page(
            seat,
            "invitations",
            page=page,
            filters=filters,
            states=InvitationState.choices,
            query_without_page=_query_without(request, "page"),
        ),
    )


@login_required
@require_POST
def invitation_revoke(request: AuthenticatedRequest, pk: int) -> HttpResponseRedirect:
    seat = access.require_seat(request.user, Desk.PLATFORM, Desk.REGULATOR)
    invitation = access.get_invitation_to_manage(seat, pk)
    try:
        account_services.revoke_invitation(actor=request.user, invitation=invitation)
    except ValidationError as exc:
        _errors(request, exc)
    else:
        messages.success(request, f"已撤销给 {invitation.full_name}（{invitation.email}）的邀请。")
    if request.POST.get("back") == "organisation":
        return redirect("backoffice:organisation", pk=invitation.organisation_id)
    return redirect("backoffice:invitations")


# Audit log ------------------------------------------------------------------------------------------

AUDIT_SCOPE_TEXT = {
    Desk.PLATFORM: "平台管理员可查看全部审计记录。",
    Desk.REGULATOR: "主管部门可查看管辖范围内企业及本机构的审计记录。",
    Desk.ORGANISATION_ADMIN: "机构管理员可查看本机构的审计记录。",
}


def _audit_query(request: AuthenticatedRequest, seat: Seat) -> tuple[AuditFilterForm, Any, dict[str, str]]:
    form = AuditFilterForm(request.GET or None)
    events = access.visible_events(seat)
    chips: dict[str, str] = {}
    if form.is_valid():
        data = form.cleaned_data
        filters = audit_log.Filters(
            organisation_id=data["org"],
            organisation_name=data["organisation"].strip(),
            actor_id=data["user"],
            actor_name=data["actor"].strip(),
            object_type=data["object_type"],
            object_id=data["object_id"],
            action=data["action"],
            date_from=data["date_from"],
            date_to=data["date_to"],
        )
        events = audit_log.filtered(events, filters)
        if data["org"]:
            found = access.visible_organisations(seat).filter(pk=data["org"]).first()
            chips["org"] = f"机构：{found.name}" if found else "机构：（无权查看）"
            if found is None:
                events = events.none()
        if data["user"]:
            found_user = User.objects.filter(pk=data["user"]).first()
            chips["user"] = f"操作人：{person(found_user)}" if found_user else "操作人：（不存在）"
        if data["object_id"] and data["object_type"]:
            chips["object_id"] = f"对象：{OBJECT_TYPES[data['object_type']]} #{data['object_id']} 的全部记录"
    elif form.is_bound:
        # One wrong filter (a date like 2026-02-30) listed and exported the whole log, under the error.
        events = events.none()
    return form, events, chips


@login_required
@require_GET
def audit(request: AuthenticatedRequest) -> HttpResponse:
    seat = access.require_seat(request.user, Desk.PLATFORM, Desk.REGULATOR, Desk.ORGANISATION_ADMIN)
    form, events, chips = _audit_query(request, seat)
    before = audit_log.Cursor.parse(request.GET.get("before", ""))
    after = audit_log.Cursor.parse(request.GET.get("after", ""))
    page = audit_log.page_of(events, before=before, after=after)
    if after is not None and not page.events:
        page = audit_log.page_of(events)  # nothing newer any more: the newest page
    base = _query_without(request, "before", "after")
    return render(
        request,
        "backoffice/audit.html",
        _page(
            seat,
            "audit",
            form=form,
            rows=describe_events(page.events),
            page=page,
            chips={k: (v, _query_without(request, k, "before", "after")) for k, v in chips.items()},
            query=base,
            query_for_user=_query_without(request, "user", "before", "after"),
            query_for_org=_query_without(request, "org", "before", "after"),
            scope_text=AUDIT_SCOPE_TEXT[seat.desk],
            first_page=before is not None or after is not None,
        ),
    )


@login_required
@require_GET
def audit_export(request: AuthenticatedRequest) -> FileResponse:
    seat = access.require_seat(request.user, Desk.PLATFORM, Desk.REGULATOR, Desk.ORGANISATION_ADMIN)
    _, events, chips = _audit_query(request, seat)
    now = timezone.localtime()
    scope = f"审计日志 · 导出时间 {now:%Y-%m-%d %H:%M} · 导出人 {person(request.user)} · {AUDIT_SCOPE_TEXT[seat.desk]}"
    if chips:
        scope += " · " + "，".join(chips.values())
    return FileResponse(
        audit_workbook_file(events.order_by(), scope=scope),
        as_attachment=True,
        filename=f"审计日志-{now:%Y%m%d-%H%M}.xlsx",
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
