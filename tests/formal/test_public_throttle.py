"""The public verification's throttle is kept in the database: every server process counts the same failed
attempts of an address, and rows of ended windows are purged."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.utils import timezone

from nfmaturity.formal import public
from nfmaturity.formal.models import VerifyThrottle

pytestmark = pytest.mark.django_db

ATTACKER = "203.0.113.7"
WRONG = {"result_number": "NFDT-2026-999999", "check_code": "AAAA"}


def _guess(client: Client) -> int:
    return client.post("/formal/verify/", WRONG).status_code


def _age_all_windows() -> None:
    """Every window as if it had started just over WINDOW_SECONDS ago."""
    VerifyThrottle.objects.update(
        window_start=timezone.now() - datetime.timedelta(seconds=public.WINDOW_SECONDS + 1)
    )


def test_the_limit_holds_across_server_processes() -> None:
    # Two server processes seen by one attacker: two clients, and nothing kept in a process between
    # attempts (the cache, which each process has its own of, is emptied before each one).
    first, second = Client(REMOTE_ADDR=ATTACKER), Client(REMOTE_ADDR=ATTACKER)
    for attempt in range(public.FAILURES_ALLOWED):
        cache.clear()
        assert _guess(first if attempt % 2 else second) == 404
    cache.clear()
    refused = first.post("/formal/verify/", WRONG)
    assert refused.status_code == 429 and public.THROTTLED in refused.text
    assert public.NOT_FOUND not in refused.text
    cache.clear()
    assert _guess(second) == 429
    # The scanned-certificate link is under the same limit; another address is not.
    assert first.get("/formal/verify/", {"number": "X", "code": "Y"}).status_code == 429
    assert _guess(Client(REMOTE_ADDR="198.51.100.1")) == 404
    assert VerifyThrottle.objects.get(address=ATTACKER).failures == public.FAILURES_ALLOWED


def test_an_attempt_costs_one_query_to_check_and_one_to_count(
    django_assert_num_queries: Any,
) -> None:
    public.count_failure(ATTACKER)  # the window exists
    with django_assert_num_queries(1):
        assert not public.is_throttled(ATTACKER)
    with django_assert_num_queries(1):
        public.count_failure(ATTACKER)
    # A whole failed attempt on the page: check, look up the number, count.
    with django_assert_num_queries(3):
        assert _guess(Client(REMOTE_ADDR=ATTACKER)) == 404
    assert VerifyThrottle.objects.get(address=ATTACKER).failures == 3


def test_rows_of_ended_windows_are_purged_and_the_address_may_try_again() -> None:
    for address in ("192.0.2.1", "192.0.2.2", ATTACKER):
        for _ in range(public.FAILURES_ALLOWED):
            public.count_failure(address)
    assert public.is_throttled(ATTACKER)
    _age_all_windows()
    # An ended window no longer refuses, and its row goes as soon as any address starts a new window.
    assert not public.is_throttled(ATTACKER)
    assert VerifyThrottle.objects.count() == 3
    public.count_failure("192.0.2.9")
    assert list(VerifyThrottle.objects.values_list("address", "failures")) == [("192.0.2.9", 1)]
    assert _guess(Client(REMOTE_ADDR=ATTACKER)) == 404
    assert VerifyThrottle.objects.get(address=ATTACKER).failures == 1


def test_an_unknown_or_overlong_address_is_still_one_key() -> None:
    public.count_failure(None)
    public.count_failure(None)
    forged = "a" * 200
    public.count_failure(forged)
    public.count_failure(forged)
    assert sorted(VerifyThrottle.objects.values_list("failures", flat=True)) == [2, 2]


def test_two_processes_starting_the_same_window_both_count() -> None:
    done: list[bool] = []

    def other_process_meanwhile(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        result = execute(sql, params, many, context)
        if not done and sql.startswith('DELETE FROM "formal_verifythrottle"'):
            # Between this process finding no window (and purging) and creating one, another creates it.
            done.append(True)
            VerifyThrottle.objects.create(address=ATTACKER, window_start=timezone.now(), failures=1)
        return result

    with connection.execute_wrapper(other_process_meanwhile):
        public.count_failure(ATTACKER)
    assert done
    assert VerifyThrottle.objects.get(address=ATTACKER).failures == 2
