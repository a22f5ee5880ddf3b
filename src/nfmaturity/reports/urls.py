from django.urls import URLPattern, path

from nfmaturity.reports import index_views, views

app_name = "reports"

urlpatterns: list[URLPattern] = [
    path("results/<int:result_pk>/files/", views.panel, name="panel"),
    path("assessments/<int:assessment_pk>/files/", views.assessment_panel, name="assessment_panel"),
    path("results/<int:result_pk>/next-workbook/", views.next_workbook_download, name="next_workbook"),
    path("files/<int:pk>/download/", views.download, name="download"),
    # The jurisdiction's yearly 数字化转型指数报告 (regulators and the platform admin).
    path("index/", index_views.index_page, name="index_report"),
    path("index/files/", index_views.index_panel, name="index_panel"),
    path("index/files/<int:pk>/download/", index_views.index_download, name="index_download"),
]
