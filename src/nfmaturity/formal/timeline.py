"""Who did what, when, in one formal assessment: read from the audit trail, newest first.

The workflow's services record their state changes and main actions on the formal assessment row itself
(``workflow.move`` and the services' own events), so one indexed lookup (object type + id) finds them. The
many small events (each rating, each settlement) are left out: the timeline tells the story of the
assessment, the audit trail keeps every detail.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import Q

from nfmaturity.audit.models import AuditAction, AuditEvent
from nfmaturity.formal.models import FormalAssessment, FormalState

LIMIT = 100
# Too fine-grained for the story of the assessment (they stay in the audit trail).
DETAIL_ACTIONS = (
    AuditAction.EXPERT_RATING_CHANGED,
    AuditAction.REQUIREMENT_SETTLED,
    AuditAction.CONCLUSION_SAVED,
)


@dataclass(frozen=True)
class Entry:
    at: datetime.datetime
    who: str
    what: str
    detail: str


def _state_label(value: object) -> str:
    return FormalState(value).label if value in FormalState.values else str(value)


def _detail(event: AuditEvent) -> str:
    old = event.old if isinstance(event.old, dict) else {}
    new = event.new if isinstance(event.new, dict) else {}
    parts = []
    if "state" in old and "state" in new and old["state"] != new["state"]:
        parts.append(f"{_state_label(old['state'])} → {_state_label(new['state'])}")
    if new.get("result_version"):
        parts.append(f"结果第 {new['result_version']} 版")
    if new.get("result_number"):
        parts.append(f"结果编号 {new['result_number']}")
    if event.reason:
        parts.append(event.reason[:200])
    return "；".join(parts)


def timeline(formal: FormalAssessment, limit: int = LIMIT) -> list[Entry]:
    """The assessment's main events, newest first (one query)."""
    events = (
        AuditEvent.objects.filter(Q(object_type=FormalAssessment._meta.label_lower, object_id=str(formal.pk)))
        .exclude(action__in=DETAIL_ACTIONS)
        .select_related("actor")
        .order_by("-at", "-id")[:limit]
    )
    return [
        Entry(
            at=event.at,
            who=(event.actor.get_full_name() or event.actor.get_username()) if event.actor else "系统",
            what=event.get_action_display(),
            detail=_detail(event),
        )
        for event in events
    ]
