"""``nfm serve`` and ``nfm demo``: run the web platform, optionally with demo data.

Both serve through gunicorn (threaded workers) with whitenoise for static files. For production set
NFM_SECRET_KEY, DATABASE_URL and NFM_DATA_DIR (docs/web.md). Workers and threads default to what
bench/load.py measured best on this kind of machine; docs/web.md gives the figures.

Stopping: Ctrl+C and SIGTERM (systemd, docker stop) do the same thing. While serving, requests in flight get
``GRACE_SECONDS`` to finish and the background worker the same time to finish its task, in parallel; then the
command says so in Chinese and exits with status 0. A task the worker could not finish is handed out again by
the queue (``reports/jobs.py``), so nothing is lost. While starting (migrations, static files, demo data) the
stop happens once the current step is done.
"""

from __future__ import annotations

import argparse
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path
from types import FrameType
from typing import Protocol

DEFAULT_DEMO_PASSWORD = "nfm-demo-2024"
DEFAULT_THREADS = 4
# How long a stop waits for requests in flight and for the background worker's task (both at once). The
# slowest request (a workbook upload at the size cap) takes a few seconds; docker stop sends SIGKILL after 10 s.
GRACE_SECONDS = 5


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    serve = subparsers.add_parser(
        "serve", help="启动 Web 平台", description="执行数据库迁移并启动 Web 平台。"
    )
    serve.add_argument("--host", default="127.0.0.1", help="监听地址（默认 127.0.0.1）")
    serve.add_argument("--port", type=int, default=8000, help="监听端口（默认 8000）")
    _server_options(serve)
    serve.set_defaults(handler=serve_command)

    demo = subparsers.add_parser(
        "demo", help="载入演示数据并启动", description="执行迁移、载入演示数据（可重复执行）并启动 Web 平台。"
    )
    demo.add_argument("--host", default="127.0.0.1", help="监听地址（默认 127.0.0.1）")
    demo.add_argument("--port", type=int, default=8000, help="监听端口（默认 8000）")
    _server_options(demo)
    demo.add_argument(
        "--password", default=DEFAULT_DEMO_PASSWORD, help=f"演示账户密码（默认 {DEFAULT_DEMO_PASSWORD}）"
    )
    demo.add_argument("--no-serve", action="store_true", help="只载入演示数据，不启动服务")
    demo.add_argument(
        "--scale",
        type=int,
        default=0,
        metavar="N",
        help="另外生成 N 家合成演示企业（各有一至两次由评分核心计算的评估结果），用于在大数据量下查看看板",
    )
    demo.set_defaults(handler=demo_command)


def _server_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--workers",
        type=int,
        help="工作进程数（默认取环境变量 NFM_WORKERS，未设置时等于 CPU 核数；理由见 docs/web.md）",
    )
    parser.add_argument(
        "--threads",
        type=int,
        help=f"每个工作进程的线程数（默认取环境变量 NFM_THREADS，未设置时为 {DEFAULT_THREADS}）",
    )
    parser.add_argument(
        "--no-worker",
        action="store_true",
        help="不启动后台任务进程（报告生成）；由系统服务另行运行 python -m django qcluster 时使用",
    )


def _cpu_cores() -> int:
    # The cores this process may run on (a container's CPU set), not the host's total.
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def _count(name: str, given: int | None) -> int | None:
    if given is None:
        raw = os.environ.get(name, "").strip()
        if not raw:
            return None
        try:
            given = int(raw)
        except ValueError:
            print(f"配置错误：环境变量 {name}={raw!r} 无效：应为正整数", file=sys.stderr)
            raise SystemExit(2) from None
        source = f"环境变量 {name}"
    else:
        source = "--workers" if name == "NFM_WORKERS" else "--threads"
    if not 1 <= given <= 64:
        print(f"配置错误：{source} 应在 1 到 64 之间，收到 {given}", file=sys.stderr)
        raise SystemExit(2)
    return given


def server_size(workers: int | None, threads: int | None, cores: int | None = None) -> tuple[int, int]:
    """Workers and threads: the command line, else NFM_WORKERS / NFM_THREADS, else one worker per core
    with DEFAULT_THREADS threads each (measured with bench/load.py, see docs/web.md)."""
    chosen_workers = _count("NFM_WORKERS", workers)
    chosen_threads = _count("NFM_THREADS", threads)
    return (
        chosen_workers if chosen_workers is not None else max(1, cores or _cpu_cores()),
        chosen_threads if chosen_threads is not None else DEFAULT_THREADS,
    )


def _data_dir() -> Path:
    path = Path(os.environ.get("NFM_DATA_DIR", "./var")).resolve()
    path.mkdir(parents=True, exist_ok=True)
    return path


def _allow_host(host: str) -> None:
    if "NFM_ALLOWED_HOSTS" not in os.environ and host not in ("127.0.0.1", "localhost", "::1"):
        os.environ["NFM_ALLOWED_HOSTS"] = f"localhost,127.0.0.1,{host}"


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "nfmaturity.web.settings")
    import django
    from django.core.exceptions import ImproperlyConfigured

    try:
        django.setup()
    except ImproperlyConfigured as exc:
        print(f"配置错误：{exc}", file=sys.stderr)
        raise SystemExit(2) from None


def _migrate() -> None:
    """Bring the database schema and the hashed static files (whitenoise manifest) up to date."""
    from django.core.management import call_command

    _checkpoint()
    call_command("migrate", interactive=False, verbosity=0)
    _checkpoint()
    call_command("collectstatic", interactive=False, verbosity=0)
    _checkpoint()


def _prepare_fork() -> None:
    """Done once in the gunicorn master, before it forks the workers.

    The catalogs are parsed here so every worker starts with them (a cold load costs ~0.3 s, which the
    first rater of each new worker would otherwise wait for); the migration's database connection is
    closed so no worker inherits a socket it shares with its siblings.
    """
    from django.db import connections

    from nfmaturity.assessments.catalogs import current_version, sector_view
    from nfmaturity.catalog.model import Sector

    for sector in Sector:
        sector_view(current_version(), sector.value)
    connections.close_all()


# The background worker's command: django-q2's ``qcluster``, with a thread that watches the server. When the
# server is gone (kill -9) the cluster is told to stop (SIGTERM: it finishes the task in hand) and, should it
# not have stopped GRACE_SECONDS later, its whole process group is killed. Not a parent-death signal alone:
# a cluster told to stop while it is still starting deadlocks in django-q2 (stop_event.set() never returns),
# and with its server gone nobody else would end it.
WATCHED_QCLUSTER = """
import os, signal, sys, threading, time

server, grace = int(sys.argv[1]), float(sys.argv[2])


def watch():
    while os.getppid() == server:
        time.sleep(1)
    os.kill(os.getpid(), signal.SIGTERM)
    time.sleep(grace)
    os.killpg(0, signal.SIGKILL)


threading.Thread(target=watch, name="nfm-server-watch", daemon=True).start()
from django.core.management import execute_from_command_line

execute_from_command_line(["django", "qcluster"])
"""


class _TaskWorker(Protocol):
    def start(self) -> None: ...
    def begin_stop(self) -> None: ...
    def stop(self, timeout: float = GRACE_SECONDS) -> None: ...


def _task_worker() -> _TaskWorker:
    """``reports.jobs.Worker`` started so that a stop is prompt and loses nothing (see the class)."""
    import logging

    from nfmaturity.reports.jobs import Worker

    logger = logging.getLogger(__name__)

    class TaskWorker(Worker):
        """The background worker in a process group of its own: a Ctrl+C in the terminal reaches only the
        server, which then stops the worker once, with SIGTERM (it finishes the task in hand). When every
        process of the worker got the signal itself, its sentinel died at once and the cluster waited for it
        until killed: that was the 30 s stop. It stops by itself when the server dies (kill -9, see
        ``WATCHED_QCLUSTER``). A worker that has not stopped ``GRACE_SECONDS`` after being told is killed
        with its whole group, and the task it had taken is handed out again by the queue after
        ``Q_CLUSTER["retry"]`` seconds."""

        stop_began: float | None = None
        told: subprocess.Popen[bytes] | None = None

        def _spawn(self) -> None:
            self.process = subprocess.Popen(
                [sys.executable, "-c", WATCHED_QCLUSTER, str(os.getpid()), str(GRACE_SECONDS)],
                env=os.environ.copy(),
                process_group=0,
            )

        def _keep(self) -> None:
            # Any exit is a death to recover from unless a stop was asked for: the exit status says nothing
            # here, since gunicorn's master reaps every child of its process (waitpid(-1)).
            while not self._stopping.wait(self.check_every):
                process = self.process
                if process is None or process.poll() is None or self._stopping.is_set():
                    continue
                # Its own processes outlive it when its main process alone was killed (kill -9): the orphaned
                # sentinel would go on taking tasks beside the new worker.
                with suppress(ProcessLookupError, PermissionError):
                    os.killpg(process.pid, signal.SIGKILL)
                logger.warning("后台任务进程已退出，正在重新启动")
                self.restarts += 1
                self._spawn()

        def begin_stop(self) -> None:
            """Tell the worker to stop, without waiting (the server stops meanwhile)."""
            if self.stop_began is None:
                self.stop_began = time.monotonic()
            self._stopping.set()
            process = self.process
            if process is not None and process is not self.told and process.poll() is None:
                process.terminate()  # once: a second SIGTERM makes the cluster run its stop twice
                self.told = process

        def stop(self, timeout: float = GRACE_SECONDS) -> None:
            self.begin_stop()
            if self._keeper is not None:
                self._keeper.join(timeout=self.check_every + 1)  # no start after this
            self.begin_stop()  # a worker started by the keeper meanwhile is told too
            process = self.process
            if process is None:
                return
            assert self.stop_began is not None
            try:
                process.wait(timeout=max(0.1, self.stop_began + timeout - time.monotonic()))
            except subprocess.TimeoutExpired:
                with suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait()
                print(
                    f"后台任务进程未在 {timeout:.0f} 秒内停止，已强制结束；它未完成的报告任务不会丢失，"
                    "平台再次运行时会自动重新生成。",
                    flush=True,
                )

    return TaskWorker()


# Set by Ctrl+C or SIGTERM before gunicorn takes the signals over.
_stop_asked = threading.Event()


class _Stopped(Exception):
    """A stop was asked for while the platform was starting; raised between two steps."""


def _stopping_signals() -> None:
    """Until gunicorn takes the signals over (migrations, static files, demo data), Ctrl+C and SIGTERM ask
    for a stop that happens between two steps. An exception raised wherever the signal lands is not safe: one
    that landed in a database callback was swallowed (the server then started anyway), and one between a
    migration's commit and its record left a table Django did not know it had made. A second signal stops at
    once, as kill -9 would (the database rolls back what was not committed)."""

    def ask(_signum: int, _frame: FrameType | None) -> None:
        if _stop_asked.is_set():
            os.write(2, "再次收到停止信号，立即退出。\n".encode())
            os._exit(1)
        _stop_asked.set()
        # os.write, not print: a signal handler may run in the middle of a print.
        os.write(1, "\n正在停止：当前步骤完成后退出（再按一次 Ctrl+C 立即退出）……\n".encode())

    signal.signal(signal.SIGTERM, ask)
    signal.signal(signal.SIGINT, ask)


def _checkpoint() -> None:
    if _stop_asked.is_set():
        raise _Stopped


def _until_stopped(command: Callable[[], int]) -> int:
    _stopping_signals()
    master = os.getpid()
    try:
        return command()
    except (_Stopped, KeyboardInterrupt):
        if os.getpid() != master:
            raise
        print("已停止（平台未启动完成）。", flush=True)
        return 0


def _purge_partial_files() -> None:
    """Report files a killed worker was writing (``.part-*``, renamed into place only when whole) are deleted
    at the next start, once older than a task may run: a younger one may belong to another server's worker."""
    from django.conf import settings

    cutoff = time.time() - settings.NFM_TASK_TIMEOUT
    reports = Path(settings.NFM_REPORTS_DIR)
    if not reports.is_dir():
        return
    for partial in reports.rglob(".part-*"):
        with suppress(OSError):
            if partial.is_file() and partial.stat().st_mtime < cutoff:
                partial.unlink()


def _run(host: str, port: int, workers: int | None, threads: int | None, task_worker: bool = True) -> int:
    """Serve with gunicorn (a production WSGI server) in the foreground; whitenoise serves static files."""
    from typing import Any

    from gunicorn.app.base import BaseApplication
    from gunicorn.arbiter import Arbiter

    from nfmaturity.web.wsgi import application

    workers, threads = server_size(workers, threads)
    _purge_partial_files()
    _prepare_fork()
    # The background worker (report files) runs beside the server and is restarted if it dies; only the
    # gunicorn master stops it (its forked workers leave run() through the same code).
    master, worker = os.getpid(), _task_worker() if task_worker else None

    def ignore_interrupt(_worker: object) -> None:
        # A terminal's Ctrl+C goes to every process of its group: the server workers leave it to the
        # master, which stops them once, gracefully (SIGTERM), instead of cutting requests off.
        signal.signal(signal.SIGINT, signal.SIG_IGN)

    class _Arbiter(Arbiter):
        def init_signals(self) -> None:
            super().init_signals()
            if _stop_asked.is_set():  # asked for since the last step: gunicorn's own stop does it
                self.SIG_QUEUE.put_nowait(signal.SIGTERM)

        def handle_int(self) -> None:
            # Ctrl+C stops like SIGTERM: requests in flight finish. A second Ctrl+C meanwhile cuts them short
            # (gunicorn's quick shutdown).
            self.handle_term()

        def handle_term(self) -> None:
            print(
                f"正在停止平台：进行中的请求与报告任务处理完毕后退出（最长约 {GRACE_SECONDS} 秒）……",
                flush=True,
            )
            if worker is not None:
                worker.begin_stop()
            raise StopIteration

    class _Server(BaseApplication):
        def load_config(self) -> None:
            options: dict[str, Any] = {
                "bind": f"[{host}]:{port}" if ":" in host else f"{host}:{port}",
                "workers": workers,
                "threads": threads,
                "worker_class": "gthread",
                "accesslog": None,
                "errorlog": "-",
                "loglevel": "warning",
                # A worker whose main loop is silent this long is hung: restart it. Requests are short;
                # the slowest (a workbook upload at the size cap) takes a few seconds.
                "timeout": 60,
                # On stop or restart, requests in flight get this long to finish.
                "graceful_timeout": GRACE_SECONDS,
                # A rater clicks every second or two: keep the connection open between clicks (gunicorn's
                # default of 2 s closed it under them) and a reverse proxy may keep its pool.
                "keepalive": 5,
                # Recycle a worker after this many requests (staggered), so memory one large request
                # grew is given back; the catalogs are already parsed in the master, so it is cheap.
                "max_requests": 5000,
                "max_requests_jitter": 500,
                "post_worker_init": ignore_interrupt,
            }
            for key, value in options.items():
                self.cfg.set(key, value)

        def load(self) -> Any:
            return application

        def run(self) -> None:
            _Arbiter(self).run()

    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    print(f"平台地址：http://{shown}:{port}/  （Ctrl+C 停止）", flush=True)
    print(f"服务器：gunicorn，{workers} 个工作进程 × {threads} 个线程", flush=True)
    _checkpoint()
    try:
        if worker is not None:
            worker.start()
            print("后台任务进程：已启动（报告生成）", flush=True)
        _Server().run()
    finally:
        if os.getpid() == master:
            if worker is not None:
                worker.stop()
            print("平台已停止。", flush=True)
    return 0


def serve_command(args: argparse.Namespace) -> int:
    return _until_stopped(lambda: _serve(args))


def _serve(args: argparse.Namespace) -> int:
    _data_dir()
    _allow_host(args.host)
    _setup()
    _migrate()
    return _run(args.host, args.port, args.workers, args.threads, not args.no_worker)


def _demo_secret(data_dir: Path) -> None:
    """A demo run needs no configuration: keep a generated key in the data directory (never in code)."""
    if os.environ.get("NFM_SECRET_KEY") or os.environ.get("NFM_SECRET_KEY_FILE"):
        return
    key_file = data_dir / "demo-secret-key"
    if not key_file.exists() or len(key_file.read_text(encoding="utf-8").strip()) < 32:
        # Written whole under a temporary name, then renamed: a run killed here leaves no empty key file that
        # would make the next start refuse.
        handle, temporary = tempfile.mkstemp(dir=data_dir, prefix=".demo-secret-key-")  # mode 0600
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(secrets.token_urlsafe(50))
        os.replace(temporary, key_file)
    os.environ["NFM_SECRET_KEY_FILE"] = str(key_file)


def _progress(done: int, total: int) -> None:
    print(f"已生成 {done}/{total} 家", flush=True)
    _checkpoint()  # a stop asked for ends the generation between two batches


def _add_scale(count: int) -> int:
    """``--scale N``: the synthetic enterprises, with progress; 0 when done, 2 when refused."""
    import time

    from nfmaturity.web.demo import DemoRefused
    from nfmaturity.web.scale import add_scale, scale_count

    if count < 0:
        print(f"参数错误：--scale 应为正整数，收到 {count}", file=sys.stderr)
        return 2
    # --scale adds N each time (an interrupted load keeps what it wrote): say so, so a rerun is no surprise.
    present = scale_count()
    if present:
        print(f"数据库中已有 {present} 家合成演示企业；本次另加 {count} 家，完成后共 {present + count} 家。")
    print(f"正在生成 {count} 家合成演示企业……", flush=True)
    start = time.perf_counter()
    try:
        add_scale(count, progress=lambda done, total: _progress(done, total))
    except DemoRefused as exc:
        print(str(exc), file=sys.stderr)
        return 2
    print(f"合成演示企业生成完毕，用时 {time.perf_counter() - start:.0f} 秒。", flush=True)
    return 0


def demo_command(args: argparse.Namespace) -> int:
    return _until_stopped(lambda: _demo(args))


def _demo(args: argparse.Namespace) -> int:
    data_dir = _data_dir()
    _demo_secret(data_dir)
    _allow_host(args.host)
    _setup()
    _migrate()
    from nfmaturity.web.demo import DemoRefused, enterprise_logins_note, load_demo

    print("正在载入演示数据（首次约需一分钟）……", flush=True)
    try:
        logins = load_demo(args.password)
    except DemoRefused as exc:
        # Demo data never goes into a database with real data in it (nothing was written).
        print(str(exc), file=sys.stderr)
        return 2
    print(f"演示账户（密码均为 {args.password}）：")
    for login in logins:
        print(f"  {login.username:<24} {login.role:<10} {login.organisation}")
    print(enterprise_logins_note())
    print("所有演示数据均标注“演示数据”。")
    if args.scale:
        _checkpoint()
        scaled = _add_scale(args.scale)
        if scaled:
            return scaled
    if args.no_serve:
        return 0
    return _run(args.host, args.port, args.workers, args.threads, not args.no_worker)
