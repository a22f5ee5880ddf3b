from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from nfmaturity.accounts import services
from nfmaturity.accounts.access import get_organisation_for_admin
from nfmaturity.accounts.forms import AcceptInvitationForm, InvitationForm
from nfmaturity.accounts.models import InvitationState
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


@require_http_methods(["GET", "POST"])
def accept_invitation(request: HttpRequest, token: str) -> HttpResponse:
    invitation = services.find_open_invitation(token)
    if invitation is None:
        return render(request, "accounts/invitation_invalid.html", status=404)
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
