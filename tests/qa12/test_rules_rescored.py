"""QA12-F2: a grade rise starts from the grade an assessment has now, not from a version a re-score replaced.

A formal assessment keeps every result version (a contested result re-scored adds version 2 with its own
grade); the rules' 等级提升 took the earliest result in the window ordered by version, so it started from
version 1, a grade that no longer stands, and listed an enterprise that did not rise (with that grade in its
reason)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from nfmaturity.analytics.rules import GradeRise, RuleDefinition, SizeIn, evaluate, matches
from nfmaturity.assessments.models import AssessmentKind, Result
from tests.analytics.test_rules_dataset import make_enterprise, make_result

pytestmark = pytest.mark.django_db

GUANGXI = "450000"


def _rescore(result: Result, *, grade: int, total: str) -> Result:
    """Version 2 of ``result``'s assessment, as a re-score after a contest writes it."""
    return Result.objects.create(
        assessment=result.assessment,
        version=result.version + 1,
        catalog_version=result.catalog_version,
        total=total,
        total_shown=Decimal(total),
        grade=grade,
        consecutive_level=grade,
        levels={},
        level_met={},
        domains={},
        subdomains={},
    )


def test_a_rise_starts_from_the_current_version_of_the_earliest_assessment() -> None:
    steady = make_enterprise("复评后未升级的小型企业", size="small")
    first = make_result(steady, total="1.40", grade=1, days_ago=200, kind=AssessmentKind.FORMAL)
    _rescore(first, grade=2, total="2.05")  # the contest raised it: 二级 since
    make_result(steady, total="2.20", grade=2, days_ago=10)
    risen = make_enterprise("真正升级的小型企业", size="small")
    earlier = make_result(risen, total="1.10", grade=1, days_ago=200, kind=AssessmentKind.FORMAL)
    _rescore(earlier, grade=1, total="1.30")
    make_result(risen, total="2.10", grade=2, days_ago=10)

    definition = RuleDefinition(
        conditions=[GradeRise(min_levels=1, within_years=1), SizeIn(sizes=["small"])]  # type: ignore[list-item]
    )
    rows = list(evaluate(definition, GUANGXI))
    assert [r.name for r in rows] == ["真正升级的小型企业"]
    ((_, reasons),) = matches(definition, rows)
    assert reasons[0].startswith("等级提升 1 级：") and " 一级 → " in reasons[0]
