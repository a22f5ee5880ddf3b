"""URLs of the results part (conclusion → publication) and the public verification pages."""

from django.urls import URLPattern, path

from nfmaturity.formal import views_public, views_results

urlpatterns: list[URLPattern] = [
    path("<int:pk>/conclusion/", views_results.conclusion, name="conclusion"),
    path("<int:pk>/conclusion/send/", views_results.conclusion_send, name="conclusion_send"),
    path("<int:pk>/results/", views_results.results, name="results"),
    path("<int:pk>/results/diff/", views_results.results_diff, name="results_diff"),
    path("<int:pk>/results/contest/", views_results.contest, name="contest"),
    path("<int:pk>/results/accept/", views_results.accept, name="accept"),
    path("<int:pk>/results/close/", views_results.close, name="close"),
    path("<int:pk>/results/listing/", views_results.listing, name="listing"),
    path("<int:pk>/rebuttal/", views_results.rebuttal, name="rebuttal"),
    path("<int:pk>/rebuttal/<int:point_pk>/answer/", views_results.rebuttal_answer, name="rebuttal_answer"),
    path("<int:pk>/rebuttal/rescore/", views_results.rescore, name="rescore"),
    path(
        "<int:pk>/rebuttal/evidence/<int:evidence_pk>/",
        views_results.contest_evidence,
        name="contest_evidence",
    ),
    path("<int:pk>/final/", views_results.final, name="final"),
    path("<int:pk>/final/publish/", views_results.publish, name="publish"),
    path("<int:pk>/reopen/", views_results.reopen, name="reopen"),
    path("<int:pk>/timeline/", views_results.timeline_fragment, name="timeline"),
    path(
        "enterprise/<int:enterprise_pk>/results/",
        views_results.enterprise_results,
        name="enterprise_results",
    ),
    path("verify/", views_public.verify, name="verify"),
    path("published/", views_public.published, name="published"),
]
