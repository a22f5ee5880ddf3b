"""URLs of the on-site stage and the consensus: evidence, independent ratings, field workbook, consensus,
agreement (views_evidence, views_rating, views_consensus)."""

from django.urls import URLPattern, path

from nfmaturity.formal import views_consensus as c
from nfmaturity.formal import views_evidence as e
from nfmaturity.formal import views_rating as r

urlpatterns: list[URLPattern] = [
    path("<int:pk>/evidence/", e.evidence, name="evidence"),
    path("evidence/<int:pk>/download/", e.evidence_download, name="evidence_download"),
    path("evidence/<int:pk>/remove/", e.evidence_remove, name="evidence_remove"),
    path("<int:pk>/rating/", r.rating, name="rating"),
    path("<int:pk>/rating/<int:index>/", r.rating_row, name="rating_row"),
    path("<int:pk>/rating/rate/", r.rating_rate, name="rating_rate"),
    path("<int:pk>/rating/submit/", r.rating_submit, name="rating_submit"),
    path("<int:pk>/rating/reopen/<int:member_pk>/", r.rating_reopen, name="rating_reopen"),
    path("<int:pk>/rating/not-applicable/", r.rating_not_applicable, name="rating_not_applicable"),
    path("<int:pk>/rating/workbook/", r.rating_workbook, name="rating_workbook"),
    path("<int:pk>/rating/workbook/<int:import_pk>/", r.rating_workbook_apply, name="rating_workbook_apply"),
    path("<int:pk>/consensus/", c.consensus, name="consensus"),
    path("<int:pk>/consensus/<int:index>/", c.consensus_row, name="consensus_row"),
    path("<int:pk>/consensus/settle/", c.consensus_settle, name="consensus_settle"),
    path("<int:pk>/consensus/accept-unanimous/", c.consensus_unanimous, name="consensus_unanimous"),
    path("<int:pk>/consensus/open/", c.consensus_open, name="consensus_open"),
    path("<int:pk>/consensus/close/", c.consensus_close, name="consensus_close"),
    path("<int:pk>/consensus/resume/", c.consensus_resume, name="consensus_resume"),
    path("<int:pk>/agreement/", c.agreement, name="agreement"),
]
