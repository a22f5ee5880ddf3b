from django.urls import URLPattern

app_name = "formal"

urlpatterns: list[URLPattern] = []
