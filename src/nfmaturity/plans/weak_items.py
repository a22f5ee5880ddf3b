"""The weak items of a published formal assessment (弱项): requirements the team settled below 大部分满足.

Settled 部分满足 or 不满足 is where the team found the enterprise short; 不适用 is not weak. They are read from
the settlements (the team's consensus, standard-notes §2 rule 8), in questionnaire order.
"""

from __future__ import annotations

from dataclasses import dataclass

from nfmaturity.assessments.catalogs import sector_view
from nfmaturity.assessments.models import RatingValue
from nfmaturity.formal.models import FormalAssessment, Settlement
from nfmaturity.plans.roadmap import capability

WEAK_VALUES = (RatingValue.PARTLY, RatingValue.NONE)


@dataclass(frozen=True)
class WeakItem:
    requirement_id: str
    row_id: str
    level: int
    value: str  # RatingValue
    value_label: str
    number: int
    title: str  # the capability the requirement describes
    text: str
    domain: str
    subdomain: str


def weak_requirements(formal: FormalAssessment) -> dict[str, WeakItem]:
    view = sector_view(formal.assessment.catalog_version, formal.assessment.sector)
    rows = {row.id: row for row in view.rows}
    labels = dict(RatingValue.choices)
    found = []
    for requirement_id, value in Settlement.objects.filter(formal=formal, value__in=WEAK_VALUES).values_list(
        "requirement_id", "value"
    ):
        requirement = view.requirements.get(requirement_id)
        if requirement is None:
            continue
        row = rows[requirement.row]
        found.append(
            (
                (view.row_index[row.id], int(requirement.level), requirement.number),
                WeakItem(
                    requirement_id=requirement_id,
                    row_id=row.id,
                    level=int(requirement.level),
                    value=value,
                    value_label=str(labels[value]),
                    number=requirement.number,
                    title=capability(requirement.text)[0],
                    text=requirement.text,
                    domain=row.domain,
                    subdomain=row.name,
                ),
            )
        )
    found.sort(key=lambda pair: pair[0])
    return {item.requirement_id: item for _, item in found}
