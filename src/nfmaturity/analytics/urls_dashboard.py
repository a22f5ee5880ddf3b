"""The regulator's dashboard, its domain figures and trends, the drill-down lists and the Excel exports."""

from django.urls import URLPattern, path

from nfmaturity.analytics import views_dashboard as views

urlpatterns: list[URLPattern] = [
    path("", views.dashboard, name="dashboard"),
    path("domains/", views.domains, name="domains"),
    path("subdomains/", views.subdomains, name="subdomains"),
    path("subdomains/export/", views.export_subdomains, name="subdomains_export"),
    path("trends/", views.trends, name="trends"),
    path("enterprises/", views.enterprises, name="enterprises"),
    path("enterprises/export/", views.export_enterprises, name="enterprises_export"),
    path("export/", views.export_dashboard, name="export"),
]
