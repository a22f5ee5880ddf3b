"""Reads for the questionnaire, history and dashboards (no writes here)."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Count, Q, QuerySet
from django.http import Http404

from nfmaturity.assessments.catalogs import SectorView, sector_view
from nfmaturity.assessments.models import (
    Assessment,
    Attachment,
    GradeLevel,
    RatingRecord,
    RatingValue,
    Result,
)
from nfmaturity.catalog.model import LEVELS, Level, Note, Requirement, Row


def view_of(assessment: Assessment) -> SectorView:
    return sector_view(assessment.catalog_version, assessment.sector)


def rated_count(assessment: Assessment) -> int:
    return RatingRecord.objects.filter(assessment=assessment).count()


def percent(done: int, total: int) -> str:
    """Percent with one decimal, as the progress bar shows it: 7 of 722 is "0.9".

    Rounded down, so nothing short of complete shows 100.0; but never "0.0" once something is done
    (1 of 2000 shows 0.1): a user who rated one requirement must see that it counted.
    """
    if total <= 0:
        return "0.0"
    tenths = done * 1000 // total
    if done > 0 and tenths == 0:
        tenths = 1
    return f"{tenths // 10}.{tenths % 10}"


def progress(assessment: Assessment, row_id: str) -> tuple[int, int]:
    """Rated requirements in the assessment and in one sub-domain (one query)."""
    counts = RatingRecord.objects.filter(assessment=assessment).aggregate(
        total=Count("pk"), row=Count("pk", filter=Q(row_id=row_id))
    )
    return counts["total"], counts["row"]


def requirement_label(view: SectorView, requirement_id: str) -> str:
    """A requirement as people read it in the standard: 组织建设 S1 第1条."""
    requirement = view.requirements[requirement_id]
    row = view.rows[view.row_index[requirement.row]]
    return f"{row.name} {requirement.level.label} 第{requirement.number}条"


@dataclass(frozen=True)
class GradeHelp:
    """One Table 3 grade as the help panel explains it."""

    level: int
    label: str  # 一级 规范级
    description: str
    band: str  # 0.8 ≤ 总分 < 1.8
    lower: str


def grade_help(view: SectorView) -> list[GradeHelp]:
    return [
        GradeHelp(
            level=g.level,
            label=GradeLevel(g.level).label,
            description=g.description,
            band=f"{g.lower} ≤ 总分 {'≤' if g.upper_closed else '<'} {g.upper}",
            lower=str(g.lower),
        )
        for g in sorted(view.catalog.grades, key=lambda g: g.level)
    ]


@dataclass
class RowProgress:
    index: int
    row: Row
    total: int
    rated: int

    @property
    def percent(self) -> str:
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
    def percent(self) -> str:
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


@dataclass(frozen=True)
class Typed:
    """What the user sent with a save that was refused: given back in the fields, so nothing typed is lost."""

    value: str
    reason: str
    note: str

    @property
    def value_label(self) -> str:
        return RatingValue(self.value).label if self.value in RatingValue.values else ""


@dataclass
class RequirementItem:
    requirement: Requirement
    rating: RatingRecord | None
    notes: list[Note]
    attachments: list[Attachment]
    label: str  # 组织建设 S1 第1条
    error: str = ""  # why the last save was refused
    typed: Typed | None = None  # what that save carried
    conflict: bool = False  # refused because someone else saved first (409)
    evidence_error: str = ""
    evidence_notice: str = ""

    @property
    def dom_id(self) -> str:
        return f"req-{int(self.requirement.level)}-{self.requirement.number}"

    @property
    def version(self) -> int:
        return self.rating.version if self.rating else 0

    @property
    def form_reason(self) -> str:
        if self.typed is not None:
            return self.typed.reason
        return self.rating.reason if self.rating else ""

    @property
    def form_note(self) -> str:
        if self.typed is not None:
            return self.typed.note
        return self.rating.note if self.rating else ""

    @property
    def show_reason(self) -> bool:
        """The 不适用 reason field starts open: the rating is 不适用, or the user's refused save chose it."""
        if self.typed is not None and self.typed.value == RatingValue.NOT_APPLICABLE:
            return True
        return self.rating is not None and self.rating.value == RatingValue.NOT_APPLICABLE


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
    return RequirementItem(
        requirement, rating, _notes(view, requirement), attachments, requirement_label(view, requirement_id)
    )


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
            RequirementItem(
                req,
                ratings.get(req.id),
                _notes(view, req),
                attachments.get(req.id, []),
                f"{row.name} {req.level.label} 第{req.number}条",
            )
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
