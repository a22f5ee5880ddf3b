"""Report files of a formal 冶炼 assessment (722 requirements, 7 experts), beside the targets of issue 11.

    python bench/reports.py            # 5 runs per format
    python bench/reports.py --short    # 1 run per format after a warm-up (CI)
    python bench/reports.py --strict   # exit 1 when a target is missed (default: only printed)

The assessment is built with the ORM as the formal workflow leaves it once published: Assessment of kind FORMAL,
FormalAssessment, seven TeamMembers, every expert's ExpertRatings, the Settlements and the settled
RatingRecords, and the stored Result (scored by the engine) with its ResultVersion. Each format is then built
by the same function the background worker calls (``reports.jobs.build``); the figures are wall times of
that call, after one warm-up build (fonts, catalog, imports). SQLite in a temporary NFM_DATA_DIR; with
DATABASE_URL set, a new database on that server, dropped afterwards.

Exit status: 1 if a format cannot be built at all, so CI notices; a missed target is only printed unless
--strict.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from typing import TYPE_CHECKING

from _support import SRC, throwaway_database

sys.path.insert(0, SRC)

if TYPE_CHECKING:
    from django.contrib.auth.models import User

    from nfmaturity.accounts.models import Organisation
    from nfmaturity.assessments.models import Result
    from nfmaturity.enterprises.models import Enterprise
    from nfmaturity.formal.models import ExpertProfile

TARGETS_S = {"pdf": 1.5, "docx": 1.5, "xlsx": 1.0}
EXPERTS = 7
PASSWORD = "Bench-pass-2024"


def make_experts(body: Organisation, n: int = EXPERTS, prefix: str = "bench-zj") -> list[ExpertProfile]:
    from nfmaturity.accounts.models import Role
    from nfmaturity.accounts.services import create_member
    from nfmaturity.formal.models import Discipline, ExpertProfile

    disciplines = list(Discipline)
    out = []
    for i in range(1, n + 1):
        user = create_member(
            organisation=body,
            username=f"{prefix}{i}",
            password=PASSWORD,
            role=Role.EXPERT,
            full_name=f"专家{i}",
        )
        out.append(
            ExpertProfile.objects.create(
                user=user,
                body=body,
                full_name=f"专家{i}",
                disciplines=[disciplines[(i - 1) % len(disciplines)].value],
                qualifications="高级工程师",
            )
        )
    return out


def make_formal_result(
    enterprise: Enterprise,
    body: Organisation,
    actor: User,
    experts: list[ExpertProfile],
    *,
    published: bool = True,
    seed: int = 11,
) -> Result:
    """A formal 冶炼 assessment with every expert's ratings, the settled ones and its stored result (v1)."""
    from django.utils import timezone

    from nfmaturity.assessments.catalogs import current_version, sector_view
    from nfmaturity.assessments.models import (
        Assessment,
        AssessmentKind,
        AssessmentState,
        GradeLevel,
        RatingRecord,
        RatingValue,
    )
    from nfmaturity.assessments.results import compute, store_result
    from nfmaturity.catalog.loader import content_hash
    from nfmaturity.enterprises.models import SectorChoice
    from nfmaturity.formal.models import (
        ExpertRating,
        FormalAssessment,
        FormalState,
        ResultVersion,
        Settlement,
        SettlementMethod,
        TeamMember,
    )

    rng = random.Random(seed)
    version = current_version()
    view = sector_view(version, SectorChoice.SMELTING)
    now = timezone.now()
    assessment = Assessment.objects.create(
        enterprise=enterprise,
        sector=SectorChoice.SMELTING,
        kind=AssessmentKind.FORMAL,
        catalog_version=version,
        catalog_hash=content_hash(version),
        requirement_count=len(view.requirements),
        state=AssessmentState.SUBMITTED,
        created_by=actor,
        submitted_by=actor,
        submitted_at=now,
    )
    formal = FormalAssessment.objects.create(
        assessment=assessment,
        enterprise=enterprise,
        body=body,
        state=FormalState.PUBLISHED if published else FormalState.CONSENSUS,
        target_grade=GradeLevel.TWO,
        lawful_declared=True,
        declaration_year=now.year,
        created_by=actor,
        overall_assessment="企业数字化基础较好，生产环节自动化程度高。",
        strengths="生产过程数据采集全面。",
        weaknesses="数据治理与协同仍需加强。",
        recommendations="建立统一的数据治理体系。",
    )
    members = [
        TeamMember.objects.create(
            formal=formal,
            expert=expert,
            is_leader=i == 0,
            conflict_declared_at=now,
            confidentiality_signed_at=now,
            ratings_submitted_at=now,
        )
        for i, expert in enumerate(experts)
    ]
    scale = [RatingValue.FULL, RatingValue.MOSTLY, RatingValue.PARTLY, RatingValue.NONE]
    settled: dict[str, str] = {}
    expert_rows, settlement_rows, records = [], [], []
    for requirement in view.requirements.values():
        level = int(requirement.level)
        base = min(3, max(0, level - 2 + rng.choice((-1, 0, 0, 1))))
        value = scale[base].value
        reason = ""
        if rng.random() < 0.02:
            value, reason = RatingValue.NOT_APPLICABLE.value, "本企业无此工艺环节"
        settled[requirement.id] = value
        votes = []
        for member in members:
            vote = (
                value
                if rng.random() < 0.8 or value == RatingValue.NOT_APPLICABLE
                else rng.choice(scale).value
            )
            votes.append(vote)
            expert_rows.append(
                ExpertRating(
                    formal=formal,
                    member=member,
                    requirement_id=requirement.id,
                    row_id=requirement.row,
                    level=level,
                    value=vote,
                    reason=reason if vote == RatingValue.NOT_APPLICABLE else "",
                )
            )
        unanimous = all(v == value for v in votes)
        settlement_rows.append(
            Settlement(
                formal=formal,
                requirement_id=requirement.id,
                row_id=requirement.row,
                level=level,
                value=value,
                reason=reason,
                method=SettlementMethod.UNANIMOUS if unanimous else SettlementMethod.MAJORITY,
                rationale="" if unanimous else "多数专家意见，现场查验记录支持",
                settled_by=actor,
            )
        )
        records.append(
            RatingRecord(
                assessment=assessment,
                requirement_id=requirement.id,
                row_id=requirement.row,
                level=level,
                value=value,
                reason=reason,
                updated_by=actor,
            )
        )
    ExpertRating.objects.bulk_create(expert_rows, batch_size=500)
    Settlement.objects.bulk_create(settlement_rows, batch_size=500)
    RatingRecord.objects.bulk_create(records, batch_size=500)
    result = store_result(assessment, compute(assessment, allow_unrated=False), version=1)
    ResultVersion.objects.create(formal=formal, result=result, ratings=settled, created_by=actor)
    if published:
        year = now.year
        formal.published_result = result
        formal.published_at = now
        formal.published_by = actor
        formal.result_number = f"NFDT-{year}-{formal.pk:06d}"
        formal.check_code = "BENCH1"
        formal.save()
    return result


def setup_data() -> Result:
    from nfmaturity.accounts.models import OrganisationKind
    from nfmaturity.accounts.services import create_organisation
    from nfmaturity.enterprises.services import register_enterprise
    from nfmaturity.enterprises.uscc import check_character

    first17 = "91450100BENCH0000"
    registration = register_enterprise(
        profile={
            "name": "南丹锡业冶炼有限公司",
            "uscc": first17 + check_character(first17),
            "region_code": "451221",
            "sectors": ["smelting"],
            "metals": ["sn"],
            "size": "medium",
            "above_scale": True,
            "address": "广西河池市南丹县",
        },
        admin_username="bench-ent",
        admin_password=PASSWORD,
    )
    body = create_organisation(name="有色金属数字化评估中心", kind=OrganisationKind.BODY)
    return make_formal_result(registration.enterprise, body, registration.admin, make_experts(body))


def main() -> int:
    parser = argparse.ArgumentParser(
        description="正式评估报告文件（PDF、Word、Excel）的生成耗时（对照性能目标）"
    )
    parser.add_argument("--short", action="store_true", help="简短模式（CI）：预热后每种格式测 1 次")
    parser.add_argument("--runs", type=int, help="每种格式测量次数（默认 5，简短模式 1）")
    parser.add_argument("--strict", action="store_true", help="有目标未达到时以退出码 1 结束")
    args = parser.parse_args()
    runs = args.runs or (1 if args.short else 5)
    data_dir = tempfile.mkdtemp(prefix="nfm-bench-reports-")
    os.environ["NFM_DATA_DIR"] = data_dir
    with throwaway_database("reports") as url:
        if url:
            os.environ["DATABASE_URL"] = url
        try:
            return run(runs, args.strict)
        finally:
            if "django" in sys.modules:
                from django.db import connections

                connections.close_all()
            shutil.rmtree(data_dir, ignore_errors=True)


def run(runs: int, strict: bool) -> int:
    os.environ.setdefault("NFM_SECRET_KEY", "bench-only-secret-key-0123456789-0123456789")
    os.environ["DJANGO_SETTINGS_MODULE"] = "nfmaturity.web.settings_test"
    import django

    django.setup()
    import logging

    # WeasyPrint and fontTools log every layout step at INFO: keep the bench's own figures readable.
    for name in ("weasyprint", "fontTools", "django-q"):
        logging.getLogger(name).setLevel(logging.WARNING)
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    from nfmaturity.assessments.models import Result
    from nfmaturity.reports.jobs import ReportBuildError, build
    from nfmaturity.reports.models import ReportFormat

    start = time.perf_counter()
    stored = setup_data()
    result = Result.objects.select_related("assessment", "assessment__enterprise", "assessment__unit").get(
        pk=stored.pk
    )
    print(
        f"数据库：{connection.vendor}；正式评估（冶炼，{result.assessment.requirement_count} 条要求，{EXPERTS} 名专家）"
        f"构建用时 {time.perf_counter() - start:.1f} 秒；每种格式预热 1 次后测 {runs} 次"
    )
    failed = missed = 0
    for fmt in ReportFormat:
        target = TARGETS_S[fmt.value]
        try:
            data = build(result, fmt, expert_detail=True)  # warm-up: fonts, imports, catalog
            times, cpu = [], []
            for _ in range(runs):
                began, began_cpu = time.perf_counter(), time.process_time()
                data = build(result, fmt, expert_detail=True)
                times.append(time.perf_counter() - began)
                cpu.append(time.process_time() - began_cpu)
        except ReportBuildError as exc:
            print(f"{fmt.label:<6} 无法生成：{exc.message}")
            failed += 1
            continue
        worst, mean = max(times), statistics.fmean(times)
        ok = worst <= target
        missed += not ok
        size = f"{len(data) / 1024:.0f} KB"
        print(
            f"{fmt.label:<6} 平均 {mean:.3f} s，最慢 {worst:.3f} s，目标 ≤ {target:.1f} s，"
            f"最慢/目标 = {worst / target:.2f}（{'达标' if ok else '未达标'}）；本进程 CPU 时间平均 "
            f"{statistics.fmean(cpu):.3f} s（机器繁忙时墙钟时间偏高）；文件大小 {size}"
        )
    if failed:
        return 1
    return 1 if strict and missed else 0


if __name__ == "__main__":
    sys.exit(main())
