"""``nfm demo --scale N``: N more synthetic demo enterprises, so anyone can see the dashboard at 50 000.

Like the rest of the demo data they are labelled (``is_demo``, names “（演示）…”, note 演示数据), verified, and
refused in a database that holds real data. Each has one or two submitted self-assessments whose results were
**computed by the scoring core**: a pool of ``POOL_SIZE`` distinct synthetic rating sets (spread over the three
sectors, drawn like ``nfm demo`` draws them so most land in 一级/二级) is scored once by the engine, and each
enterprise's results reuse those outcomes; the rows (organisations, enterprises, assessments, results and their
``ResultScore`` figures) are written with bulk_create in batches, one short transaction per batch. Scoring
50 000 × 1.5 questionnaires one by one would take minutes for no more variety on a dashboard.

What they do not have: rating rows (about 700 per assessment, 50 million in all) and accounts. Their results
are stored results like any other; the explanation page, which re-scores the ratings, says it cannot for them.
One audit event records each batch (who, how many, from which number), written in the batch's own
transaction, rather than five events per synthetic enterprise: a load stopped between two batches (Ctrl+C,
kill) keeps the batches it wrote, and the audit log accounts for every one of them.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.contrib.auth.models import User
from django.db import connection, transaction
from django.db.models import Model
from django.utils import timezone

from nfmaturity.accounts.models import Organisation, OrganisationKind
from nfmaturity.assessments.catalogs import current_version, sector_view
from nfmaturity.assessments.models import (
    Assessment,
    AssessmentState,
    LatestResult,
    LatestScore,
    RatingValue,
    Result,
    ResultScore,
)
from nfmaturity.assessments.results import (
    ScoreFigures,
    latest_pointer,
    latest_score_records,
    score_records,
    score_rows,
    stored_fields,
)
from nfmaturity.audit.models import AuditAction
from nfmaturity.audit.services import record_event
from nfmaturity.catalog.loader import content_hash
from nfmaturity.enterprises.models import Enterprise, Metal, SectorChoice, SizeClass, VerificationState
from nfmaturity.enterprises.regions import regions
from nfmaturity.enterprises.uscc import check_character
from nfmaturity.scoring.aggregate import score
from nfmaturity.scoring.ratings import Rating
from nfmaturity.web.demo import (
    ABOVE,
    ADMIN_USERNAME,
    DEMO_NOTE,
    GUANGXI,
    MET,
    NEXT,
    SEED,
    DemoRefused,
    enterprise_name,
    real_data,
)

POOL_SIZE = 200
BATCH = 1000  # enterprises per transaction: about 1 500 results and 66 000 figure rows
# Names of the synthetic enterprises: “（演示）规模样本00001号…有限公司”; the number continues across loads.
MARK = "规模样本"
# Share of the synthetic enterprises placed in Guangxi, so the demo Guangxi regulator oversees thousands.
GUANGXI_SHARE = 0.3
# The inverted pyramid the demo draws towards (grade wanted → weight); the engine decides the real grade.
GRADE_WEIGHTS = {0: 12, 1: 44, 2: 28, 3: 11, 4: 4, 5: 1}
SIZE_WEIGHTS = {SizeClass.LARGE: 4, SizeClass.MEDIUM: 14, SizeClass.SMALL: 42, SizeClass.MICRO: 40}
SECTOR_WEIGHTS = {SectorChoice.MINING: 3, SectorChoice.SMELTING: 4, SectorChoice.PROCESSING: 5}
METAL_WEIGHTS = {
    Metal.ALUMINIUM: 30,
    Metal.COPPER: 20,
    Metal.LEAD_ZINC: 14,
    Metal.TIN: 6,
    Metal.ANTIMONY: 5,
    Metal.NICKEL: 4,
    Metal.TUNGSTEN: 4,
    Metal.RARE_EARTH: 6,
    Metal.MANGANESE: 5,
    Metal.MAGNESIUM: 2,
    Metal.TITANIUM: 2,
    Metal.OTHER: 2,
}
SECOND_RESULT_SHARE = 0.5  # enterprises that also have last year's result (so movers can be found)


@dataclass(frozen=True)
class Outcome:
    """One pooled engine result: the ``Result`` fields and its ``ResultScore`` figures."""

    grade: int
    fields: dict[str, Any]
    figures: list[ScoreFigures]


def _pick(rng: random.Random, weights: dict[Any, int]) -> Any:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _draw(rng: random.Random, table: tuple[tuple[RatingValue, int], ...]) -> Rating:
    return Rating(rng.choices([v for v, _ in table], weights=[w for _, w in table])[0])


def outcome_pool(size: int = POOL_SIZE, seed: str = f"{SEED}-scale") -> dict[str, list[Outcome]]:
    """``size`` synthetic rating sets, a third per sector, each scored by the engine: sector → outcomes."""
    rng = random.Random(seed)
    version = current_version()
    pool: dict[str, list[Outcome]] = {s.value: [] for s in SectorChoice}
    sectors = list(SectorChoice)
    for i in range(size):
        sector = sectors[i % len(sectors)]
        view = sector_view(version, sector)
        wanted = _pick(rng, GRADE_WEIGHTS)
        ratings: dict[str, Rating] = {}
        reasons: dict[str, str] = {}
        for requirement in view.requirements.values():
            level = int(requirement.level)
            table = MET if level <= wanted else NEXT if level == wanted + 1 else ABOVE
            ratings[requirement.id] = _draw(rng, table)
            if rng.random() < 0.01:
                ratings[requirement.id] = Rating.NOT_APPLICABLE
                reasons[requirement.id] = "本企业无该业务环节（演示数据）"
        fields = stored_fields(score(view.catalog, ratings, na_reasons=reasons))
        pool[sector.value].append(Outcome(fields["grade"], fields, score_rows(fields)))
    return pool


def _places() -> tuple[list[str], list[str]]:
    """The finest divisions known (a city or province without finer ones stands for itself): Guangxi's, and the others'."""
    table = regions()
    parents = {r.parent for r in table.values()}
    leaves = sorted(code for code in table if code not in parents)
    guangxi = [c for c in leaves if c.startswith(GUANGXI[:2])]
    return guangxi, [c for c in leaves if not c.startswith(GUANGXI[:2])]


def _uscc(number: int, region: str) -> str:
    # "Y" plus the running number: distinct from one another; the hand-made demo codes are random.
    first17 = f"91{region}Y{number:08d}"
    return first17 + check_character(first17)


def _scale_admin() -> User:
    """The demo platform admin: verifier and author of the synthetic data (created unusable if missing;
    ``nfm demo`` gives it the demo password)."""
    admin = User.objects.filter(username=ADMIN_USERNAME).first()
    if admin is None:
        admin = User.objects.create_superuser(username=ADMIN_USERNAME, password=None)
        admin.first_name = "平台管理员（演示）"
        admin.save(update_fields=["first_name"])
    return admin


def scale_count() -> int:
    """How many synthetic enterprises earlier loads wrote (each batch commits on its own)."""
    return Enterprise.objects.filter(is_demo=True, name__contains=MARK).count()


def add_scale(
    count: int,
    *,
    progress: Callable[[int, int], None] | None = None,
    pool: dict[str, list[Outcome]] | None = None,
    batch: int = BATCH,
) -> int:
    """Add ``count`` synthetic demo enterprises with their results; returns how many were added.
    Raises DemoRefused, having written nothing, if the database holds real data."""
    found = real_data()
    if found:
        raise DemoRefused(
            f"拒绝生成演示数据：数据库中已有 {found}。演示数据不能与真实数据混在一起；"
            "请换一个空的数据目录（NFM_DATA_DIR，如使用 DATABASE_URL 则换一个空数据库）再运行。"
        )
    if count <= 0:
        return 0
    pool = pool if pool is not None else outcome_pool()
    admin = _scale_admin()
    first = scale_count() + 1
    guangxi, elsewhere = _places()
    version = current_version()
    digest = content_hash(version)
    counts = {s.value: sector_view(version, s).requirement_count for s in SectorChoice}
    done = 0
    while done < count:
        size = min(batch, count - done)
        _write_batch(
            range(first + done, first + done + size), pool, admin, guangxi, elsewhere, version, digest, counts
        )
        done += size
        if progress is not None:
            progress(done, count)
    return count


def _write_batch(
    numbers: range,
    pool: dict[str, list[Outcome]],
    admin: User,
    guangxi: list[str],
    elsewhere: list[str],
    version: str,
    digest: str,
    counts: dict[str, int],
) -> None:
    now = timezone.now()
    specs = []
    for number in numbers:
        rng = random.Random(f"{SEED}-scale-{number}")  # seeded per enterprise: a rerun draws the same
        region = rng.choice(guangxi if rng.random() < GUANGXI_SHARE else elsewhere)
        sector = _pick(rng, SECTOR_WEIGHTS)
        others = [s for s in SectorChoice if s != sector]
        sectors = [sector, others[rng.randrange(len(others))]] if rng.random() < 0.1 else [sector]
        metals = list(dict.fromkeys(_pick(rng, METAL_WEIGHTS) for _ in range(1 + (rng.random() < 0.3))))
        size = _pick(rng, SIZE_WEIGHTS)
        above = size in (SizeClass.LARGE, SizeClass.MEDIUM) or (
            size == SizeClass.SMALL and rng.random() < 0.4
        )
        latest = rng.choice(pool[sector.value])
        history = [latest]
        if rng.random() < SECOND_RESULT_SHARE:
            lower = [o for o in pool[sector.value] if o.grade <= latest.grade]
            history.insert(0, rng.choice(lower))
        label = Metal(metals[0]).label + sector.label
        specs.append(
            # Days since the latest result, then between the two: drawn last, so the draws above are as before.
            (
                number,
                region,
                sector,
                sectors,
                metals,
                size,
                above,
                label,
                history,
                rng.randint(1, 330),
                rng.randint(150, 400),
            )
        )
    with transaction.atomic():
        organisations = Organisation.objects.bulk_create(
            Organisation(
                name=enterprise_name(f"{MARK}{spec[0]:05d}号{spec[7]}"),
                kind=OrganisationKind.ENTERPRISE,
                is_demo=True,
            )
            for spec in specs
        )
        enterprises = Enterprise.objects.bulk_create(
            Enterprise(
                organisation=organisation,
                name=organisation.name,
                uscc=_uscc(number, region),
                verification=VerificationState.VERIFIED,
                verified_by=admin,
                verified_at=now,
                verification_note=DEMO_NOTE,
                region_code=region,
                sectors=[s.value for s in sectors],
                metals=[str(m) for m in metals],
                size=size,
                above_scale=above,
                address="演示地址",
                is_demo=True,
            )
            for organisation, (number, region, _, sectors, metals, size, above, *_rest) in zip(
                organisations, specs, strict=True
            )
        )
        planned: list[tuple[Assessment, Outcome]] = []
        newest: list[int] = []
        for enterprise, spec in zip(enterprises, specs, strict=True):
            sector, history, days, gap = spec[2], spec[8], spec[9], spec[10]
            # The latest result within the last year; an earlier one 5 to 13 months before it, so that some
            # rises fall within a year ("1 年内等级提升") and some do not.
            moments = [now - timedelta(days=days + gap * (len(history) - 1 - i)) for i in range(len(history))]
            for outcome, moment in zip(history, moments, strict=True):
                assessment = Assessment(
                    enterprise=enterprise,
                    sector=sector,
                    catalog_version=version,
                    catalog_hash=digest,
                    requirement_count=counts[sector.value],
                    state=AssessmentState.SUBMITTED,
                    created_by=admin,
                    submitted_by=admin,
                    submitted_at=moment,
                )
                planned.append((assessment, outcome))
            newest.append(len(planned) - 1)  # the enterprise's last (newest) one
        Assessment.objects.bulk_create(a for a, _ in planned)
        results = [
            Result(assessment=a, version=1, catalog_hash=digest, **outcome.fields) for a, outcome in planned
        ]
        _insert(Result, results)
        LatestResult.objects.bulk_create(latest_pointer(results[i], results[i].assessment) for i in newest)
        _insert(
            ResultScore,
            [
                record
                for result, (_, outcome) in zip(results, planned, strict=True)
                for record in score_records(result, outcome.figures)
            ],
        )
        _insert(
            LatestScore,
            [
                record
                for i in newest
                for record in latest_score_records(
                    planned[i][0].enterprise_id, results[i], planned[i][1].figures
                )
            ],
        )
        record_event(
            actor=admin,
            action=AuditAction.DEMO_RATINGS_LOADED,
            obj=admin,
            new={
                "enterprises": len(numbers),
                "first": numbers.start,
                "note": "演示数据：规模样本（合成企业与评估结果）",
            },
            reason=DEMO_NOTE,
        )


def _insert(model: type[Model], objects: list[Any]) -> None:
    """bulk_create, except on PostgreSQL, where COPY writes the results and their figure rows about five
    times faster (measured at 3 000 enterprises: Django's bulk insert spent most of the run quoting the
    results' JSON and the figures into parameter arrays). The primary keys are drawn from the table's
    sequence first, so the objects have them afterwards as bulk_create would give them."""
    if connection.vendor != "postgresql" or not objects:
        model._default_manager.bulk_create(objects, batch_size=5000)
        return
    meta = model._meta
    fields = list(meta.concrete_fields)
    names = ", ".join(connection.ops.quote_name(str(f.column)) for f in fields)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [meta.db_table, meta.pk.column, len(objects)],
        )
        for obj, (pk,) in zip(objects, cursor.fetchall(), strict=True):
            obj.pk = pk
        raw = cursor.cursor  # the psycopg cursor behind Django's wrapper, inside the same transaction
        with raw.copy(f"COPY {connection.ops.quote_name(meta.db_table)} ({names}) FROM STDIN") as copy:
            for obj in objects:
                copy.write_row([f.get_db_prep_save(f.pre_save(obj, True), connection) for f in fields])
