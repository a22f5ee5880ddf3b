"""The one place where the web app calls the scoring engine, and how its results are stored.

Views and templates never compute a score: they show what ``compute`` returns (a live, provisional result
while the questionnaire is open) or what ``Result`` stored at submission.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from nfmaturity.assessments.catalogs import sector_view
from nfmaturity.assessments.models import Assessment, RatingRecord, RatingValue
from nfmaturity.scoring.aggregate import score
from nfmaturity.scoring.display import format_truncated
from nfmaturity.scoring.model import ScoreResult
from nfmaturity.scoring.ratings import Rating


def engine_input(assessment: Assessment) -> tuple[dict[str, Rating], dict[str, str]]:
    ratings: dict[str, Rating] = {}
    reasons: dict[str, str] = {}
    for requirement_id, value, reason in RatingRecord.objects.filter(assessment=assessment).values_list(
        "requirement_id", "value", "reason"
    ):
        ratings[requirement_id] = Rating(value)
        if value == RatingValue.NOT_APPLICABLE:
            reasons[requirement_id] = reason
    return ratings, reasons


def compute(assessment: Assessment, *, allow_unrated: bool) -> ScoreResult:
    catalog = sector_view(assessment.catalog_version, assessment.sector).catalog
    ratings, reasons = engine_input(assessment)
    return score(catalog, ratings, na_reasons=reasons, allow_unrated=allow_unrated)


def exact(value: Fraction | None) -> str | None:
    """An exact value as stored: "37/50" (or "1" for integers); None stays None."""
    if value is None:
        return None
    return str(value)


def parse_exact(value: str | None) -> Fraction | None:
    return None if value is None else Fraction(value)


def shown(value: Fraction | None) -> str:
    """A figure for people: truncated to two decimals; "—" where a sub-domain takes no part."""
    return "—" if value is None else format_truncated(value)


def stored_fields(result: ScoreResult) -> dict[str, Any]:
    """The ``Result`` model fields for an engine result."""
    return {
        "catalog_version": result.catalog.version,
        "total": exact(result.total),
        "total_shown": format_truncated(result.total),
        "grade": result.grade.level,
        "consecutive_level": result.consecutive_level,
        "level_skip": result.grade_jump,
        "levels": {str(i + 1): exact(s) for i, s in enumerate(result.level_scores)},
        "level_met": {str(i + 1): met for i, met in enumerate(result.level_met)},
        "domains": {
            d.domain.name: {
                "levels": {str(i + 1): exact(s) for i, s in enumerate(d.level_scores)},
                "maturity": exact(d.maturity),
            }
            for d in result.domains
        },
        "subdomains": {
            r.row.id: {
                "name": r.row.name,
                "domain": r.row.domain,
                "levels": {str(i + 1): exact(s) for i, s in enumerate(r.level_scores)},
            }
            for r in result.rows
        },
        "maturity": {r.row.id: exact(r.maturity) for r in result.rows},
    }
