"""Every persona × every page of the report files × GET and POST: the status each one gets (docs/access.md).

The data set: a submitted self-assessment of enterprise A (南丹, 广西); a formal assessment of A still with its
team (评分合议, not yet sent to the enterprise); a published formal assessment of A. A finished Excel file of
each, and of the formal ones also the file with each expert's ratings. ``leader`` and ``team_expert`` sit on
both teams; ``team_expert`` has not submitted his own ratings on the unpublished one, so he may not see the
others' there. Each request runs in a savepoint rolled back after it.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.db import transaction
from django.test import Client, override_settings

from nfmaturity.accounts.models import Organisation, OrganisationKind
from nfmaturity.assessments.models import Result
from nfmaturity.assessments.services import start_self_assessment, submit_assessment
from nfmaturity.enterprises.models import SectorChoice
from nfmaturity.formal.models import TeamMember
from nfmaturity.reports.files import store
from nfmaturity.reports.models import IndexReportFile, ReportFile, ReportFormat
from tests.web.conftest import WORKED_CHECK, World, fill

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

from reports import make_experts, make_formal_result

ROUTES = {
    "reports/results/<int:result_pk>/files/",
    "reports/assessments/<int:assessment_pk>/files/",
    "reports/results/<int:result_pk>/next-workbook/",
    "reports/files/<int:pk>/download/",
    "reports/index/",
    "reports/index/files/",
    "reports/index/files/<int:pk>/download/",
}
PERSONAS = (
    "anonymous",
    "ent_admin",
    "ent_member",
    "outsider",
    "expert",  # an expert of the body, on no team
    "leader",
    "team_expert",
    "body_admin",
    "regulator",  # 广西: covers A
    "hunan_regulator",
    "national_regulator",
    "platform_admin",
)
LOGIN, NOT_ALLOWED = 302, 405


def expect(rest: int, **given: int) -> dict[str, int]:
    for key in given:
        assert key in PERSONAS, key
    return {p: given.get(p, rest) for p in PERSONAS if p != "anonymous"} | {"anonymous": LOGIN}


OWN = dict(ent_admin=200, ent_member=200)
OVERSEERS_A = dict(regulator=200, national_regulator=200, platform_admin=200)
TEAM = dict(leader=200, team_expert=200, body_admin=200)
SELF_READ = expect(404, **OWN, **OVERSEERS_A)
UNSENT_READ = expect(404, **TEAM)
PUBLISHED_READ = expect(404, **OWN, **TEAM, **OVERSEERS_A)
OVERSEERS = dict(regulator=200, hunan_regulator=200, national_regulator=200, platform_admin=200)


def redirected(statuses: dict[str, int]) -> dict[str, int]:
    """A successful non-htmx POST redirects back to the panel."""
    return {p: 302 if s == 200 else s for p, s in statuses.items()}


# (route, url, GET statuses, POST statuses)
ROWS: list[tuple[str, str, dict[str, int], dict[str, int]]] = [
    (
        "reports/results/<int:result_pk>/files/",
        "/reports/results/{self}/files/",
        SELF_READ,
        redirected(SELF_READ),
    ),
    (
        "reports/results/<int:result_pk>/files/",
        "/reports/results/{unsent}/files/",
        UNSENT_READ,
        redirected(UNSENT_READ),
    ),
    (
        "reports/results/<int:result_pk>/files/",
        "/reports/results/{published}/files/",
        PUBLISHED_READ,
        redirected(PUBLISHED_READ),
    ),
    (
        "reports/results/<int:result_pk>/files/",
        "/reports/results/99999/files/",
        expect(404),
        expect(404),
    ),
    (
        "reports/assessments/<int:assessment_pk>/files/",
        "/reports/assessments/{self_assessment}/files/",
        SELF_READ,
        expect(NOT_ALLOWED),
    ),
    # The yearly index report: every regulator for its own jurisdiction, and the platform admin.
    (
        "reports/index/",
        "/reports/index/",
        expect(404, **OVERSEERS),
        # POSTed {"format": "xlsx"}: not a format of the index report (and no year).
        expect(404, **{p: 422 for p in OVERSEERS}),
    ),
    ("reports/index/files/", "/reports/index/files/", expect(404, **OVERSEERS), expect(NOT_ALLOWED)),
    # An index file belongs to the organisation that asked for it (广西's here); the platform admin may fetch any.
    (
        "reports/index/files/<int:pk>/download/",
        "/reports/index/files/{index_file}/download/",
        expect(404, regulator=200, platform_admin=200),
        expect(NOT_ALLOWED),
    ),
    (
        "reports/index/files/<int:pk>/download/",
        "/reports/index/files/99999/download/",
        expect(404),
        expect(NOT_ALLOWED),
    ),
    # A formal assessment's panel is reached by its result, never through the self-assessment helper.
    (
        "reports/assessments/<int:assessment_pk>/files/",
        "/reports/assessments/{published_assessment}/files/",
        expect(404),
        expect(NOT_ALLOWED),
    ),
    (
        "reports/results/<int:result_pk>/next-workbook/",
        "/reports/results/{self}/next-workbook/",
        SELF_READ,
        expect(NOT_ALLOWED),
    ),
    (
        "reports/results/<int:result_pk>/next-workbook/",
        "/reports/results/{unsent}/next-workbook/",
        UNSENT_READ,
        expect(NOT_ALLOWED),
    ),
    (
        "reports/files/<int:pk>/download/",
        "/reports/files/{self_file}/download/",
        SELF_READ,
        expect(NOT_ALLOWED),
    ),
    (
        "reports/files/<int:pk>/download/",
        "/reports/files/{unsent_file}/download/",
        UNSENT_READ,
        expect(NOT_ALLOWED),
    ),
    # Each expert's ratings: not for a team member who has not submitted his own.
    (
        "reports/files/<int:pk>/download/",
        "/reports/files/{unsent_team_file}/download/",
        expect(404, leader=200, body_admin=200),
        expect(NOT_ALLOWED),
    ),
    (
        "reports/files/<int:pk>/download/",
        "/reports/files/{published_team_file}/download/",
        PUBLISHED_READ,
        expect(NOT_ALLOWED),
    ),
    ("reports/files/<int:pk>/download/", "/reports/files/99999/download/", expect(404), expect(NOT_ALLOWED)),
]


@pytest.fixture(scope="module")
def data(
    module_world: World, django_db_blocker: object, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[dict[str, object], dict[str, User]]]:
    reports_dir = tmp_path_factory.mktemp("reports")
    with override_settings(NFM_REPORTS_DIR=reports_dir), django_db_blocker.unblock(), transaction.atomic():  # type: ignore[attr-defined]
        world = module_world
        admin = world.users["ent_admin"]
        assessment = start_self_assessment(
            enterprise=world.enterprise, actor=admin, sector=SectorChoice.SMELTING
        )  # type: ignore[arg-type]
        fill(assessment, WORKED_CHECK, admin)
        own = submit_assessment(assessment=assessment, actor=admin)  # type: ignore[arg-type]
        body = Organisation.objects.get(kind=OrganisationKind.BODY, name="评估中心")
        experts = make_experts(body, prefix="matrix-zj")
        unsent = make_formal_result(world.enterprise, body, admin, experts, published=False)  # type: ignore[arg-type]
        published = make_formal_result(world.enterprise, body, admin, experts, published=True, seed=3)  # type: ignore[arg-type]
        TeamMember.objects.filter(formal__assessment=unsent.assessment, is_leader=False).update(
            ratings_submitted_at=None
        )

        def done(result: Result, expert_detail: bool = False) -> int:
            report = ReportFile.objects.create(
                result=result, format=ReportFormat.XLSX, expert_detail=expert_detail
            )
            return store(report, f"{result.pk}-{expert_detail}".encode()).pk

        regulator = world.users["regulator"]
        index_file = IndexReportFile.objects.create(
            audience=f"org:{regulator.membership.organisation_id}",
            organisation_id=regulator.membership.organisation_id,
            jurisdiction="450000",
            year=2026,
            format=ReportFormat.PDF,
            data_stamp="x",
            requested_by=regulator,
        )
        ids: dict[str, object] = {
            "index_file": store(index_file, b"%PDF-1.4 index").pk,
            "self": own.pk,
            "self_assessment": assessment.pk,
            "unsent": unsent.pk,
            "published": published.pk,
            "published_assessment": published.assessment_id,
            "self_file": done(own),
            "unsent_file": done(unsent),
            "unsent_team_file": done(unsent, True),
            "published_team_file": done(published, True),
        }
        users = {name: user for name, user in world.users.items() if isinstance(user, User)}
        users["leader"] = experts[0].user
        users["team_expert"] = experts[1].user
        yield ids, users
        transaction.set_rollback(True)


def _status(user: User | None, method: str, url: str) -> int:
    client = Client(raise_request_exception=False)
    if user is not None:
        client.force_login(user)
    with transaction.atomic():
        response = client.get(url) if method == "GET" else client.post(url, {"format": "xlsx"})
        transaction.set_rollback(True)
    return response.status_code


@pytest.mark.parametrize("method", ["GET", "POST"])
@pytest.mark.parametrize("row", ROWS, ids=[row[1] for row in ROWS])
def test_each_persona_gets_the_status_the_matrix_says(
    db: None,
    data: tuple[dict[str, object], dict[str, User]],
    row: tuple[str, str, dict[str, int], dict[str, int]],
    method: str,
) -> None:
    ids, users = data
    _route, template, get, post = row
    url = template.format(**ids)
    expected = get if method == "GET" else post
    got = {p: _status(users.get(p), method, url) for p in PERSONAS}
    wrong = {p: f"expected {expected[p]}, got {got[p]}" for p in PERSONAS if got[p] != expected[p]}
    assert not wrong, f"{method} {url}: {wrong}"


def test_a_missing_file_and_another_enterprises_file_look_the_same(
    db: None, data: tuple[dict[str, object], dict[str, User]]
) -> None:
    ids, users = data
    client = Client()
    client.force_login(users["outsider"])
    theirs = client.get(f"/reports/files/{ids['self_file']}/download/")
    missing = client.get("/reports/files/99999/download/")
    assert theirs.status_code == missing.status_code == 404
