"""The regulator's pages at scale: N synthetic enterprises (``nfm demo --scale``), then the dashboard and the
registry measured through the real views, beside the targets of issue 12.

    python bench/analytics.py                # 50 000 enterprises (about 75 000 results), 20 runs per page
    python bench/analytics.py --short        # 2 000 enterprises, 5 runs per page (CI)
    python bench/analytics.py --n 10000      # any other size
    python bench/analytics.py --strict       # exit 1 when a target is missed (default: only printed)

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
from collections.abc import Callable

from _support import SRC, throwaway_database
from pages import Figure, measure, show

sys.path.insert(0, SRC)

DASHBOARD_MS, DASHBOARD_QUERIES, FILTER_MS, LIST_MS = 300, 25, 300, 200


def main() -> int:
    parser = argparse.ArgumentParser(description="监管看板与企业库在大数据量下的查询数与耗时（对照性能目标）")
    parser.add_argument("--short", action="store_true", help="简短模式（CI）：2000 家企业，每个路径 5 次")
    parser.add_argument("--n", type=int, help="合成企业数（默认 50000，简短模式 2000）")
    parser.add_argument("--strict", action="store_true", help="有目标未达到时以退出码 1 结束")
    args = parser.parse_args()
    count = args.n if args.n is not None else 2_000 if args.short else 50_000
    data_dir = tempfile.mkdtemp(prefix="nfm-bench-")
    os.environ["NFM_DATA_DIR"] = data_dir
    with throwaway_database("analytics") as url:
        if url:
            os.environ["DATABASE_URL"] = url
        try:
            return run(count, 5 if args.short else 20, args.strict)
        finally:
            if "django" in sys.modules:
                from django.db import connections

                connections.close_all()
            shutil.rmtree(data_dir, ignore_errors=True)


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
    from nfmaturity.web.demo import GUANGXI
    from nfmaturity.web.scale import add_scale

    def regulator(name: str, jurisdiction: str, username: str) -> User:
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
    add_scale(count, progress=lambda done, total: print(f"已生成 {done}/{total} 家", flush=True))
    generated = time.perf_counter() - start
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")  # as autovacuum would soon after a bulk load
    print(
        f"数据库：{connection.vendor}；合成企业 {count} 家，结果 {Result.objects.count()} 份，"
        f"域与子域得分 {ResultScore.objects.count()} 行；生成用时 {generated:.1f} 秒"
    )

    def page(user: User, url: str) -> Callable[[], tuple[int, float]]:
        client = Client()
        client.force_login(user)

        def call() -> tuple[int, float]:
            with CaptureQueriesContext(connection) as ctx:
                began = time.perf_counter()
                response = client.get(url)
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
    figures = []
    for figure, user, url in paths:
        measure(figure, runs, page(user, url))
        figures.append(figure)
    print(f"每个路径 {runs} 次；时间目标按 p95 判定；比值 = 实测 / 目标")
    show(figures)
    failed = [f.name for f in figures if f.error]
    missed = [f.name for f in figures if f.missed()]
    if failed:
        print(f"出错的路径：{'、'.join(failed)}", file=sys.stderr)
    if missed:
        print(f"未达目标：{'、'.join(missed)}")
    return 1 if failed or (strict and missed) else 0


if __name__ == "__main__":
    raise SystemExit(main())
