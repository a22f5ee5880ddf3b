"""Every persona × every URL × GET and POST: the status each one gets (docs/access.md is the policy).

One data set for the whole module (``module_world`` plus the objects below), built once inside a
transaction; every request runs in a savepoint rolled back after it, so a POST that changes something
(a logout, a removal, a verification) changes nothing for the next persona. POSTs carry no CSRF token and
no form data: the test client does not check CSRF, and what is tested is who gets in, not what a valid
form does (each page's own tests do that).

``test_every_url_pattern_is_in_the_matrix`` walks the URL resolver: a new page fails it until its rows
are added here.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.urls import URLPattern, URLResolver, get_resolver

from nfmaturity.accounts.models import Role
from nfmaturity.accounts.services import invite_colleague
from nfmaturity.assessments.catalogs import sector_view
from nfmaturity.assessments.models import Assessment, WorkbookImport
from nfmaturity.assessments.services import (
    add_attachment,
    start_self_assessment,
    submit_assessment,
    withdraw_assessment,
)
from nfmaturity.enterprises.models import CodeClaim, Enterprise, SectorChoice
from tests.access_support import session_cookies, status_of

from .conftest import WORKED_CHECK, World, fill

PERSONAS = (
    "anonymous",
    "ent_admin",
    "ent_member",
    "outsider",
    "pending_admin",
    "expert",
    "body_admin",
    "regulator",
    "hunan_regulator",
    "national_regulator",
    "platform_admin",
)

# Shorthands for personas that share a fate on most rows. Enterprise A (南丹, 广西) is the one the rows
# are about unless the URL says otherwise.
GROUPS: dict[str, tuple[str, ...]] = {
    "own": ("ent_admin", "ent_member"),  # A's people
    "others": ("outsider", "pending_admin"),  # other enterprises' admins (B verified, C pending)
    "body": ("expert", "body_admin"),
    "gx": ("regulator", "national_regulator", "platform_admin"),  # jurisdictions covering A (and C)
    "hn": ("hunan_regulator", "national_regulator", "platform_admin"),  # jurisdictions covering 湖南
    "regulators": ("regulator", "hunan_regulator", "national_regulator"),
    "signed_in": PERSONAS[1:],
}


def expect(rest: int | None = None, **given: int) -> dict[str, int]:
    """Statuses by persona: groups first, then single personas override them, then ``rest`` for the others."""
    out: dict[str, int] = {}
    for key, status in given.items():
        if key in GROUPS:
            out.update(dict.fromkeys(GROUPS[key], status))
    for key, status in given.items():
        if key not in GROUPS:
            assert key in PERSONAS, key
            out[key] = status
    missing = [p for p in PERSONAS if p not in out]
    if missing:
        assert rest is not None, f"no status for {missing}"
        out.update(dict.fromkeys(missing, rest))
    return out


LOGIN = 302  # anonymous: redirected to the login page
NONE_SIGNED_IN = expect(anonymous=LOGIN, rest=405)  # GET on a POST-only page (or POST on a GET-only one)
RATING = (("requirement_id", "{requirement}"), ("value", "1"), ("version", "0"))


@dataclass(frozen=True)
class Row:
    route: str  # the URL pattern as Django spells it; every pattern of the resolver must have a row
    url: str  # with {placeholders} filled from the data set
    get: dict[str, int]
    post: dict[str, int]
    data: tuple[
        tuple[str, str], ...
    ] = ()  # POST fields (placeholders filled too), for a request that succeeds


def read_only(route: str, url: str, get: dict[str, int]) -> Row:
    """A page that only reads: a POST is refused (405) before anything is looked up, so it tells nobody
    whether the object exists."""
    return Row(route, url, get, NONE_SIGNED_IN)


DRAFT_ONLY = expect(anonymous=LOGIN, own=200, rest=404)  # A's draft: private to A
SUBMITTED = expect(anonymous=LOGIN, own=200, gx=200, rest=404)  # A's submitted result
A_PROFILE = expect(anonymous=LOGIN, own=200, body=200, gx=200, rest=404)
A_WRITE = expect(anonymous=LOGIN, ent_admin=200, ent_member=403, body=403, gx=403, rest=404)

MATRIX: list[Row] = [
    # ---- home, health, accounts --------------------------------------------------------------------------
    # Anonymous visitors get the front page; home only renders, so a POST renders it too.
    Row("", "/", expect(rest=200), expect(rest=200)),
    Row("healthz", "/healthz", expect(rest=200), expect(rest=405)),
    Row(
        "accounts/login/",
        "/accounts/login/",
        expect(anonymous=200, rest=302),
        expect(anonymous=200, rest=302),
    ),
    Row("accounts/logout/", "/accounts/logout/", expect(rest=405), expect(rest=302)),
    Row(
        "accounts/password/",
        "/accounts/password/",
        expect(anonymous=LOGIN, rest=200),
        expect(anonymous=LOGIN, rest=200),
    ),
    Row(
        "accounts/members/",
        "/accounts/members/",
        expect(anonymous=LOGIN, ent_admin=200, others=200, body_admin=200, platform_admin=404, rest=403),
        expect(anonymous=LOGIN, ent_admin=200, others=200, body_admin=200, platform_admin=404, rest=403),
    ),
    Row(
        "accounts/invitation/<str:token>/",
        "/accounts/invitation/{token}/",
        expect(rest=200),
        expect(rest=200),
    ),
    Row(
        "accounts/invitation/<str:token>/",
        "/accounts/invitation/not-a-token/",
        expect(rest=404),
        expect(rest=404),
    ),
    # Member management inside one's own organisation: its admin only; another organisation's admin gets
    # 404 (not theirs), a plain member or a regulator 403 (no admin role), the platform admin 404 (no
    # organisation of his own: he uses the back office).
    Row(
        "accounts/members/<int:pk>/",
        "/accounts/members/{membership}/",
        expect(anonymous=LOGIN, ent_admin=200, ent_member=403, expert=403, regulators=403, rest=404),
        NONE_SIGNED_IN,
    ),
    Row(
        "accounts/members/<int:pk>/role/",
        "/accounts/members/{membership}/role/",
        NONE_SIGNED_IN,
        expect(anonymous=LOGIN, ent_admin=422, ent_member=403, expert=403, regulators=403, rest=404),
    ),
    Row(
        "accounts/members/<int:pk>/remove/",
        "/accounts/members/{membership}/remove/",
        NONE_SIGNED_IN,
        expect(anonymous=LOGIN, ent_admin=302, ent_member=403, expert=403, regulators=403, rest=404),
    ),
    Row(
        "accounts/invitations/<int:pk>/revoke/",
        "/accounts/invitations/{invitation}/revoke/",
        NONE_SIGNED_IN,
        expect(anonymous=LOGIN, ent_admin=302, ent_member=403, expert=403, regulators=403, rest=404),
    ),
    # ---- the back office: the platform admin manages; regulators read inside their jurisdiction ----------
    Row(
        "backoffice/",
        "/backoffice/",
        expect(anonymous=LOGIN, regulators=200, platform_admin=200, rest=403),
        NONE_SIGNED_IN,
    ),
    Row(
        "backoffice/organisations/new/",
        "/backoffice/organisations/new/",
        expect(anonymous=LOGIN, platform_admin=200, rest=403),
        expect(anonymous=LOGIN, platform_admin=200, rest=403),
    ),
    Row(
        "backoffice/organisations/<int:pk>/",
        "/backoffice/organisations/{org}/",
        expect(anonymous=LOGIN, gx=200, hunan_regulator=404, rest=403),
        NONE_SIGNED_IN,
    ),
    Row(
        "backoffice/organisations/<int:pk>/",
        "/backoffice/organisations/{hunan_org}/",
        expect(anonymous=LOGIN, hn=200, regulator=404, rest=403),
        NONE_SIGNED_IN,
    ),
    # The 广西 regulator's own organisation: it sees itself but changes nothing; other regulators do not see it.
    Row(
        "backoffice/organisations/<int:pk>/rename/",
        "/backoffice/organisations/{regulator_org}/rename/",
        NONE_SIGNED_IN,
        expect(anonymous=LOGIN, platform_admin=422, hunan_regulator=404, national_regulator=404, rest=403),
    ),
    Row(
        "backoffice/organisations/<int:pk>/jurisdiction/",
        "/backoffice/organisations/{regulator_org}/jurisdiction/",
        NONE_SIGNED_IN,
        expect(anonymous=LOGIN, platform_admin=422, hunan_regulator=404, national_regulator=404, rest=403),
    ),
    Row(
        "backoffice/organisations/<int:pk>/invite/",
        "/backoffice/organisations/{org}/invite/",
        NONE_SIGNED_IN,
        expect(anonymous=LOGIN, platform_admin=200, hunan_regulator=404, rest=403),
    ),
    Row(
        "backoffice/members/<int:pk>/role/",
        "/backoffice/members/{membership}/role/",
        NONE_SIGNED_IN,
        expect(anonymous=LOGIN, platform_admin=302, hunan_regulator=404, rest=403),
    ),
    Row(
        "backoffice/members/<int:pk>/remove/",
        "/backoffice/members/{membership}/remove/",
        expect(anonymous=LOGIN, platform_admin=200, hunan_regulator=404, rest=403),
        expect(anonymous=LOGIN, platform_admin=200, hunan_regulator=404, rest=403),
    ),
    Row(
        "backoffice/invitations/",
        "/backoffice/invitations/",
        expect(anonymous=LOGIN, platform_admin=200, rest=403),
        NONE_SIGNED_IN,
    ),
    Row(
        "backoffice/invitations/<int:pk>/revoke/",
        "/backoffice/invitations/{invitation}/revoke/",
        NONE_SIGNED_IN,
        expect(anonymous=LOGIN, platform_admin=302, hunan_regulator=404, rest=403),
    ),
    # The audit log: all of it for the platform admin, the jurisdiction's for a regulator, one's own
    # organisation's for its admin; plain members and experts none.
    Row(
        "backoffice/audit/",
        "/backoffice/audit/",
        expect(anonymous=LOGIN, ent_member=403, expert=403, rest=200),
        NONE_SIGNED_IN,
    ),
    Row(
        "backoffice/audit/export/",
        "/backoffice/audit/export/",
        expect(anonymous=LOGIN, ent_member=403, expert=403, rest=200),
        NONE_SIGNED_IN,
    ),
    # ---- the registry ------------------------------------------------------------------------------------
    Row(
        "enterprises/register/",
        "/enterprises/register/",
        expect(anonymous=200, rest=302),
        expect(anonymous=200, rest=302),
    ),
    Row(
        "enterprises/registered/",
        "/enterprises/registered/",
        expect(anonymous=LOGIN, own=200, others=200, rest=404),
        expect(anonymous=LOGIN, own=200, others=200, rest=404),
    ),
    read_only(
        "enterprises/",
        "/enterprises/",
        expect(anonymous=LOGIN, own=403, others=403, rest=200),
    ),
    read_only("enterprises/<int:pk>/", "/enterprises/{ent}/", A_PROFILE),
    # C is pending: its own admin and those who verify it; bodies see verified enterprises only.
    read_only(
        "enterprises/<int:pk>/",
        "/enterprises/{pending}/",
        expect(anonymous=LOGIN, pending_admin=200, gx=200, rest=404),
    ),
    # Registered in 湖南: outside the 广西 regulator's jurisdiction.
    read_only(
        "enterprises/<int:pk>/",
        "/enterprises/{hunan}/",
        expect(anonymous=LOGIN, body=200, hn=200, rest=404),
    ),
    read_only("enterprises/<int:pk>/", "/enterprises/99999/", expect(anonymous=LOGIN, rest=404)),
    Row("enterprises/<int:pk>/edit/", "/enterprises/{ent}/edit/", A_WRITE, A_WRITE),
    Row("enterprises/<int:pk>/units/add/", "/enterprises/{ent}/units/add/", A_WRITE, A_WRITE),
    Row("enterprises/<int:pk>/contacts/add/", "/enterprises/{ent}/contacts/add/", A_WRITE, A_WRITE),
    # ---- verification (regulators of the jurisdiction and the platform admin) -------------------------------
    Row(
        "enterprises/verification/",
        "/enterprises/verification/",
        expect(anonymous=LOGIN, regulators=200, platform_admin=200, rest=403),
        expect(anonymous=LOGIN, regulators=200, platform_admin=200, rest=403),
    ),
    # An empty decision is refused (422) to those who may decide; the others never reach the form.
    Row(
        "enterprises/verification/<int:pk>/",
        "/enterprises/verification/{pending}/",
        expect(anonymous=LOGIN, gx=200, rest=404),
        expect(anonymous=LOGIN, gx=422, rest=404),
    ),
    Row(
        "enterprises/verification/<int:pk>/",
        "/enterprises/verification/{hunan}/",
        expect(anonymous=LOGIN, hn=200, rest=404),
        expect(anonymous=LOGIN, hn=422, rest=404),
    ),
    Row(
        "enterprises/verification/<int:pk>/identity/",
        "/enterprises/verification/{ent}/identity/",
        NONE_SIGNED_IN,
        expect(anonymous=LOGIN, gx=422, rest=404),
    ),
    Row(
        "enterprises/verification/claims/<int:pk>/",
        "/enterprises/verification/claims/{claim}/",
        NONE_SIGNED_IN,
        expect(anonymous=LOGIN, gx=422, rest=404),
    ),
    # ---- self-assessments ----------------------------------------------------------------------------------
    Row(
        "assessments/new/",
        "/assessments/new/",
        expect(anonymous=LOGIN, own=200, others=200, rest=403),
        expect(anonymous=LOGIN, own=200, others=200, rest=403),
    ),
    read_only("assessments/<int:pk>/", "/assessments/{draft}/", DRAFT_ONLY),
    read_only("assessments/<int:pk>/", "/assessments/{submitted}/", SUBMITTED),
    # Withdrawn: never submitted, so private like a draft.
    read_only("assessments/<int:pk>/", "/assessments/{withdrawn}/", DRAFT_ONLY),
    read_only(
        "assessments/<int:pk>/",
        "/assessments/{hunan_submitted}/",
        expect(anonymous=LOGIN, hn=200, rest=404),
    ),
    # C's submitted result: its regulators read it although C is not yet counted anywhere.
    read_only(
        "assessments/<int:pk>/",
        "/assessments/{pending_submitted}/",
        expect(anonymous=LOGIN, pending_admin=200, gx=200, rest=404),
    ),
    read_only("assessments/<int:pk>/", "/assessments/99999/", expect(anonymous=LOGIN, rest=404)),
    read_only("assessments/<int:pk>/rows/<int:index>/", "/assessments/{draft}/rows/0/", DRAFT_ONLY),
    read_only("assessments/<int:pk>/rows/<int:index>/", "/assessments/{submitted}/rows/0/", SUBMITTED),
    read_only(
        "assessments/<int:pk>/rows/<int:index>/",
        "/assessments/{draft}/rows/999/",
        expect(anonymous=LOGIN, rest=404),
    ),
    # A valid rating: saved for A's people (then rolled back); refused to readers (403) and to others (404).
    Row(
        "assessments/<int:pk>/rate/",
        "/assessments/{draft}/rate/",
        NONE_SIGNED_IN,
        expect(anonymous=LOGIN, own=200, rest=404),
        RATING,
    ),
    Row(
        "assessments/<int:pk>/rate/",
        "/assessments/{submitted}/rate/",
        NONE_SIGNED_IN,
        expect(anonymous=LOGIN, own=422, gx=403, rest=404),
        RATING,
    ),
    # No file: the form's refusal (422) for A's people only.
    Row(
        "assessments/<int:pk>/attachments/",
        "/assessments/{draft}/attachments/",
        NONE_SIGNED_IN,
        expect(anonymous=LOGIN, own=422, rest=404),
        (("requirement_id", "{requirement}"),),
    ),
    Row(
        "assessments/<int:pk>/attachments/",
        "/assessments/{submitted}/attachments/",
        NONE_SIGNED_IN,
        expect(anonymous=LOGIN, own=422, gx=403, rest=404),
        (("requirement_id", "{requirement}"),),
    ),
    read_only("assessments/attachments/<int:pk>/", "/assessments/attachments/{draft_file}/", DRAFT_ONLY),
    read_only("assessments/attachments/<int:pk>/", "/assessments/attachments/{submitted_file}/", SUBMITTED),
    Row(
        "assessments/attachments/<int:pk>/remove/",
        "/assessments/attachments/{draft_file}/remove/",
        NONE_SIGNED_IN,
        expect(anonymous=LOGIN, own=200, rest=404),
    ),
    Row(
        "assessments/attachments/<int:pk>/remove/",
        "/assessments/attachments/{submitted_file}/remove/",
        NONE_SIGNED_IN,
        expect(anonymous=LOGIN, own=422, gx=403, rest=404),
    ),
    Row(
        "assessments/<int:pk>/withdraw/",
        "/assessments/{draft}/withdraw/",
        DRAFT_ONLY,
        expect(anonymous=LOGIN, own=302, rest=404),
        (("reason", "重新开始"),),
    ),
    Row(
        "assessments/<int:pk>/submit/",
        "/assessments/{draft}/submit/",
        DRAFT_ONLY,
        expect(anonymous=LOGIN, own=422, rest=404),
    ),
    Row(
        "assessments/<int:pk>/submit/",
        "/assessments/{submitted}/submit/",
        expect(anonymous=LOGIN, own=302, gx=403, rest=404),
        expect(anonymous=LOGIN, own=302, gx=403, rest=404),
    ),
    Row(
        "assessments/<int:pk>/import/",
        "/assessments/{draft}/import/",
        DRAFT_ONLY,
        expect(anonymous=LOGIN, own=422, rest=404),
    ),
    Row(
        "assessments/<int:pk>/import/<int:import_pk>/",
        "/assessments/{draft}/import/{import}/",
        DRAFT_ONLY,
        expect(anonymous=LOGIN, own=302, rest=404),
    ),
    read_only("assessments/<int:pk>/results/", "/assessments/{draft}/results/", DRAFT_ONLY),
    read_only("assessments/<int:pk>/results/", "/assessments/{submitted}/results/", SUBMITTED),
    read_only(
        "assessments/<int:pk>/results/",
        "/assessments/{hunan_submitted}/results/",
        expect(anonymous=LOGIN, hn=200, rest=404),
    ),
    read_only("assessments/<int:pk>/explain/", "/assessments/{draft}/explain/?target=level:1", DRAFT_ONLY),
    read_only(
        "assessments/<int:pk>/explain/", "/assessments/{submitted}/explain/?target=cell:0:1", SUBMITTED
    ),
    read_only("assessments/<int:pk>/plan/", "/assessments/{draft}/plan/", DRAFT_ONLY),
    read_only("assessments/<int:pk>/plan/", "/assessments/{submitted}/plan/?target=3", SUBMITTED),
    # History and comparison: the enterprise, the regulators covering it, the platform admin; an
    # assessment body reads A's profile but not its self-assessments, so 404 as for a missing one.
    read_only(
        "assessments/enterprise/<int:enterprise_pk>/history/",
        "/assessments/enterprise/{ent}/history/",
        SUBMITTED,
    ),
    read_only(
        "assessments/enterprise/<int:enterprise_pk>/history/",
        "/assessments/enterprise/{hunan}/history/",
        expect(anonymous=LOGIN, hn=200, rest=404),
    ),
    read_only(
        "assessments/enterprise/<int:enterprise_pk>/compare/",
        "/assessments/enterprise/{ent}/compare/",
        SUBMITTED,
    ),
    read_only(
        "assessments/enterprise/<int:enterprise_pk>/compare/",
        "/assessments/enterprise/{hunan}/compare/",
        expect(anonymous=LOGIN, hn=200, rest=404),
    ),
]

# ---- the data set --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def media_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("media")


@pytest.fixture(autouse=True)
def _media_in_tmp(settings: object, media_root: Path) -> None:
    """Overrides the per-test folder of conftest: the module's evidence files live in one folder."""
    settings.MEDIA_ROOT = media_root


def _attach(assessment: Assessment, actor: object) -> int:
    requirement_id = sector_view(assessment.catalog_version, assessment.sector).rows[0].requirements[0].id
    return add_attachment(
        assessment=assessment,
        actor=actor,
        requirement_id=requirement_id,
        upload=SimpleUploadedFile("制度.txt", "管理制度".encode(), content_type="text/plain"),
    ).attachment.pk


def _submitted(enterprise: Enterprise, actor: object) -> Assessment:
    assessment = start_self_assessment(enterprise=enterprise, actor=actor, sector=SectorChoice.SMELTING)
    fill(assessment, WORKED_CHECK, actor)
    submit_assessment(assessment=assessment, actor=actor)
    return assessment


@pytest.fixture(scope="module")
def ids(module_world: World, django_db_blocker: object, media_root: Path) -> dict[str, object]:
    """The objects the rows' placeholders name, created once for the module (inside its transaction)."""
    w = module_world
    admin = w.users["ent_admin"]
    assert w.pending is not None and w.hunan is not None
    with django_db_blocker.unblock(), override_settings(MEDIA_ROOT=media_root):
        withdrawn = start_self_assessment(enterprise=w.enterprise, actor=admin, sector=SectorChoice.SMELTING)
        withdraw_assessment(assessment=withdrawn, actor=admin, reason="重新开始")
        submitted = start_self_assessment(enterprise=w.enterprise, actor=admin, sector=SectorChoice.SMELTING)
        submitted_file = _attach(submitted, admin)
        fill(submitted, WORKED_CHECK, admin)
        submit_assessment(assessment=submitted, actor=admin)
        draft = start_self_assessment(enterprise=w.enterprise, actor=admin, sector=SectorChoice.SMELTING)
        draft_file = _attach(draft, admin)
        invitation = invite_colleague(
            organisation=w.enterprise.organisation,
            actor=admin,
            email="xin@example.com",
            full_name="新同事",
            role=Role.ENTERPRISE_MEMBER,
        )
        claim = CodeClaim.objects.create(
            uscc=w.enterprise.uscc,
            holder=w.enterprise,
            claimant=w.pending,
            statement="该信用代码属于本企业",
            created_by=w.users["pending_admin"],
        )
        return {
            "ent": w.enterprise.pk,
            "pending": w.pending.pk,
            "hunan": w.hunan.pk,
            "org": w.enterprise.organisation_id,
            "hunan_org": w.hunan.organisation_id,
            "regulator_org": w.users["regulator"].membership.organisation_id,
            "membership": w.users["ent_member"].membership.pk,
            "draft": draft.pk,
            "submitted": submitted.pk,
            "withdrawn": withdrawn.pk,
            "hunan_submitted": _submitted(w.hunan, w.users["hunan_admin"]).pk,
            "pending_submitted": _submitted(w.pending, w.users["pending_admin"]).pk,
            "draft_file": draft_file,
            "submitted_file": submitted_file,
            "import": WorkbookImport.objects.create(
                assessment=draft, filename="离线评估表.xlsx", sha256="0" * 64, uploaded_by=admin
            ).pk,
            "token": invitation.token,
            "invitation": invitation.invitation.pk,
            "claim": claim.pk,
            "requirement": sector_view(draft.catalog_version, draft.sector).rows[0].requirements[0].id,
        }


@pytest.fixture(scope="module")
def sessions(module_world: World, ids: dict[str, object], django_db_blocker: object) -> dict[str, str]:
    """Each persona's session cookie, made once. One client per persona serves every request: a Client
    loads the whole middleware stack on its first request (WhiteNoise alone indexes every static file)."""
    return session_cookies(module_world.users, PERSONAS[1:], django_db_blocker)


# ---- the tests -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["GET", "POST"])
@pytest.mark.parametrize("row", MATRIX, ids=[row.url for row in MATRIX])
def test_each_persona_gets_the_status_the_matrix_says(
    db: None, sessions: dict[str, str], ids: dict[str, object], row: Row, method: str
) -> None:
    url = row.url.format(**ids)
    expected = row.get if method == "GET" else row.post
    data = {name: value.format(**ids) for name, value in row.data}
    got = {persona: status_of(sessions, persona, method, url, data) for persona in PERSONAS}
    wrong = {p: f"expected {expected[p]}, got {got[p]}" for p in PERSONAS if got[p] != expected[p]}
    assert not wrong, f"{method} {url}: {wrong}"


def _routes(patterns: list[URLPattern | URLResolver], prefix: str = "") -> Iterator[str]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _routes(pattern.url_patterns, prefix + str(pattern.pattern))
        else:
            yield prefix + str(pattern.pattern)


# Apps whose pages need their own data set (a formal assessment's team, a regulator's rules …) keep their
# matrix in a module of their own: each such module defines ``ROUTES``, the URL patterns its rows cover, and
# tests every persona on them the way this module does.
OTHER_MATRICES = sorted(Path(__file__).parent.parent.glob("*/test_access_matrix_*.py"))


def _other_routes() -> set[str]:
    routes: set[str] = set()
    for path in OTHER_MATRICES:
        module = importlib.import_module(f"tests.{path.parent.name}.{path.stem}")
        routes |= set(module.ROUTES)
    return routes


def test_every_url_pattern_is_in_the_matrix() -> None:
    routes = set(_routes(get_resolver().url_patterns))
    covered = {row.route for row in MATRIX} | _other_routes()
    missing, stale = sorted(routes - covered), sorted(covered - routes)
    assert not missing, f"URL patterns with no row in the access matrix: {missing}"
    assert not stale, f"rows for URL patterns that no longer exist: {stale}"


def test_it_hides_another_enterprises_assessment_exactly_like_a_missing_one(
    db: None, module_world: World, ids: dict[str, object]
) -> None:
    outsider = module_world.client("outsider")
    mine_missing = outsider.get("/assessments/99999/")
    theirs = outsider.get(f"/assessments/{ids['draft']}/")
    assert theirs.status_code == mine_missing.status_code == 404
    # The error page keeps the navigation, whose logout form carries a CSRF token masked afresh per response.
    assert _unmasked(theirs.content) == _unmasked(mine_missing.content)


def _unmasked(content: bytes) -> bytes:
    return re.sub(rb"[A-Za-z0-9]{64}", b"<csrf>", content)


@pytest.mark.parametrize("persona", ["outsider", "expert", "body_admin", "regulator", "platform_admin"])
def test_refused_writes_to_a_draft_change_nothing(
    db: None, module_world: World, ids: dict[str, object], persona: str
) -> None:
    client = module_world.client(persona)
    assert client.post(f"/assessments/attachments/{ids['draft_file']}/remove/").status_code == 404
    assert client.post(f"/assessments/{ids['draft']}/withdraw/", {"reason": "x"}).status_code == 404
    assert client.post(f"/assessments/{ids['draft']}/submit/").status_code == 404
    draft = Assessment.objects.get(pk=ids["draft"])
    assert draft.is_draft and draft.attachments.filter(pk=ids["draft_file"]).exists()


def test_it_lists_only_own_assessments_on_the_enterprise_home(
    db: None, module_world: World, ids: dict[str, object]
) -> None:
    assert f"/assessments/{ids['draft']}/" in module_world.client("ent_member").get("/").content.decode()
    assert f"/assessments/{ids['draft']}/" not in module_world.client("outsider").get("/").content.decode()
