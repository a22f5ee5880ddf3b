"""``nfm demo --scale N`` (web/scale.py): labelled, verified synthetic enterprises whose stored results are the
scoring core's, with figure rows tied to them; refused where real data lives."""

from __future__ import annotations

from collections import Counter
from fractions import Fraction

import pytest

from nfmaturity.assessments.catalogs import current_version, sector_view
from nfmaturity.assessments.models import Assessment, AssessmentState, Result, ResultScore
from nfmaturity.enterprises.models import Enterprise, VerificationState
from nfmaturity.enterprises.services import register_enterprise
from nfmaturity.scoring.grading import grade_bands, grade_of
from nfmaturity.web.demo import DemoRefused
from nfmaturity.web.scale import MARK, Outcome, add_scale, outcome_pool
from nfmaturity.web.selectors import industry_overview, is_demo_database

from .conftest import PASSWORD, profile
from .test_stored_scores import assert_latest_tied

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def pool() -> dict[str, list[Outcome]]:
    return outcome_pool(12)


def test_scale_adds_labelled_verified_enterprises_with_engine_results(pool: dict[str, list[Outcome]]) -> None:
    seen: list[tuple[int, int]] = []
    assert add_scale(25, pool=pool, batch=10, progress=lambda done, total: seen.append((done, total))) == 25
    assert seen == [(10, 25), (20, 25), (25, 25)]
    enterprises = Enterprise.objects.all()
    assert enterprises.count() == 25
    for enterprise in enterprises:
        assert enterprise.is_demo and enterprise.organisation.is_demo
        assert enterprise.name.startswith("（演示）") and MARK in enterprise.name
        assert enterprise.verification == VerificationState.VERIFIED
        assessments = Assessment.objects.filter(enterprise=enterprise)
        assert 1 <= assessments.count() <= 2
        assert all(a.state == AssessmentState.SUBMITTED and a.submitted_at for a in assessments)
    assert is_demo_database()
    # Each stored result is an engine result: its grade is the band of its total, and its figure rows
    # are those of its JSON (one per domain and sub-domain).
    for result in Result.objects.select_related("assessment"):
        catalog = sector_view(current_version(), result.assessment.sector).catalog
        assert grade_of(Fraction(result.total), grade_bands(catalog)).level == result.grade
        assert ResultScore.objects.filter(result=result).count() == len(result.domains) + len(
            result.subdomains
        )
    # Spread, not one copy: several regions, sizes and grades.
    assert len({e.region_code for e in enterprises}) > 5
    assert len(Counter(e.size for e in enterprises)) > 1
    assert len(set(Result.objects.values_list("total", flat=True))) > 3
    # Two results of one enterprise lie 150–400 days apart, so some rises fall within a year and some do not
    # (exactly a year apart, a "1 年内等级提升" rule never matched the scale data).
    gaps = []
    for enterprise in enterprises:
        moments = sorted(a.submitted_at for a in Assessment.objects.filter(enterprise=enterprise))
        if len(moments) == 2:
            gaps.append((moments[1] - moments[0]).days)
    assert gaps and all(150 <= g <= 400 for g in gaps) and len(set(gaps)) > 1
    assert_latest_tied()


def test_a_second_load_continues_the_numbering(pool: dict[str, list[Outcome]]) -> None:
    add_scale(3, pool=pool)
    add_scale(2, pool=pool)
    names = sorted(Enterprise.objects.values_list("name", flat=True))
    assert len(set(names)) == 5
    assert all(f"{MARK}0000{n}号" in name for n, name in zip(range(1, 6), names, strict=True))


def test_the_dashboard_counts_the_synthetic_enterprises_as_demo_data(pool: dict[str, list[Outcome]]) -> None:
    from django.contrib.auth.models import User

    add_scale(20, pool=pool)
    overview = industry_overview(User.objects.get(username="demo-admin"))
    assert overview["demo"] is True
    assert overview["enterprises"] == overview["assessed"] == 20
    assert sum(overview["grade_counts"]) == 20


def test_refused_in_a_database_with_real_data(pool: dict[str, list[Outcome]]) -> None:
    register_enterprise(profile=profile("真实有色", "R1"), admin_username="real", admin_password=PASSWORD)
    with pytest.raises(DemoRefused, match="拒绝生成演示数据"):
        add_scale(5, pool=pool)
    assert Enterprise.objects.count() == 1 and not Result.objects.exists()


def test_the_command_prints_progress_and_refuses_real_data(capsys: pytest.CaptureFixture[str]) -> None:
    from nfmaturity.cli.web_cmd import _add_scale

    assert _add_scale(3) == 0
    out = capsys.readouterr().out
    assert "已生成 3/3 家" in out and "已有" not in out
    assert _add_scale(2) == 0  # a second load adds, and says how many there will be
    assert "数据库中已有 3 家合成演示企业；本次另加 2 家，完成后共 5 家。" in capsys.readouterr().out
    register_enterprise(profile=profile("真实有色", "R2"), admin_username="real2", admin_password=PASSWORD)
    assert _add_scale(3) == 2
    assert "拒绝生成演示数据" in capsys.readouterr().err
    assert Enterprise.objects.count() == 6
