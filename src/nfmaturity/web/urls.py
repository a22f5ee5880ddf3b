from django.urls import include, path

from nfmaturity.enterprises import urls as enterprise_urls
from nfmaturity.web import views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("accounts/", include("nfmaturity.accounts.urls")),
    path(
        "enterprises/",
        include(([*enterprise_urls.urlpatterns, *views.registry_urlpatterns], enterprise_urls.app_name)),
    ),
    path("assessments/", include("nfmaturity.assessments.urls")),
    path("backoffice/", include("nfmaturity.backoffice.urls")),
    path("formal/", include("nfmaturity.formal.urls")),
    path("analytics/", include("nfmaturity.analytics.urls")),
    path("plans/", include("nfmaturity.plans.urls")),
    path("reports/", include("nfmaturity.reports.urls")),
]

# Chinese error pages that keep the navigation (CSRF_FAILURE_VIEW in settings points to the same module).
handler400 = "nfmaturity.web.errors.bad_request"
handler403 = "nfmaturity.web.errors.permission_denied"
handler404 = "nfmaturity.web.errors.page_not_found"
handler500 = "nfmaturity.web.errors.server_error"
