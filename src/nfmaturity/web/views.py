"""Pages that combine several apps: the home dashboards and the registry pages that show results.

The registry list (latest grade per enterprise) and an enterprise's profile page (its assessments) read
assessment results, so they are composed here rather than in ``enterprises``, which sits below
``assessments`` in the layers (docs/architecture.md).
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import URLPattern, path
from django.views.decorators.cache import never_cache

from nfmaturity.accounts.access import is_body, is_regulator, membership_of
from nfmaturity.accounts.models import OrganisationKind
from nfmaturity.assessments.access import visible_assessments
from nfmaturity.assessments.models import GradeLevel
from nfmaturity.assessments.selectors import assessments_with_results
from nfmaturity.enterprises import selectors as registry
from nfmaturity.enterprises.access import (
    can_edit,
    get_enterprise_for_user,
    own_enterprise,
    visible_enterprises,
)
from nfmaturity.enterprises.models import Metal, SectorChoice, SizeClass
from nfmaturity.web import selectors


@never_cache
def healthz(request: HttpRequest) -> HttpResponse:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:  # any database failure means "not healthy"
        return JsonResponse({"status": "error", "database": "unavailable"}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})


@login_required
def home(request: HttpRequest) -> HttpResponse:
    membership = membership_of(request.user)
    kind = membership.organisation.kind if membership else None
    if kind == OrganisationKind.ENTERPRISE:
        enterprise = own_enterprise(request.user)
        rows = assessments_with_results(visible_assessments(request.user))
        return render(request, "web/home_enterprise.html", {"enterprise": enterprise, "rows": rows})
    if kind == OrganisationKind.BODY:
        return render(request, "web/home_body.html", {"enterprise_count": registry.enterprise_count()})
    if kind == OrganisationKind.REGULATOR or request.user.is_superuser:
        return render(request, "web/home_regulator.html", {"overview": selectors.industry_overview()})
    return render(request, "web/home_none.html")


@login_required
def enterprise_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not (user.is_superuser or is_regulator(user) or is_body(user)):
        raise PermissionDenied
    filters = registry.RegistryFilter.from_query(request.GET)
    rows = selectors.registry_rows(visible_enterprises(user), filters)
    page = Paginator(rows, 25).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "web/enterprise_list.html",
        {
            "page": page,
            "filters": filters,
            "cities": registry.guangxi_cities(),
            "sectors": SectorChoice.choices,
            "metals": Metal.choices,
            "sizes": SizeClass.choices,
            "query_without_page": query.urlencode(),
            "grade_choices": GradeLevel.choices,
        },
    )


@login_required
def enterprise_detail(request: HttpRequest, pk: int) -> HttpResponse:
    enterprise = get_enterprise_for_user(request.user, pk)
    return render(
        request,
        "web/enterprise_detail.html",
        {
            "enterprise": enterprise,
            "can_edit": can_edit(request.user, enterprise),
            "units": enterprise.units.all(),
            "contacts": enterprise.contacts.all(),
            "assessments": selectors.assessments_for_profile(request.user, enterprise),
        },
    )


# Mounted in the "enterprises" URL namespace beside the registry's own pages (see web/urls.py), so
# their names (enterprises:list, enterprises:detail) and addresses are unchanged.
registry_urlpatterns: list[URLPattern] = [
    path("", enterprise_list, name="list"),
    path("<int:pk>/", enterprise_detail, name="detail"),
]
