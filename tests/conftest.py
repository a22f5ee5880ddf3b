"""Settings for every test folder.

The browser tests' live server handles one request at a time. With SQLite the test database is in memory, and
Django shares the test thread's single connection with every live-server thread; Chromium loads a page's htmx
panels at once (the dashboard asks for three), and two requests running on that one connection at the same time
once left a request waiting inside SQLite for good (CI stopped at the regulator's dashboard). Sockets are still
accepted by threads, so an idle connection Chromium opened in advance never blocks the others; only the Django
application is entered by one request at a time.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import Any

from django.core.servers.basehttp import ThreadedWSGIServer
from django.test.testcases import LiveServerThread


class OneRequestAtATime(ThreadedWSGIServer):
    def set_app(self, application: Callable[..., Iterable[bytes]]) -> None:
        lock = threading.Lock()

        def serial(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
            with lock:
                result = application(environ, start_response)
                try:
                    return list(result)  # the whole body, while no other request runs
                finally:
                    close = getattr(result, "close", None)
                    if close is not None:
                        close()

        super().set_app(serial)


LiveServerThread.server_class = OneRequestAtATime
