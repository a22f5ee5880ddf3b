"""``nfm serve`` and ``nfm demo``: run the web platform, optionally with demo data.

Both serve through gunicorn (threaded workers) with whitenoise for static files. For production set
NFM_SECRET_KEY, DATABASE_URL and NFM_DATA_DIR (docs/web.md). Workers and threads default to what
bench/load.py measured best on this kind of machine; docs/web.md gives the figures.
"""

from __future__ import annotations

import argparse
import os
import secrets
import sys
from pathlib import Path

DEFAULT_DEMO_PASSWORD = "nfm-demo-2024"
DEFAULT_THREADS = 4


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

    call_command("migrate", interactive=False, verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)


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


def _run(host: str, port: int, workers: int | None, threads: int | None, task_worker: bool = True) -> int:
    """Serve with gunicorn (a production WSGI server) in the foreground; whitenoise serves static files."""
    from typing import Any

    from gunicorn.app.base import BaseApplication

    from nfmaturity.web.wsgi import application

    workers, threads = server_size(workers, threads)
    _prepare_fork()

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
                "graceful_timeout": 30,
                # A rater clicks every second or two: keep the connection open between clicks (gunicorn's
                # default of 2 s closed it under them) and a reverse proxy may keep its pool.
                "keepalive": 5,
                # Recycle a worker after this many requests (staggered), so memory one large request
                # grew is given back; the catalogs are already parsed in the master, so it is cheap.
                "max_requests": 5000,
                "max_requests_jitter": 500,
            }
            for key, value in options.items():
                self.cfg.set(key, value)

        def load(self) -> Any:
            return application

    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    print(f"平台地址：http://{shown}:{port}/  （Ctrl+C 停止）", flush=True)
    print(f"服务器：gunicorn，{workers} 个工作进程 × {threads} 个线程", flush=True)
    # The background worker (report files) runs beside the server and is restarted if it dies; only the
    # gunicorn master stops it (its forked workers leave run() through the same code).
    from nfmaturity.reports.jobs import Worker

    master, worker = os.getpid(), Worker() if task_worker else None
    if worker is not None:
        worker.start()
        print("后台任务进程：已启动（报告生成）", flush=True)
    try:
        _Server().run()
    finally:
        if worker is not None and os.getpid() == master:
            worker.stop()
    return 0


def serve_command(args: argparse.Namespace) -> int:
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
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(50), encoding="utf-8")
        key_file.chmod(0o600)
    os.environ["NFM_SECRET_KEY_FILE"] = str(key_file)


def _add_scale(count: int) -> int:
    """``--scale N``: the synthetic enterprises, with progress; 0 when done, 2 when refused."""
    import time

    from nfmaturity.web.demo import DemoRefused
    from nfmaturity.web.scale import add_scale

    if count < 0:
        print(f"参数错误：--scale 应为正整数，收到 {count}", file=sys.stderr)
        return 2
    print(f"正在生成 {count} 家合成演示企业……", flush=True)
    start = time.perf_counter()
    try:
        add_scale(count, progress=lambda done, total: print(f"已生成 {done}/{total} 家", flush=True))
    except DemoRefused as exc:
        print(str(exc), file=sys.stderr)
        return 2
    print(f"合成演示企业生成完毕，用时 {time.perf_counter() - start:.0f} 秒。", flush=True)
    return 0


def demo_command(args: argparse.Namespace) -> int:
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
        scaled = _add_scale(args.scale)
        if scaled:
            return scaled
    if args.no_serve:
        return 0
    return _run(args.host, args.port, args.workers, args.threads, not args.no_worker)
