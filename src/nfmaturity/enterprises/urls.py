from django.urls import path

from nfmaturity.enterprises import views

app_name = "enterprises"

urlpatterns = [
    path("register/", views.register, name="register"),
    path("", views.enterprise_list, name="list"),
    path("<int:pk>/", views.enterprise_detail, name="detail"),
    path("<int:pk>/edit/", views.enterprise_edit, name="edit"),
    path("<int:pk>/units/add/", views.unit_add, name="unit_add"),
    path("<int:pk>/contacts/add/", views.contact_add, name="contact_add"),
]
