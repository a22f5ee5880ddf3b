from __future__ import annotations

from nfmaturity.formal.models import FormalAssessment
from nfmaturity.formal.steps import Step, Viewer


def steps(formal: FormalAssessment, viewer: Viewer) -> list[Step]:
    return []
