"""What a user can do next in one formal assessment: the hub page lists these steps, and the home page's
"待我处理" list gathers the ones that wait for him, across all his formal assessments.

Each part of the workflow contributes its own steps (steps_application, steps_rating, steps_results), so the
hub and the task list never need to know every page.
"""

from __future__ import annotations

from dataclasses import dataclass

from nfmaturity.formal.access import Party
from nfmaturity.formal.models import FormalAssessment, TeamMember


@dataclass(frozen=True)
class Step:
    label: str  # what to do, in Chinese ("受理评估申请")
    url: str
    waiting: bool = False  # the workflow waits for this user: it is one of his tasks


@dataclass(frozen=True)
class Viewer:
    """The user looking, in one formal assessment: his parts and his seat on the team (if any)."""

    parties: frozenset[Party]
    seat: TeamMember | None


def steps_for(formal: FormalAssessment, viewer: Viewer) -> list[Step]:
    from nfmaturity.formal import steps_application, steps_rating, steps_results

    return [
        *steps_application.steps(formal, viewer),
        *steps_rating.steps(formal, viewer),
        *steps_results.steps(formal, viewer),
    ]
