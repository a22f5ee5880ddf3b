from django.urls import URLPattern, path

from nfmaturity.plans import views

app_name = "plans"

urlpatterns: list[URLPattern] = [
    path("assessment/<int:pk>/roadmap/", views.roadmap, name="roadmap"),
    path("assessment/<int:pk>/roadmap/save/", views.save, name="save"),
    path("assessment/<int:pk>/outcomes/", views.next_outcomes, name="outcomes"),
    path("<int:pk>/", views.plan_page, name="plan"),
    path("action/<int:pk>/", views.action_page, name="action"),
    path("action/<int:pk>/status/", views.action_status, name="action_status"),
    path("action/<int:pk>/file/", views.action_file, name="action_file"),
    path("formal/<int:pk>/rectification/", views.rectification, name="rectification"),
    path("rectification/<int:pk>/decide/", views.decide, name="decide"),
]
