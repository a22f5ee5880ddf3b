"""The registry's own pages. The list and profile pages, which show results, are added to this
namespace by nfmaturity.web.urls (they are composed in the web layer, above assessments).
"""

from django.urls import path

from nfmaturity.enterprises import views

app_name = "enterprises"

urlpatterns = [
    path("register/", views.register, name="register"),
    path("registered/", views.registered, name="registered"),
    # The back office links to these two by name: keep the names stable.
    path("verification/", views.verification_queue, name="verification"),
    path("verification/<int:pk>/", views.verify, name="verify"),
    path("verification/<int:pk>/identity/", views.verify_identity, name="verify_identity"),
    path("verification/claims/<int:pk>/", views.decide_claim, name="decide_claim"),
    path("<int:pk>/edit/", views.enterprise_edit, name="edit"),
    path("<int:pk>/units/add/", views.unit_add, name="unit_add"),
    path("<int:pk>/contacts/add/", views.contact_add, name="contact_add"),
]
