"""The one place where the web app calls the scoring engine, and how its results are stored.

Views and templates never compute a score: they show what ``compute`` returns (a live, provisional result
while the questionnaire is open) or what ``Result`` stored at submission.

Content pinning: an assessment records the SHA-256 of its catalog's data files when it starts
(``Assessment.catalog_hash``). ``compute`` refuses to score it against other content, so a corrected file shipped
under the same version label can never re-score an old assessment with different text or weights. Rows from before
the hash existed carry an empty hash: they are treated as pinned by the version label alone, as they always were;
refusing them would lock every legacy draft out of its own results, and guessing a hash for them now would claim
a check that was never made.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from fractions import Fraction
from typing import Any

from django.db import connection
from django.utils import timezone

from nfmaturity.assessments.catalogs import sector_view
from nfmaturity.assessments.errors import AssessmentError
from nfmaturity.assessments.models import (
    FIGURE_UNIT,
    SCORE_COLUMNS,
    SCORE_DECIMALS,
    Assessment,
    LatestResult,
    LatestScore,
    RatingRecord,
    RatingValue,
    Result,
    ResultScore,
    ScoreKind,
)
from nfmaturity.catalog.loader import content_hash
from nfmaturity.scoring.aggregate import score
from nfmaturity.scoring.display import format_truncated
from nfmaturity.scoring.model import ScoreResult
from nfmaturity.scoring.ratings import Rating


class CatalogContentChangedError(AssessmentError):
    """The catalog files of the pinned version are not the ones the assessment was started with."""

    def __init__(self, version: str) -> None:
        super().__init__(
            f"评估标准（{version} 版）的内容与本次评估开始时使用的内容不一致，"
            "为避免按不同的要求或权重计分，平台拒绝重新计算本次评估。请联系平台管理员恢复原标准文件。"
        )


class StoredResultMismatchError(AssessmentError):
    """Re-scoring a submitted assessment's ratings does not give the stored result."""

    def __init__(self) -> None:
        super().__init__(
            "本次评估的评分记录与提交时保存的结果不一致，无法给出计算说明或提升方案。请联系平台管理员核查。"
        )


def check_pinned(assessment: Assessment) -> None:
    if assessment.catalog_hash and assessment.catalog_hash != content_hash(assessment.catalog_version):
        raise CatalogContentChangedError(assessment.catalog_version)


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
    """Score the assessment's current ratings; refuses content other than the pinned one."""
    check_pinned(assessment)
    catalog = sector_view(assessment.catalog_version, assessment.sector).catalog
    ratings, reasons = engine_input(assessment)
    return score(catalog, ratings, na_reasons=reasons, allow_unrated=allow_unrated)


def recompute_stored(assessment: Assessment, result: Result) -> ScoreResult:
    """The engine's full result behind a stored ``Result`` (for its explanation and plan).

    The ratings of a submitted assessment are locked and its content pinned, so this must give exactly the
    stored figures; if it does not, nothing derived from it is shown as if it explained the stored result.
    """
    outcome = compute(assessment, allow_unrated=False)
    if str(outcome.total) != result.total or stored_fields(outcome)["levels"] != result.levels:
        raise StoredResultMismatchError
    return outcome


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


ScoreFigures = dict[str, Any]  # ResultScore field → value, for one domain or sub-domain


def score_rows(fields: dict[str, Any]) -> list[ScoreFigures]:
    """The ``ResultScore`` fields (kind, key, figures) for ``stored_fields`` output.

    Read from the very JSON the ``Result`` stores, so the rows cannot say anything the result does not.
    """

    def figures(kind: str, key: str, maturity: str | None, levels: dict[str, str | None]) -> ScoreFigures:
        row: ScoreFigures = {"kind": kind, "key": key}
        exacts = [maturity, *(levels[str(level)] for level in range(1, 6))]
        for column, value in zip(SCORE_COLUMNS, exacts, strict=True):
            row[column] = (
                None if value is None else Decimal(format_truncated(Fraction(value), SCORE_DECIMALS))
            )
            row[f"{column}_exact"] = value or ""
        return row

    out = [
        figures(ScoreKind.DOMAIN, name, domain["maturity"], domain["levels"])
        for name, domain in fields["domains"].items()
    ]
    out.extend(
        figures(ScoreKind.SUBDOMAIN, row_id, fields["maturity"].get(row_id), row["levels"])
        for row_id, row in fields["subdomains"].items()
    )
    return out


def store_result(assessment: Assessment, outcome: ScoreResult, *, version: int = 1) -> Result:
    """Store an engine result as ``Result`` version ``version`` of ``assessment`` with its ``ResultScore``
    rows (two queries; call inside the transaction that holds the assessment's lock). A self-assessment's
    submission and each version of a formal assessment's result are stored by this one function."""
    fields = stored_fields(outcome)
    result = Result.objects.create(
        assessment=assessment, version=version, catalog_hash=assessment.catalog_hash, **fields
    )
    # The indexable copy of the domain and sub-domain figures, in the same transaction (one query).
    ResultScore.objects.bulk_create(score_records(result, score_rows(fields)))
    return result


def latest_pointer(result: Result, assessment: Assessment) -> LatestResult:
    """The (unsaved) pointer that makes ``result`` its enterprise's latest, with the copied figures."""
    return LatestResult(
        enterprise_id=assessment.enterprise_id,
        result=result,
        grade=result.grade,
        total_shown=result.total_shown,
        submitted_at=assessment.submitted_at,
        kind=assessment.kind,
        sector=assessment.sector,
        submitted_year=local_year(assessment.submitted_at),
    )


def local_year(moment: datetime | None) -> int | None:
    """The year of ``moment`` in the platform's time zone (a submission at 2026-12-31 20:00 UTC is 2027's)."""
    return None if moment is None else timezone.localtime(moment).year


def point_latest(pointers: list[LatestResult]) -> None:
    """Make each pointer's result its enterprise's latest: one upsert, safe against a concurrent one for the
    same enterprise (the later statement wins), then the copies of its figures (``LatestScore``, two more
    queries). Every writer of ``LatestResult`` goes through here or ``drop_latest``."""
    if not pointers:
        return
    LatestResult.objects.bulk_create(
        pointers,
        update_conflicts=True,
        unique_fields=["enterprise"],
        update_fields=["result", "grade", "total_shown", "submitted_at", "submitted_year", "kind", "sector"],
    )
    # After the upsert, which holds the pointer's row lock until commit (PostgreSQL): a concurrent pointing for
    # the same enterprise waits for it, then deletes these copies before writing its own, never adds to them.
    LatestScore.objects.filter(enterprise_id__in=[p.enterprise_id for p in pointers]).delete()
    _copy_scores([p.result_id for p in pointers])


def drop_latest(enterprise_id: int) -> None:
    """The enterprise has no submitted result any more (its only one was reopened): no pointer, no copies."""
    LatestScore.objects.filter(enterprise_id=enterprise_id).delete()
    LatestResult.objects.filter(enterprise_id=enterprise_id).delete()


def _copy_scores(result_ids: list[int]) -> None:
    """Copy the ``ResultScore`` rows of ``result_ids`` into ``LatestScore`` in one INSERT … SELECT (the same
    SQL on SQLite and PostgreSQL)."""
    columns = ", ".join(SCORE_COLUMNS)
    # ROUND: SQLite keeps the six-place decimals as floats (1.234567 × 10^6 may come out a hair below).
    picked = ", ".join(f"CAST(ROUND(s.{c} * {FIGURE_UNIT}) AS BIGINT)" for c in SCORE_COLUMNS)
    marks = ", ".join(["%s"] * len(result_ids))
    sql = (
        f"INSERT INTO {LatestScore._meta.db_table} (enterprise_id, result_id, kind, key, {columns}) "
        f"SELECT a.enterprise_id, s.result_id, s.kind, s.key, {picked} "
        f"FROM {ResultScore._meta.db_table} s "
        f"JOIN {Result._meta.db_table} r ON r.id = s.result_id "
        f"JOIN {Assessment._meta.db_table} a ON a.id = r.assessment_id "
        f"WHERE s.result_id IN ({marks})"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, result_ids)


def latest_score_records(enterprise_id: int, result: Result, rows: list[ScoreFigures]) -> list[LatestScore]:
    """Unsaved ``LatestScore`` copies of ``rows`` (``score_rows`` output) for bulk loading (``nfm demo
    --scale``), where the result is new and the enterprise had none."""
    return [
        LatestScore(
            enterprise_id=enterprise_id,
            result=result,
            kind=row["kind"],
            key=row["key"],
            **{c: in_units(row[c]) for c in SCORE_COLUMNS},
        )
        for row in rows
    ]


def in_units(figure: Decimal | None) -> int | None:
    """A six-place figure as ``LatestScore`` holds it: an integer number of millionths."""
    return None if figure is None else int(figure.scaleb(SCORE_DECIMALS))


def score_records(result: Result, rows: list[ScoreFigures]) -> list[ResultScore]:
    """Unsaved ``ResultScore`` rows of ``result`` (for one bulk_create, possibly with other results')."""
    return [ResultScore(result=result, **row) for row in rows]
