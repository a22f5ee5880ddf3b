from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from nfmaturity.accounts.access import is_body, is_regulator
from nfmaturity.assessments.models import GradeLevel
from nfmaturity.enterprises import selectors, services
from nfmaturity.enterprises.access import can_edit, get_enterprise_for_user, visible_enterprises
from nfmaturity.enterprises.forms import ContactForm, EnterpriseForm, RegistrationForm, UnitForm
from nfmaturity.enterprises.models import Metal, SectorChoice, SizeClass

PROFILE_KEYS = ("name", "uscc", "region_code", "sectors", "metals", "size", "above_scale", "address")


@require_http_methods(["GET", "POST"])
def register(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("home")
    form = RegistrationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        registration = services.register_enterprise(
            profile={k: data[k] for k in PROFILE_KEYS},
            admin_username=data["admin_username"],
            admin_password=data["password1"],
            admin_name=data["admin_name"],
            admin_email=data["admin_email"],
        )
        login(request, registration.admin, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, "企业注册成功。您可以添加评估单元和联系人，然后开始自评估。")
        return redirect("enterprises:detail", pk=registration.enterprise.pk)
    return render(request, "enterprises/register.html", {"form": form})


@login_required
def enterprise_list(request: HttpRequest) -> HttpResponse:
    if not (request.user.is_superuser or _reads_registry(request)):
        raise PermissionDenied
    filters = selectors.RegistryFilter.from_query(request.GET)
    rows = selectors.registry_rows(visible_enterprises(request.user), filters)
    page = Paginator(rows, 25).get_page(request.GET.get("page"))
    return render(
        request,
        "enterprises/list.html",
        {
            "page": page,
            "filters": filters,
            "cities": selectors.guangxi_cities(),
            "sectors": SectorChoice.choices,
            "metals": Metal.choices,
            "sizes": SizeClass.choices,
            "query_without_page": _without_page(request),
            "grade_choices": GradeLevel.choices,
        },
    )


def _without_page(request: HttpRequest) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


def _reads_registry(request: HttpRequest) -> bool:
    return is_regulator(request.user) or is_body(request.user)


@login_required
def enterprise_detail(request: HttpRequest, pk: int) -> HttpResponse:
    enterprise = get_enterprise_for_user(request.user, pk)
    return render(
        request,
        "enterprises/detail.html",
        {
            "enterprise": enterprise,
            "can_edit": can_edit(request.user, enterprise),
            "units": enterprise.units.all(),
            "contacts": enterprise.contacts.all(),
            "assessments": selectors.assessments_for_profile(request.user, enterprise),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def enterprise_edit(request: HttpRequest, pk: int) -> HttpResponse:
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
def unit_add(request: HttpRequest, pk: int) -> HttpResponse:
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
def contact_add(request: HttpRequest, pk: int) -> HttpResponse:
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
