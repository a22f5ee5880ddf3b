"""The formal assessment's pages, one URL module per part of the workflow (each kept by whoever builds it)."""

from django.urls import URLPattern, URLResolver

from nfmaturity.formal import urls_application, urls_rating, urls_results

app_name = "formal"

urlpatterns: list[URLPattern | URLResolver] = [
    *urls_application.urlpatterns,
    *urls_rating.urlpatterns,
    *urls_results.urlpatterns,
]
