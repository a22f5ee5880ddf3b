"""URLs from the application to the start of the on-site stage (views_application)."""

from django.urls import URLPattern, path

from nfmaturity.formal import views_application as v

urlpatterns: list[URLPattern] = [
    path("", v.formal_list, name="list"),
    path("apply/", v.apply, name="apply"),
    path("roster/", v.roster, name="roster"),
    path("roster/<int:user_pk>/", v.roster_edit, name="roster_edit"),
    path("relations/", v.relations, name="relations"),
    path("relations/<int:pk>/remove/", v.relation_remove, name="relation_remove"),
    path("documents/<int:pk>/", v.document_download, name="document"),
    path("documents/<int:pk>/remove/", v.document_remove, name="document_remove"),
    path("<int:pk>/", v.hub, name="hub"),
    path("<int:pk>/application/", v.application, name="application"),
    path("<int:pk>/application/submit/", v.application_submit, name="application_submit"),
    path("<int:pk>/application/withdraw/", v.application_withdraw, name="application_withdraw"),
    path("<int:pk>/application/documents/", v.document_upload, name="document_upload"),
    path("<int:pk>/application/decision/", v.decide, name="decide"),
    path("<int:pk>/team/", v.team, name="team"),
    path("<int:pk>/team/add/", v.team_add, name="team_add"),
    path("<int:pk>/team/<int:member>/remove/", v.team_remove, name="team_remove"),
    path("<int:pk>/team/<int:member>/leader/", v.team_leader, name="team_leader"),
    path("<int:pk>/team/sign/", v.team_sign, name="team_sign"),
    path("<int:pk>/team/assignments/", v.team_assign, name="team_assign"),
    path("<int:pk>/team/confirm/", v.team_confirm, name="team_confirm"),
    path("<int:pk>/planning/", v.planning, name="planning"),
    path("<int:pk>/planning/meeting/", v.meeting, name="meeting"),
    path("<int:pk>/planning/onsite/", v.onsite, name="onsite"),
    path("<int:pk>/planning/<str:kind>/", v.plan_edit, name="plan_edit"),
    path("<int:pk>/planning/<str:kind>/confirm/", v.plan_confirm, name="plan_confirm"),
]
