"""The background queue survives a dead worker: a task a worker had taken when it was killed (kill -9) is done
by the next worker started, on the platform's own database (django-q2's ORM broker).

Real processes on a real database file (or a throwaway PostgreSQL database when DATABASE_URL is set): the
platform's settings, not the test settings, so tasks are queued, not run inline.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench"))

from _support import throwaway_database  # noqa: E402

# Run in a process of its own: queue one report file, then act as a worker that takes the task from the
# queue, starts on it, and is killed (SIGKILL: no clean-up, no acknowledgement) before it finishes.
QUEUE_AND_DIE = """
import os, signal, django
django.setup()
from nfmaturity.assessments.services import start_self_assessment, submit_assessment
from nfmaturity.enterprises.models import SectorChoice
from nfmaturity.reports import files, jobs
from nfmaturity.reports.models import ReportFormat
from tests.web.conftest import WORKED_CHECK, fill, profile
from nfmaturity.enterprises.services import register_enterprise
from django_q.brokers import get_broker

registration = register_enterprise(
    profile=profile("南丹锡业有限公司", "A1"), admin_username="ent_admin", admin_password="Ceshi-mima-2024"
)
assessment = start_self_assessment(
    enterprise=registration.enterprise, actor=registration.admin, sector=SectorChoice.SMELTING
)
fill(assessment, WORKED_CHECK, registration.admin)
result = submit_assessment(assessment=assessment, actor=registration.admin)
asked = files.request_report(result=result, fmt=ReportFormat.XLSX, actor=registration.admin)
jobs.enqueue(asked.report.pk)
taken = get_broker().dequeue()  # the worker takes the task (the broker locks it) ...
assert taken, "nothing was queued"
files.claim(asked.report.pk)  # ... and starts on it
print(asked.report.pk, flush=True)
os.kill(os.getpid(), signal.SIGKILL)  # ... and dies
"""


@pytest.fixture
def platform_env(tmp_path: Path) -> Iterator[dict[str, str]]:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "nfmaturity.web.settings",
        "NFM_DATA_DIR": str(tmp_path / "data"),
        "NFM_SECRET_KEY": "test-only-secret-key-for-the-worker-test-0123456789",
        "NFM_DEBUG": "true",
        # A short lease, so the test does not wait the production minutes for the task to be handed out again;
        # the timeout still leaves a loaded machine time to build the file.
        "NFM_TASK_TIMEOUT": "15",
        "NFM_TASK_RETRY": "16",
        "PYTHONPATH": f"{ROOT}{os.pathsep}{ROOT / 'src'}",
    }
    with throwaway_database("jobs") as url:
        if url:
            env["DATABASE_URL"] = url
        else:
            env.pop("DATABASE_URL", None)
        yield env


def _state(env: dict[str, str], report_id: int) -> tuple[str, int, str]:
    query = "SELECT state, attempts, path FROM reports_reportfile WHERE id = %s"
    if env.get("DATABASE_URL"):
        import psycopg

        with psycopg.connect(env["DATABASE_URL"]) as connection:
            row = connection.execute(query, (report_id,)).fetchone()
    else:
        with sqlite3.connect(Path(env["NFM_DATA_DIR"]) / "nfmaturity.sqlite3") as connection:
            row = connection.execute(query.replace("%s", "?"), (report_id,)).fetchone()
    assert row is not None
    return str(row[0]), int(row[1]), str(row[2])


def test_a_task_left_by_a_killed_worker_is_done_after_a_restart(platform_env: dict[str, str]) -> None:
    env = platform_env
    Path(env["NFM_DATA_DIR"]).mkdir(parents=True)
    subprocess.run(
        [sys.executable, "-m", "django", "migrate", "-v", "0"], env=env, cwd=ROOT, check=True, timeout=300
    )
    died = subprocess.run(
        [sys.executable, "-c", QUEUE_AND_DIE], env=env, cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert died.returncode == -signal.SIGKILL, died.stderr
    report_id = int(died.stdout.split()[-1])
    assert _state(env, report_id)[:2] == ("running", 1)  # left half done by the dead worker

    log = Path(env["NFM_DATA_DIR"]) / "worker.log"
    worker = subprocess.Popen(
        [sys.executable, "-m", "django", "qcluster"],
        env=env,
        cwd=ROOT,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and _state(env, report_id)[0] != "done":
            time.sleep(0.5)
    finally:
        worker.terminate()  # the cluster stops its own processes
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait()
    state, attempts, path = _state(env, report_id)
    assert state == "done", log.read_text(errors="replace")
    assert attempts == 2  # the dead worker's try, then the new worker's
    assert (Path(env["NFM_DATA_DIR"]) / "reports" / path).stat().st_size > 10_000
