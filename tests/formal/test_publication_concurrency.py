"""Two publications at the same moment on PostgreSQL, each in its own thread and connection: both read the
same highest result number; the unique column refuses the second one's, which takes the next number. No
number is given twice and none is skipped."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from django.db import connection, connections
from django.utils import timezone

from nfmaturity.formal import services_publication as publication
from nfmaturity.formal.models import FormalAssessment, FormalState
from tests.web.conftest import World

from .test_publication import at_final, record

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="并发发布只在 PostgreSQL 上有意义：SQLite 让写事务整库串行",
    ),
]


def test_simultaneous_publications_get_consecutive_numbers(
    world: World, body, experts, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    first, leader = at_final(world, body, experts)
    second, second_leader = at_final(world, body, experts, again=True)
    record(first, leader)
    record(second, second_leader)
    real_next = publication._next_number
    barrier = threading.Barrier(2)
    drawn: list[str] = []

    def slow_next(year: int) -> str:
        number = real_next(year)
        drawn.append(number)
        time.sleep(0.4)  # both have read the same highest number before either writes
        return number

    monkeypatch.setattr(publication, "_next_number", slow_next)
    outcomes: list[Any] = [None, None]

    def run(index: int, formal: FormalAssessment) -> None:
        try:
            barrier.wait()
            outcomes[index] = publication.publish(formal=formal.pk, actor=world.users["body_admin"])
        except Exception as exc:  # handed back to the test
            outcomes[index] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, f)) for i, f in enumerate((first, second))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert all(isinstance(o, FormalAssessment) for o in outcomes), outcomes
    year = timezone.localdate().year
    numbers = sorted(
        FormalAssessment.objects.filter(state=FormalState.PUBLISHED).values_list("result_number", flat=True)
    )
    assert numbers == [f"NFDT-{year}-000001", f"NFDT-{year}-000002"]
    # Both drew 000001; the one refused by the unique column drew again.
    assert sorted(drawn) == [f"NFDT-{year}-000001", f"NFDT-{year}-000001", f"NFDT-{year}-000002"]
