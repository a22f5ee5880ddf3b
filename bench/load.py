"""Load test: simulated raters saving ratings against the real server (``nfm serve``, gunicorn) on 127.0.0.1.

    python bench/load.py                          # 100 raters of 20 enterprises, 60 s
    python bench/load.py --short                  # 10 raters of 2 enterprises, 8 s (CI)
    python bench/load.py --workers 3 --threads 4  # try another server configuration
    DATABASE_URL=postgres://… python bench/load.py   # on PostgreSQL (a new database, dropped afterwards)

Set-up goes through the services: enterprises, each with a draft 冶炼 self-assessment and 5 users. Then every
rater logs in through the login form (CSRF token included), opens its sub-domain page and saves a rating every
1–2 s with the request the page sends (htmx headers, X-CSRFToken, the ``version`` from the last card it got
back). The team of an enterprise splits the sub-domains; one save in twenty goes to a sub-domain the whole
team shares, so two raters sometimes change the same requirement: the 409 that follows is the platform
refusing a stale save, counted apart, not an error. 5xx answers, other unexpected statuses and connection
failures are errors. Logins happen before the measured window (a password check costs ~0.25 s of CPU by
design) and are reported apart.

At the end every acknowledged save must be in the audit log (one RATING_CHANGED event per save that wrote).
Targets: PostgreSQL p95 ≤ 200 ms and 0 errors; SQLite 0 errors, p95 reported.
Exit status 1 on any error, or with --strict when p95 misses its target.
"""

from __future__ import annotations

import argparse
import http.client
import os
import random
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

from _support import CSRF_HEADER, SRC, Form, percentile, post_forms, throwaway_database

sys.path.insert(0, SRC)

TEAM = 5  # raters per enterprise
PASSWORD = "Load-test-pass-2024"
VALUES = ("1", "0.8", "0.5", "0")
SHARED_SHARE = 0.05  # saves that go to the sub-domain the whole team shares
P95_TARGET_MS = 200.0
HTTP_TIMEOUT = 30.0
# People arrive over minutes, not all in one second; a password check costs ~0.25 s of CPU by design, so
# a hundred at once would queue each other past the timeout. Four at a time still fills both cores.
LOGINS_AT_ONCE = threading.BoundedSemaphore(4)


@dataclass
class Tally:
    """What all raters saw; one lock, since threads append at once."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    saves: list[float] = field(default_factory=list)  # ms of every answered save (200 and 409)
    ok: int = 0
    writes: int = 0  # 200 answers whose version moved: each must have an audit event
    conflicts: int = 0
    reconnects: int = 0
    errors: Counter[str] = field(default_factory=Counter)
    logins: list[float] = field(default_factory=list)

    def error(self, kind: str) -> None:
        with self.lock:
            self.errors[kind] += 1


class Browser:
    """One rater's keep-alive connection and cookies, sending what a browser with htmx sends."""

    def __init__(self, port: int, tally: Tally) -> None:
        self.port = port
        self.origin = f"http://127.0.0.1:{port}"
        self.tally = tally
        self.cookies: dict[str, str] = {}
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=HTTP_TIMEOUT)
        self.used = False

    def request(
        self,
        method: str,
        path: str,
        body: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, str]:
        sent = {
            "Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items()),
            "Accept": "text/html",
            **(headers or {}),
        }
        data = None
        if body is not None:
            data = urlencode(body).encode()
            sent.update({"Content-Type": "application/x-www-form-urlencoded", "Origin": self.origin})
        for attempt in (1, 2):
            try:
                self.conn.request(method, path, body=data, headers=sent)
                response = self.conn.getresponse()
                text = response.read().decode()
                break
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                # The server may close an idle keep-alive connection just as we reuse it; a browser then
                # opens a new one and sends again, and so do we, once. A fresh connection failing is an error.
                self.conn.close()
                if attempt == 2 or not self.used:
                    raise
                with self.tally.lock:
                    self.tally.reconnects += 1
        self.used = True
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                self.cookies[name] = morsel.value
        return response.status, text

    def close(self) -> None:
        self.conn.close()


@dataclass
class Rater:
    username: str
    assessment: int
    own_row: int
    shared_row: int


def login(browser: Browser, username: str) -> None:
    status, page = browser.request("GET", "/accounts/login/")
    forms = post_forms(page, "/accounts/login/")
    if status != 200 or not forms:
        raise RuntimeError(f"登录页返回 {status}")
    data = {k: v[0] for k, v in forms[0].data().items()}
    data.update(username=username, password=PASSWORD)
    status, _ = browser.request("POST", "/accounts/login/", data)
    if status != 302 or "sessionid" not in browser.cookies:
        raise RuntimeError(f"登录失败：{status}")


def open_row(browser: Browser, path: str, rate_path: str) -> tuple[str, dict[str, Form]]:
    status, page = browser.request("GET", path)
    match = CSRF_HEADER.search(page)
    if status != 200 or match is None:
        raise RuntimeError(f"子域页返回 {status}")
    forms = {}
    for form in post_forms(page, rate_path):
        ids = [v for k, v in form.fields if k == "requirement_id"]
        if ids and any(k == "version" for k, _ in form.fields):
            forms[ids[0]] = form
    if not forms:
        raise RuntimeError("子域页上没有评分表单")
    return match.group(1), forms


def rate_loop(
    rater: Rater, port: int, tally: Tally, ready: threading.Barrier, start_at: list[float], until: list[float]
) -> None:
    browser = Browser(port, tally)
    rate_path = f"/assessments/{rater.assessment}/rate/"
    pages: dict[str, dict[str, Form]] = {}
    try:
        with LOGINS_AT_ONCE:
            began = time.perf_counter()
            login(browser, rater.username)
            with tally.lock:
                tally.logins.append((time.perf_counter() - began) * 1000)
        token = ""
        for index in (rater.own_row, rater.shared_row):
            path = f"/assessments/{rater.assessment}/rows/{index}/"
            token, pages[path] = open_row(browser, path, rate_path)
    except Exception as exc:
        tally.error(f"登录或打开页面失败：{exc}")
        ready.abort()
        return
    try:
        ready.wait(timeout=300)
    except threading.BrokenBarrierError:
        browser.close()
        return
    # The server has closed a connection left idle while the others logged in; start on a fresh one.
    browser.close()
    browser.used = False
    rng = random.Random(rater.username)
    own, shared = list(pages)
    last_value: dict[str, str] = {}
    next_at = start_at[0] + rng.uniform(0, 2)
    while True:
        time.sleep(max(0.0, next_at - time.monotonic()))
        if time.monotonic() >= until[0]:
            break
        path = shared if rng.random() < SHARED_SHARE else own
        rid = rng.choice(list(pages[path]))
        form = pages[path][rid]
        data = {k: v[0] for k, v in form.data().items()}
        value = rng.choice([v for v in VALUES if v != last_value.get(rid)])
        data["value"] = last_value[rid] = value
        sent_version = data["version"]
        headers = {
            "HX-Request": "true",
            "HX-Current-URL": browser.origin + path,
            "HX-Target": form.target.lstrip("#"),
            "X-CSRFToken": token,
        }
        next_at += rng.uniform(1, 2)
        began = time.perf_counter()
        try:
            status, card = browser.request("POST", rate_path, data, headers)
        except (OSError, http.client.HTTPException) as exc:
            tally.error(f"连接错误：{type(exc).__name__}")
            browser.close()
            continue
        ms = (time.perf_counter() - began) * 1000
        if status not in (200, 409):
            tally.error(f"HTTP {status}")
            continue
        fresh = [f for f in post_forms(card, rate_path) if ("requirement_id", rid) in f.fields]
        if not fresh:
            tally.error(f"HTTP {status} 的返回中没有评分卡片")
            continue
        # htmx swaps the returned card in: its form (and version) is what the next click sends.
        pages[path][rid] = fresh[0]
        new_version = dict(fresh[0].fields).get("version")
        with tally.lock:
            tally.saves.append(ms)
            if status == 409:
                tally.conflicts += 1
            else:
                tally.ok += 1
                tally.writes += new_version != sent_version
    browser.close()


@dataclass
class Usage:
    """Memory and CPU seconds of the processes being watched, per pid."""

    rss_mb: dict[int, float] = field(default_factory=dict)
    cpu_s: dict[int, float] = field(default_factory=dict)


TICKS = os.sysconf("SC_CLK_TCK")


def usage(server: int, database: str) -> Usage:
    """The server (the gunicorn master and the workers it forks) and the PostgreSQL backends serving our
    database (their command line names it)."""
    out = Usage()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            status = (entry / "status").read_text()
            stat = (entry / "stat").read_text()
            command = (entry / "cmdline").read_bytes().decode(errors="replace") if database else ""
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        pid, ppid = int(entry.name), int(fields.get("PPid", "0").strip())
        # utime and stime are fields 14 and 15; the command name before them may contain spaces.
        ticks = stat.rsplit(")", 1)[1].split()
        cpu = (int(ticks[11]) + int(ticks[12])) / TICKS
        if pid == server or ppid == server:
            out.rss_mb[pid] = int(fields.get("VmRSS", "0 kB").split()[0]) / 1024
            out.cpu_s[pid] = cpu
        elif database and database in command:
            out.cpu_s[-pid] = cpu  # negative: a database backend, not the app
    return out


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def set_up(enterprises: int) -> list[Rater]:
    """Enterprises, draft self-assessments and their raters, through the services (fast password hashing
    while creating, then one real hash for all, so the server checks passwords as in production)."""
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password
    from django.core.management import call_command
    from django.db import connections
    from django.test.utils import override_settings

    from nfmaturity.accounts.models import Role
    from nfmaturity.accounts.services import create_member
    from nfmaturity.assessments.catalogs import sector_view
    from nfmaturity.assessments.services import start_self_assessment
    from nfmaturity.enterprises.models import SectorChoice
    from nfmaturity.enterprises.services import register_enterprise
    from nfmaturity.enterprises.uscc import check_character

    call_command("migrate", verbosity=0)
    raters = []
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        for e in range(enterprises):
            first17 = f"91451200MA5L{e:05d}"
            reg = register_enterprise(
                profile={
                    "name": f"负载测试冶炼企业{e + 1:02d}",
                    "uscc": first17 + check_character(first17),
                    "region_code": "451221",
                    "sectors": [SectorChoice.SMELTING],
                    "metals": ["sn"],
                    "size": "medium",
                    "above_scale": True,
                },
                admin_username=f"load{e:02d}r0",
                admin_password=PASSWORD,
            )
            assessment = start_self_assessment(
                enterprise=reg.enterprise, actor=reg.admin, sector=SectorChoice.SMELTING
            )
            rows = len(sector_view(assessment.catalog_version, SectorChoice.SMELTING).rows)
            names = [f"load{e:02d}r0"]
            for k in range(1, TEAM):
                names.append(f"load{e:02d}r{k}")
                create_member(
                    organisation=reg.enterprise.organisation,
                    username=names[-1],
                    password=PASSWORD,
                    role=Role.ENTERPRISE_MEMBER,
                )
            # The team splits the sub-domains (row 0 is the shared one).
            raters += [Rater(n, assessment.pk, 1 + (k * 7) % (rows - 1), 0) for k, n in enumerate(names)]
    get_user_model().objects.filter(username__startswith="load").update(password=make_password(PASSWORD))
    connections.close_all()
    return raters


def audited_writes() -> int:
    from django.db import connections

    from nfmaturity.audit.models import AuditAction, AuditEvent

    count = AuditEvent.objects.filter(action=AuditAction.RATING_CHANGED).count()
    connections.close_all()
    return count


def start_server(
    port: int, env: dict[str, str], workers: int | None, threads: int | None, log: Path
) -> subprocess.Popen[bytes]:
    command = [
        sys.executable,
        "-m",
        "nfmaturity.cli.main",
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
    ]
    if workers:
        command += ["--workers", str(workers)]
    if threads:
        command += ["--threads", str(threads)]
    server = subprocess.Popen(command, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"服务器启动失败（退出码 {server.returncode}）：{log.read_text()[-2000:]}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return server
        except OSError:
            pass
        time.sleep(0.3)
    server.kill()
    raise RuntimeError(f"服务器 90 秒内没有就绪：{log.read_text(errors='replace')[-2000:]}")


def main() -> int:
    # Stopped from outside (CI timeout, Ctrl+C): unwind, so the server is stopped and the database dropped.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    parser = argparse.ArgumentParser(description="负载测试：模拟多名评分人同时保存评分")
    parser.add_argument("--short", action="store_true", help="简短模式（CI）：10 名评分人，8 秒")
    parser.add_argument("--raters", type=int, help=f"评分人数（每家企业 {TEAM} 人；默认 100，简短模式 10）")
    parser.add_argument("--seconds", type=float, help="测量时长（秒；默认 60，简短模式 8）")
    parser.add_argument("--workers", type=int, help="服务器工作进程数（默认由 nfm serve 决定）")
    parser.add_argument("--threads", type=int, help="每个工作进程的线程数（默认由 nfm serve 决定）")
    parser.add_argument("--strict", action="store_true", help="p95 未达到目标时以退出码 1 结束")
    args = parser.parse_args()
    raters = args.raters or (10 if args.short else 100)
    seconds = args.seconds or (8.0 if args.short else 60.0)
    enterprises = max(1, -(-raters // TEAM))
    with throwaway_database("load") as url:
        data_dir = Path(tempfile.mkdtemp(prefix="nfm-load-"))
        env = {
            k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE" and not k.startswith("NFM_")
        }
        env.update(NFM_DATA_DIR=str(data_dir), NFM_SECRET_KEY=secrets.token_urlsafe(50))
        env.pop("DATABASE_URL", None)
        # The server runs the same source tree as this script (a checkout, or an exported snapshot of one).
        env["PYTHONPATH"] = os.pathsep.join(p for p in (os.path.abspath(SRC), env.get("PYTHONPATH", "")) if p)
        if url:
            env["DATABASE_URL"] = url
        os.environ.clear()
        os.environ.update(env, DJANGO_SETTINGS_MODULE="nfmaturity.web.settings")
        try:
            return run(
                url, env, data_dir, enterprises, raters, seconds, args.workers, args.threads, args.strict
            )
        finally:
            shutil.rmtree(data_dir, ignore_errors=True)


def run(
    url: str,
    env: dict[str, str],
    data_dir: Path,
    enterprises: int,
    count: int,
    seconds: float,
    workers: int | None,
    threads: int | None,
    strict: bool,
) -> int:
    began = time.monotonic()
    raters = set_up(enterprises)[:count]
    print(
        f"准备数据：{enterprises} 家企业、{len(raters)} 名评分人，用时 {time.monotonic() - began:.1f} 秒",
        flush=True,
    )
    port = free_port()
    log = data_dir / "server.log"
    server = start_server(port, env, workers, threads, log)
    tally = Tally()
    try:
        start_at, until = [0.0], [0.0]

        def start_clock() -> None:
            # Runs once, when the last rater has logged in, before anyone is released.
            start_at[0] = time.monotonic()
            until[0] = start_at[0] + seconds

        ready = threading.Barrier(len(raters) + 1, action=start_clock)
        pool = [
            threading.Thread(target=rate_loop, args=(r, port, tally, ready, start_at, until), daemon=True)
            for r in raters
        ]
        began = time.monotonic()
        for thread in pool:
            thread.start()
        try:
            ready.wait(timeout=300)
        except threading.BrokenBarrierError:
            print(f"错误：评分人未能全部登录：{dict(tally.errors)}", file=sys.stderr)
            return 1
        print(
            f"登录：{len(tally.logins)} 人，用时 {start_at[0] - began:.1f} 秒；开始测量 {seconds:.0f} 秒",
            flush=True,
        )
        load_before = os.getloadavg()[0]
        database = url.rsplit("/", 1)[1] if url else ""
        first = usage(server.pid, database)
        last = first
        client_before = sum(os.times()[:2])
        peak: dict[int, float] = {}
        while time.monotonic() < until[0]:
            last = usage(server.pid, database)
            for pid, mb in last.rss_mb.items():
                peak[pid] = max(peak.get(pid, 0.0), mb)
            time.sleep(1)
        last = usage(server.pid, database)
        client_cpu = sum(os.times()[:2]) - client_before
        # A worker recycled during the window starts from zero.
        spent = {pid: cpu - first.cpu_s.get(pid, 0.0) for pid, cpu in last.cpu_s.items()}
        cpu = {
            "app": sum(v for pid, v in spent.items() if pid > 0),
            "db": sum(v for pid, v in spent.items() if pid < 0),
            "client": client_cpu,
        }
        for thread in pool:
            thread.join(timeout=HTTP_TIMEOUT + 5)
        stuck = sum(thread.is_alive() for thread in pool)
        if stuck:
            tally.error(f"{stuck} 名评分人的请求在 {HTTP_TIMEOUT:.0f} 秒后仍无响应")
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
    audited = audited_writes()
    if audited != tally.writes:
        tally.error(f"确认的保存 {tally.writes} 次，审计记录 {audited} 条")
    if "Traceback" in log.read_text(errors="replace"):
        print(f"服务器日志中有异常：{log}", file=sys.stderr)
    report(url, tally, len(raters), seconds, peak, log, cpu)
    print(
        f"本机负载均值（1 分钟）：测量前 {load_before:.1f}，测量后 {os.getloadavg()[0]:.1f}（{os.cpu_count()} 核）"
    )
    failed = bool(tally.errors) or not tally.saves
    missed = bool(url) and bool(tally.saves) and percentile(tally.saves, 0.95) > P95_TARGET_MS
    return 1 if failed or (strict and missed) else 0


def report(
    url: str,
    tally: Tally,
    raters: int,
    seconds: float,
    peak: dict[int, float],
    log: Path,
    cpu: dict[str, float],
) -> None:
    config = next((line for line in log.read_text(errors="replace").splitlines() if "工作进程" in line), "")
    print(
        f"数据库：{'PostgreSQL' if url else 'SQLite'}；{raters} 名评分人，{seconds:.0f} 秒；{config.strip()}"
    )
    if tally.logins:
        print(
            f"登录：中位数 {statistics.median(tally.logins):.0f} ms，p95 {percentile(tally.logins, 0.95):.0f} ms"
            "（不计入下列保存耗时）"
        )
    total = len(tally.saves) + sum(tally.errors.values())
    print(
        f"评分保存：{total} 次（{total / seconds:.1f} 次/秒）；成功 {tally.ok}；版本冲突 409：{tally.conflicts}"
        f"（同企业两人改同一条，属预期）；错误 {sum(tally.errors.values())}；重连 {tally.reconnects}"
    )
    for kind, n in tally.errors.most_common(5):
        print(f"  错误 {n} 次：{kind}")
    if tally.saves:
        p95 = percentile(tally.saves, 0.95)
        print(
            f"保存耗时 ms：p50 {percentile(tally.saves, 0.5):.0f}  p95 {p95:.0f}  p99 "
            f"{percentile(tally.saves, 0.99):.0f}  最大 {max(tally.saves):.0f}"
        )
        if url:
            ok = p95 <= P95_TARGET_MS and not tally.errors
            print(
                f"目标（PostgreSQL）：p95 ≤ {P95_TARGET_MS:.0f} ms 且 0 错误 → {'达标' if ok else '未达标'}"
                f"（p95 为目标的 {p95 / P95_TARGET_MS:.1f} 倍）"
            )
        else:
            print(f"目标（SQLite）：0 错误 → {'达标' if not tally.errors else '未达标'}；p95 {p95:.0f} ms")
    if tally.saves:
        per_save = {k: v / len(tally.saves) * 1000 for k, v in cpu.items()}
        print(
            f"每次保存的 CPU 时间 ms：应用 {per_save['app']:.1f}"
            + (f"，PostgreSQL {per_save['db']:.1f}" if url else "")
            + f"，本脚本（模拟浏览器）{per_save['client']:.1f}；测量期间应用共用 {cpu['app'] / seconds:.2f} 核"
        )
    if peak:
        parts = "、".join(f"{mb:.0f}" for mb in sorted(peak.values(), reverse=True))
        print(f"服务器内存（RSS 峰值，MB）：合计 {sum(peak.values()):.0f}（各进程 {parts}）")


if __name__ == "__main__":
    raise SystemExit(main())
