"""Reads for the questionnaire, history and dashboards (no writes here)."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Count, QuerySet
from django.http import Http404

from nfmaturity.assessments.catalogs import SectorView, sector_view
from nfmaturity.assessments.models import Assessment, Attachment, RatingRecord, Result
from nfmaturity.catalog.model import LEVELS, Level, Note, Requirement, Row


def view_of(assessment: Assessment) -> SectorView:
    return sector_view(assessment.catalog_version, assessment.sector)


def rated_count(assessment: Assessment) -> int:
    return RatingRecord.objects.filter(assessment=assessment).count()


def percent(done: int, total: int) -> int:
    """Whole percent, rounded down so 99.9 % never shows as 100 %."""
    return done * 100 // total if total else 0


@dataclass
class RowProgress:
    index: int
    row: Row
    total: int
    rated: int

    @property
    def percent(self) -> int:
        return percent(self.rated, self.total)


@dataclass
class DomainProgress:
    name: str
    rows: list[RowProgress] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(r.total for r in self.rows)

    @property
    def rated(self) -> int:
        return sum(r.rated for r in self.rows)

    @property
    def percent(self) -> int:
        return percent(self.rated, self.total)


def outline(assessment: Assessment) -> list[DomainProgress]:
    """Domain → sub-domain with progress counts, in questionnaire order (one query)."""
    view = view_of(assessment)
    counts = dict(
        RatingRecord.objects.filter(assessment=assessment)
        .values_list("row_id")
        .annotate(n=Count("id"))
        .values_list("row_id", "n")
    )
    domains: dict[str, DomainProgress] = {name: DomainProgress(name) for name in view.domain_order}
    for index, row in enumerate(view.rows):
        domains[row.domain].rows.append(RowProgress(index, row, len(row.requirements), counts.get(row.id, 0)))
    return [d for d in domains.values() if d.rows]


@dataclass
class RequirementItem:
    requirement: Requirement
    rating: RatingRecord | None
    notes: list[Note]
    attachments: list[Attachment]
    error: str = ""
    show_reason: bool = False

    @property
    def dom_id(self) -> str:
        return f"req-{int(self.requirement.level)}-{self.requirement.number}"

    @property
    def version(self) -> int:
        return self.rating.version if self.rating else 0


@dataclass
class LevelGroup:
    level: Level
    items: list[RequirementItem]


def requirement_item(assessment: Assessment, requirement_id: str) -> RequirementItem:
    view = view_of(assessment)
    requirement = view.requirements.get(requirement_id)
    if requirement is None:
        raise Http404
    rating = (
        RatingRecord.objects.select_related("updated_by")
        .filter(assessment=assessment, requirement_id=requirement_id)
        .first()
    )
    attachments = list(Attachment.objects.filter(assessment=assessment, requirement_id=requirement_id))
    return RequirementItem(requirement, rating, _notes(view, requirement), attachments)


def _notes(view: SectorView, requirement: Requirement) -> list[Note]:
    return [view.notes[n] for n in requirement.notes if n in view.notes]


def row_page(assessment: Assessment, index: int) -> tuple[Row, list[LevelGroup], int]:
    """One sub-domain's requirements grouped by level, with current ratings and evidence (two queries)."""
    view = view_of(assessment)
    if not 0 <= index < len(view.rows):
        raise Http404
    row = view.rows[index]
    ratings = {
        r.requirement_id: r
        for r in RatingRecord.objects.select_related("updated_by").filter(
            assessment=assessment, row_id=row.id
        )
    }
    ids = [r.id for r in row.requirements]
    attachments: dict[str, list[Attachment]] = {}
    for attachment in Attachment.objects.filter(assessment=assessment, requirement_id__in=ids):
        attachments.setdefault(attachment.requirement_id, []).append(attachment)
    groups = []
    for level in LEVELS:
        items = [
            RequirementItem(req, ratings.get(req.id), _notes(view, req), attachments.get(req.id, []))
            for req in row.at_level(level)
        ]
        groups.append(LevelGroup(level, items))
    return row, groups, len(ratings)


def latest_result(assessment: Assessment) -> Result | None:
    return assessment.results.order_by("-version").first()


def assessments_with_results(queryset: QuerySet[Assessment]) -> list[tuple[Assessment, Result | None, int]]:
    """Assessments with their stored result and number of rated requirements (three queries in all)."""
    assessments = list(queryset.select_related("unit", "enterprise"))
    ids = [a.pk for a in assessments]
    results: dict[int, Result] = {}
    for result in Result.objects.filter(assessment_id__in=ids).order_by("assessment_id", "version"):
        results[result.assessment_id] = result  # the highest version wins
    counts = dict(
        RatingRecord.objects.filter(assessment_id__in=ids)
        .values_list("assessment_id")
        .annotate(n=Count("id"))
        .values_list("assessment_id", "n")
    )
    return [(a, results.get(a.pk), counts.get(a.pk, 0)) for a in assessments]


def first_incomplete_row(assessment: Assessment) -> RowProgress | None:
    for domain in outline(assessment):
        for row in domain.rows:
            if row.rated < row.total:
                return row
    return None
