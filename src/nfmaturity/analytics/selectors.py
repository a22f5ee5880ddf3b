"""What the regulator's dashboard counts, read from the stored results in a fixed number of queries.

Whom it counts (docs/access.md): the verified enterprises inside the viewer's jurisdiction, never demo ones,
except in a demo database (every enterprise is a demo one), where the figures count the demo data and say so.
Each enterprise is counted by its latest submitted result (``LatestResult``), self or formal alike.

How (docs/architecture.md, 存储的评分): every figure is a GROUP BY in the database over the stored rows
(``LatestResult`` with its copies of grade, total and submission time; ``LatestScore`` for the domain and
sub-domain figures); only grouped rows come back, a few hundred to a few thousand, never one per enterprise.
Averages are summed and counted by the database and divided here exactly (``Fraction``), then truncated for
display as the scoring core truncates (``scoring.display``), so a page never rounds a 1.995 up to 2.00.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from functools import cache
from typing import Any

from django.db import connection
from django.db.models import (
    BooleanField,
    Case,
    Count,
    Exists,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import ExtractYear, Substr
from django.utils import timezone

from nfmaturity.accounts.access import AnyUser
from nfmaturity.analytics.filters import SORTS, STALE_AFTER, DashboardFilter, Drill
from nfmaturity.assessments.catalogs import catalog, current_version
from nfmaturity.assessments.models import (
    FIGURE_UNIT,
    SCORE_COLUMNS,
    Assessment,
    AssessmentKind,
    AssessmentState,
    GradeLevel,
    LatestScore,
    Result,
    ResultScore,
    ScoreKind,
)
from nfmaturity.catalog.model import SECTOR_LABELS, Section, Sector
from nfmaturity.enterprises import regions
from nfmaturity.enterprises.access import jurisdiction_of, overseen_enterprises
from nfmaturity.enterprises.models import Enterprise, Metal, SectorChoice, SizeClass, VerificationState

# Demo data is marked on the enterprise and on its organisation; either mark keeps it out of real figures.
DEMO = Q(is_demo=True) | Q(organisation__is_demo=True)
GOOD_GRADE = GradeLevel.TWO  # the share "at or above 二级" the issue asks for
LEVELS = tuple(GradeLevel.values)


def is_demo_database() -> bool:
    """True when every enterprise is a demo one (``nfm demo`` on an empty database): the statistics then
    count the demo data, labelled 演示数据, instead of showing nothing."""
    return Enterprise.objects.exists() and not Enterprise.objects.exclude(DEMO).exists()


def counted(queryset: QuerySet[Enterprise], *, demo: bool) -> QuerySet[Enterprise]:
    """The enterprises of ``queryset`` that statistics count: verified ones, and real ones unless ``demo``."""
    queryset = queryset.filter(verification=VerificationState.VERIFIED)
    return queryset if demo else queryset.exclude(DEMO)


def truncate(value: Fraction | None, places: int = 2) -> Decimal | None:
    """``value`` truncated (never rounded) to ``places`` decimals, as the scoring core shows figures."""
    if value is None:
        return None
    whole = value.numerator * 10**places // value.denominator  # floor division: towards zero for ≥ 0
    return Decimal(whole).scaleb(-places)


def share(part: int, whole: int) -> Decimal | None:
    """A percentage with one decimal, truncated."""
    return truncate(Fraction(part * 100, whole), 1) if whole else None


@dataclass(frozen=True)
class Viewer:
    """Whose dashboard: the jurisdiction, whether the figures are demo data, and the filters."""

    jurisdiction: str
    demo: bool
    filters: DashboardFilter

    @property
    def area(self) -> str:
        """The division the figures cover: the region filtered on, else the whole jurisdiction."""
        return self.filters.region or self.jurisdiction


def viewer_of(user: AnyUser, filters: DashboardFilter) -> Viewer:
    jurisdiction = jurisdiction_of(user)
    if jurisdiction is None:
        raise ValueError("the dashboard is for regulators and the platform admin")
    return Viewer(jurisdiction, is_demo_database(), filters)


def scope(user: AnyUser, viewer: Viewer) -> QuerySet[Enterprise]:
    """The enterprises every figure counts: overseen, counted (verified, demo rule), filtered."""
    return viewer.filters.apply(counted(overseen_enterprises(user), demo=viewer.demo))


@cache
def domain_names() -> tuple[str, ...]:
    return tuple(d.name for d in sorted(catalog(current_version()).domains, key=lambda d: d.order))


@cache
def subdomain_names() -> dict[str, tuple[str, str]]:
    """Sub-domain row id → (name, domain), over every section of the current catalog. A name that several
    sector tables share (数据业务化 in 采选, 冶炼 and 加工) says its sector, so the rows of one table can be told
    apart (QA12-F15)."""
    rows = catalog(current_version()).rows
    seen = Counter((row.name, row.domain) for row in rows)

    def name(row: Any) -> str:
        if seen[(row.name, row.domain)] == 1 or row.section == Section.COMMON:
            return str(row.name)
        return f"{row.name}（{SECTOR_LABELS[Sector(row.section.value)]}）"

    return {row.id: (name(row), row.domain) for row in rows}


# ---- one group of enterprises: count, assessed, grades, average total --------------------------------------


@dataclass
class Tally:
    label: str
    params: dict[str, str]  # what to add to the filters to list these enterprises
    enterprises: int = 0
    grades: Counter[int] = field(default_factory=Counter)
    total_sum: Decimal = Decimal(0)

    def add(self, n: int, grade: int | None, total: Decimal | None) -> None:
        self.enterprises += n
        if grade is not None:
            self.grades[grade] += n
            self.total_sum += total or Decimal(0)

    @property
    def assessed(self) -> int:
        return sum(self.grades.values())

    @property
    def good(self) -> int:
        return sum(n for g, n in self.grades.items() if g >= GOOD_GRADE)

    @property
    def average(self) -> Decimal | None:
        return truncate(Fraction(self.total_sum) / self.assessed) if self.assessed else None

    @property
    def good_share(self) -> Decimal | None:
        return share(self.good, self.assessed)

    @property
    def grade_counts(self) -> list[int]:
        return [self.grades.get(g, 0) for g in LEVELS]

    @property
    def grade_cells(self) -> list[tuple[int, int]]:
        return [(g, self.grades.get(g, 0)) for g in LEVELS]


def _region_length(area: str) -> int:
    """How many leading digits of a region code name the division one level below ``area``."""
    return {0: 2, 2: 4}.get(len(regions.jurisdiction_prefix(area) or ""), 6)


def _region_label(area: str, code: str) -> str:
    region = regions.regions().get(code)
    name = region.name if region is not None else code
    return f"{name}（未细分）" if code == area else name


def _sorted_tallies(tallies: Iterable[Tally]) -> list[Tally]:
    return sorted(tallies, key=lambda t: (-t.enterprises, t.label))


@dataclass
class Dashboard:
    viewer: Viewer
    jurisdiction_name: str
    overall: Tally
    region_heading: str
    by_region: list[Tally]
    by_sector: list[Tally]
    by_metal: list[Tally]
    by_size: list[Tally]
    by_above: list[Tally]
    by_year: list[Tally]
    by_kind: list[Tally]
    never: int
    drafts: int
    stale: int
    pending: int
    rejected: int
    grade_labels: list[str] = field(default_factory=lambda: list(GradeLevel.labels))

    @property
    def grade_short(self) -> list[str]:
        return [label.split(" ")[0] for label in self.grade_labels]


def _tag_tallies(
    tags: Iterable[Mapping[str, Any]], sectors: str, metals: str
) -> tuple[dict[str, Tally], dict[str, Tally]]:
    """Rows grouped by (sectors, metals, grade) tallied per sector and per metal: an enterprise in two sectors
    or of two metals counts under each."""
    # Keyed by value, looked up once per grouped row (an enum's ``values`` builds a new list on each call).
    by_sector = {s.value: Tally(s.label, {"sector": s.value}) for s in SectorChoice}
    by_metal = {m.value: Tally(m.label, {"metal": m.value}) for m in Metal}
    for tag in tags:
        for sector in set(tag[sectors] or []):
            if sector in by_sector:
                by_sector[sector].add(tag["n"], tag["grade"], tag["total"])
        for metal in set(tag[metals] or []):
            if metal in by_metal:
                by_metal[metal].add(tag["n"], tag["grade"], tag["total"])
    return by_sector, by_metal


def dashboard(user: AnyUser, filters: DashboardFilter) -> Dashboard:
    """Every figure of the dashboard for ``user`` under ``filters`` (about ten queries whatever the size)."""
    viewer = viewer_of(user, filters)
    enterprises = scope(user, viewer)
    area = viewer.area
    length = _region_length(area)
    cutoff = timezone.now() - STALE_AFTER
    latest = "latest_result__"  # the pointer's copies of the result's figures: no join beyond it

    # 1. By (division, size, 规上, grade, year, kind, stale): overall, pyramid, region, size, 规上, year, kind.
    main = list(
        enterprises.values(
            "size",
            "above_scale",
            division=Substr("region_code", 1, length),
            grade=F("latest_result__grade"),
            year=F(f"{latest}submitted_year"),
            kind=F(f"{latest}kind"),
            stale=Case(
                When(**{f"{latest}submitted_at__lt": cutoff}, then=Value(True)),
                default=Value(False),
                output_field=BooleanField(),
            ),
        )
        .annotate(n=Count("pk"), total=Sum(f"{latest}total_shown"))
        .order_by()
    )
    # 2. By (sectors, metals, grade): an enterprise in two sectors or of two metals counts under each.
    tags = list(
        enterprises.values("sectors", "metals", grade=F("latest_result__grade"))
        .annotate(n=Count("pk"), total=Sum(f"{latest}total_shown"))
        .order_by()
    )
    overall = Tally("合计", {})
    by_region: dict[str, Tally] = {}
    by_size = {s.value: Tally(s.label, {"size": s.value}) for s in SizeClass}
    by_above = {True: Tally("规上企业", {"above": "1"}), False: Tally("规下企业", {"above": "0"})}
    by_year: dict[int, Tally] = {}
    by_kind = {k.value: Tally(k.label, {"kind": k.value}) for k in AssessmentKind}
    never = stale = 0
    for row in main:
        n, grade, total = row["n"], row["grade"], row["total"]
        overall.add(n, grade, total)
        code = row["division"] + "0" * (6 - len(row["division"]))
        if code not in by_region:
            by_region[code] = Tally(
                _region_label(area, code), {"region": code} if code != area else {"at": code}
            )
        by_region[code].add(n, grade, total)
        by_size[row["size"]].add(n, grade, total)
        by_above[row["above_scale"]].add(n, grade, total)
        if grade is None:
            never += n
            continue
        by_year.setdefault(row["year"], Tally(f"{row['year']} 年", {"year": str(row["year"])})).add(
            n, grade, total
        )
        by_kind[row["kind"]].add(n, grade, total)
        if row["stale"]:
            stale += n
    by_sector, by_metal = _tag_tallies(tags, "sectors", "metals")

    # 3. Verification states of the enterprises overseen (listed, never counted, when not verified).
    states = {
        row["verification"]: row["n"]
        # Without the year filter: an enterprise waiting for verification has no result to have a year.
        for row in viewer.filters.with_(year=None)
        .apply(overseen_enterprises(user))
        .values("verification")
        .annotate(n=Count("pk"))
        .order_by()
    }
    # 4. Who is filling in an assessment now.
    drafts = enterprises.filter(
        Exists(Assessment.objects.filter(enterprise=OuterRef("pk"), state=AssessmentState.DRAFT))
    ).count()
    return Dashboard(
        viewer=viewer,
        jurisdiction_name=regions.jurisdiction_name(viewer.jurisdiction),
        overall=overall,
        region_heading=regions.subdivision_heading(area),
        by_region=_sorted_tallies(by_region.values()),
        by_sector=[t for t in by_sector.values() if t.enterprises],
        by_metal=_sorted_tallies(t for t in by_metal.values() if t.enterprises),
        by_size=[t for t in by_size.values() if t.enterprises],
        by_above=[t for t in by_above.values() if t.enterprises],
        by_year=[by_year[y] for y in sorted(by_year)],
        by_kind=[t for t in by_kind.values() if t.enterprises],
        never=never,
        drafts=drafts,
        stale=stale,
        pending=states.get(VerificationState.PENDING, 0),
        rejected=states.get(VerificationState.REJECTED, 0),
    )


def trends(user: AnyUser, filters: DashboardFilter) -> list[dict[str, Any]]:
    """Results per year of submission (every submitted assessment's current result, not only the latest of
    each enterprise): how many, their average total, the share at ≥ 二级."""
    enterprises = scope(user, viewer_of(user, filters))
    newer = Result.objects.filter(assessment=OuterRef("assessment"), version__gt=OuterRef("version"))
    rows = (
        Result.objects.filter(
            assessment__state=AssessmentState.SUBMITTED,
            assessment__enterprise__in=enterprises.order_by().values("pk"),
        )
        .exclude(Exists(newer))
        .values(year=ExtractYear("assessment__submitted_at"))
        .annotate(
            n=Count("pk"),
            total=Sum("total_shown"),
            good=Count("pk", filter=Q(grade__gte=GOOD_GRADE)),
        )
        .order_by("year")
    )
    return [
        {
            "year": row["year"],
            "results": row["n"],
            "average": truncate(Fraction(row["total"]) / row["n"]),
            "good": row["good"],
            "good_share": share(row["good"], row["n"]),
        }
        for row in rows
    ]


def _sums_sql(columns: Iterable[str]) -> str:
    """COUNT and SUM of each of ``LatestScore``'s integer figure columns (PostgreSQL returns the SUM of a
    bigint as NUMERIC: the readers take it with ``int``, exact either way)."""
    return ", ".join(f"COUNT(s.{c}), SUM(s.{c})" for c in columns)


@dataclass
class DomainFigures:
    domains: list[dict[str, Any]]  # name, figures (maturity, S1..S5), results; weakest first
    heat_domains: list[str]  # the heat map's columns, weakest first
    heat_rows: list[tuple[str, str, list[Decimal | None]]]  # (division label, code or "", cells)
    region_heading: str
    area: str = ""  # the division the figures cover; a heat row with code "" is registered exactly there


def domain_figures(user: AnyUser, filters: DashboardFilter) -> DomainFigures:
    """Each domain's average maturity and S1..S5 (weakest first), and the heat map (division × domain
    average maturity), from one GROUP BY (division, domain) over the domain rows of the latest results.

    Summed and counted by the database (a level a domain takes no part in is NULL and stays out, as in the
    scoring), divided here exactly. Read from ``LatestScore`` (the latest results' figures by enterprise), in
    SQL to group by the division's prefix; the enterprises come in as the ORM's own subquery.
    """
    viewer = viewer_of(user, filters)
    enterprises = scope(user, viewer)
    area = viewer.area
    length = _region_length(area)
    inner, params = (
        enterprises.order_by().values(eid=F("pk"), region=F("region_code")).query.sql_with_params()
    )
    sql = (
        f"SELECT SUBSTR(e.region, 1, %s), s.key, {_sums_sql(SCORE_COLUMNS)} "
        f"FROM {LatestScore._meta.db_table} s "
        f"JOIN ({inner}) e ON e.eid = s.enterprise_id "
        "WHERE s.kind = %s "
        "GROUP BY 1, 2"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [length, *params, ScoreKind.DOMAIN.value])
        rows = cursor.fetchall()
    totals: dict[str, list[list[Any]]] = {}
    heat: dict[str, dict[str, Decimal | None]] = {}
    weight: Counter[str] = Counter()
    for division, key, *figures in rows:
        code = division + "0" * (6 - len(division))
        per_column = totals.setdefault(key, [[0, Fraction(0)] for _ in SCORE_COLUMNS])
        for i in range(len(SCORE_COLUMNS)):
            count, total = figures[2 * i], figures[2 * i + 1]
            if count:
                per_column[i][0] += count
                per_column[i][1] += Fraction(int(total), FIGURE_UNIT)
        count, total = figures[0], figures[1]
        weight[code] = max(weight[code], count)
        heat.setdefault(code, {})[key] = (
            truncate(Fraction(int(total), FIGURE_UNIT * count)) if count else None
        )
    domains = [
        {
            "name": key,
            "figures": [truncate(Fraction(s) / n) if n else None for n, s in per_column],
            "results": per_column[0][0],
        }
        for key, per_column in totals.items()
    ]
    order = {name: i for i, name in enumerate(domain_names())}
    domains.sort(key=lambda d: (d["figures"][0] is None, d["figures"][0] or 0, order.get(d["name"], 99)))
    columns = [d["name"] for d in domains]
    rows = [
        (_region_label(area, code), code if code != area else "", [heat[code].get(name) for name in columns])
        for code in sorted(heat, key=lambda c: (-weight[c], c))
    ]
    return DomainFigures(domains, columns, rows, regions.subdivision_heading(area), area)


def subdomain_averages(user: AnyUser, filters: DashboardFilter, domain: str) -> list[dict[str, Any]]:
    """The sub-domains of ``domain``: average maturity and S1..S5 over the latest results, weakest first.

    One domain at a time: the sub-domain rows are four to five times the domain rows, and a regulator looks
    at the sub-domains of the domain that lags (docs/architecture.md, 存储的评分)."""
    viewer = viewer_of(user, filters)
    enterprises = scope(user, viewer)
    keys = [key for key, (_, d) in subdomain_names().items() if d == domain]
    if not keys:
        return []
    inner, params = enterprises.order_by().values("pk").query.sql_with_params()
    marks = ", ".join(["%s"] * len(keys))
    sql = (
        f"SELECT s.key, {_sums_sql(SCORE_COLUMNS)} "
        f"FROM {LatestScore._meta.db_table} s "
        f"WHERE s.kind = %s AND s.key IN ({marks}) AND s.enterprise_id IN ({inner}) "
        "GROUP BY 1"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [ScoreKind.SUBDOMAIN.value, *keys, *params])
        rows = cursor.fetchall()
    names = subdomain_names()
    out = []
    for key, *figures in rows:
        averages = [
            truncate(Fraction(int(figures[2 * i + 1]), FIGURE_UNIT * figures[2 * i]))
            if figures[2 * i]
            else None
            for i in range(len(SCORE_COLUMNS))
        ]
        out.append({"key": key, "name": names[key][0], "figures": averages, "results": figures[0]})
    out.sort(key=lambda d: (d["figures"][0] is None, d["figures"][0] or 0, d["name"]))
    return out


# ---- the drill-down list ----------------------------------------------------------------------------------


# The level columns of a capability domain's figures, as ResultScore names them.
DOMAIN_LEVELS = ("s1", "s2", "s3", "s4", "s5")


def drill_rows(user: AnyUser, filters: DashboardFilter, drill: Drill, sort: str) -> QuerySet[Enterprise]:
    """The enterprises behind a dashboard number, with their latest result (total, grade, date, kind) and,
    when a domain is asked for, that domain's maturity; ordered by ``sort`` (a key of filters.SORTS)."""
    viewer = viewer_of(user, filters)
    rows = drill.apply(scope(user, viewer))
    latest = "latest_result__"  # the pointer's copies of the result's figures: no join beyond it
    rows = rows.annotate(
        latest_total=F(f"{latest}total_shown"),
        latest_grade=F("latest_result__grade"),
        latest_at=F(f"{latest}submitted_at"),
        latest_kind=F(f"{latest}kind"),
    )
    if drill.domain:
        figure = ResultScore.objects.filter(
            result_id=OuterRef("latest_result__result_id"), kind=ScoreKind.DOMAIN, key=drill.domain
        )
        # The maturity and the level scores: the dashboard's S1–S5 averages of a domain drill to this list,
        # so each figure it averages is on it (the level columns are not sorted on, so PostgreSQL reads them
        # for the page's rows only, after the sort and limit).
        rows = rows.annotate(
            domain_maturity=Subquery(figure.values("maturity")[:1]),
            **{f"domain_{level}": Subquery(figure.values(level)[:1]) for level in DOMAIN_LEVELS},
        )
    elif sort.lstrip("-") == "domain":
        sort = "name"
    keys = SORTS.get(sort, SORTS["name"])
    # Enterprises without a result (or a domain figure) go last either way, on SQLite as on PostgreSQL.
    return rows.order_by(
        *(
            F(k.lstrip("-")).desc(nulls_last=True) if k.startswith("-") else F(k).asc(nulls_last=True)
            for k in keys
        )
    )


# ---- movers: grade changes between two years (the yearly index report) ------------------------------------


@dataclass(frozen=True)
class Mover:
    enterprise_id: int
    name: str
    region_code: str
    size: str
    before: int  # grade of the enterprise's last result submitted in the previous year
    after: int  # grade of its last result submitted in the year


def movers(user: AnyUser, filters: DashboardFilter, year: int) -> list[Mover]:
    """Enterprises with a result submitted in ``year - 1`` and in ``year``, with the grade of the last one of
    each year: those whose grade changed (risers first, by how far they rose, then by name)."""
    enterprises = scope(user, viewer_of(user, filters.with_(year=None)))
    newer = Result.objects.filter(assessment=OuterRef("assessment"), version__gt=OuterRef("version"))
    rows = (
        Result.objects.filter(
            assessment__state=AssessmentState.SUBMITTED,
            assessment__enterprise__in=enterprises.order_by().values("pk"),
            assessment__submitted_at__year__in=[year - 1, year],
        )
        .exclude(Exists(newer))
        .order_by("assessment__submitted_at", "pk")
        .values_list(
            "assessment__enterprise_id",
            "assessment__submitted_at",
            "grade",
            "assessment__enterprise__name",
            "assessment__enterprise__region_code",
            "assessment__enterprise__size",
        )
    )
    last: dict[tuple[int, int], int] = {}
    profiles: dict[int, tuple[str, str, str]] = {}
    for enterprise_id, submitted_at, grade, name, region, size in rows.iterator(chunk_size=5000):
        last[(enterprise_id, timezone.localtime(submitted_at).year)] = grade
        profiles[enterprise_id] = (name, region, size)
    out = [
        Mover(eid, *profiles[eid], last[(eid, year - 1)], grade)
        for (eid, y), grade in last.items()
        if y == year and (eid, year - 1) in last and last[(eid, year - 1)] != grade
    ]
    return sorted(out, key=lambda m: (-(m.after - m.before), m.name))


# ---- one year as it stood: each enterprise's last result of the year (the yearly index report) -------------


@dataclass
class YearFigures:
    """The figures of a year: every counted enterprise by its last result submitted that year."""

    viewer: Viewer
    overall: Tally
    region_heading: str
    by_region: list[Tally]
    by_sector: list[Tally]
    by_metal: list[Tally]
    by_size: list[Tally]
    domains: list[dict[str, Any]]  # as ``DomainFigures.domains``: weakest first


def year_results(user: AnyUser, year: int) -> QuerySet[Result]:
    """The current version of each counted enterprise's last result submitted in ``year``.

    Not the dashboard's year filter (enterprises whose *latest* result is from that year): a past year would
    then lose every enterprise that has assessed again since, and its report would shrink year after year.
    For the current year the two are the same enterprises and figures."""
    enterprises = scope(user, viewer_of(user, DashboardFilter()))
    replaced = Result.objects.filter(assessment=OuterRef("assessment"), version__gt=OuterRef("version"))
    later = Assessment.objects.filter(
        Q(submitted_at__gt=OuterRef("assessment__submitted_at"))
        | Q(submitted_at=OuterRef("assessment__submitted_at"), pk__gt=OuterRef("assessment_id")),
        enterprise=OuterRef("assessment__enterprise"),
        state=AssessmentState.SUBMITTED,
        submitted_at__year=year,
    )
    return (
        Result.objects.filter(
            assessment__state=AssessmentState.SUBMITTED,
            assessment__enterprise__in=enterprises.order_by().values("pk"),
            assessment__submitted_at__year=year,
        )
        .exclude(Exists(replaced))
        .exclude(Exists(later))
    )


def year_figures(user: AnyUser, year: int) -> YearFigures:
    """Grade distribution, breakdowns and domain figures of ``year`` (``year_results``), grouped in the database
    as the dashboard groups them: three statements whatever the size."""
    viewer = viewer_of(user, DashboardFilter())
    results = year_results(user, year)
    area = viewer.area
    length = _region_length(area)
    enterprise = "assessment__enterprise__"
    main = list(
        results.values(
            "grade", size=F(f"{enterprise}size"), division=Substr(f"{enterprise}region_code", 1, length)
        )
        .annotate(n=Count("pk"), total=Sum("total_shown"))
        .order_by()
    )
    tags = list(
        results.values("grade", f"{enterprise}sectors", f"{enterprise}metals")
        .annotate(n=Count("pk"), total=Sum("total_shown"))
        .order_by()
    )
    overall = Tally("合计", {})
    by_region: dict[str, Tally] = {}
    by_size = {s.value: Tally(s.label, {"size": s.value}) for s in SizeClass}
    for row in main:
        n, grade, total = row["n"], row["grade"], row["total"]
        overall.add(n, grade, total)
        code = row["division"] + "0" * (6 - len(row["division"]))
        by_region.setdefault(code, Tally(_region_label(area, code), {"region": code})).add(n, grade, total)
        by_size[row["size"]].add(n, grade, total)
    by_sector, by_metal = _tag_tallies(tags, f"{enterprise}sectors", f"{enterprise}metals")
    return YearFigures(
        viewer=viewer,
        overall=overall,
        region_heading=regions.subdivision_heading(area),
        by_region=_sorted_tallies(by_region.values()),
        by_sector=[t for t in by_sector.values() if t.enterprises],
        by_metal=_sorted_tallies(t for t in by_metal.values() if t.enterprises),
        by_size=[t for t in by_size.values() if t.enterprises],
        domains=_year_domains(results),
    )


def _year_domains(results: QuerySet[Result]) -> list[dict[str, Any]]:
    """Each domain's average maturity and S1..S5 over ``results``, weakest first, summed in whole millionths
    (the stored figures have six places: rounding them times 10^6 is exact, on SQLite's REAL storage too) and
    divided here exactly, as ``domain_figures`` does over ``LatestScore``."""
    inner, params = results.order_by().values("pk").query.sql_with_params()
    sums = ", ".join(
        f"COUNT(s.{c}), SUM(CAST(ROUND(s.{c} * {FIGURE_UNIT}) AS BIGINT))" for c in SCORE_COLUMNS
    )
    sql = (
        f"SELECT s.key, {sums} FROM {ResultScore._meta.db_table} s "
        f"WHERE s.kind = %s AND s.result_id IN ({inner}) GROUP BY 1"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [ScoreKind.DOMAIN.value, *params])
        rows = cursor.fetchall()
    domains = [
        {
            "name": key,
            "figures": [
                truncate(Fraction(int(figures[2 * i + 1]), FIGURE_UNIT * figures[2 * i]))
                if figures[2 * i]
                else None
                for i in range(len(SCORE_COLUMNS))
            ],
            "results": figures[0],
        }
        for key, *figures in rows
    ]
    order = {name: i for i, name in enumerate(domain_names())}
    domains.sort(key=lambda d: (d["figures"][0] is None, d["figures"][0] or 0, order.get(d["name"], 99)))
    return domains
