"""`nfm demo` and `nfm serve` as the README runs them: real processes, a real server, a real database file."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from nfmaturity.cli.web_cmd import DEFAULT_THREADS, server_size

NFM = [sys.executable, "-m", "nfmaturity.cli.main"]


def env_for(data_dir: Path, **extra: str) -> dict[str, str]:
    # A clean start: no test settings, no test database, no NFM_* left over from the test process.
    drop = {"DATABASE_URL", "DJANGO_SETTINGS_MODULE"}
    env = {k: v for k, v in os.environ.items() if k not in drop and not k.startswith("NFM_")}
    env.update(NFM_DATA_DIR=str(data_dir), **extra)
    return env


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_demo_loads_the_demo_data_once_and_refuses_a_database_with_real_data(tmp_path: Path) -> None:
    first = subprocess.run(
        [*NFM, "demo", "--no-serve"], env=env_for(tmp_path), capture_output=True, text=True, timeout=300
    )
    assert first.returncode == 0, first.stderr
    assert "demo-enterprise-admin" in first.stdout and "demo-national-regulator" in first.stdout
    assert "演示数据" in first.stdout and "demo-e39 尚待核验" in first.stdout
    assert any(tmp_path.glob("*.sqlite3"))
    second = subprocess.run(
        [*NFM, "demo", "--no-serve", "--password", "another-pass-2024"],
        env=env_for(tmp_path),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert second.returncode == 0, second.stderr
    assert "another-pass-2024" in second.stdout
    # A real organisation is created in that database: the demo no longer loads into it.
    env = env_for(tmp_path, NFM_SECRET_KEY_FILE=str(tmp_path / "demo-secret-key"))
    register = (
        "import django; django.setup(); "
        "from nfmaturity.accounts.models import OrganisationKind; "
        "from nfmaturity.accounts.services import create_organisation; "
        "create_organisation(name='某市工业和信息化局', kind=OrganisationKind.REGULATOR)"
    )
    subprocess.run(
        [sys.executable, "-c", register],
        env={**env, "DJANGO_SETTINGS_MODULE": "nfmaturity.web.settings"},
        check=True,
        timeout=60,
    )
    third = subprocess.run([*NFM, "demo", "--no-serve"], env=env, capture_output=True, text=True, timeout=300)
    assert third.returncode == 2
    assert "拒绝载入演示数据" in third.stderr and "某市工业和信息化局" in third.stderr
    assert "演示账户" not in third.stdout


def test_serve_answers_healthz_and_serves_static_files(tmp_path: Path) -> None:
    port = free_port()
    server = subprocess.Popen(
        [*NFM, "serve", "--port", str(port), "--threads", "3"],
        env=env_for(tmp_path, NFM_SECRET_KEY="s" * 50, NFM_WORKERS="2", NFM_THREADS="7"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        body = ""
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:
                    body = response.read().decode()
                    break
            except OSError:
                time.sleep(0.5)
        assert body == '{"status": "ok", "database": "ok"}'
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/accounts/login/", timeout=5) as response:
            page = response.read().decode()
        assert "登录" in page
        css = page.split('href="/static/', 1)[1].split('"', 1)[0]
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/static/{css}", timeout=5) as response:
            assert response.status == 200
    finally:
        server.terminate()
        out, _ = server.communicate(timeout=30)
    # NFM_WORKERS applies; --threads on the command line wins over NFM_THREADS.
    assert "2 个工作进程 × 3 个线程" in out


def test_serve_refuses_to_start_without_a_secret_key(tmp_path: Path) -> None:
    result = subprocess.run(
        [*NFM, "serve", "--port", str(free_port())],
        env=env_for(tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "配置错误" in result.stderr and "必须设置 NFM_SECRET_KEY" in result.stderr


def test_server_size_is_one_worker_per_core_unless_told(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NFM_WORKERS", raising=False)
    monkeypatch.delenv("NFM_THREADS", raising=False)
    assert server_size(None, None, cores=2) == (2, DEFAULT_THREADS)
    monkeypatch.setenv("NFM_WORKERS", "5")
    monkeypatch.setenv("NFM_THREADS", "2")
    assert server_size(None, None, cores=2) == (5, 2)
    assert server_size(1, 8, cores=2) == (1, 8)


@pytest.mark.parametrize(
    ("workers", "env", "message"), [(None, "many", "NFM_WORKERS='many'"), (0, "", "--workers")]
)
def test_server_size_refuses_a_bad_count(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    workers: int | None,
    env: str,
    message: str,
) -> None:
    monkeypatch.setenv("NFM_WORKERS", env)
    with pytest.raises(SystemExit) as exit_info:
        server_size(workers, None, cores=2)
    assert exit_info.value.code == 2
    error = capsys.readouterr().err
    assert "配置错误" in error and message in error
