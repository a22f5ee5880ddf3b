"""Save versus submit on PostgreSQL, with real threads and their own connections: no rating lands after submission.

Each thread opens its own database connection (Django's are per thread). A barrier starts them together;
one side is slowed down where it holds the lock, so both orders are forced rather than left to chance:

- submit first: it has computed the result and sleeps before storing it; the save, started meanwhile,
  must wait for the assessment lock and then be refused. Before every write locked the assessment, the
  save committed during that sleep and the stored result no longer matched the stored ratings.
- save first: it sleeps inside its transaction; the submit must wait and then score the saved value.

After both: every rating's updated_at ≤ submitted_at, and the stored Result equals a re-score of the ratings.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection, connections

from nfmaturity.assessments import services
from nfmaturity.assessments.catalogs import sector_view
from nfmaturity.assessments.errors import AssessmentLockedError
from nfmaturity.assessments.models import AssessmentState, RatingRecord, RatingValue
from nfmaturity.assessments.results import compute, stored_fields
from nfmaturity.enterprises.models import SectorChoice

from .conftest import WORKED_CHECK, World, fill

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="行锁竞争只在 PostgreSQL 上有意义：SQLite 用 BEGIN IMMEDIATE 让写事务整库串行，"
        "而测试用的内存数据库不能被多个线程以各自的连接共享",
    ),
]

HOLD = 0.4  # seconds the first side keeps the lock; long enough for the other to be waiting on it


def _run_in_threads(*calls: Callable[[], Any]) -> list[Any]:
    """Run the calls in threads started together; each returns its value or the exception it raised."""
    barrier = threading.Barrier(len(calls))
    outcomes: list[Any] = [None] * len(calls)

    def run(index: int, call: Callable[[], Any]) -> None:
        try:
            barrier.wait()
            outcomes[index] = call()
        except Exception as exc:  # handed back to the test, which asserts on it
            outcomes[index] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    return outcomes


@pytest.mark.parametrize("first", ["submit", "save"])
def test_no_rating_lands_after_submission(world: World, first: str, monkeypatch: pytest.MonkeyPatch) -> None:
    admin, member = world.users["ent_admin"], world.users["ent_member"]
    assessment = services.start_self_assessment(
        enterprise=world.enterprise, actor=admin, sector=SectorChoice.MINING
    )
    fill(assessment, WORKED_CHECK, admin)
    requirement_id = sector_view(assessment.catalog_version, assessment.sector).rows[0].requirements[0].id

    if first == "submit":
        real_compute = services.compute

        def slow_compute(*args: Any, **kwargs: Any) -> Any:
            outcome = real_compute(*args, **kwargs)
            time.sleep(HOLD)  # the ratings are read; the result is not stored yet
            return outcome

        monkeypatch.setattr(services, "compute", slow_compute)
    else:
        real_record = services.record_event

        def slow_record(**kwargs: Any) -> Any:
            event = real_record(**kwargs)
            time.sleep(HOLD)  # the rating is written, not committed
            return event

        monkeypatch.setattr(services, "record_event", slow_record)

    def submit() -> Any:
        if first == "save":
            time.sleep(HOLD / 4)
        return services.submit_assessment(assessment=assessment.pk, actor=admin)

    def save() -> Any:
        if first == "submit":
            time.sleep(HOLD / 4)
        return services.set_rating(
            assessment=assessment.pk,
            actor=member,
            requirement_id=requirement_id,
            value=RatingValue.NONE,
            expected_version=1,
            note="提交同时保存",
        )

    submitted, saved = _run_in_threads(submit, save)

    assessment.refresh_from_db()
    assert assessment.state == AssessmentState.SUBMITTED, submitted
    assert not isinstance(submitted, Exception), submitted
    record = RatingRecord.objects.get(assessment=assessment, requirement_id=requirement_id)
    if first == "submit":
        assert isinstance(saved, AssessmentLockedError), saved
        assert record.value == WORKED_CHECK[1]
    else:
        assert isinstance(saved, services.SavedRating), saved
        assert record.value == RatingValue.NONE
    latest = RatingRecord.objects.filter(assessment=assessment).latest("updated_at")
    assert assessment.submitted_at is not None and latest.updated_at <= assessment.submitted_at
    stored = assessment.results.get()
    rescored = stored_fields(compute(assessment, allow_unrated=False))
    kept = {k: getattr(stored, k) for k in rescored}
    assert Decimal(kept.pop("total_shown")) == Decimal(rescored.pop("total_shown"))
    assert kept == rescored
