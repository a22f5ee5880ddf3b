"""The regulator's pages at scale: N synthetic enterprises (``nfm demo --scale``), then the home dashboard, the
registry, the analytics dashboard (its page, domain figures and trends, filters), its drill-down lists and
the Excel export of every enterprise measured through the real views, beside the targets of issue 12.

    python bench/analytics.py                # 50 000 enterprises (about 75 000 results), 20 runs per page
    python bench/analytics.py --short        # 2 000 enterprises, 5 runs per page (CI)
    python bench/analytics.py --n 10000      # any other size
    python bench/analytics.py --strict       # exit 1 when a target is missed (default: only printed)
    python bench/analytics.py --keep nfm_scale  # PostgreSQL: keep the database, reuse its data next time

SQLite in a temporary NFM_DATA_DIR by default; with DATABASE_URL set (PostgreSQL) a new database is created on
that server for the run and dropped afterwards. The enterprises are made by ``nfmaturity.web.scale`` (the code
behind ``nfm demo --scale``); every request goes through Django's test client as a logged-in regulator, one
national and one of Guangxi (about 30 % of the enterprises), each page requested once before measuring.

Exit status: 1 if a path fails (an unexpected status, an exception), so CI notices; a missed target is only
printed unless --strict.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit, urlunsplit

from _support import SRC, throwaway_database
from pages import Figure, measure, show

sys.path.insert(0, SRC)

DASHBOARD_MS, DASHBOARD_QUERIES, FILTER_MS, LIST_MS = 300, 25, 300, 200
EXPORT_S = 10  # an Excel export of every enterprise (50 000 rows at full size)


def main() -> int:
    parser = argparse.ArgumentParser(description="监管看板与企业库在大数据量下的查询数与耗时（对照性能目标）")
    parser.add_argument("--short", action="store_true", help="简短模式（CI）：2000 家企业，每个路径 5 次")
    parser.add_argument("--n", type=int, help="合成企业数（默认 50000，简短模式 2000）")
    parser.add_argument("--strict", action="store_true", help="有目标未达到时以退出码 1 结束")
    parser.add_argument(
        "--keep",
        metavar="库名",
        help="（PostgreSQL）使用并保留这个数据库：已有足够的合成企业时不再生成，可反复测量（生成 5 万家要几分钟）",
    )
    args = parser.parse_args()
    count = args.n if args.n is not None else 2_000 if args.short else 50_000
    data_dir = tempfile.mkdtemp(prefix="nfm-bench-")
    os.environ["NFM_DATA_DIR"] = data_dir
    with kept_database(args.keep) if args.keep else throwaway_database("analytics") as url:
        if url:
            os.environ["DATABASE_URL"] = url
        try:
            return run(count, 5 if args.short else 20, args.strict)
        finally:
            if "django" in sys.modules:
                from django.db import connections

                connections.close_all()
            shutil.rmtree(data_dir, ignore_errors=True)


@contextmanager
def kept_database(name: str) -> Iterator[str]:
    """A DATABASE_URL for database ``name`` on the DATABASE_URL server, created if missing, never dropped."""
    import psycopg

    base = os.environ.get("DATABASE_URL", "")
    if not base.startswith("postgres"):
        raise SystemExit("--keep 需要指向 PostgreSQL 服务器的 DATABASE_URL")
    with psycopg.connect(base, autocommit=True) as admin:
        if not admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            admin.execute(f'CREATE DATABASE "{name}"')
    yield urlunsplit(urlsplit(base)._replace(path="/" + name))


def run(count: int, runs: int, strict: bool) -> int:
    os.environ.setdefault("NFM_SECRET_KEY", "bench-only-secret-key-0123456789-0123456789")
    os.environ["DJANGO_SETTINGS_MODULE"] = "nfmaturity.web.settings_test"
    import django

    django.setup()
    from django.contrib.auth.models import User
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, setup_test_environment
    from django.urls import reverse

    setup_test_environment()
    call_command("migrate", verbosity=0)

    from nfmaturity.accounts.models import NATIONAL_JURISDICTION, Organisation, OrganisationKind, Role
    from nfmaturity.accounts.services import create_member
    from nfmaturity.assessments.models import Result, ResultScore
    from nfmaturity.enterprises.models import Enterprise
    from nfmaturity.web.demo import GUANGXI
    from nfmaturity.web.scale import add_scale

    def regulator(name: str, jurisdiction: str, username: str) -> User:
        existing = User.objects.filter(username=username).first()
        if existing is not None:  # a kept database from an earlier run
            return existing
        organisation = Organisation.objects.create(
            name=f"{name}（演示）", kind=OrganisationKind.REGULATOR, jurisdiction=jurisdiction, is_demo=True
        )
        return create_member(
            organisation=organisation,
            username=username,
            password="Bench-pass-2024",
            role=Role.REGULATOR_VIEWER,
            full_name=name,
        )

    national = regulator("国家主管部门", NATIONAL_JURISDICTION, "bench-national")
    guangxi = regulator("广西工信厅", GUANGXI, "bench-guangxi")

    start = time.perf_counter()
    have = Enterprise.objects.filter(is_demo=True).count()
    if have < count:
        add_scale(count - have, progress=lambda done, total: print(f"已生成 {done}/{total} 家", flush=True))
    generated = time.perf_counter() - start
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            # As autovacuum would soon after a bulk load: statistics, and the visibility map the covering
            # indexes' index-only scans rely on.
            cursor.execute("VACUUM ANALYZE")
    print(
        f"数据库：{connection.vendor}；合成企业 {count} 家，结果 {Result.objects.count()} 份，"
        f"域与子域得分 {ResultScore.objects.count()} 行；生成用时 {generated:.1f} 秒"
    )

    def page(user: User, url: str, **headers: str) -> Callable[[], tuple[int, float]]:
        client = Client()
        client.force_login(user)

        def call() -> tuple[int, float]:
            with CaptureQueriesContext(connection) as ctx:
                began = time.perf_counter()
                response = client.get(url, headers=headers)
                ms = (time.perf_counter() - began) * 1000
            if response.status_code != 200:
                raise RuntimeError(f"GET {url} 返回 {response.status_code}，应为 200")
            return len(ctx.captured_queries), ms

        return call

    registry = reverse("enterprises:list")
    paths = [
        (Figure("看板（全国）", max_queries=DASHBOARD_QUERIES, max_ms=DASHBOARD_MS), national, "/"),
        (Figure("看板（广西）", max_queries=DASHBOARD_QUERIES, max_ms=DASHBOARD_MS), guangxi, "/"),
        (Figure("企业库列表（全国，第 1 页）", max_ms=LIST_MS), national, registry),
        (Figure("企业库列表（全国，第 100 页）", max_ms=LIST_MS), national, registry + "?page=100"),
        (
            Figure("筛选：河池市 小型（广西）", max_ms=FILTER_MS),
            guangxi,
            registry + "?city=451200&size=small",
        ),
        (Figure("筛选：铜 冶炼（全国）", max_ms=FILTER_MS), national, registry + "?metal=cu&sector=smelting"),
        (Figure("筛选：名称（全国）", max_ms=FILTER_MS), national, registry + "?q=00042"),
    ]
    from nfmaturity.analytics.selectors import domain_names

    weakest = domain_names()[0]
    board, drill = reverse("analytics:dashboard"), reverse("analytics:enterprises")
    domains, trends = reverse("analytics:domains"), reverse("analytics:trends")
    htmx = {"HX-Request": "true"}
    paths += [
        (Figure("行业看板（全国）", max_queries=DASHBOARD_QUERIES, max_ms=DASHBOARD_MS), national, board),
        (Figure("行业看板（广西）", max_queries=DASHBOARD_QUERIES, max_ms=DASHBOARD_MS), guangxi, board),
        (Figure("看板·能力域与热力图（全国）", max_ms=DASHBOARD_MS), national, domains),
        (Figure("看板·能力域与热力图（广西）", max_ms=DASHBOARD_MS), guangxi, domains),
        (Figure("看板·逐年趋势（全国）", max_ms=DASHBOARD_MS), national, trends),
        (
            Figure("看板筛选：河池市 小型（广西）", max_ms=FILTER_MS),
            guangxi,
            board + "?region=451200&size=small",
        ),
        (
            Figure("看板筛选：铜 冶炼 规上（全国）", max_ms=FILTER_MS),
            national,
            board + "?metal=cu&sector=smelting&above=1",
        ),
        (
            Figure("看板筛选：最近提交年份（全国）", max_ms=FILTER_MS),
            national,
            board + f"?year={time.localtime().tm_year}",
        ),
        (Figure("热力图筛选：河池市（广西）", max_ms=FILTER_MS), guangxi, domains + "?region=451200"),
        (Figure("下钻：二级及以上（全国，第 1 页）", max_ms=LIST_MS), national, drill + "?min_grade=2"),
        (
            Figure("下钻：按总分排序（全国，第 100 页）", max_ms=LIST_MS),
            national,
            drill + "?sort=-total&page=100",
        ),
        (
            Figure("下钻：热力图格（广西，按域排序）", max_ms=LIST_MS),
            guangxi,
            drill + f"?region=451200&domain={weakest}&sort=domain",
        ),
        (
            Figure("能力子域（全国，一个能力域）", max_ms=DASHBOARD_MS),
            national,
            reverse("analytics:subdomains"),
        ),
    ]
    figures = []
    for figure, user, url in paths:
        headers = htmx if url.startswith((domains, trends)) else {}
        measure(figure, runs, page(user, url, **headers))
        figures.append(figure)
    print(f"每个路径 {runs} 次；时间目标按 p95 判定；比值 = 实测 / 目标")
    show(figures)
    export_missed = export_all(national, drill.replace("/enterprises/", "/enterprises/export/"))
    failed = [f.name for f in figures if f.error]
    missed = [f.name for f in figures if f.missed()] + export_missed
    if failed:
        print(f"出错的路径：{'、'.join(failed)}", file=sys.stderr)
    if missed:
        print(f"未达目标：{'、'.join(missed)}")
    return 1 if failed or (strict and missed) else 0


def export_all(user: object, url: str) -> list[str]:
    """Download the Excel list of every enterprise the national regulator counts, once: seconds, rows, and
    the growth of the process's peak resident memory while it was written and streamed (Linux: the peak is
    reset first through /proc/self/clear_refs)."""
    import io

    from django.test import Client
    from openpyxl import load_workbook

    client = Client()
    client.force_login(user)  # type: ignore[arg-type]
    before = _rss_kb("VmRSS")
    _reset_peak()
    began = time.perf_counter()
    response = client.get(url)
    size = 0
    chunks = []
    for chunk in response.streaming_content:  # type: ignore[attr-defined]
        size += len(chunk)
        chunks.append(chunk)
    seconds = time.perf_counter() - began
    peak = _rss_kb("VmHWM")
    sheet = load_workbook(io.BytesIO(b"".join(chunks)), read_only=True)["企业清单"]
    rows = sum(1 for _ in sheet.iter_rows(min_row=3, max_col=1))
    growth = (peak - before) / 1024 if peak and before else float("nan")
    verdict = "达标" if seconds <= EXPORT_S else "未达标"
    print(
        f"Excel 导出（全国企业清单）：{rows} 行，{size / 1024 / 1024:.1f} MB，用时 {seconds:.1f} 秒"
        f"（目标 ≤ {EXPORT_S} 秒，比值 {seconds / EXPORT_S:.2f}，{verdict}）；峰值常驻内存增长 {growth:.0f} MB"
    )
    return [] if seconds <= EXPORT_S else ["Excel 导出"]


def _rss_kb(field: str) -> int:
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def _reset_peak() -> None:
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as refs:
            refs.write("5")  # resets VmHWM to the current RSS
    except OSError:
        pass


if __name__ == "__main__":
    raise SystemExit(main())
