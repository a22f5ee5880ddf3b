from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from nfmaturity.accounts import services
from nfmaturity.accounts.access import (
    get_invitation_for_admin,
    get_member_for_admin,
    get_organisation_for_admin,
)
from nfmaturity.accounts.forms import AcceptInvitationForm, InvitationForm, MemberRoleForm, RemoveMemberForm
from nfmaturity.accounts.models import InvitationState, Membership, Role
from nfmaturity.accounts.requests import AuthenticatedRequest


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    redirect_authenticated_user = True


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "accounts/password_change.html"

    def get_success_url(self) -> str:
        return reverse("home")

    def form_valid(self, form):  # type: ignore[no-untyped-def]
        response = super().form_valid(form)
        services.record_password_change(user=form.user)  # the signed-in user whose password changed
        messages.success(self.request, "密码已修改。")
        return response


@login_required
@require_http_methods(["GET", "POST"])
def members(request: AuthenticatedRequest) -> HttpResponse:
    organisation = get_organisation_for_admin(request.user)
    form = InvitationForm(request.POST or None, organisation=organisation)
    link = None
    if request.method == "POST" and form.is_valid():
        try:
            issued = services.invite_colleague(
                organisation=organisation, actor=request.user, **form.cleaned_data
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            link = request.build_absolute_uri(reverse("accounts:accept", args=[issued.token]))
            form = InvitationForm(organisation=organisation)
    return render(
        request,
        "accounts/members.html",
        {
            "organisation": organisation,
            "members": organisation.memberships.select_related("user"),
            "invitations": organisation.invitations.filter(state=InvitationState.PENDING),
            "form": form,
            "link": link,
        },
    )


@login_required
@require_http_methods(["GET"])
def member(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    membership = get_member_for_admin(request.user, pk)
    return _member_page(request, membership)


def _member_page(
    request: AuthenticatedRequest,
    membership: Membership,
    role_form: MemberRoleForm | None = None,
    remove_form: RemoveMemberForm | None = None,
    status: int = 200,
) -> HttpResponse:
    return render(
        request,
        "accounts/member.html",
        {
            "m": membership,
            "role_form": role_form
            or MemberRoleForm(organisation=membership.organisation, initial={"role": membership.role}),
            "remove_form": remove_form or RemoveMemberForm(),
        },
        status=status,
    )


@login_required
@require_POST
def member_role(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    membership = get_member_for_admin(request.user, pk)
    form = MemberRoleForm(request.POST, organisation=membership.organisation)
    if form.is_valid():
        try:
            services.change_role(
                actor=request.user,
                membership=membership,
                role=Role(form.cleaned_data["role"]),
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(
                request, f"{_name(membership)} 的角色已改为“{Role(form.cleaned_data['role']).label}”。"
            )
            # An admin who made themself a plain member may no longer manage members.
            return redirect("home" if membership.user_id == request.user.pk else "accounts:members")
    return _member_page(request, membership, role_form=form, status=422)


@login_required
@require_POST
def member_remove(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    membership = get_member_for_admin(request.user, pk)
    form = RemoveMemberForm(request.POST)
    if form.is_valid():
        try:
            services.remove_member(
                actor=request.user, membership=membership, reason=form.cleaned_data["reason"]
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            if membership.user_id == request.user.pk:
                # The account just removed is this one: it is deactivated, so end the session now.
                logout(request)
                return redirect("accounts:login")
            messages.success(request, f"已将 {_name(membership)} 移出本机构，其账户已停用。")
            return redirect("accounts:members")
    return _member_page(request, membership, remove_form=form, status=422)


@login_required
@require_POST
def invitation_revoke(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    invitation = get_invitation_for_admin(request.user, pk)
    try:
        services.revoke_invitation(actor=request.user, invitation=invitation)
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    else:
        messages.success(
            request, f"已撤销给 {invitation.full_name}（{invitation.email}）的邀请，该链接不再有效。"
        )
    return redirect("accounts:members")


def _name(membership: Membership) -> str:
    return membership.user.get_full_name() or membership.user.username


@require_http_methods(["GET", "POST"])
def accept_invitation(request: HttpRequest, token: str) -> HttpResponse:
    invitation = services.find_invitation(token)
    closed = "邀请链接无效。请核对链接是否完整，或联系管理员重新邀请。" if invitation is None else None
    if invitation is not None:
        closed = services.closed_reason(invitation)
    if invitation is None or closed is not None:
        return render(request, "accounts/invitation_invalid.html", {"reason": closed}, status=404)
    form = AcceptInvitationForm(request.POST or None, invitation=invitation)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.accept_invitation(
                invitation=invitation,
                username=form.cleaned_data["username"],
                password=form.cleaned_data["password1"],
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, f"欢迎加入{invitation.organisation.name}。")
            return redirect("home")
    return render(request, "accounts/accept.html", {"invitation": invitation, "form": form})
