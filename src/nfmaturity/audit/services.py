"""Writing audit events. Called by every other app's services inside their transaction."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AnonymousUser, User
from django.db import models

from nfmaturity.audit.models import AuditAction, AuditEvent


def record_event(
    *,
    actor: User | AnonymousUser | None,
    action: AuditAction,
    obj: models.Model,
    organisation_id: int | None = None,
    old: Any = None,
    new: Any = None,
    reason: str = "",
) -> AuditEvent:
    return AuditEvent.objects.create(
        actor=actor if actor is not None and actor.is_authenticated else None,
        action=action,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        organisation_id=organisation_id,
        old=old,
        new=new,
        reason=reason,
    )


@dataclass(frozen=True)
class EventSpec:
    """One event of a bulk write (see ``record_events``)."""

    action: AuditAction
    obj: models.Model
    old: Any = None
    new: Any = None
    reason: str = ""


def record_events(
    *,
    actor: User | AnonymousUser | None,
    events: Sequence[EventSpec],
    organisation_id: int | None = None,
) -> list[AuditEvent]:
    """Write many events by one actor in one INSERT, so a bulk action stays a constant number of queries.

    The caller passes the whole batch: on SQLite the insert is one statement only while the parameters
    fit the connection's limit (see ``assessments.imports`` for how that limit is read).
    """
    who = actor if actor is not None and actor.is_authenticated else None
    return AuditEvent.objects.bulk_create(
        [
            AuditEvent(
                actor=who,
                action=e.action,
                object_type=e.obj._meta.label_lower,
                object_id=str(e.obj.pk),
                organisation_id=organisation_id,
                old=e.old,
                new=e.new,
                reason=e.reason,
            )
            for e in events
        ]
    )
