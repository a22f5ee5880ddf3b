"""`nfm serve` stops promptly and cleanly: Ctrl+C in a terminal, SIGTERM from a service manager, kill -9.

Real processes on one real database file (migrated by the first start, so the later starts are quicker). The
server runs in a session of its own, as under a terminal or a service manager: its process group is what a
terminal's Ctrl+C reaches.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path
from typing import Any

import pytest
from tests.cli.test_web_cmd import env_for, free_port

from nfmaturity.cli.web_cmd import _demo_secret, _purge_partial_files

NFM = [sys.executable, "-m", "nfmaturity.cli.main"]
ROOT = Path(__file__).resolve().parents[2]
# A short lease (as in tests/reports/test_jobs.py), so a task taken by a stopped worker is handed out again
# within the test rather than after the production minutes.
SHORT_LEASE = {"NFM_TASK_TIMEOUT": "15", "NFM_TASK_RETRY": "16"}
QUEUE_REPORTS = """
import django
django.setup()
from nfmaturity.assessments.services import start_self_assessment, submit_assessment
from nfmaturity.enterprises.models import SectorChoice
from nfmaturity.enterprises.services import register_enterprise
from nfmaturity.reports import files, jobs
from nfmaturity.reports.models import ReportFormat
from tests.web.conftest import WORKED_CHECK, fill, profile

registration = register_enterprise(
    profile=profile("南丹锡业有限公司", "A1"), admin_username="ent_admin", admin_password="Ceshi-mima-2024"
)
assessment = start_self_assessment(
    enterprise=registration.enterprise, actor=registration.admin, sector=SectorChoice.SMELTING
)
fill(assessment, WORKED_CHECK, registration.admin)
result = submit_assessment(assessment=assessment, actor=registration.admin)
for fmt in (ReportFormat.PDF, ReportFormat.DOCX, ReportFormat.XLSX):
    asked = files.request_report(result=result, fmt=fmt, actor=registration.admin)
    jobs.enqueue(asked.report.pk)
"""
# Measured 2–3 s (Ctrl+C) and 5–6 s (SIGTERM to every process) on a loaded 2-core machine; the bound leaves room.
STOP_WITHIN = 15


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("serve-stop")


def _descendants(root: int) -> set[int]:
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parents[int(entry.name)] = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
    found: set[int] = set()
    frontier = {root}
    while frontier:
        children = {pid for pid, parent in parents.items() if parent in frontier} - found
        found |= children
        frontier = children
    return found


def _alive(pid: int) -> bool:
    try:
        state = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def _wait_for(check: Callable[[], bool], seconds: float, every: float = 0.3) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(every)
    return False


def _env(data_dir: Path) -> dict[str, str]:
    return env_for(
        data_dir,
        NFM_SECRET_KEY="test-only-secret-key-for-stop-0123456789abcdef",
        NFM_WORKERS="2",
        **SHORT_LEASE,
    )


def _launch(data_dir: Path) -> tuple[subprocess.Popen[str], int]:
    port = free_port()
    server = subprocess.Popen(
        [*NFM, "serve", "--port", str(port)],
        env=_env(data_dir),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    return server, port


def _start(data_dir: Path) -> tuple[subprocess.Popen[str], int]:
    server, port = _launch(data_dir)

    def up() -> bool:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:
                return bool(response.status == 200)
        except OSError:
            return False

    def task_worker_running() -> bool:
        # The cluster's sentinel has started its own processes: the worker is past its start.
        return any(len(_descendants(child)) >= 2 for child in _descendants(server.pid))

    if not (_wait_for(up, 180) and _wait_for(task_worker_running, 60)):
        os.killpg(server.pid, signal.SIGKILL)
        pytest.fail(server.communicate(timeout=30)[0])
    return server, port


def _stopped_within(server: subprocess.Popen[str], send: Callable[[], None]) -> tuple[float, str, set[int]]:
    processes = _descendants(server.pid)
    started = time.monotonic()
    send()
    try:
        out, _ = server.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        raise
    took = time.monotonic() - started
    _wait_for(lambda: not any(_alive(p) for p in processes), 5)
    return took, out, {p for p in processes if _alive(p)}


def _systemd_stop(server: subprocess.Popen[str]) -> None:
    """systemd's default (KillMode=control-group): SIGTERM to every process of the service at once."""
    for pid in [server.pid, *_descendants(server.pid)]:
        with suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)


def test_ctrl_c_stops_server_and_task_worker_within_seconds(data_dir: Path) -> None:
    server, _port = _start(data_dir)
    # A terminal sends SIGINT to its whole foreground process group.
    took, out, left = _stopped_within(server, lambda: os.killpg(server.pid, signal.SIGINT))
    assert server.returncode == 0, out
    assert took < STOP_WITHIN, out
    assert "正在停止平台" in out and "平台已停止。" in out
    assert "正在重新启动" not in out and "Traceback" not in out
    assert not left


def test_sigterm_to_every_process_stops_within_seconds(data_dir: Path) -> None:
    server, _port = _start(data_dir)
    took, out, left = _stopped_within(server, lambda: _systemd_stop(server))
    assert server.returncode == 0, out
    assert took < STOP_WITHIN, out
    assert "平台已停止。" in out and "Traceback" not in out
    assert not left


def test_after_kill_9_nothing_is_left_running_and_the_next_start_works(data_dir: Path) -> None:
    server, _port = _start(data_dir)
    processes = _descendants(server.pid)
    os.killpg(server.pid, signal.SIGKILL)  # the server's group: the task worker has one of its own
    server.communicate(timeout=30)
    # The task worker notices within a second that its server died, and stops by itself.
    assert _wait_for(lambda: not any(_alive(p) for p in processes), STOP_WITHIN), [
        (p, (Path("/proc") / str(p) / "cmdline").read_bytes()) for p in processes if _alive(p)
    ]
    again, port = _start(data_dir)
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/accounts/login/", timeout=10) as response:
            assert "登录" in response.read().decode()
    finally:
        took, out, left = _stopped_within(again, lambda: again.send_signal(signal.SIGTERM))
    assert again.returncode == 0 and took < STOP_WITHIN and not left, out


def _report_states(data_dir: Path) -> list[str]:
    with sqlite3.connect(data_dir / "nfmaturity.sqlite3", timeout=30) as connection:
        return [row[0] for row in connection.execute("SELECT state FROM reports_reportfile ORDER BY id")]


def test_report_jobs_cut_short_by_a_stop_are_done_after_the_next_start(tmp_path: Path) -> None:
    env = {**_env(tmp_path), "DJANGO_SETTINGS_MODULE": "nfmaturity.web.settings"}
    env["PYTHONPATH"] = f"{ROOT}{os.pathsep}{ROOT / 'src'}"
    subprocess.run(
        [sys.executable, "-m", "django", "migrate", "-v", "0"], env=env, cwd=ROOT, check=True, timeout=300
    )
    subprocess.run([sys.executable, "-c", QUEUE_REPORTS], env=env, cwd=ROOT, check=True, timeout=300)
    assert _report_states(tmp_path) == ["queued"] * 3

    server, _port = _launch(tmp_path)
    # Stopped the moment the worker is on the first file (the PDF: the worker's first one imports WeasyPrint,
    # seconds), the way that cuts a task shortest: every process of the worker gets SIGTERM and dies at once.
    on_it = _wait_for(lambda: _report_states(tmp_path)[0] != "queued", 180, every=0.05)
    took, out, left = _stopped_within(server, lambda: _systemd_stop(server))
    assert on_it and server.returncode == 0 and took < STOP_WITHIN and not left, out
    at_stop = _report_states(tmp_path)
    assert at_stop[0] == "running", f"the first file was not cut short: {at_stop}"

    again, _port = _start(tmp_path)
    try:
        finished = _wait_for(lambda: _report_states(tmp_path) == ["done"] * 3, 120)
    finally:
        _took, out, _left = _stopped_within(again, lambda: os.killpg(again.pid, signal.SIGINT))
    assert finished, f"at the stop {at_stop}, now {_report_states(tmp_path)}\n{out}"
    files = [path for path in (tmp_path / "reports").rglob("*") if path.is_file()]
    assert len(files) == 3 and all(path.stat().st_size > 1000 for path in files)
    assert not list((tmp_path / "reports").rglob(".part-*"))


def test_a_stop_during_the_migrations_waits_for_them_and_the_next_start_completes(tmp_path: Path) -> None:
    server, _port = _launch(tmp_path)
    # The database file appears when the migrations begin. They finish first (an exception thrown into them
    # could leave a table Django had not recorded), then the command stops without serving.
    assert _wait_for(lambda: (tmp_path / "nfmaturity.sqlite3").exists(), 120, every=0.05)
    _took, out, left = _stopped_within(server, lambda: server.send_signal(signal.SIGTERM))
    assert server.returncode == 0 and not left, out
    assert "当前步骤完成后退出" in out and "已停止（平台未启动完成）。" in out
    assert "平台地址" not in out and "Traceback" not in out
    again, _port = _start(tmp_path)
    _took, out, _left = _stopped_within(again, lambda: os.killpg(again.pid, signal.SIGINT))
    assert again.returncode == 0, out


def test_an_empty_demo_key_left_by_a_killed_run_is_made_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("NFM_SECRET_KEY", raising=False)
    monkeypatch.delenv("NFM_SECRET_KEY_FILE", raising=False)
    (tmp_path / "demo-secret-key").write_text("", encoding="utf-8")
    _demo_secret(tmp_path)
    key = (tmp_path / "demo-secret-key").read_text(encoding="utf-8")
    assert len(key) >= 32 and os.environ["NFM_SECRET_KEY_FILE"] == str(tmp_path / "demo-secret-key")
    assert (tmp_path / "demo-secret-key").stat().st_mode & 0o777 == 0o600
    _demo_secret(tmp_path)  # kept from run to run
    assert (tmp_path / "demo-secret-key").read_text(encoding="utf-8") == key
    assert [p.name for p in tmp_path.iterdir()] == ["demo-secret-key"]


def test_report_files_half_written_by_a_killed_worker_are_deleted_at_start(
    tmp_path: Path, settings: Any
) -> None:
    settings.NFM_REPORTS_DIR = tmp_path
    (tmp_path / "12").mkdir()
    old, young, whole = tmp_path / "12" / ".part-old", tmp_path / ".part-young", tmp_path / "12" / "r.pdf"
    for path in (old, young, whole):
        path.write_bytes(b"%PDF")
    long_ago = time.time() - settings.NFM_TASK_TIMEOUT - 5
    os.utime(old, (long_ago, long_ago))
    os.utime(whole, (long_ago, long_ago))
    _purge_partial_files()
    # A young one may be another server's worker writing right now.
    assert not old.exists() and young.exists() and whole.exists()
