"""QA12-F3: ``nfm demo --scale N`` stopped between two batches (Ctrl+C, or killed) keeps the batches it wrote,
whole, and the audit log must say so: the load was recorded only after the last batch, so an interrupted load
left thousands of synthetic enterprises that no audit event accounted for."""

from __future__ import annotations

import pytest

from nfmaturity.audit.models import AuditAction, AuditEvent
from nfmaturity.enterprises.models import Enterprise
from nfmaturity.web.scale import MARK, Outcome, add_scale, outcome_pool

pytestmark = pytest.mark.django_db


class Stop(Exception):
    """What the CLI's checkpoint raises when a stop was asked for."""


@pytest.fixture(scope="module")
def pool() -> dict[str, list[Outcome]]:
    return outcome_pool(6)


def _loaded() -> list[dict[str, object]]:
    events = AuditEvent.objects.filter(action=AuditAction.DEMO_RATINGS_LOADED).order_by("pk")
    return [e.new for e in events if "enterprises" in (e.new or {})]


def test_each_written_batch_is_in_the_audit_log_even_when_the_load_stops(
    pool: dict[str, list[Outcome]],
) -> None:
    def stop_after_first(done: int, total: int) -> None:
        if done >= 10:
            raise Stop

    with pytest.raises(Stop):
        add_scale(25, pool=pool, batch=10, progress=stop_after_first)
    assert Enterprise.objects.filter(name__contains=MARK).count() == 10
    assert [(e["enterprises"], e["first"]) for e in _loaded()] == [(10, 1)]

    # Run again: the numbering continues, and the log adds up to what the database holds.
    add_scale(15, pool=pool, batch=10)
    assert Enterprise.objects.filter(name__contains=MARK).count() == 25
    assert [(e["enterprises"], e["first"]) for e in _loaded()] == [(10, 1), (10, 11), (5, 21)]
    assert sum(int(str(e["enterprises"])) for e in _loaded()) == 25
