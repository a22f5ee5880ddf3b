"""A small, hand-written data set of enterprises and stored results for the rule engine, peer and indicator
tests: rows are written directly (as ``submit_assessment`` stores them), so every figure is chosen by hand
and the expected outcomes can be worked out on paper. The tests at the bottom check the builder itself."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.utils import timezone

from nfmaturity.accounts.models import Organisation, OrganisationKind
from nfmaturity.assessments.catalogs import current_version
from nfmaturity.assessments.models import (
    Assessment,
    AssessmentKind,
    AssessmentState,
    LatestResult,
    Result,
    ResultScore,
    ScoreKind,
)
from nfmaturity.assessments.results import latest_pointer, point_latest
from nfmaturity.enterprises.models import Enterprise, VerificationState

DOMAINS = ("组织", "技术", "数据", "资源", "数字化运营", "数字化生产", "数字化服务", "数字化成效")
_seq = itertools.count(1)


def builder_user() -> User:
    user, _ = get_user_model().objects.get_or_create(username="dataset_builder")
    return user


def make_enterprise(
    name: str,
    *,
    region: str = "451221",
    size: str = "medium",
    metals: tuple[str, ...] = ("sn",),
    sectors: tuple[str, ...] = ("smelting",),
    above_scale: bool = True,
    verified: bool = True,
    demo: bool = False,
) -> Enterprise:
    organisation = Organisation.objects.create(name=name, kind=OrganisationKind.ENTERPRISE, is_demo=demo)
    return Enterprise.objects.create(
        organisation=organisation,
        name=name,
        region_code=region,
        size=size,
        metals=list(metals),
        sectors=list(sectors),
        above_scale=above_scale,
        verification=VerificationState.VERIFIED if verified else VerificationState.PENDING,
        is_demo=demo,
    )


def make_result(
    enterprise: Enterprise,
    *,
    total: str,
    grade: int,
    domains: dict[str, str] | None = None,
    s2: dict[str, str] | None = None,
    sector: str = "smelting",
    days_ago: int = 10,
    kind: str = AssessmentKind.SELF,
    when: datetime | None = None,
) -> Result:
    """A submitted assessment with its stored result. ``domains``: maturity per domain (others get the
    total); ``s2``: the S2 score per domain (others 0.9). The enterprise's LatestResult follows the latest
    submission, as ``submit_assessment`` keeps it."""
    submitted_at = when or timezone.now() - timedelta(days=days_ago)
    assessment = Assessment.objects.create(
        enterprise=enterprise,
        sector=sector,
        kind=kind,
        catalog_version=current_version(),
        requirement_count=1,
        state=AssessmentState.SUBMITTED,
        created_by=builder_user(),
        submitted_at=submitted_at,
    )
    maturities = {d: (domains or {}).get(d, total) for d in DOMAINS}
    s2_scores = {d: (s2 or {}).get(d, "0.9") for d in DOMAINS}
    result = Result.objects.create(
        assessment=assessment,
        catalog_version=assessment.catalog_version,
        total=total,
        total_shown=Decimal(total),
        grade=grade,
        consecutive_level=grade,
        levels={},
        level_met={},
        domains={d: {} for d in DOMAINS},
        subdomains={},
    )
    ResultScore.objects.bulk_create(
        ResultScore(
            result=result,
            kind=ScoreKind.DOMAIN,
            key=d,
            maturity=Decimal(maturities[d]),
            maturity_exact=maturities[d],
            s2=Decimal(s2_scores[d]),
            s2_exact=s2_scores[d],
        )
        for d in DOMAINS
    )
    latest = (
        Result.objects.filter(assessment__enterprise=enterprise, assessment__state=AssessmentState.SUBMITTED)
        .select_related("assessment")
        .order_by("-assessment__submitted_at", "-version")
        .first()
    )
    assert latest is not None
    point_latest([latest_pointer(latest, latest.assessment)])
    return result


def unique_name(prefix: str) -> str:
    return f"{prefix}{next(_seq)}"


@pytest.mark.django_db
def test_latest_result_follows_the_latest_submission() -> None:
    e = make_enterprise("甲")
    make_result(e, total="1.50", grade=1, days_ago=400)
    newer = make_result(e, total="2.50", grade=2, days_ago=5)
    make_result(e, total="2.00", grade=2, days_ago=200)
    latest = LatestResult.objects.get(enterprise=e)
    assert latest.result_id == newer.pk and latest.grade == 2
    assert ResultScore.objects.filter(result=newer, kind=ScoreKind.DOMAIN).count() == len(DOMAINS)
