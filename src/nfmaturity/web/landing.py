"""The front page for newcomers (anonymous visitors at ``/``): what the platform is, who it is for, how long a
self-assessment takes, what the grades mean and how to start. Signed-in users get their dashboard instead.

Every figure comes from the catalog, so the page follows the standard's data rather than repeating it.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from nfmaturity.accounts.models import Organisation
from nfmaturity.assessments.catalogs import current_version, sector_view
from nfmaturity.assessments.selectors import grade_help
from nfmaturity.enterprises.models import SectorChoice

# The pace the page quotes: one requirement a minute for someone who knows the plant. It is a rough guide,
# said as such on the page; requirements that need documents looked up take longer.
MINUTES_PER_REQUIREMENT = 1


@dataclass(frozen=True)
class SectorEffort:
    label: str  # 采选 / 冶炼 / 加工
    requirements: int

    @property
    def hours(self) -> int:
        return round(self.requirements * MINUTES_PER_REQUIREMENT / 60)


def front_page(request: HttpRequest) -> HttpResponse:
    version = current_version()
    efforts = [
        SectorEffort(label=str(label), requirements=sector_view(version, value).requirement_count)
        for value, label in SectorChoice.choices
    ]
    hours = sorted(effort.hours for effort in efforts)
    # Table 3 is common to all sectors; any sector's view carries it.
    view = sector_view(version, SectorChoice.values[0])
    return render(
        request,
        "web/landing.html",
        {
            "standard": view.catalog.title,
            "efforts": efforts,
            "minutes_per_requirement": MINUTES_PER_REQUIREMENT,
            "hours_low": hours[0],
            "hours_high": hours[-1],
            "grades": grade_help(view),
            # A demo installation says so, and where its logins are, to the newcomer trying it out.
            "demo": Organisation.objects.filter(is_demo=True).exists(),
        },
    )
