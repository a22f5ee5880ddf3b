from django.urls import path

from nfmaturity.backoffice import views

app_name = "backoffice"

urlpatterns = [
    path("", views.organisations, name="organisations"),
    path("organisations/new/", views.organisation_new, name="organisation_new"),
    path("organisations/<int:pk>/", views.organisation_detail, name="organisation"),
    path("organisations/<int:pk>/rename/", views.organisation_rename, name="organisation_rename"),
    path(
        "organisations/<int:pk>/jurisdiction/",
        views.organisation_jurisdiction,
        name="organisation_jurisdiction",
    ),
    path("organisations/<int:pk>/invite/", views.organisation_invite, name="organisation_invite"),
    path("members/<int:pk>/role/", views.membership_role, name="membership_role"),
    path("members/<int:pk>/remove/", views.membership_remove, name="membership_remove"),
    path("invitations/", views.invitations, name="invitations"),
    path("invitations/<int:pk>/revoke/", views.invitation_revoke, name="invitation_revoke"),
    path("audit/", views.audit, name="audit"),
    path("audit/export/", views.audit_export, name="audit_export"),
]
