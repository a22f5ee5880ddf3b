"""The indexable copy of a result's domain and sub-domain figures (``ResultScore``) says exactly what the
stored ``Result`` JSON says: written by the submission, backfilled by the migration, truncated, never rounded."""

from __future__ import annotations

import importlib
from datetime import UTC, datetime
from decimal import Decimal
from fractions import Fraction

import pytest
from django.apps import apps
from django.db import connection
from django.utils import timezone

from nfmaturity.analytics.filters import DashboardFilter
from nfmaturity.analytics.selectors import domain_figures
from nfmaturity.assessments.models import (
    FIGURE_UNIT,
    SCORE_COLUMNS,
    Assessment,
    AssessmentKind,
    AssessmentState,
    LatestResult,
    LatestScore,
    RatingValue,
    Result,
    ResultScore,
    ScoreKind,
)
from nfmaturity.assessments.results import local_year, score_rows
from nfmaturity.assessments.services import start_self_assessment, submit_assessment
from nfmaturity.enterprises.models import Enterprise, SectorChoice
from nfmaturity.scoring.display import format_truncated

from .conftest import WORKED_CHECK, World, fill

MIGRATION = importlib.import_module("nfmaturity.assessments.migrations.0003_result_scores")
LATEST_MIGRATION = importlib.import_module("nfmaturity.assessments.migrations.0004_latest_result")
FIGURES_MIGRATION = importlib.import_module("nfmaturity.assessments.migrations.0007_latest_result_figures")
COPIES_MIGRATION = importlib.import_module("nfmaturity.assessments.migrations.0008_latest_scores")


def assert_latest_tied() -> None:
    """Every enterprise's LatestResult is its newest submitted result, by the rule the registry list uses
    (submission time, then version), with that result's grade; enterprises without one have none."""
    for enterprise in Enterprise.objects.all():
        newest = (
            Result.objects.filter(
                assessment__enterprise=enterprise, assessment__state=AssessmentState.SUBMITTED
            )
            .order_by("-assessment__submitted_at", "-version")
            .first()
        )
        pointer = LatestResult.objects.filter(enterprise=enterprise).first()
        copies = {
            (c.kind, c.key): (c.result_id, [getattr(c, col) for col in SCORE_COLUMNS])
            for c in LatestScore.objects.filter(enterprise=enterprise)
        }
        if newest is None:
            assert pointer is None
            assert copies == {}
        else:
            assert pointer is not None
            assert (pointer.result_id, pointer.grade, pointer.sector, pointer.submitted_year) == (
                newest.pk,
                newest.grade,
                newest.assessment.sector,
                timezone.localtime(newest.assessment.submitted_at).year,
            )
            # LatestScore holds exactly the pointed result's figure rows, in millionths.
            assert copies == {
                (r.kind, r.key): (
                    newest.pk,
                    [
                        None if getattr(r, col) is None else int(getattr(r, col) * FIGURE_UNIT)
                        for col in SCORE_COLUMNS
                    ],
                )
                for r in ResultScore.objects.filter(result=newest)
            }
            assert copies


def _from_json(result: Result) -> dict[tuple[str, str], list[str | None]]:
    """(kind, key) → [maturity, S1..S5] as the Result's JSON holds them."""
    out: dict[tuple[str, str], list[str | None]] = {}
    for name, domain in result.domains.items():
        out[(ScoreKind.DOMAIN, name)] = [domain["maturity"], *(domain["levels"][str(i)] for i in range(1, 6))]
    for row_id, row in result.subdomains.items():
        out[(ScoreKind.SUBDOMAIN, row_id)] = [
            result.maturity[row_id],
            *(row["levels"][str(i)] for i in range(1, 6)),
        ]
    return out


def _stored(result: Result) -> dict[tuple[str, str], list[tuple[str, Decimal | None]]]:
    return {
        (s.kind, s.key): [(getattr(s, f"{c}_exact"), getattr(s, c)) for c in SCORE_COLUMNS]
        for s in ResultScore.objects.filter(result=result)
    }


def _assert_tied(result: Result) -> None:
    expected = _from_json(result)
    stored = _stored(result)
    assert stored.keys() == expected.keys()
    for key, exacts in expected.items():
        for exact, (stored_exact, figure) in zip(exacts, stored[key], strict=True):
            if exact is None:
                assert (stored_exact, figure) == ("", None), key
            else:
                assert stored_exact == exact, key
                # Truncated to six places: at most 0.000001 below the exact value, never above it.
                assert figure is not None
                assert 0 <= Fraction(exact) - Fraction(figure) < Fraction(1, 10**6), key


@pytest.mark.django_db
def test_submission_stores_rows_equal_to_the_result_json(submitted: Assessment) -> None:
    result = Result.objects.get(assessment=submitted)
    _assert_tied(result)
    # The worked check rates every S1 requirement 完全满足 and every S3 one 部分满足: S1 is exactly 1 and S3
    # exactly 1/2 in every domain that takes part there, whatever the weights.
    domains = ResultScore.objects.filter(result=result, kind=ScoreKind.DOMAIN)
    assert domains.count() == len(result.domains) > 0
    for row in domains:
        assert (row.s1_exact, row.s1) == ("1", Decimal("1.000000"))
        assert (row.s3_exact, row.s3) == ("1/2", Decimal("0.500000"))


def test_figures_are_truncated_not_rounded() -> None:
    fields = {
        "domains": {
            "数据": {"maturity": "29/6", "levels": {"1": "2/3", "2": "1", "3": None, "4": "0", "5": "0"}}
        },
        "subdomains": {},
        "maturity": {},
    }
    (row,) = score_rows(fields)
    assert row["maturity"] == Decimal("4.833333")
    assert row["s1"] == Decimal("0.666666")  # rounding would give 0.666667
    # A level the domain takes no part in: no figure, so AVG leaves it out as the scoring does.
    assert (row["s3"], row["s3_exact"]) == (None, "")


@pytest.mark.django_db
def test_migration_backfills_existing_results(submitted: Assessment) -> None:
    result = Result.objects.get(assessment=submitted)
    written = _stored(result)
    ResultScore.objects.all().delete()
    MIGRATION.backfill(apps, None)
    assert _stored(result) == written
    _assert_tied(result)


@pytest.mark.django_db
def test_latest_result_follows_each_submission(world: World) -> None:
    admin = world.users["ent_admin"]
    better = {**WORKED_CHECK, 2: WORKED_CHECK[1], 3: WORKED_CHECK[2]}
    for ratings in (WORKED_CHECK, better):
        assessment = start_self_assessment(
            enterprise=world.enterprise, actor=admin, sector=SectorChoice.SMELTING
        )
        fill(assessment, ratings, admin)
        result = submit_assessment(assessment=assessment, actor=admin)
        pointer = LatestResult.objects.get(enterprise=world.enterprise)
        assessment.refresh_from_db()
        assert (
            pointer.result_id,
            pointer.grade,
            pointer.total_shown,
            pointer.submitted_at,
            pointer.kind,
            pointer.sector,
        ) == (
            result.pk,
            result.grade,
            Decimal(result.total_shown),
            assessment.submitted_at,
            AssessmentKind.SELF,
            SectorChoice.SMELTING,
        )
    first, second = Result.objects.order_by("pk")
    assert second.grade > first.grade  # the pointer moved on to the newer, better result
    assert_latest_tied()
    # The migrations that brought LatestResult (0004), its copies (0007), then LatestScore, the pointer's
    # sector and year (0008) rebuild the same rows from the stored results.
    LatestScore.objects.all().delete()
    LatestResult.objects.all().delete()
    LATEST_MIGRATION.backfill(apps, None)
    FIGURES_MIGRATION.fill(apps, None)
    with connection.cursor() as cursor:
        cursor.execute(COPIES_MIGRATION.COPY)
        cursor.execute(COPIES_MIGRATION.SECTOR)
    COPIES_MIGRATION.fill_years(apps, None)
    assert_latest_tied()


BETTER = {
    1: RatingValue.FULL,
    2: RatingValue.FULL,
    3: RatingValue.MOSTLY,
    4: RatingValue.PARTLY,
    5: RatingValue.NONE,
}


@pytest.mark.django_db
def test_domain_averages_over_the_counted_latest_results(world: World) -> None:
    """By hand: the worked check gives every domain S1..S5 = 1, 0.8, 0.5, 0, 0 (maturity 1 + 1 + 0.5 = 2.5);
    BETTER gives 1, 1, 0.8, 0.5, 0 (maturity 3.5). Guangxi counts A's latest (worked check, not its earlier
    BETTER) and B (BETTER); not the pending 南宁 nor 湖南. The national regulator adds 湖南 (worked check)."""
    assert world.pending is not None and world.hunan is not None
    for enterprise, admin, ratings in (
        (world.enterprise, "ent_admin", BETTER),
        (world.enterprise, "ent_admin", WORKED_CHECK),
        (world.other, "outsider", BETTER),
        (world.pending, "pending_admin", BETTER),
        (world.hunan, "hunan_admin", WORKED_CHECK),
    ):
        user = world.users[admin]
        assessment = start_self_assessment(enterprise=enterprise, actor=user, sector=SectorChoice.SMELTING)
        fill(assessment, ratings, user)
        submit_assessment(assessment=assessment, actor=user)
    guangxi = domain_figures(world.users["regulator"], DashboardFilter()).domains
    assert len(guangxi) == 8  # the eight domains of the 冶炼 table
    for domain in guangxi:
        figures, n = domain["figures"], domain["results"]
        assert n == 2
        assert [Fraction(f) if f is not None else None for f in figures] == [
            Fraction(3),
            Fraction(1),
            Fraction(9, 10),
            Fraction(13, 20),
            Fraction(1, 4),
            Fraction(0),
        ]
    for domain in domain_figures(world.users["national_regulator"], DashboardFilter()).domains:
        figures, n = domain["figures"], domain["results"]
        assert n == 3
        assert figures[0] is not None and format_truncated(Fraction(figures[0])) == "2.83"  # 8.5 / 3


def test_the_pointers_year_is_the_platforms_local_year() -> None:
    """Asia/Shanghai is UTC+8: an evening submission on New Year's Eve (UTC) counts for the next year."""
    assert local_year(datetime(2026, 12, 31, 15, 59, tzinfo=UTC)) == 2026
    assert local_year(datetime(2026, 12, 31, 16, 0, tzinfo=UTC)) == 2027
    assert local_year(None) is None
