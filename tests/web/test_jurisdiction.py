"""Jurisdiction (a regulator sees only what lies inside it), what an assessment body sees, and the
"谁能看到我的自评估？" text against docs/access.md."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.contrib.auth.models import User

from nfmaturity.accounts.models import Role
from nfmaturity.accounts.services import create_member
from nfmaturity.assessments.models import Assessment
from nfmaturity.assessments.services import start_self_assessment, submit_assessment
from nfmaturity.enterprises import regions
from nfmaturity.enterprises.access import visible_enterprises
from nfmaturity.enterprises.models import SectorChoice
from nfmaturity.enterprises.services import add_contact

from .conftest import PASSWORD, WORKED_CHECK, World, fill, regulator

DOCS = Path(__file__).resolve().parents[2] / "docs" / "access.md"
WHO_SEES = Path(regions.__file__).resolve().parents[1] / "web" / "templates" / "web" / "_who_sees.html"


@pytest.mark.parametrize(
    ("jurisdiction", "prefix"),
    [
        ("000000", ""),
        ("450000", "45"),
        ("451200", "4512"),
        ("451221", "451221"),
        ("", None),  # never set: covers nothing
        ("4500", None),
        ("045000", None),
        ("45000x", None),
    ],
)
def test_a_jurisdiction_covers_a_prefix_of_region_codes(jurisdiction: str, prefix: str | None) -> None:
    assert regions.jurisdiction_prefix(jurisdiction) == prefix


@pytest.mark.parametrize(
    ("jurisdiction", "inside", "outside"),
    [
        ("000000", ["451221", "430000", "110101"], []),
        ("450000", ["451221", "451002", "450000"], ["430000", "440300"]),
        ("451200", ["451221", "451200"], ["451002", "450000"]),
        ("451221", ["451221"], ["451222", "451200"]),
        ("", [], ["451221", "000000"]),
    ],
)
def test_covers(jurisdiction: str, inside: list[str], outside: list[str]) -> None:
    assert all(regions.covers(jurisdiction, code) for code in inside)
    assert not any(regions.covers(jurisdiction, code) for code in outside)


@pytest.fixture(scope="module")
def data(module_world: World, django_db_blocker: object) -> dict[str, Assessment]:
    """A submitted self-assessment, a draft and a contact for enterprise A."""
    w = module_world
    admin = w.users["ent_admin"]
    with django_db_blocker.unblock():
        submitted = start_self_assessment(enterprise=w.enterprise, actor=admin, sector=SectorChoice.SMELTING)
        fill(submitted, WORKED_CHECK, admin)
        submit_assessment(assessment=submitted, actor=admin)
        draft = start_self_assessment(enterprise=w.enterprise, actor=admin, sector=SectorChoice.SMELTING)
        add_contact(enterprise=w.enterprise, actor=admin, name="张联系", phone="13800000000")
    return {"submitted": submitted, "draft": draft}


NAMES = {
    "A": "南丹锡业有限公司",
    "B": "百色铝业有限公司",
    "C": "南宁新材料有限公司",
    "H": "湖南有色冶炼有限公司",
}


def _listed(world: World, persona: str, query: str = "") -> set[str]:
    page = world.client(persona).get(f"/enterprises/{query}").content.decode()
    return {key for key, name in NAMES.items() if name in page}


@pytest.mark.parametrize(
    ("persona", "listed"),
    [
        ("regulator", {"A", "B", "C"}),  # 广西, with the pending C; not 湖南
        ("hunan_regulator", {"H"}),
        ("national_regulator", {"A", "B", "C", "H"}),
        ("platform_admin", {"A", "B", "C", "H"}),
        ("body_admin", {"A", "B", "H"}),  # verified ones only
        ("expert", {"A", "B", "H"}),
    ],
)
def test_the_registry_lists_what_each_one_may_see(
    db: None, module_world: World, persona: str, listed: set[str]
) -> None:
    assert _listed(module_world, persona) == listed


def _regulator_of(code: str, username: str) -> User:
    return create_member(
        organisation=regulator(f"{code} 工信局", code),
        username=username,
        password=PASSWORD,
        role=Role.REGULATOR_VIEWER,
    )


def test_city_and_county_regulators_see_only_their_own_divisions(db: None, module_world: World) -> None:
    w = module_world
    hechi = _regulator_of("451200", "hechi")  # 河池市: A (南丹县) is inside, B (百色) and C (南宁) are not
    nandan = _regulator_of("451221", "nandan")
    baise = _regulator_of("451000", "baise")
    assert set(visible_enterprises(hechi)) == {w.enterprise}
    assert set(visible_enterprises(nandan)) == {w.enterprise}
    assert set(visible_enterprises(baise)) == {w.other}
    unset = _regulator_of("", "unset")  # a regulator nobody gave a jurisdiction sees nothing
    assert not visible_enterprises(unset).exists()


def test_the_city_filter_offers_only_cities_inside_the_jurisdiction(db: None, module_world: World) -> None:
    guangxi = module_world.client("regulator").get("/enterprises/").content.decode()
    assert guangxi.count('<option value="45') == 14
    assert _listed(module_world, "regulator", "?city=451200") == {"A"}
    hunan = module_world.client("hunan_regulator").get("/enterprises/").content.decode()
    assert '<option value="45' not in hunan
    # A city outside the jurisdiction is ignored, and could never widen what the list holds anyway.
    assert _listed(module_world, "hunan_regulator", "?city=451200") == {"H"}


def test_a_body_sees_the_basic_profile_without_scores_contacts_or_assessments(
    db: None, module_world: World, data: dict[str, Assessment]
) -> None:
    body = module_world.client("body_admin")
    listing = body.get("/enterprises/").content.decode()
    assert "最近等级" not in listing and "二级 场景级" not in listing and ">2.50<" not in listing
    assert "评估机构只能查阅已核验企业的基本信息" in listing
    detail = body.get(f"/enterprises/{module_world.enterprise.pk}/").content.decode()
    assert NAMES["A"] in detail and "河池市 南丹县" in detail
    assert "评估机构看不到自评估、得分和等级" in detail
    assert "尚无评估。" not in detail and "/assessments/" not in detail.split("<main", 1)[-1]
    assert "张联系" not in detail and "13800000000" not in detail


def test_the_regulator_sees_submitted_results_and_contacts_but_no_draft(
    db: None, module_world: World, data: dict[str, Assessment]
) -> None:
    client = module_world.client("regulator")
    listing = client.get("/enterprises/").content.decode()
    assert "二级 场景级" in listing and ">2.50<" in listing and "待核验" in listing
    detail = client.get(f"/enterprises/{module_world.enterprise.pk}/").content.decode()
    assert f"/assessments/{data['submitted'].pk}/results/" in detail
    assert f"/assessments/{data['draft'].pk}/" not in detail
    assert "张联系" in detail and "填写中和已撤回的自评估只有企业自己能看到" in detail


def test_the_regulator_is_told_plainly_when_nothing_was_submitted(db: None, module_world: World) -> None:
    detail = module_world.client("regulator").get(f"/enterprises/{module_world.other.pk}/").content.decode()
    assert "该企业尚未提交自评估" in detail


def test_the_outside_regulator_gets_nothing_of_an_enterprise_outside(
    db: None, module_world: World, data: dict[str, Assessment]
) -> None:
    client = module_world.client("hunan_regulator")
    assert client.get(f"/enterprises/{module_world.enterprise.pk}/").status_code == 404
    assert client.get(f"/assessments/{data['submitted'].pk}/results/").status_code == 404
    assert client.get(f"/assessments/enterprise/{module_world.enterprise.pk}/history/").status_code == 404
    home = client.get("/").content.decode()
    assert "管辖范围：湖南省" in home


def _points(text: str) -> list[str]:
    return [re.sub(r"\s+", " ", p).strip() for p in re.findall(r"<li>(.*?)</li>", text, flags=re.S)]


def test_who_sees_my_self_assessment_is_the_text_of_docs_access_md() -> None:
    points = _points(WHO_SEES.read_text(encoding="utf-8"))
    section = DOCS.read_text(encoding="utf-8").split("## 谁能看到我的自评估？", 1)[1].split("\n## ", 1)[0]
    assert len(points) == 4
    assert points == [line[2:].strip() for line in section.splitlines() if line.startswith("- ")]


def test_who_sees_is_shown_where_an_enterprise_works(
    db: None, module_world: World, data: dict[str, Assessment]
) -> None:
    own = module_world.client("ent_member")
    submitted = data["submitted"].pk
    for url in ("/", f"/assessments/{data['draft'].pk}/", f"/assessments/{submitted}/results/"):
        page = own.get(url).content.decode()
        assert "谁能看到我的自评估？" in page, url
        assert "提交后，评估结果" in page, url
    regulator_view = (
        module_world.client("regulator").get(f"/assessments/{submitted}/results/").content.decode()
    )
    assert "谁能看到这份自评估？" in regulator_view and "谁能看到我的自评估？" not in regulator_view


def test_a_pending_enterprise_is_told_it_is_not_counted_yet(db: None, module_world: World) -> None:
    page = module_world.client("pending_admin").get("/").content.decode()
    assert "待核验" in page and "不计入任何统计" in page
