"""The versions of a formal assessment's result and the difference between any two of them.

Each version is a stored ``Result`` plus the settled ratings it was computed from (``ResultVersion.ratings``),
so a diff names the requirements whose settled rating changed and the figures that moved. Figures and their
changes follow the comparison page's rule: a change is the difference of the figures *as shown* (truncated
to two decimals), so the arithmetic a reader does on the page holds (``assessments.comparison.Change``).
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from nfmaturity.accounts.access import AnyUser
from nfmaturity.assessments.catalogs import sector_view
from nfmaturity.assessments.comparison import Change
from nfmaturity.assessments.models import GradeLevel, RatingValue, Result
from nfmaturity.assessments.results import parse_exact
from nfmaturity.assessments.selectors import requirement_label
from nfmaturity.catalog.model import LEVELS
from nfmaturity.enterprises.models import Enterprise
from nfmaturity.formal.access import visible_formal
from nfmaturity.formal.models import FormalAssessment, FormalState, ResultVersion


def versions_of(formal: FormalAssessment) -> list[ResultVersion]:
    """Every stored version, newest first (one query)."""
    return list(
        ResultVersion.objects.select_related("result", "created_by")
        .filter(formal=formal)
        .order_by("-result__version")
    )


@dataclass(frozen=True)
class RatingChange:
    requirement_id: str
    label: str
    before: str  # RatingValue label ("—" when the requirement was not in that version)
    after: str


@dataclass(frozen=True)
class VersionDiff:
    before: ResultVersion
    after: ResultVersion
    ratings: list[RatingChange]
    total: Change
    levels: list[Change]
    domains: list[Change]
    grade_before: str
    grade_after: str

    @property
    def grade_changed(self) -> bool:
        return self.grade_before != self.grade_after


def _value_label(value: str | None) -> str:
    return RatingValue(value).label if value else "—"


def _grade_label(grade: int) -> str:
    return GradeLevel(grade).label


def diff(formal: FormalAssessment, before: ResultVersion, after: ResultVersion) -> VersionDiff:
    view = sector_view(formal.assessment.catalog_version, formal.assessment.sector)
    order = {rid: i for i, rid in enumerate(view.requirements)}
    changed = sorted(
        (
            rid
            for rid in set(before.ratings) | set(after.ratings)
            if before.ratings.get(rid) != after.ratings.get(rid)
        ),
        key=lambda rid: order.get(rid, len(order)),
    )
    rb, ra = before.result, after.result
    return VersionDiff(
        before=before,
        after=after,
        ratings=[
            RatingChange(
                rid,
                requirement_label(view, rid) if rid in view.requirements else rid,
                _value_label(before.ratings.get(rid)),
                _value_label(after.ratings.get(rid)),
            )
            for rid in changed
        ],
        total=Change("总分", "", Fraction(rb.total), Fraction(ra.total)),
        levels=[
            Change(
                level.label,
                "",
                parse_exact(rb.levels.get(str(i + 1))),
                parse_exact(ra.levels.get(str(i + 1))),
            )
            for i, level in enumerate(LEVELS)
        ],
        domains=[
            Change(
                name,
                "",
                parse_exact(rb.domains.get(name, {}).get("maturity")),
                parse_exact(ra.domains.get(name, {}).get("maturity")),
            )
            for name in view.domain_order
        ],
        grade_before=_grade_label(rb.grade),
        grade_after=_grade_label(ra.grade),
    )


@dataclass(frozen=True)
class FormalResultRow:
    """A formal assessment with its latest result version, for the enterprise's history and home page."""

    formal: FormalAssessment
    version: ResultVersion

    @property
    def result(self) -> Result:
        return self.version.result

    @property
    def published(self) -> bool:
        return self.formal.state == FormalState.PUBLISHED


def formal_results_of(user: AnyUser, enterprise: Enterprise | None = None) -> list[FormalResultRow]:
    """The formal assessments ``user`` may see (of ``enterprise`` when given) that have a sent result, with
    their latest version, newest first (two queries)."""
    formals = visible_formal(user).select_related("assessment__unit", "enterprise", "body")
    if enterprise is not None:
        formals = formals.filter(enterprise=enterprise)
    by_pk = {f.pk: f for f in formals.order_by("-created_at", "-id")}
    latest: dict[int, ResultVersion] = {}
    for version in (
        ResultVersion.objects.filter(formal_id__in=list(by_pk))
        .select_related("result")
        .order_by("formal_id", "result__version")
    ):
        latest[version.formal_id] = version  # the highest version wins
    return [FormalResultRow(by_pk[pk], latest[pk]) for pk in by_pk if pk in latest]
