"""What the main paths cost: SQL queries and wall time through the real views, beside the targets of issue 8.

    python bench/pages.py              # 30 runs per page, the workbook applied 3 times
    python bench/pages.py --short      # 5 runs per page, the workbook applied once (CI)
    python bench/pages.py --strict     # exit 1 when a target is missed (default: only printed)

SQLite in a temporary NFM_DATA_DIR by default; with DATABASE_URL set (PostgreSQL) a new database is created
on that server for the run and dropped afterwards. A 冶炼 self-assessment (722 requirements) is rated in
full and submitted, a second is one-third rated, a third is rated in full and left in draft for the workbook.
Every request goes through Django's test client as a logged-in enterprise administrator, with CSRF checks on
and the headers htmx sends. Each path is requested once before measuring (the first figure is shown apart).

Exit status: 1 if a path fails (an unexpected status, an exception, a workbook the import refuses), so CI
notices; a missed target is only printed unless --strict.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from io import BytesIO
from typing import Any

from _support import CSRF_HEADER, SRC, percentile, post_forms, throwaway_database

sys.path.insert(0, SRC)

EXPECTED_REQUIREMENTS = 722  # the size of the largest sector questionnaire (冶炼), the one issue 8 measures
SMALL_IMPORT = 10  # rows changed by the first import: its query count must equal the 722-row one


@dataclass
class Figure:
    name: str
    queries: list[int] = field(default_factory=list)
    times: list[float] = field(default_factory=list)
    first_ms: float | None = None
    max_queries: int | None = None
    max_ms: float | None = None  # judged on p95
    constant_with: int | None = None  # queries of the small import, for "a constant number of queries"
    error: str = ""

    def missed(self) -> list[str]:
        if self.error or not self.times:
            return []
        out = []
        if self.max_queries is not None and max(self.queries) > self.max_queries:
            out.append(f"查询数 {max(self.queries)} > {self.max_queries}")
        if self.max_ms is not None and percentile(self.times, 0.95) > self.max_ms:
            out.append(f"p95 {percentile(self.times, 0.95):.0f} ms > {self.max_ms:.0f} ms")
        if self.constant_with is not None and self.constant_with != max(self.queries):
            out.append(f"查询数随行数变化（{SMALL_IMPORT} 行 {self.constant_with} 次）")
        return out


def measure(figure: Figure, runs: int, call: Callable[[], tuple[int, float]]) -> None:
    """Call once cold (shown apart), then ``runs`` times; ``call`` returns (queries, ms)."""
    try:
        figure.first_ms = call()[1]
        for _ in range(runs):
            queries, ms = call()
            figure.queries.append(queries)
            figure.times.append(ms)
    except Exception as exc:  # any failure of a path is reported; the other paths still run
        figure.error = f"{type(exc).__name__}: {exc}"
        traceback.print_exc(limit=3)


def show(figures: list[Figure]) -> None:
    from nfmaturity.cli.text_table import pad

    print(
        pad("路径", 30)
        + pad("查询数", 8)
        + pad("目标", 6)
        + pad("中位数ms", 10)
        + pad("p95 ms", 9)
        + pad("目标", 8)
        + pad("首次ms", 9)
        + pad("比值", 19)
        + "结论"
    )
    for f in figures:
        if f.error:
            print(pad(f.name, 30) + f"未能测量：{f.error}")
            continue
        q_low, q_high = min(f.queries), max(f.queries)
        p95 = percentile(f.times, 0.95)
        ratios = []
        if f.max_queries is not None:
            ratios.append(f"查询{q_high / f.max_queries:.1f}×")
        if f.max_ms is not None:
            ratios.append(f"时间{p95 / f.max_ms:.1f}×")
        if f.constant_with is not None:
            ratios.append(f"{SMALL_IMPORT}行{f.constant_with}次")
        judged = f.max_queries is not None or f.max_ms is not None or f.constant_with is not None
        verdict = ("未达标：" + "；".join(f.missed())) if f.missed() else ("达标" if judged else "—")
        print(
            pad(f.name, 30)
            + pad(str(q_high) if q_low == q_high else f"{q_low}–{q_high}", 8)
            + pad("≤" + str(f.max_queries) if f.max_queries is not None else "", 6)
            + pad(f"{statistics.median(f.times):.1f}", 10)
            + pad(f"{p95:.1f}", 9)
            + pad(f"≤{f.max_ms:.0f}" if f.max_ms is not None else "", 8)
            + pad(f"{f.first_ms:.0f}" if f.first_ms is not None else "", 9)
            + pad(" ".join(ratios), 19)
            + verdict
        )


def main() -> int:
    parser = argparse.ArgumentParser(description="主要路径的查询数与耗时（对照性能目标）")
    parser.add_argument("--short", action="store_true", help="简短模式（CI）：每个路径 5 次，离线表导入 1 次")
    parser.add_argument("--strict", action="store_true", help="有目标未达到时以退出码 1 结束")
    args = parser.parse_args()
    data_dir = tempfile.mkdtemp(prefix="nfm-bench-")
    os.environ["NFM_DATA_DIR"] = data_dir
    with throwaway_database("pages") as url:
        if url:
            os.environ["DATABASE_URL"] = url
        try:
            return run(args.short, args.strict)
        finally:
            if "django" in sys.modules:
                from django.db import connections

                connections.close_all()
            shutil.rmtree(data_dir, ignore_errors=True)


def run(short: bool, strict: bool) -> int:
    runs, imports = (5, 1) if short else (30, 3)
    os.environ.setdefault("NFM_SECRET_KEY", "bench-only-secret-key-0123456789-0123456789")
    os.environ["DJANGO_SETTINGS_MODULE"] = "nfmaturity.web.settings_test"
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, setup_test_environment
    from django.urls import reverse

    setup_test_environment()
    call_command("migrate", verbosity=0)

    from nfmaturity.assessments.catalogs import current_version, sector_view
    from nfmaturity.assessments.models import Assessment, RatingRecord, RatingValue
    from nfmaturity.assessments.services import start_self_assessment, submit_assessment
    from nfmaturity.enterprises.models import SectorChoice
    from nfmaturity.enterprises.services import register_enterprise
    from nfmaturity.enterprises.uscc import check_character

    sizes = {s: sector_view(current_version(), s).requirement_count for s in SectorChoice}
    sector = next((s for s, n in sizes.items() if n == EXPECTED_REQUIREMENTS), None)
    if sector is None:
        print(f"错误：没有 {EXPECTED_REQUIREMENTS} 条要求的环节（各环节条数：{sizes}）", file=sys.stderr)
        return 1
    first17 = "91451200MA5KBENCH"
    reg = register_enterprise(
        profile={
            "name": "基准测试冶炼有限公司",
            "uscc": first17 + check_character(first17),
            "region_code": "451221",
            "sectors": [sector],
            "metals": ["sn"],
            "size": "medium",
            "above_scale": True,
        },
        admin_username="bench",
        admin_password="Bench-pass-2024",
    )
    admin = reg.admin
    levels = {1: RatingValue.FULL, 2: RatingValue.MOSTLY, 3: RatingValue.PARTLY}

    def make(every: int) -> Assessment:
        a = start_self_assessment(enterprise=reg.enterprise, actor=admin, sector=sector)
        view = sector_view(a.catalog_version, a.sector)
        RatingRecord.objects.bulk_create(
            RatingRecord(
                assessment=a,
                requirement_id=r.id,
                row_id=r.row,
                level=int(r.level),
                value=levels.get(int(r.level), RatingValue.NONE),
                updated_by=admin,
            )
            for i, r in enumerate(view.requirements.values())
            if i % every == 0
        )
        return a

    done = make(1)
    submit_assessment(assessment=done, actor=admin)
    draft = make(3)
    offline = make(1)
    view = sector_view(draft.catalog_version, draft.sector)

    client = Client(enforce_csrf_checks=True)
    client.force_login(admin)

    def timed(method: str, url: str, expect: int, **kwargs: Any) -> tuple[Any, int, float]:
        with CaptureQueriesContext(connection) as ctx:
            start = time.perf_counter()
            response = getattr(client, method)(url, **kwargs)
            ms = (time.perf_counter() - start) * 1000
        if response.status_code != expect:
            raise RuntimeError(f"{method.upper()} {url} 返回 {response.status_code}，应为 {expect}")
        return response, len(ctx.captured_queries), ms

    def get(url: str) -> Callable[[], tuple[int, float]]:
        def call() -> tuple[int, float]:
            _, queries, ms = timed("get", url, 200)
            return queries, ms

        return call

    figures: list[Figure] = []

    # Rating save: the htmx POST of one requirement card, as the page sends it; each response's card gives
    # the form (and version) of the next save, exactly as htmx swaps it in.
    biggest = max(range(len(view.rows)), key=lambda i: len(view.rows[i].requirements))
    row_url = reverse("assessments:row", args=[draft.pk, biggest])
    rate_url = reverse("assessments:rate", args=[draft.pk])
    rated = set(RatingRecord.objects.filter(assessment=draft).values_list("requirement_id", flat=True))
    target = next(r for r in view.rows[biggest].requirements if r.id not in rated)
    card = {"html": "", "token": "", "value": "1"}

    def load_card() -> None:
        page = client.get(row_url).content.decode()
        match = CSRF_HEADER.search(page)
        if match is None:
            raise RuntimeError("子域页上没有 htmx 的 CSRF 请求头")
        card["token"] = match.group(1)
        card["html"] = page

    def save() -> tuple[int, float]:
        forms = [f for f in post_forms(card["html"], rate_url) if ("requirement_id", target.id) in f.fields]
        if not forms:
            raise RuntimeError("页面上找不到该要求的评分表单")
        data = {k: v[0] for k, v in forms[0].data().items()}
        card["value"] = data["value"] = "0.5" if card["value"] == "1" else "1"
        response, queries, ms = timed(
            "post",
            rate_url,
            200,
            data=data,
            headers={
                "HX-Request": "true",
                "HX-Current-URL": "http://testserver" + row_url,
                "HX-Target": f"req-{int(target.level)}-{target.number}",
                "X-CSRFToken": card["token"],
            },
        )
        card["html"] = response.content.decode()
        return queries, ms

    save_figure = Figure("评分保存 rate（htmx）", max_queries=8, max_ms=30)
    figures.append(save_figure)
    try:
        load_card()
    except Exception as exc:
        save_figure.error = f"{type(exc).__name__}: {exc}"
    else:
        measure(save_figure, runs, save)

    n = len(view.rows[biggest].requirements)
    for figure, url in [
        (Figure(f"子域页 row（{n} 条要求）", max_queries=10), row_url),
        (
            Figure("正式结果 results（已提交）", max_queries=15, max_ms=100),
            reverse("assessments:results", args=[done.pk]),
        ),
        (Figure("问卷目录 overview"), reverse("assessments:overview", args=[draft.pk])),
        (Figure("临时结果 results（草稿）"), reverse("assessments:results", args=[draft.pk])),
        (
            Figure("计算说明 explain（S3）"),
            reverse("assessments:explain", args=[done.pk]) + "?target=level:3",
        ),
        (Figure("工作台 home"), "/"),
    ]:
        measure(figure, runs, get(url))
        figures.append(figure)

    figures.extend(workbook_figures(offline, imports, timed))
    figures.extend(formal_figures(reg.enterprise, admin, sector, runs, timed, client))

    print(
        f"数据库：{connection.vendor}；{sector.label} {view.requirement_count} 条要求；每个路径 {runs} 次；时间目标按 p95 判定"
    )
    show(figures)
    failed = [f.name for f in figures if f.error]
    missed = [f.name for f in figures if f.missed()]
    if failed:
        print(f"出错的路径：{'、'.join(failed)}", file=sys.stderr)
    if missed:
        print(f"未达目标：{'、'.join(missed)}")
    return 1 if failed or (strict and missed) else 0


def workbook_figures(
    offline: Any, imports: int, timed: Callable[..., tuple[Any, int, float]]
) -> list[Figure]:
    """Download the workbook through the view, change ratings, upload, open the preview, apply it.

    The first round changes only a few rows: a constant number of queries means the same count for
    10 rows as for 722.
    """
    from django.urls import reverse
    from openpyxl import load_workbook

    from nfmaturity.assessments.models import RatingRecord
    from nfmaturity.scoring.ratings import RATING_LABELS, Rating
    from nfmaturity.workbook.xlsx import SHEET

    download = Figure("离线表下载（722 行）")
    upload = Figure("离线表上传与预览（722 行）")
    preview = Figure("导入预览页")
    apply = Figure("离线表导入 apply（722 行）", max_ms=1000)
    import_url = reverse("assessments:import", args=[offline.pk])
    cycle = [RATING_LABELS[r] for r in (Rating.FULL, Rating.MOSTLY, Rating.PARTLY, Rating.NONE)]

    def one_round(limit: int) -> tuple[int, float]:
        response, queries, ms = timed("get", import_url + "?download=1", 200)
        download.queries.append(queries)
        download.times.append(ms)
        book = load_workbook(BytesIO(response.content))
        sheet = book[SHEET]
        header = [c.value for c in sheet[1]]
        rating_col, id_col = header.index("评分") + 1, header.index("要求编号") + 1
        changed = 0
        for line in range(2, sheet.max_row + 1):
            if changed == limit or not sheet.cell(line, id_col).value:
                continue
            old = sheet.cell(line, rating_col).value
            sheet.cell(line, rating_col).value = cycle[(cycle.index(str(old)) + 1) % 4 if old in cycle else 0]
            changed += 1
        buffer = BytesIO()
        book.save(buffer)
        before = dict(RatingRecord.objects.filter(assessment=offline).values_list("requirement_id", "value"))

        page = timed("get", import_url, 200)[0].content.decode()
        forms = [f for f in post_forms(page, import_url) if f.files]
        if not forms:
            raise RuntimeError("导入页上找不到上传表单")
        data: dict[str, Any] = forms[0].data()
        upload_file = BytesIO(buffer.getvalue())
        upload_file.name = "自评估-冶炼.xlsx"
        data[forms[0].files[0]] = upload_file
        response, queries, ms = timed("post", import_url, 302, data=data)
        upload.queries.append(queries)
        upload.times.append(ms)
        preview_url = response["Location"]

        response, queries, ms = timed("get", preview_url, 200)
        preview.queries.append(queries)
        preview.times.append(ms)
        forms = post_forms(response.content.decode(), preview_url)
        if not forms:
            raise RuntimeError("预览页上找不到确认导入的表单")
        _, queries, ms = timed("post", preview_url, 302, data=forms[0].data())
        after = dict(RatingRecord.objects.filter(assessment=offline).values_list("requirement_id", "value"))
        moved = sum(1 for k, v in after.items() if before.get(k) != v)
        if moved != changed:
            raise RuntimeError(f"工作簿改了 {changed} 项评分，导入后平台上改变的是 {moved} 项")
        return queries, ms

    try:
        apply.constant_with = one_round(SMALL_IMPORT)[0]
        for _ in range(imports):
            queries, ms = one_round(10_000)
            apply.queries.append(queries)
            apply.times.append(ms)
    except Exception as exc:  # the import interface may be changing: say so and go on
        apply.error = f"{type(exc).__name__}: {exc}"
        traceback.print_exc(limit=3)
    for f in (download, upload, preview):
        # The small round's figures stay in: these steps read or write every row regardless.
        if apply.error and not f.times:
            f.error = "见下一行"
    return [download, upload, preview, apply]


FORMAL_EXPERTS = 7  # the smallest team the standard allows (§4.4.2): the consensus-page case


def formal_figures(
    enterprise: Any,
    actor: Any,
    sector: Any,
    runs: int,
    timed: Callable[..., tuple[Any, int, float]],
    client: Any,
) -> list[Figure]:
    """A formal assessment of the same 冶炼 questionnaire rated in full by 7 experts: an expert's rating save
    (the htmx POST of his row page) while on site, then the consensus overview and its largest row page.

    Every expert is assigned every row, so the consensus has 7 votes on each of the 722 requirements; one in
    ten requirements gets a dissenting vote (flagged), and the unanimous ones are settled in bulk first, as a
    team would, so the overview's provisional score reads real settled ratings.
    """
    from django.urls import reverse
    from django.utils import timezone

    from nfmaturity.accounts.models import OrganisationKind, Role
    from nfmaturity.accounts.services import create_member, create_organisation
    from nfmaturity.assessments.catalogs import current_version, sector_view
    from nfmaturity.assessments.models import Assessment, AssessmentKind, GradeLevel
    from nfmaturity.catalog.loader import content_hash
    from nfmaturity.formal.models import (
        Discipline,
        ExpertProfile,
        ExpertRating,
        FormalAssessment,
        FormalState,
        SubdomainAssignment,
        TeamMember,
    )
    from nfmaturity.formal.services_consensus import accept_unanimous

    save_figure = Figure("专家评分保存（htmx）", max_ms=30)
    overview = Figure(f"评分合议总览（{FORMAL_EXPERTS} 名专家）", max_queries=20, max_ms=300)
    row_page = Figure("评分合议子域页")
    field_download = Figure("现场评估表下载（722 行）")
    field_apply = Figure("现场评估表导入 apply（722 行）", max_ms=1000)
    figures = [save_figure, field_download, field_apply, overview, row_page]
    try:
        body = create_organisation(name="基准测试评估中心", kind=OrganisationKind.BODY)
        disciplines = list(Discipline)
        experts = []
        for i in range(FORMAL_EXPERTS):
            user = create_member(
                organisation=body,
                username=f"bench-expert{i + 1}",
                password="Bench-pass-2024",
                role=Role.EXPERT,
                full_name=f"基准专家{i + 1}",
                email="",
            )
            experts.append(
                ExpertProfile.objects.create(
                    user=user, body=body, full_name=f"基准专家{i + 1}", disciplines=[disciplines[i % 6].value]
                )
            )
        view = sector_view(current_version(), sector)
        assessment = Assessment.objects.create(
            enterprise=enterprise,
            sector=sector,
            kind=AssessmentKind.FORMAL,
            catalog_version=view.catalog.version,
            catalog_hash=content_hash(view.catalog.version),
            requirement_count=view.requirement_count,
            created_by=actor,
        )
        formal = FormalAssessment.objects.create(
            assessment=assessment,
            enterprise=enterprise,
            body=body,
            state=FormalState.ONSITE,
            target_grade=GradeLevel.TWO,
            lawful_declared=True,
            created_by=actor,
        )
        now = timezone.now()
        members = [
            TeamMember.objects.create(
                formal=formal,
                expert=e,
                is_leader=i == 0,
                conflict_declared_at=now,
                confidentiality_signed_at=now,
            )
            for i, e in enumerate(experts)
        ]
        SubdomainAssignment.objects.bulk_create(
            SubdomainAssignment(member=m, formal=formal, row_id=row.id) for m in members for row in view.rows
        )
        values = ("1", "0.8", "0.5", "0")
        ratings = []
        for j, req in enumerate(view.requirements.values()):
            base = values[int(req.level) % 4]
            for i, m in enumerate(members):
                dissent = j % 10 == 0 and i == FORMAL_EXPERTS - 1
                ratings.append(
                    ExpertRating(
                        formal=formal,
                        member=m,
                        requirement_id=req.id,
                        row_id=req.row,
                        level=int(req.level),
                        value=values[(values.index(base) + 2) % 4] if dissent else base,
                    )
                )
        ExpertRating.objects.bulk_create(ratings, batch_size=1000)
        TeamMember.objects.filter(pk__in=[m.pk for m in members[1:]]).update(ratings_submitted_at=now)

        # The expert's save: expert 1 (the 组长, not yet submitted) rates on his largest row page.
        biggest = max(range(len(view.rows)), key=lambda i: len(view.rows[i].requirements))
        target = view.rows[biggest].requirements[0]
        client.force_login(members[0].expert.user)
        row_url = reverse("formal:rating_row", args=[formal.pk, biggest])
        rate_url = reverse("formal:rating_rate", args=[formal.pk])
        page = client.get(row_url).content.decode()
        token = CSRF_HEADER.search(page)
        if token is None:
            raise RuntimeError("评分页上没有 htmx 的 CSRF 请求头")
        state = {"html": page, "value": "1"}

        def save() -> tuple[int, float]:
            forms = [
                f for f in post_forms(state["html"], rate_url) if ("requirement_id", target.id) in f.fields
            ]
            if not forms:
                raise RuntimeError("评分页上找不到该要求的评分表单")
            data = {k: v[0] for k, v in forms[0].data().items()}
            state["value"] = data["value"] = "0.5" if state["value"] == "1" else "1"
            response, queries, ms = timed(
                "post",
                rate_url,
                200,
                data=data,
                headers={"HX-Request": "true", "X-CSRFToken": token.group(1)},
            )
            state["html"] = response.content.decode()
            return queries, ms

        measure(save_figure, runs, save)
        _field_round(formal.pk, field_download, field_apply, timed)
        ExpertRating.objects.filter(member=members[0]).update(value="1")
        ExpertRating.objects.filter(member=members[0], requirement_id=target.id).update(
            value=values[int(target.level) % 4]
        )
        TeamMember.objects.filter(pk=members[0].pk).update(ratings_submitted_at=now)
        FormalAssessment.objects.filter(pk=formal.pk).update(state=FormalState.CONSENSUS)
        accept_unanimous(formal=formal.pk, actor=members[0].expert.user)
        measure(overview, runs, _get(timed, reverse("formal:consensus", args=[formal.pk])))
        measure(row_page, runs, _get(timed, reverse("formal:consensus_row", args=[formal.pk, biggest])))
    except Exception as exc:  # reported like any other path; the figures above still print
        for f in figures:
            if not f.times:
                f.error = f.error or f"{type(exc).__name__}: {exc}"
        traceback.print_exc(limit=3)
    finally:
        client.force_login(actor)
    return figures


def _field_round(
    pk: int, download: Figure, apply: Figure, timed: Callable[..., tuple[Any, int, float]]
) -> None:
    """The 组长 (assigned every row) downloads his field workbook, changes every rating, uploads it and
    applies it: all 722 rows in one all-or-nothing import."""
    from django.urls import reverse
    from openpyxl import load_workbook

    from nfmaturity.formal.models import ExpertRating
    from nfmaturity.workbook.xlsx import COL, SHEET

    url = reverse("formal:rating_workbook", args=[pk])
    response, queries, ms = timed("get", url + "?download=1", 200)
    download.first_ms = ms
    download.queries.append(queries)
    download.times.append(ms)
    book = load_workbook(BytesIO(response.content))
    sheet = book[SHEET]
    for line in range(2, sheet.max_row + 1):
        if sheet.cell(line, COL["要求编号"]).value:
            sheet.cell(line, COL["评分"]).value = "部分满足"
    buffer = BytesIO()
    book.save(buffer)
    upload = BytesIO(buffer.getvalue())
    upload.name = "现场评估表.xlsx"
    page = timed("get", url, 200)[0].content.decode()
    forms = [f for f in post_forms(page, url) if f.files]
    if not forms:
        raise RuntimeError("现场评估表页上找不到上传表单")
    data: dict[str, Any] = forms[0].data()
    data[forms[0].files[0]] = upload
    preview_url = timed("post", url, 302, data=data)[0]["Location"]
    confirm = post_forms(timed("get", preview_url, 200)[0].content.decode(), preview_url)
    if not confirm:
        raise RuntimeError("预览页上找不到确认导入的表单")
    _, queries, ms = timed("post", preview_url, 302, data=confirm[0].data())
    apply.first_ms = ms
    apply.queries.append(queries)
    apply.times.append(ms)
    changed = ExpertRating.objects.filter(formal_id=pk, member__is_leader=True, value="0.5").count()
    if changed < 700:
        raise RuntimeError(f"现场评估表导入后只有 {changed} 项评分改为“部分满足”")


def _get(timed: Callable[..., tuple[Any, int, float]], url: str) -> Callable[[], tuple[int, float]]:
    def call() -> tuple[int, float]:
        _, queries, ms = timed("get", url, 200)
        return queries, ms

    return call


if __name__ == "__main__":
    raise SystemExit(main())
