from django.contrib import admin
from django.urls import include, path

from nfmaturity.web import views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("accounts/", include("nfmaturity.accounts.urls")),
    path("enterprises/", include("nfmaturity.enterprises.urls")),
    path("assessments/", include("nfmaturity.assessments.urls")),
    path("admin/", admin.site.urls),
]

admin.site.site_header = "评估平台管理"
admin.site.site_title = "评估平台管理"
