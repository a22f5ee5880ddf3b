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
from django.views.decorators.http import require_safe

from nfmaturity.accounts.access import is_body, membership_of
from nfmaturity.accounts.models import OrganisationKind
from nfmaturity.assessments.access import sees_self_assessments_of, visible_assessments
from nfmaturity.assessments.models import GradeLevel
from nfmaturity.assessments.selectors import assessments_with_results
from nfmaturity.enterprises import regions
from nfmaturity.enterprises import selectors as registry
from nfmaturity.enterprises.access import (
    can_edit,
    can_verify,
    get_enterprise_for_user,
    jurisdiction_of,
    own_enterprise,
    sees_contacts,
    visible_enterprises,
)
from nfmaturity.enterprises.models import Metal, SectorChoice, SizeClass, VerificationState
from nfmaturity.formal.tasks import tasks_for
from nfmaturity.formal.versions import formal_results_of
from nfmaturity.web import landing, selectors


@never_cache
@require_safe
def healthz(request: HttpRequest) -> HttpResponse:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:  # any database failure means "not healthy"
        return JsonResponse({"status": "error", "database": "unavailable"}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})


def home(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:  # newcomers see what the platform is and how to start
        return landing.front_page(request)
    membership = membership_of(request.user)
    kind = membership.organisation.kind if membership else None
    if kind == OrganisationKind.ENTERPRISE:
        enterprise = own_enterprise(request.user)
        rows = assessments_with_results(visible_assessments(request.user))
        return render(
            request,
            "web/home_enterprise.html",
            {
                "enterprise": enterprise,
                "rows": rows,
                "formal_rows": formal_results_of(request.user),
                "tasks": tasks_for(request.user),
            },
        )
    if kind == OrganisationKind.BODY:
        count, demo = selectors.counted_enterprise_count()
        return render(
            request,
            "web/home_body.html",
            {"enterprise_count": count, "demo": demo, "tasks": tasks_for(request.user)},
        )
    if jurisdiction_of(request.user) is not None:  # a regulator, or the platform admin (national)
        return render(
            request, "web/home_regulator.html", {"overview": selectors.industry_overview(request.user)}
        )
    return render(request, "web/home_none.html")


@login_required
@require_safe
def enterprise_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    jurisdiction = jurisdiction_of(user)  # regulators and the platform admin: scores and verification states
    if jurisdiction is None and not is_body(user):
        raise PermissionDenied
    cities = regions.cities_within(jurisdiction if jurisdiction is not None else regions.NATIONAL)
    filters = registry.RegistryFilter.from_query(request.GET, cities={c.code for c in cities})
    queryset = visible_enterprises(user)
    state = request.GET.get("state", "")
    if jurisdiction is not None and state in VerificationState.values:
        queryset = queryset.filter(verification=state)
    rows = selectors.registry_rows(queryset, filters, with_scores=jurisdiction is not None)
    page = Paginator(rows, 25).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "web/enterprise_list.html",
        {
            "page": page,
            "filters": filters,
            "overseer": jurisdiction is not None,
            "jurisdiction_name": regions.jurisdiction_name(jurisdiction) if jurisdiction is not None else "",
            "state": state if jurisdiction is not None else "",
            "states": VerificationState.choices,
            "cities": cities,
            "sectors": SectorChoice.choices,
            "metals": Metal.choices,
            "sizes": SizeClass.choices,
            "query_without_page": query.urlencode(),
            "grade_choices": GradeLevel.choices,
        },
    )


@login_required
@require_safe
def enterprise_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    enterprise = get_enterprise_for_user(user, pk)
    membership = membership_of(user)
    sees_assessments = sees_self_assessments_of(user, enterprise)
    return render(
        request,
        "web/enterprise_detail.html",
        {
            "enterprise": enterprise,
            "can_edit": can_edit(user, enterprise),
            "overseer": can_verify(user, enterprise),
            "own": membership is not None and membership.organisation_id == enterprise.organisation_id,
            "units": enterprise.units.all(),
            "contacts": enterprise.contacts.all() if sees_contacts(user, enterprise) else None,
            "sees_assessments": sees_assessments,
            "assessments": selectors.assessments_for_profile(user, enterprise) if sees_assessments else [],
        },
    )


# Mounted in the "enterprises" URL namespace beside the registry's own pages (see web/urls.py), so
# their names (enterprises:list, enterprises:detail) and addresses are unchanged.
registry_urlpatterns: list[URLPattern] = [
    path("", enterprise_list, name="list"),
    path("<int:pk>/", enterprise_detail, name="detail"),
]
