"""QA12-F1: the yearly index report of a past year counts every enterprise that submitted a result that year.

The report read the dashboard's year filter (enterprises whose *latest* result is from the year), so a past
year lost every enterprise that had assessed again since: on the scale demo the 2025 report said 7 enterprises
had assessed in 2025 while 751 results were submitted that year, and the 2026 report compared its 1480 with
"上一年度 7 家". Each enterprise now counts by its last result of the year (the report's 统计口径 says so)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User

from nfmaturity.accounts.models import Membership, Organisation, OrganisationKind, Role
from nfmaturity.analytics import selectors
from nfmaturity.analytics.filters import DashboardFilter
from nfmaturity.reports.index_report import build_index_report
from tests.analytics.test_rules_dataset import DOMAINS, make_enterprise, make_result

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")


def _at(year: int, month: int) -> datetime:
    return datetime(year, month, 15, 10, tzinfo=SHANGHAI)


def _regulator() -> User:
    organisation = Organisation.objects.create(
        name="广西壮族自治区工业和信息化厅", kind=OrganisationKind.REGULATOR, jurisdiction="450000"
    )
    user = get_user_model().objects.create_user(username="qa12_regulator")
    Membership.objects.create(user=user, organisation=organisation, role=Role.REGULATOR_VIEWER)
    return user


def test_a_past_year_counts_each_enterprise_by_its_last_result_of_that_year() -> None:
    regulator = _regulator()
    again = make_enterprise("次年再评企业", size="small", region="451221")  # 2024 and 2025
    make_result(again, total="1.50", grade=1, when=_at(2024, 5))
    make_result(again, total="2.50", grade=2, when=_at(2025, 4), domains={"数据": "2.00"})
    once = make_enterprise("只评一次企业", size="small", region="450205")  # 2024 only
    make_result(once, total="1.00", grade=1, when=_at(2024, 6))
    twice = make_enterprise("当年两次企业", size="medium", region="451221")  # twice in 2024, then 2025
    make_result(twice, total="0.50", grade=0, when=_at(2024, 2))
    make_result(twice, total="1.20", grade=1, when=_at(2024, 11))
    make_result(twice, total="3.00", grade=3, when=_at(2025, 8))

    past = build_index_report(regulator, 2024)
    # 1.50, 1.00 and 1.20 (the later of the two 2024 results): 3.70 / 3.
    assert past.assessed == 3 and past.average == Decimal("1.23")
    assert past.grade_counts == [0, 3, 0, 0, 0, 0]
    assert [(r.label, r.enterprises) for r in past.by_size] == [("中型", 1), ("小型", 2)]
    assert sorted((r.label, r.enterprises) for r in past.by_region) == [("柳州市", 1), ("河池市", 2)]
    # make_result gives every domain the total unless told otherwise: each domain averages 1.23.
    assert {d["name"]: d["figures"][0] for d in past.domains} == dict.fromkeys(DOMAINS, Decimal("1.23"))
    assert all(d["results"] == 3 for d in past.domains)

    current = build_index_report(regulator, 2025)
    assert current.assessed == 2 and current.average == Decimal("2.75")
    assert current.previous_assessed == 3 and current.previous_average == Decimal("1.23")
    assert current.domains[0]["name"] == "数据" and current.domains[0]["figures"][0] == Decimal("2.50")
    assert current.rose == 2  # both enterprises with a result in each year went up

    # The most recent year is exactly what the dashboard shows filtered by that year.
    board = selectors.dashboard(regulator, DashboardFilter(year=2025))
    figures = selectors.domain_figures(regulator, DashboardFilter(year=2025))
    assert (board.overall.assessed, board.overall.average) == (current.assessed, current.average)
    assert figures.domains == current.domains


def test_a_replaced_result_version_is_not_counted() -> None:
    """A re-scored result (version 2) stands for its assessment; version 1 is not a second result."""
    from nfmaturity.assessments.models import Result

    regulator = _regulator()
    enterprise = make_enterprise("复评企业", region="451221")
    first = make_result(enterprise, total="1.10", grade=1, when=_at(2024, 3))
    Result.objects.create(
        assessment=first.assessment,
        version=2,
        catalog_version=first.catalog_version,
        total="2.20",
        total_shown=Decimal("2.20"),
        grade=2,
        consecutive_level=2,
        levels={},
        level_met={},
        domains={},
        subdomains={},
    )
    report = build_index_report(regulator, 2024)
    assert report.assessed == 1 and report.average == Decimal("2.20") and report.good == 1
