"""URLs of the policy rules, the indicators and the peer benchmark (mounted under /analytics/)."""

from django.urls import URLPattern, path

from nfmaturity.analytics import views_indicators, views_rules

urlpatterns: list[URLPattern] = [
    path("rules/", views_rules.rule_list, name="rule_list"),
    path("rules/new/", views_rules.rule_new, name="rule_new"),
    path("rules/<int:pk>/", views_rules.rule_run, name="rule_run"),
    path("rules/<int:pk>/edit/", views_rules.rule_edit, name="rule_edit"),
    path("rules/<int:pk>/delete/", views_rules.rule_delete, name="rule_delete"),
    path("rules/<int:pk>/export/", views_rules.rule_export, name="rule_export"),
    path("rules/examples/<slug:key>/", views_rules.example_run, name="example_run"),
    path("indicators/<int:pk>/", views_indicators.indicators_page, name="indicators"),
    path("indicators/<int:pk>/panel/", views_indicators.indicators_panel, name="indicators_panel"),
    path("indicators/<int:pk>/<int:year>/", views_indicators.indicators_edit, name="indicators_edit"),
    path("peers/<int:pk>/", views_indicators.peer_panel, name="peer_panel"),
]
