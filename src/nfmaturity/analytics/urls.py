"""The regulator's analysis pages: the dashboard and its drill-downs, and the rules, peers and indicators."""

from django.urls import URLPattern, URLResolver

from nfmaturity.analytics import urls_dashboard, urls_rules

app_name = "analytics"

urlpatterns: list[URLPattern | URLResolver] = [*urls_dashboard.urlpatterns, *urls_rules.urlpatterns]
