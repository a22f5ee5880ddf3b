from django.urls import path

from nfmaturity.assessments import views, views_history, views_import, views_results

app_name = "assessments"

urlpatterns = [
    path("new/", views.start, name="start"),
    path("<int:pk>/", views.overview, name="overview"),
    path("<int:pk>/rows/<int:index>/", views.row, name="row"),
    path("<int:pk>/rate/", views.rate, name="rate"),
    path("<int:pk>/attachments/", views.upload, name="upload"),
    path("attachments/<int:pk>/", views.download, name="download"),
    path("attachments/<int:pk>/remove/", views.remove_attachment, name="remove_attachment"),
    path("<int:pk>/withdraw/", views.withdraw, name="withdraw"),
    path("<int:pk>/submit/", views.submit, name="submit"),
    path("<int:pk>/import/", views_import.upload_workbook, name="import"),
    path("<int:pk>/import/<int:import_pk>/", views_import.apply_workbook, name="import_apply"),
    path("<int:pk>/results/", views_results.results, name="results"),
    path("<int:pk>/explain/", views_results.explain, name="explain"),
    path("<int:pk>/plan/", views_results.plan, name="plan"),
    path("enterprise/<int:enterprise_pk>/history/", views_history.history, name="history"),
    path("enterprise/<int:enterprise_pk>/compare/", views_history.compare, name="compare"),
]
