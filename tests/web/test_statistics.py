"""What the statistics count, on a mixed database (docs/access.md, 统计口径).

Counted: verified enterprises inside the viewer's jurisdiction, each by its latest submitted result; never
pending or rejected ones, never demo ones, except in a demo database (every enterprise a demo one), where
the demo data is counted and labelled 演示数据.

The data set, built once for the module:

| enterprise | region | state | latest submitted result |
|---|---|---|---|
| A 南丹锡业 | 451221 河池 | verified | 二级 (an earlier 三级 is not counted again) |
| B 百色铝业 | 451002 百色 | verified | 三级 |
| C 南宁新材料 | 450103 南宁 | pending | 三级 |
| 南宁冒名 | 450103 南宁 | rejected | 三级 |
| （演示）河池 | 451221 河池 | verified, demo | 三级 |
| 湖南有色冶炼 | 430000 湖南 | verified | 二级 |
"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.db.models import QuerySet

from nfmaturity.accounts.models import Organisation
from nfmaturity.assessments.models import Assessment, RatingValue
from nfmaturity.assessments.services import start_self_assessment, submit_assessment
from nfmaturity.enterprises.models import Enterprise, SectorChoice, VerificationState
from nfmaturity.enterprises.services import register_enterprise
from nfmaturity.web.selectors import industry_overview

from .conftest import PASSWORD, WORKED_CHECK, World, fill, profile

BETTER = {
    1: RatingValue.FULL,
    2: RatingValue.FULL,
    3: RatingValue.MOSTLY,
    4: RatingValue.PARTLY,
    5: RatingValue.NONE,
}
GRADE_2, GRADE_3 = 2, 3


def _submit(enterprise: Enterprise, actor: User, ratings: dict[int, RatingValue]) -> Assessment:
    assessment = start_self_assessment(enterprise=enterprise, actor=actor, sector=SectorChoice.SMELTING)
    fill(assessment, ratings, actor)
    submit_assessment(assessment=assessment, actor=actor)
    return assessment


def _registered(name: str, seed: str, region: str, *, is_demo: bool = False) -> tuple[Enterprise, User]:
    registration = register_enterprise(
        profile=profile(name, seed, region),
        admin_username=f"admin-{seed}",
        admin_password=PASSWORD,
        is_demo=is_demo,
    )
    return registration.enterprise, registration.admin


@pytest.fixture(scope="module")
def data(module_world: World, django_db_blocker: object) -> World:
    w = module_world
    assert w.pending is not None and w.hunan is not None
    users = w.users
    with django_db_blocker.unblock():
        _submit(w.enterprise, users["ent_admin"], BETTER)
        _submit(w.enterprise, users["ent_admin"], WORKED_CHECK)
        _submit(w.other, users["outsider"], BETTER)
        _submit(w.pending, users["pending_admin"], BETTER)
        _submit(w.hunan, users["hunan_admin"], WORKED_CHECK)
        rejected, admin = _registered("南宁冒名有限公司", "E5", "450103")
        Enterprise.objects.filter(pk=rejected.pk).update(verification=VerificationState.REJECTED)
        _submit(rejected, admin, BETTER)
        demo, admin = _registered("（演示）河池有色有限公司", "F6", "451221", is_demo=True)
        Enterprise.objects.filter(pk=demo.pk).update(verification=VerificationState.VERIFIED)
        _submit(demo, admin, BETTER)
    return w


def _grades(overview: dict[str, object]) -> dict[int, int]:
    counts = overview["grade_counts"]
    assert isinstance(counts, list)
    return {grade: n for grade, n in enumerate(counts) if n}


def test_the_provincial_regulator_counts_verified_real_enterprises_of_its_province(
    db: None, data: World
) -> None:
    overview = industry_overview(data.users["regulator"])
    assert overview["demo"] is False
    assert (overview["enterprises"], overview["assessed"]) == (2, 2)  # A and B; not C, 冒名, 演示, 湖南
    assert _grades(overview) == {GRADE_2: 1, GRADE_3: 1}  # A's latest result only
    assert overview["region_heading"] == "按设区市"
    assert [(name, total) for name, _, total in overview["by_region"]] == [("百色市", 1), ("河池市", 1)]
    assert overview["by_size"] == [("中型", [0, 0, 1, 1, 0, 0], 2)]
    assert (overview["pending"], overview["rejected"]) == (1, 1)


def test_the_national_regulator_and_the_platform_admin_count_every_province(db: None, data: World) -> None:
    for persona in ("national_regulator", "platform_admin"):
        overview = industry_overview(data.users[persona])
        assert overview["jurisdiction_name"] == "全国"
        assert overview["enterprises"] == 3  # A, B, 湖南
        assert _grades(overview) == {GRADE_2: 2, GRADE_3: 1}
        assert overview["region_heading"] == "按省份"
        assert [(name, total) for name, _, total in overview["by_region"]] == [
            ("广西壮族自治区", 2),
            ("湖南省", 1),
        ]


def test_the_regulator_outside_counts_only_its_own_province(db: None, data: World) -> None:
    overview = industry_overview(data.users["hunan_regulator"])
    assert (overview["enterprises"], overview["pending"], overview["rejected"]) == (1, 0, 0)
    assert _grades(overview) == {GRADE_2: 1}
    assert [(name, total) for name, _, total in overview["by_region"]] == [("湖南省（未细分）", 1)]


def test_the_dashboard_says_what_it_left_out_and_is_not_labelled_demo(db: None, data: World) -> None:
    page = data.client("regulator").get("/").content.decode()
    assert "管辖范围：广西壮族自治区" in page
    assert '待核验 <span class="num">1</span> 家' in page and "不计入统计" in page
    assert "演示数据" not in page


def test_a_demo_mark_on_the_organisation_alone_also_keeps_it_out(db: None, data: World) -> None:
    Organisation.objects.filter(pk=data.other.organisation_id).update(is_demo=True)
    overview = industry_overview(data.users["regulator"])
    assert overview["enterprises"] == 1 and _grades(overview) == {GRADE_2: 1}


def test_a_demo_database_counts_its_demo_data_and_says_so(db: None, data: World) -> None:
    everything: QuerySet[Enterprise] = Enterprise.objects.all()
    everything.update(is_demo=True)
    overview = industry_overview(data.users["regulator"])
    assert overview["demo"] is True
    # A, B and the demo enterprise are verified; C (pending) and 冒名 (rejected) are still left out.
    assert overview["enterprises"] == 3 and _grades(overview) == {GRADE_2: 1, GRADE_3: 2}
    page = data.client("regulator").get("/").content.decode()
    assert page.count("演示数据") >= 4  # the title, the two counts, every chart and table
    assert "以下数字都是虚构的演示企业" in page
    body_page = data.client("body_admin").get("/").content.decode()
    assert "演示数据" in body_page


def test_the_assessment_body_home_counts_verified_real_enterprises_only(db: None, data: World) -> None:
    page = data.client("body_admin").get("/").content.decode()
    assert '<strong class="num">3</strong> 家经主管部门核验的企业' in page  # A, B, 湖南
    assert "演示数据" not in page


def test_pending_and_rejected_enterprises_are_listed_for_the_regulator_with_their_state(
    db: None, data: World
) -> None:
    page = data.client("regulator").get("/enterprises/").content.decode()
    assert "南宁新材料有限公司" in page and "待核验" in page
    assert "南宁冒名有限公司" in page and "未通过核验" in page
    pending_only = data.client("regulator").get("/enterprises/?state=pending").content.decode()
    assert "南宁新材料有限公司" in pending_only and "南丹锡业有限公司" not in pending_only
