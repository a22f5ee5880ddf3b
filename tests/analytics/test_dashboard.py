"""The dashboard's aggregates against a small data set computed by hand (the figures below are written out,
never recomputed by the code under test), the jurisdiction limits and the demo/real separation.

The data set (``hand_data``), on top of the web personas (tests/web/conftest.py), ``NOW`` = 2026-07-01:

| enterprise | region | size | 规上 | sector / metal | results (submitted, kind, grade, total) |
|---|---|---|---|---|---|
| A 南丹锡业 | 河池 南丹 451221 | 中型 | 是 | 冶炼 / 锡 | 2025-03-01 self 一级 1.20 (latest; > 1 year old) |
| B 百色铝业 | 百色 451002 | 中型 | 是 | 冶炼 / 锡 | 2025-02-01 self 一级 1.00, 2026-05-01 self 三级 3.10 (latest) |
| E1 金城江矿业 | 河池 金城江 451202 | 小型 | 否 | 采选 / 铅锌 | 2026-06-01 **formal** 二级 2.40 |
| E2 南宁铝材 | 南宁 450102 | 微型 | 否 | 加工 / 铝 | none; a draft |
| C (pending) 南宁 | — | — | — | — | not counted (pending) |
| X (demo) 河池 | 451221 | 中型 | 是 | 冶炼 / 锡 | 五级 4.90 — demo, not counted |
| H 湖南 | 430000 | 中型 | 是 | 冶炼 / 锡 | 四级 4.10 — outside 广西 |

Domain figures (maturity; S1, S2, S3) of the latest results, D1/D2 = the catalog's first two domains:
A: D1 1.0 (0.9, 0.3, —), D2 2.0 (1.0, 0.8, 0.2); B: D1 3.0 (1, 1, 0.9), D2 0.5 (0.5, —, —);
E1: D1 2.0 (1, 0.8, —), D2 1.0 (0.7, 0.2, —); B's older result D1 0.1 and X, H D1 5.0 must not count.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from nfmaturity.accounts.models import Role
from nfmaturity.accounts.services import create_member
from nfmaturity.analytics import selectors
from nfmaturity.analytics.filters import DashboardFilter
from nfmaturity.assessments.catalogs import current_version
from nfmaturity.assessments.models import (
    Assessment,
    AssessmentKind,
    AssessmentState,
    Result,
    ResultScore,
    ScoreKind,
)
from nfmaturity.assessments.results import latest_pointer, point_latest
from nfmaturity.enterprises.models import Enterprise, VerificationState
from nfmaturity.enterprises.services import register_enterprise
from tests.web.conftest import PASSWORD, World, profile, regulator

BEIJING = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 7, 1, 12, 0, tzinfo=BEIJING)


def at(day: str) -> datetime:
    return datetime.fromisoformat(day).replace(hour=10, tzinfo=BEIJING)


Figures = tuple[str | None, ...]  # maturity, S1, S2, S3 (as decimal strings), missing ones None


def add_result(
    enterprise: Enterprise,
    *,
    when: str,
    grade: int,
    total: str,
    domains: dict[str, Figures],
    kind: str = AssessmentKind.SELF,
    subdomains: dict[str, Figures] | None = None,
    latest: bool = True,
) -> Result:
    """A submitted assessment with a stored result whose figures are the given ones (written directly, so
    the hand computation controls every number the dashboard reads)."""
    admin = User.objects.filter(is_superuser=False).first()
    assert admin is not None
    assessment = Assessment.objects.create(
        enterprise=enterprise,
        sector=enterprise.sectors[0],
        kind=kind,
        catalog_version=current_version(),
        requirement_count=1,
        state=AssessmentState.SUBMITTED,
        created_by=admin,
        submitted_by=admin,
        submitted_at=at(when),
    )
    result = Result.objects.create(
        assessment=assessment,
        catalog_version=current_version(),
        total=total,
        total_shown=Decimal(total),
        grade=grade,
        consecutive_level=grade,
        levels={},
        level_met={},
        domains={},
        subdomains={},
    )
    rows = [(ScoreKind.DOMAIN, k, f) for k, f in domains.items()]
    rows += [(ScoreKind.SUBDOMAIN, k, f) for k, f in (subdomains or {}).items()]
    for score_kind, key, figures in rows:
        padded = [*figures, *([None] * (6 - len(figures)))]
        ResultScore.objects.create(
            result=result,
            kind=score_kind,
            key=key,
            **{c: Decimal(v) if v is not None else None for c, v in zip(SCORE_NAMES, padded, strict=True)},
        )
    if latest:
        point_latest([latest_pointer(result, assessment)])
    return result


SCORE_NAMES = ("maturity", "s1", "s2", "s3", "s4", "s5")


def enterprise(name: str, seed: str, region: str, **changes: object) -> Enterprise:
    registration = register_enterprise(
        profile={**profile(name, seed, region), **changes},
        admin_username=f"admin_{seed.lower()}",
        admin_password=PASSWORD,
    )
    Enterprise.objects.filter(pk=registration.enterprise.pk).update(verification=VerificationState.VERIFIED)
    registration.enterprise.refresh_from_db()
    return registration.enterprise


@dataclass
class HandData:
    world: World
    d1: str
    d2: str
    sub: str  # a sub-domain of D2
    e1: Enterprise
    e2: Enterprise
    demo: Enterprise
    hechi_regulator: User


def build_hand_data(world: World) -> HandData:
    d1, d2 = selectors.domain_names()[:2]
    sub = next(k for k, (_, d) in selectors.subdomain_names().items() if d == d2)
    a, b = world.enterprise, world.other
    assert world.hunan is not None
    e1 = enterprise(
        "金城江矿业有限公司",
        "E1",
        "451202",
        size="small",
        above_scale=False,
        sectors=["mining"],
        metals=["pbzn"],
    )
    e2 = enterprise(
        "南宁铝材有限公司",
        "E2",
        "450102",
        size="micro",
        above_scale=False,
        sectors=["processing"],
        metals=["al"],
    )
    demo = enterprise("（演示）河池锡业", "X9", "451221")
    Enterprise.objects.filter(pk=demo.pk).update(is_demo=True)
    add_result(
        a,
        when="2025-03-01",
        grade=1,
        total="1.20",
        domains={d1: ("1", "0.9", "0.3"), d2: ("2", "1", "0.8", "0.2")},
        subdomains={sub: ("1.5", "1")},
    )
    add_result(b, when="2025-02-01", grade=1, total="1.00", domains={d1: ("0.1",)}, latest=False)
    add_result(
        b,
        when="2026-05-01",
        grade=3,
        total="3.10",
        domains={d1: ("3", "1", "1", "0.9"), d2: ("0.5", "0.5")},
        subdomains={sub: ("0.6", "0.6")},
    )
    add_result(
        e1,
        when="2026-06-01",
        grade=2,
        total="2.40",
        kind=AssessmentKind.FORMAL,
        domains={d1: ("2", "1", "0.8"), d2: ("1", "0.7", "0.2")},
    )
    add_result(demo, when="2026-06-01", grade=5, total="4.90", domains={d1: ("5",), d2: ("5",)})
    add_result(world.hunan, when="2026-06-01", grade=4, total="4.10", domains={d1: ("5",), d2: ("5",)})
    Assessment.objects.create(
        enterprise=e2,
        sector="processing",
        catalog_version=current_version(),
        requirement_count=1,
        created_by=world.users["ent_admin"],
    )
    hechi = create_member(
        organisation=regulator("河池市工业和信息化局", "451200"),
        username="hechi_regulator",
        password=PASSWORD,
        role=Role.REGULATOR_VIEWER,
    )
    return HandData(world, d1, d2, sub, e1, e2, demo, hechi)


@pytest.fixture
def fixed_now(monkeypatch: pytest.MonkeyPatch) -> datetime:
    monkeypatch.setattr(timezone, "now", lambda: NOW)
    return NOW


@pytest.fixture
def hand(world: World, fixed_now: datetime) -> HandData:
    return build_hand_data(world)


def guangxi(hand: HandData, **filters: object) -> selectors.Dashboard:
    return selectors.dashboard(hand.world.users["regulator"], DashboardFilter(**filters))  # type: ignore[arg-type]


def figures(
    tallies: list[selectors.Tally],
) -> dict[str, tuple[int, int, list[int], Decimal | None, Decimal | None]]:
    """label → (enterprises, assessed, grade counts 0..5, average total, share ≥ 二级)."""
    return {t.label: (t.enterprises, t.assessed, t.grade_counts, t.average, t.good_share) for t in tallies}


D = Decimal


@pytest.mark.django_db
def test_the_headline_and_the_pyramid(hand: HandData) -> None:
    board = guangxi(hand)
    o = board.overall
    # A, B, E1, E2 (not the pending C, the demo X, 湖南's H); A 一级, E1 二级, B 三级.
    assert (o.enterprises, o.assessed, o.grade_counts) == (4, 3, [0, 1, 1, 1, 0, 0])
    assert o.average == D("2.23")  # (1.20 + 2.40 + 3.10) / 3 = 2.2333…
    assert (o.good, o.good_share) == (2, D("66.6"))  # 2 / 3 = 66.66…%, truncated
    assert (board.never, board.drafts, board.stale) == (1, 1, 1)  # E2; E2; A (2025-03-01 < 2025-07-01)
    assert (board.pending, board.rejected) == (1, 0)


@pytest.mark.django_db
def test_the_breakdowns(hand: HandData) -> None:
    board = guangxi(hand)
    assert board.region_heading == "按设区市"
    assert figures(board.by_region) == {
        "河池市": (2, 2, [0, 1, 1, 0, 0, 0], D("1.80"), D("50.0")),  # (1.20 + 2.40) / 2
        "百色市": (1, 1, [0, 0, 0, 1, 0, 0], D("3.10"), D("100.0")),
        "南宁市": (1, 0, [0, 0, 0, 0, 0, 0], None, None),
    }
    assert figures(board.by_size) == {
        "中型": (2, 2, [0, 1, 0, 1, 0, 0], D("2.15"), D("50.0")),  # (1.20 + 3.10) / 2
        "小型": (1, 1, [0, 0, 1, 0, 0, 0], D("2.40"), D("100.0")),
        "微型": (1, 0, [0] * 6, None, None),
    }
    assert figures(board.by_above) == {
        "规上企业": (2, 2, [0, 1, 0, 1, 0, 0], D("2.15"), D("50.0")),
        "规下企业": (2, 1, [0, 0, 1, 0, 0, 0], D("2.40"), D("100.0")),
    }
    assert figures(board.by_sector) == {
        "采选": (1, 1, [0, 0, 1, 0, 0, 0], D("2.40"), D("100.0")),
        "冶炼": (2, 2, [0, 1, 0, 1, 0, 0], D("2.15"), D("50.0")),
        "加工": (1, 0, [0] * 6, None, None),
    }
    assert figures(board.by_metal) == {
        "锡": (2, 2, [0, 1, 0, 1, 0, 0], D("2.15"), D("50.0")),
        "铅锌": (1, 1, [0, 0, 1, 0, 0, 0], D("2.40"), D("100.0")),
        "铝": (1, 0, [0] * 6, None, None),
    }
    assert figures(board.by_year) == {
        "2025 年": (1, 1, [0, 1, 0, 0, 0, 0], D("1.20"), D("0.0")),
        "2026 年": (2, 2, [0, 0, 1, 1, 0, 0], D("2.75"), D("100.0")),  # (3.10 + 2.40) / 2
    }
    assert figures(board.by_kind) == {
        "自评估": (2, 2, [0, 1, 0, 1, 0, 0], D("2.15"), D("50.0")),
        "正式评估": (1, 1, [0, 0, 1, 0, 0, 0], D("2.40"), D("100.0")),
    }


@pytest.mark.django_db
def test_an_enterprise_of_two_sectors_and_two_metals_counts_under_each(hand: HandData) -> None:
    # The lists are grouped by their stored text and decoded once per distinct text: the same metals in
    # another order are another group, and still count once per metal.
    both = enterprise(
        "柳州铜铝有限公司", "T1", "450202", sectors=["smelting", "processing"], metals=["cu", "al"]
    )
    again = enterprise(
        "柳州铝铜有限公司", "T2", "450202", sectors=["processing", "smelting"], metals=["al", "cu"]
    )
    add_result(both, when="2026-06-01", grade=2, total="2.00", domains={hand.d1: ("2",)})
    add_result(again, when="2026-06-01", grade=3, total="3.00", domains={hand.d1: ("3",)})
    board = guangxi(hand)
    sectors, metals = figures(board.by_sector), figures(board.by_metal)
    assert sectors["冶炼"] == (4, 4, [0, 1, 1, 2, 0, 0], D("2.32"), D("75.0"))  # A, B + the two: 9.30 / 4
    assert sectors["加工"] == (3, 2, [0, 0, 1, 1, 0, 0], D("2.50"), D("100.0"))  # E2 (none) + the two
    assert metals["铜"] == (2, 2, [0, 0, 1, 1, 0, 0], D("2.50"), D("100.0"))
    assert metals["铝"] == (3, 2, [0, 0, 1, 1, 0, 0], D("2.50"), D("100.0"))  # E2 (none) + the two


@pytest.mark.django_db
def test_a_filter_applies_to_every_figure_and_a_city_breaks_down_by_county(hand: HandData) -> None:
    board = guangxi(hand, region="451200")
    assert board.region_heading == "按区县"
    assert (board.overall.enterprises, board.overall.assessed, board.overall.average) == (2, 2, D("1.80"))
    assert figures(board.by_region) == {
        "南丹县": (1, 1, [0, 1, 0, 0, 0, 0], D("1.20"), D("0.0")),
        "金城江区": (1, 1, [0, 0, 1, 0, 0, 0], D("2.40"), D("100.0")),
    }
    assert (board.never, board.drafts, board.stale) == (0, 0, 1)
    small = guangxi(hand, size="small")
    assert (small.overall.enterprises, small.overall.average) == (1, D("2.40"))
    year = guangxi(hand, year=2026)
    assert (year.overall.enterprises, year.overall.average, year.never) == (2, D("2.75"), 0)
    above = guangxi(hand, above="0", metal="al")
    assert (above.overall.enterprises, above.overall.assessed, above.never, above.drafts) == (1, 0, 1, 1)


@pytest.mark.django_db
def test_domain_averages_weakest_first_and_the_heat_map(hand: HandData) -> None:
    result = selectors.domain_figures(hand.world.users["regulator"], DashboardFilter())
    d1, d2 = hand.d1, hand.d2
    assert [(d["name"], d["figures"], d["results"]) for d in result.domains] == [
        # D2: maturity (2 + 0.5 + 1) / 3 = 1.1666…; S1 (1 + 0.5 + 0.7) / 3 = 0.7333…; S2 (0.8 + 0.2) / 2;
        # S3 0.2 (A alone takes part).
        (d2, [D("1.16"), D("0.73"), D("0.50"), D("0.20"), None, None], 3),
        # D1: maturity (1 + 3 + 2) / 3; S1 (0.9 + 1 + 1) / 3 = 0.9666…; S2 (0.3 + 1 + 0.8) / 3; S3 0.9 (B).
        (d1, [D("2.00"), D("0.96"), D("0.70"), D("0.90"), None, None], 3),
    ]
    assert result.heat_domains == [d2, d1]
    assert result.heat_rows == [
        ("河池市", "451200", [D("1.50"), D("1.50")]),  # D2 (2 + 1) / 2, D1 (1 + 2) / 2
        ("百色市", "451000", [D("0.50"), D("3.00")]),
    ]


@pytest.mark.django_db
def test_subdomain_averages(hand: HandData) -> None:
    rows = selectors.subdomain_averages(hand.world.users["regulator"], DashboardFilter(), hand.d2)
    assert [(r["key"], r["figures"][:2], r["results"]) for r in rows] == [
        (hand.sub, [D("1.05"), D("0.80")], 2)  # (1.5 + 0.6) / 2, (1 + 0.6) / 2
    ]


@pytest.mark.django_db
def test_trends_count_every_submitted_result_by_year(hand: HandData) -> None:
    rows = selectors.trends(hand.world.users["regulator"], DashboardFilter())
    assert rows == [
        # 2025: A 1.20 and B's earlier 1.00; 2026: B 3.10 and E1 2.40.
        {"year": 2025, "results": 2, "average": D("1.10"), "good": 0, "good_share": D("0.0")},
        {"year": 2026, "results": 2, "average": D("2.75"), "good": 2, "good_share": D("100.0")},
    ]


@pytest.mark.django_db
def test_jurisdictions_limit_every_figure(hand: HandData) -> None:
    users = hand.world.users
    hunan = selectors.dashboard(users["hunan_regulator"], DashboardFilter())
    assert (hunan.overall.enterprises, hunan.overall.grade_counts) == (1, [0, 0, 0, 0, 1, 0])
    assert [t.label for t in hunan.by_region] == ["湖南省（未细分）"]
    hunan_domains = selectors.domain_figures(users["hunan_regulator"], DashboardFilter())
    assert [d["figures"][0] for d in hunan_domains.domains] == [D("5.00"), D("5.00")]  # H alone
    assert selectors.trends(users["hunan_regulator"], DashboardFilter())[0]["results"] == 1
    # A filter naming 广西 is dropped for 湖南's regulator, never widened to show it.
    assert DashboardFilter.from_query(_query("region=451200"), jurisdiction="430000").region == ""
    hechi = selectors.dashboard(hand.hechi_regulator, DashboardFilter())
    assert (hechi.overall.enterprises, hechi.overall.average) == (2, D("1.80"))  # A and E1 only
    assert {t.label for t in hechi.by_region} == {"南丹县", "金城江区"}
    national = selectors.dashboard(users["national_regulator"], DashboardFilter())
    assert (national.overall.enterprises, national.overall.assessed) == (5, 4)
    assert {t.label: t.enterprises for t in national.by_region} == {"广西壮族自治区": 4, "湖南省": 1}


@pytest.mark.django_db
def test_demo_data_is_counted_only_in_a_demo_database_and_labelled(hand: HandData, client: Client) -> None:
    assert guangxi(hand).viewer.demo is False
    client.force_login(hand.world.users["regulator"])
    page = client.get(reverse("analytics:dashboard")).content.decode()
    assert "演示数据" not in page
    # Make every enterprise a demo one: the figures now count the demo data, and say so.
    Enterprise.objects.update(is_demo=True)
    board = guangxi(hand)
    assert board.viewer.demo is True
    assert board.overall.grade_counts == [0, 1, 1, 1, 0, 1]  # X (五级) joins
    page = client.get(reverse("analytics:dashboard")).content.decode()
    assert "演示数据" in page


def _query(text: str):  # type: ignore[no-untyped-def]
    from django.http import QueryDict

    return QueryDict(text)
