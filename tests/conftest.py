"""Settings for every test folder.

The browser tests' live server handles one request at a time. With SQLite the test database is in memory, and
Django shares the test thread's single connection with every live-server thread; Chromium loads a page's htmx
panels at once (the dashboard asks for three), and two requests running on that one connection at the same time
once left a request waiting inside SQLite for good (CI stopped at the regulator's dashboard). Sockets are still
accepted by threads, so an idle connection Chromium opened in advance never blocks the others; only the Django
application is entered by one request at a time.

The same lock keeps the end of a browser test from emptying the database under a request still being answered
(a panel the last page loaded by htmx): on the shared in-memory connection that failed with "database table is
locked" and left the next test's data in place. Flushing waits for the request in progress.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import Any

from django.core.servers.basehttp import ThreadedWSGIServer
from django.db.backends.base.operations import BaseDatabaseOperations
from django.test.testcases import LiveServerThread

# Held while the live server answers one request, and while a test's database is flushed.
REQUEST_LOCK = threading.Lock()


class OneRequestAtATime(ThreadedWSGIServer):
    def set_app(self, application: Callable[..., Iterable[bytes]]) -> None:
        def serial(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
            with REQUEST_LOCK:
                result = application(environ, start_response)
                try:
                    return list(result)  # the whole body, while no other request runs
                finally:
                    close = getattr(result, "close", None)
                    if close is not None:
                        close()

        super().set_app(serial)


LiveServerThread.server_class = OneRequestAtATime

_flush = BaseDatabaseOperations.execute_sql_flush


def _flush_between_requests(self: BaseDatabaseOperations, sql_list: list[str]) -> None:
    # Bounded: a request that never ends must fail its test, not hang the run.
    held = REQUEST_LOCK.acquire(timeout=60)
    try:
        _flush(self, sql_list)
    finally:
        if held:
            REQUEST_LOCK.release()


BaseDatabaseOperations.execute_sql_flush = _flush_between_requests  # type: ignore[method-assign]
