"""``nfm serve`` runs the background worker beside the server, starts it again when it is killed (kill -9), and
stops it with the server. Real processes on a real database file."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

from tests.cli.test_web_cmd import env_for, free_port

NFM = [sys.executable, "-m", "nfmaturity.cli.main"]


def _children(pid: int) -> list[int]:
    out = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            out.append(int(entry.name))
    return out


def _cmdline(pid: int) -> str:
    try:
        return (Path("/proc") / str(pid) / "cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def _worker_of(server: int) -> int | None:
    return next((c for c in _children(server) if "qcluster" in _cmdline(c)), None)


def _wait_for(check: Callable[[], object], seconds: float) -> object:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.3)
    return None


def test_serve_keeps_a_task_worker_running_and_stops_it(tmp_path: Path) -> None:
    port = free_port()
    env = env_for(
        tmp_path, NFM_DEBUG="true", NFM_SECRET_KEY="test-only-secret-key-for-serve-0123456789abcdef"
    )
    log = (tmp_path / "serve.log").open("wb")
    server = subprocess.Popen(
        [*NFM, "serve", "--port", str(port), "--workers", "1"], env=env, stdout=log, stderr=subprocess.STDOUT
    )
    try:

        def up() -> bool:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:
                    return bool(response.status == 200)
            except OSError:
                return False

        assert _wait_for(up, 120), (tmp_path / "serve.log").read_text(errors="replace")
        first = _wait_for(lambda: _worker_of(server.pid), 30)
        assert isinstance(first, int), (tmp_path / "serve.log").read_text(errors="replace")
        assert "后台任务进程：已启动" in (tmp_path / "serve.log").read_text()

        os.kill(first, signal.SIGKILL)
        second = _wait_for(lambda: (w := _worker_of(server.pid)) and w != first and w, 30)
        assert isinstance(second, int), "the worker was not started again after kill -9"
        assert up()
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=60)
        log.close()
    assert server.returncode == 0
    time.sleep(0.5)
    assert not [p for p in (first, second) if Path(f"/proc/{p}").exists() and "qcluster" in _cmdline(p)]
