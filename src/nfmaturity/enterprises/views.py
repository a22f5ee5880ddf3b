"""Registry pages that need no assessment data: registration, profile edit, units, contacts.

The list (with latest grades) and the profile page (with assessments) are in ``nfmaturity.web.views``.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from nfmaturity.accounts.requests import AuthenticatedRequest
from nfmaturity.enterprises import services
from nfmaturity.enterprises.access import get_enterprise_for_user
from nfmaturity.enterprises.forms import ContactForm, EnterpriseForm, RegistrationForm, UnitForm

PROFILE_KEYS = ("name", "uscc", "region_code", "sectors", "metals", "size", "above_scale", "address")


@require_http_methods(["GET", "POST"])
def register(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("home")
    form = RegistrationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            registration = services.register_enterprise(
                profile={k: data[k] for k in PROFILE_KEYS},
                admin_username=data["admin_username"],
                admin_password=data["password1"],
                admin_name=data["admin_name"],
                admin_email=data["admin_email"],
            )
        except ValidationError as exc:  # e.g. the username taken by another registration meanwhile
            form.add_error(None, exc)
        else:
            login(request, registration.admin, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, "企业注册成功。您可以添加评估单元和联系人，然后开始自评估。")
            return redirect("enterprises:detail", pk=registration.enterprise.pk)
    return render(request, "enterprises/register.html", {"form": form})


@login_required
@require_http_methods(["GET", "POST"])
def enterprise_edit(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    enterprise = get_enterprise_for_user(request.user, pk, write=True)
    form = EnterpriseForm(request.POST or None, instance=enterprise)
    if request.method == "POST" and form.is_valid():
        services.update_enterprise(
            enterprise=enterprise, actor=request.user, profile={k: form.cleaned_data[k] for k in PROFILE_KEYS}
        )
        messages.success(request, "企业信息已保存。")
        return redirect("enterprises:detail", pk=enterprise.pk)
    return render(request, "enterprises/edit.html", {"enterprise": enterprise, "form": form})


@login_required
@require_http_methods(["GET", "POST"])
def unit_add(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    enterprise = get_enterprise_for_user(request.user, pk, write=True)
    form = UnitForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if enterprise.units.filter(name=form.cleaned_data["name"]).exists():
            form.add_error("name", "已有同名评估单元")
        else:
            services.add_unit(enterprise=enterprise, actor=request.user, **form.cleaned_data)
            messages.success(request, "评估单元已添加。")
            return redirect("enterprises:detail", pk=enterprise.pk)
    return render(
        request,
        "enterprises/child_form.html",
        {"enterprise": enterprise, "form": form, "title": "添加评估单元"},
    )


@login_required
@require_http_methods(["GET", "POST"])
def contact_add(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    enterprise = get_enterprise_for_user(request.user, pk, write=True)
    form = ContactForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.add_contact(enterprise=enterprise, actor=request.user, **form.cleaned_data)
        messages.success(request, "联系人已添加。")
        return redirect("enterprises:detail", pk=enterprise.pk)
    return render(
        request,
        "enterprises/child_form.html",
        {"enterprise": enterprise, "form": form, "title": "添加联系人"},
    )
