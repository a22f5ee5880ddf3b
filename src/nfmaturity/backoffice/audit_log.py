"""Reading the audit log: filters, and pages by keyset (fast however deep the page).

Pages are cut on (at, id), the log's own order, so page 2 000 costs what page 1 costs: no OFFSET, no
COUNT over a table that grows by a thousand rows per assessment. The export walks the same keyset in
chunks so its memory stays bounded too.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from django.contrib.auth.models import User
from django.db.models import Q, QuerySet
from django.utils import timezone

from nfmaturity.accounts.models import Organisation
from nfmaturity.audit.models import AuditEvent

PAGE_SIZE = 50
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Filters:
    organisation_id: int | None = None
    organisation_name: str = ""
    actor_id: int | None = None
    actor_name: str = ""
    object_type: str = ""
    object_id: str = ""  # one object's history, with object_type (the (type, id) index serves it)
    action: str = ""
    date_from: date | None = None
    date_to: date | None = None  # inclusive


def _local_midnight(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min), timezone.get_current_timezone())


def filtered(events: QuerySet[AuditEvent], f: Filters) -> QuerySet[AuditEvent]:
    if f.organisation_id is not None:
        events = events.filter(organisation_id=f.organisation_id)
    if f.organisation_name:
        named = Organisation.objects.filter(name__icontains=f.organisation_name).values("pk")
        events = events.filter(organisation_id__in=named)
    if f.actor_id is not None:
        events = events.filter(actor_id=f.actor_id)
    if f.actor_name:
        people = User.objects.filter(
            Q(username__icontains=f.actor_name) | Q(first_name__icontains=f.actor_name)
        ).values("pk")
        events = events.filter(actor_id__in=people)
    if f.object_type:
        events = events.filter(object_type=f.object_type)
        if f.object_id:
            events = events.filter(object_id=f.object_id)
    if f.action:
        events = events.filter(action=f.action)
    if f.date_from is not None:
        events = events.filter(at__gte=_local_midnight(f.date_from))
    if f.date_to is not None:
        events = events.filter(at__lt=_local_midnight(f.date_to + timedelta(days=1)))
    return events


@dataclass(frozen=True)
class Cursor:
    """A position in the log: the (at, id) of an event, written as "microseconds-id" in the URL."""

    at: datetime
    pk: int

    def __str__(self) -> str:
        return f"{(self.at - _EPOCH) // timedelta(microseconds=1)}-{self.pk}"

    @classmethod
    def of(cls, event: AuditEvent) -> Cursor:
        return cls(event.at, event.pk)

    @classmethod
    def parse(cls, text: str) -> Cursor | None:
        micros, _, pk = text.partition("-")
        if not (micros.isdigit() and pk.isdigit()) or len(micros) > 18 or len(pk) > 18:
            return None
        return cls(_EPOCH + timedelta(microseconds=int(micros)), int(pk))


@dataclass(frozen=True)
class Page:
    events: list[AuditEvent]
    newer: Cursor | None  # link to the page of newer events (None on the newest page)
    older: Cursor | None


def page_of(
    events: QuerySet[AuditEvent],
    *,
    before: Cursor | None = None,
    after: Cursor | None = None,
    size: int = PAGE_SIZE,
) -> Page:
    """The newest ``size`` events older than ``before``, or the oldest ``size`` newer than ``after``."""
    if after is not None:
        rows = list(
            events.filter(Q(at__gt=after.at) | Q(at=after.at, pk__gt=after.pk)).order_by("at", "pk")[
                : size + 1
            ]
        )
        more_newer = len(rows) > size
        rows = rows[:size][::-1]
        return Page(
            rows,
            newer=Cursor.of(rows[0]) if rows and more_newer else None,
            older=Cursor.of(rows[-1]) if rows else None,
        )
    query = events
    if before is not None:
        query = query.filter(Q(at__lt=before.at) | Q(at=before.at, pk__lt=before.pk))
    rows = list(query.order_by("-at", "-pk")[: size + 1])
    more_older = len(rows) > size
    rows = rows[:size]
    return Page(
        rows,
        newer=Cursor.of(rows[0]) if rows and before is not None else None,
        older=Cursor.of(rows[-1]) if rows and more_older else None,
    )


def chunks(events: QuerySet[AuditEvent], *, limit: int, size: int = 1000) -> Iterator[list[AuditEvent]]:
    """The newest ``limit`` events, newest first, ``size`` at a time (for the export)."""
    before: Cursor | None = None
    left = limit
    while left > 0:
        page = page_of(events, before=before, size=min(size, left))
        if not page.events:
            return
        yield page.events
        left -= len(page.events)
        if page.older is None:
            return
        before = page.older
