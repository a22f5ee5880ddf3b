"""What a page costs: SQL queries and wall time for the questionnaire and results pages.

    python bench/pages.py            # 20 runs per page
    python bench/pages.py --short    # 3 runs per page (CI smoke)

Uses a fresh SQLite database in a temporary NFM_DATA_DIR (or DATABASE_URL if set, which must point at a
database this script may create tables in). One 冶炼 self-assessment (722 requirements) is rated in full
and submitted, a second one is left in progress; then each page is fetched through Django's test client.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src")
sys.path.insert(0, ROOT)


def main() -> int:
    parser = argparse.ArgumentParser(description="页面开销测量（查询数与耗时）")
    parser.add_argument("--short", action="store_true", help="每个页面只测 3 次")
    args = parser.parse_args()
    runs = 3 if args.short else 20

    os.environ.setdefault("NFM_DATA_DIR", tempfile.mkdtemp(prefix="nfm-bench-"))
    os.environ.setdefault("NFM_SECRET_KEY", "bench-only-secret-key-0123456789-0123456789")
    os.environ.setdefault("NFM_ALLOWED_HOSTS", "testserver")
    os.environ["DJANGO_SETTINGS_MODULE"] = "nfmaturity.web.settings_test"
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, setup_test_environment

    setup_test_environment()
    call_command("migrate", verbosity=0)

    from nfmaturity.assessments.catalogs import sector_view
    from nfmaturity.assessments.models import RatingRecord, RatingValue
    from nfmaturity.assessments.services import start_self_assessment, submit_assessment
    from nfmaturity.enterprises.services import register_enterprise
    from nfmaturity.enterprises.uscc import check_character

    first17 = "91451200MA5KBENCH"
    reg = register_enterprise(
        profile={
            "name": "基准测试冶炼有限公司",
            "uscc": first17 + check_character(first17),
            "region_code": "451221",
            "sectors": ["smelting"],
            "metals": ["sn"],
            "size": "medium",
            "above_scale": True,
        },
        admin_username=f"bench{os.getpid()}",
        admin_password="Bench-pass-2024",
    )
    admin = reg.admin
    levels = {
        1: RatingValue.FULL,
        2: RatingValue.MOSTLY,
        3: RatingValue.PARTLY,
        4: RatingValue.NONE,
        5: RatingValue.NONE,
    }

    def make(fraction_every: int) -> object:
        a = start_self_assessment(enterprise=reg.enterprise, actor=admin, sector="smelting")
        view = sector_view(a.catalog_version, a.sector)
        RatingRecord.objects.bulk_create(
            RatingRecord(
                assessment=a,
                requirement_id=r.id,
                row_id=r.row,
                level=int(r.level),
                value=levels[int(r.level)],
                updated_by=admin,
            )
            for i, r in enumerate(view.requirements.values())
            if i % fraction_every == 0
        )
        return a

    done = make(1)
    submit_assessment(assessment=done, actor=admin)
    draft = make(3)
    client = Client()
    client.force_login(admin)
    view = sector_view(draft.catalog_version, draft.sector)
    biggest = max(range(len(view.rows)), key=lambda i: len(view.rows[i].requirements))
    unrated = next(
        r
        for r in view.rows[1].requirements
        if not RatingRecord.objects.filter(assessment=draft, requirement_id=r.id).exists()
    )

    pages = [
        ("问卷目录 overview", "GET", f"/assessments/{draft.pk}/", None),
        (
            f"子域页 row ({len(view.rows[biggest].requirements)} 条要求)",
            "GET",
            f"/assessments/{draft.pk}/rows/{biggest}/",
            None,
        ),
        ("评分保存 rate (htmx)", "POST", f"/assessments/{draft.pk}/rate/", unrated.id),
        ("临时结果 results (draft)", "GET", f"/assessments/{draft.pk}/results/", None),
        ("正式结果 results (submitted)", "GET", f"/assessments/{done.pk}/results/", None),
        ("计算说明 explain level", "GET", f"/assessments/{done.pk}/explain/?target=level:3", None),
        ("工作台 home", "GET", "/", None),
    ]
    client.get(pages[0][2])  # warm the catalog cache (first load of the YAML ≈ 1 s per process)
    print(f"数据库：{connection.vendor}；每页 {runs} 次，取中位数")
    print(f"{'页面':<36}{'查询数':>8}{'中位数 ms':>12}{'最大 ms':>10}")
    version = 0
    for name, method, url, rid in pages:
        times, queries = [], 0
        for _ in range(runs):
            with CaptureQueriesContext(connection) as ctx:
                start = time.perf_counter()
                if method == "GET":
                    response = client.get(url)
                else:
                    value = "1" if version % 2 == 0 else "0.5"
                    response = client.post(url, {"requirement_id": rid, "value": value, "version": version})
                    version += 1
                times.append((time.perf_counter() - start) * 1000)
            assert response.status_code == 200, (url, response.status_code)
            queries = len(ctx.captured_queries)
        print(f"{name:<36}{queries:>8}{statistics.median(times):>12.1f}{max(times):>10.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
