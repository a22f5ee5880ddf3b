from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache

from nfmaturity.accounts.access import membership_of
from nfmaturity.accounts.models import OrganisationKind
from nfmaturity.assessments.access import visible_assessments
from nfmaturity.assessments.selectors import assessments_with_results
from nfmaturity.enterprises import selectors as registry
from nfmaturity.enterprises.access import own_enterprise


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
        return render(request, "web/home_regulator.html", {"overview": registry.industry_overview()})
    return render(request, "web/home_none.html")
