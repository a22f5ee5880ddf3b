"""The dashboard's filters (region, sector, metal, size, 规上, year) and the drill-down's own constraints,
read from the query string and checked against what the viewer may ask for.

One ``DashboardFilter`` applies to every figure of the dashboard, to its drill-down lists and to their Excel
exports alike, so a number and the list behind it always count the same enterprises. A value the viewer may
not use (a region outside his jurisdiction, an unknown metal) is dropped, never widened: the figures then
cover his whole jurisdiction, which he may see anyway.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from datetime import timedelta

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import QueryDict
from django.utils import timezone

from nfmaturity.assessments.models import Assessment, AssessmentKind, AssessmentState, GradeLevel
from nfmaturity.enterprises import regions
from nfmaturity.enterprises.models import Enterprise, Metal, SectorChoice, SizeClass

# A latest result older than this counts as 超过一年未评估 (the standard's yearly tracking, seeds/003).
STALE_AFTER = timedelta(days=365)
FIRST_YEAR = 2000  # years outside FIRST_YEAR..next year are typing mistakes, dropped

# The drill-down's status constraint: who has never assessed, who is filling one in, whose result is stale.
STATUS_LABELS = {
    "assessed": "有已提交结果",
    "never": "从未提交评估",
    "draft": "正在填写评估",
    "stale": "最近结果超过一年",
}
ABOVE_LABELS = {"1": "规上企业", "0": "规下企业"}
SORTS = {
    "name": ("name", "pk"),
    "-name": ("-name", "-pk"),
    "total": ("latest_total", "name", "pk"),
    "-total": ("-latest_total", "name", "pk"),
    "date": ("latest_at", "name", "pk"),
    "-date": ("-latest_at", "name", "pk"),
    "region": ("region_code", "name", "pk"),
    "-region": ("-region_code", "name", "pk"),
    "size": ("size", "name", "pk"),
    "-size": ("-size", "name", "pk"),
    "domain": ("domain_maturity", "name", "pk"),
    "-domain": ("-domain_maturity", "name", "pk"),
}
SORT_LABELS = {
    "name": "企业名称",
    "total": "总分",
    "date": "评估日期",
    "region": "地区",
    "size": "规模",
    "domain": "该能力域成熟度",
}


def region_choices(jurisdiction: str) -> list[tuple[str, str]]:
    """The regions a viewer may filter by: the jurisdiction's cities, each followed by its counties (a
    national viewer also gets the provinces first). Labels say where each lies."""
    prefix = regions.jurisdiction_prefix(jurisdiction)
    if prefix is None:
        return []
    table = regions.regions()
    out: list[tuple[str, str]] = []
    for region in table.values():
        if not region.code.startswith(prefix) or region.code == jurisdiction:
            continue
        if region.level == "province":
            out.append((region.code, region.name))
        elif region.level == "city":
            out.append((region.code, region.name if prefix else regions.full_name(region.code)))
        elif len(prefix) >= 4 or region.parent in table:
            parent = table.get(region.parent or "")
            out.append((region.code, f"{parent.name} · {region.name}" if parent else region.name))
    return out


@dataclass(frozen=True)
class DashboardFilter:
    region: str = ""
    sector: str = ""
    metal: str = ""
    size: str = ""
    above: str = ""  # "1" 规上, "0" 规下, "" both
    year: int | None = None  # year the latest result was submitted

    @classmethod
    def from_query(cls, query: QueryDict, *, jurisdiction: str) -> DashboardFilter:
        def pick(name: str, allowed: set[str]) -> str:
            value = query.get(name, "")
            return value if value in allowed else ""

        region = query.get("region", "")
        if not (region.isdigit() and len(region) == 6 and regions.covers(jurisdiction, region)):
            region = ""
        if region == jurisdiction or region not in regions.regions():
            region = ""
        year_text = query.get("year", "")
        year = int(year_text) if year_text.isdigit() else None
        if year is not None and not FIRST_YEAR <= year <= timezone.localdate().year + 1:
            year = None
        return cls(
            region=region,
            sector=pick("sector", set(SectorChoice.values)),
            metal=pick("metal", set(Metal.values)),
            size=pick("size", set(SizeClass.values)),
            above=pick("above", set(ABOVE_LABELS)),
            year=year,
        )

    def apply(self, queryset: QuerySet[Enterprise]) -> QuerySet[Enterprise]:
        if self.region:
            # from_query kept only division codes, so the prefix exists.
            queryset = queryset.filter(region_code__startswith=regions.jurisdiction_prefix(self.region) or "")
        if self.sector:
            # JSON list membership, written so it works on SQLite and PostgreSQL alike (as the registry does).
            queryset = queryset.filter(sectors__icontains=f'"{self.sector}"')
        if self.metal:
            queryset = queryset.filter(metals__icontains=f'"{self.metal}"')
        if self.size:
            queryset = queryset.filter(size=self.size)
        if self.above:
            queryset = queryset.filter(above_scale=self.above == "1")
        if self.year is not None:
            queryset = queryset.filter(latest_result__submitted_year=self.year)
        return queryset

    def params(self) -> dict[str, str]:
        """The filters as query parameters (only those set), for links and exports."""
        out: dict[str, str] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if value not in ("", None):
                out[f.name] = str(value)
        return out

    def with_(self, **changes: object) -> DashboardFilter:
        return replace(self, **changes)  # type: ignore[arg-type]

    def chips(self) -> list[str]:
        """What is filtered, in words (page headings, the first row of an export)."""
        out: list[str] = []
        if self.region:
            out.append(regions.full_name(self.region))
        if self.sector:
            out.append(SectorChoice(self.sector).label)
        if self.metal:
            out.append(Metal(self.metal).label)
        if self.size:
            out.append(SizeClass(self.size).label)
        if self.above:
            out.append(ABOVE_LABELS[self.above])
        if self.year is not None:
            out.append(f"{self.year} 年提交")
        return out


@dataclass(frozen=True)
class Drill:
    """What a drill-down list adds to the filters: the number clicked on the dashboard."""

    grade: int | None = None  # latest grade equal to
    min_grade: int | None = None  # latest grade at least (the share at ≥ 二级)
    status: str = ""  # a key of STATUS_LABELS
    kind: str = ""  # the latest result's kind (自评估 / 正式评估)
    result_year: int | None = None  # has a result submitted that year (the trend table)
    domain: str = ""  # show (and sort by) this capability domain's maturity
    # Registered exactly at this division (the "（未细分）" row: an enterprise registered at the level of the
    # area itself, e.g. "广西（全省）", has no finer division to be counted under).
    at: str = ""

    @classmethod
    def from_query(cls, query: QueryDict, *, domains: set[str]) -> Drill:
        def level(name: str) -> int | None:
            value = query.get(name, "")
            return int(value) if value.isdigit() and int(value) in GradeLevel.values else None

        year_text = query.get("result_year", "")
        year = int(year_text) if year_text.isdigit() else None
        if year is not None and not FIRST_YEAR <= year <= timezone.localdate().year + 1:
            year = None
        status = query.get("status", "")
        kind = query.get("kind", "")
        domain = query.get("domain", "")
        at = query.get("at", "")
        return cls(
            at=at if at.isdigit() and len(at) == 6 else "",
            grade=level("grade"),
            min_grade=level("min_grade"),
            status=status if status in STATUS_LABELS else "",
            kind=kind if kind in AssessmentKind.values else "",
            result_year=year,
            domain=domain if domain in domains else "",
        )

    def apply(self, queryset: QuerySet[Enterprise]) -> QuerySet[Enterprise]:
        if self.grade is not None:
            queryset = queryset.filter(latest_result__grade=self.grade)
        if self.min_grade is not None:
            queryset = queryset.filter(latest_result__grade__gte=self.min_grade)
        if self.kind:
            queryset = queryset.filter(latest_result__kind=self.kind)
        if self.status == "assessed":
            queryset = queryset.filter(latest_result__isnull=False)
        elif self.status == "never":
            queryset = queryset.filter(latest_result__isnull=True)
        elif self.status == "draft":
            queryset = queryset.filter(
                Exists(Assessment.objects.filter(enterprise=OuterRef("pk"), state=AssessmentState.DRAFT))
            )
        elif self.status == "stale":
            queryset = queryset.filter(latest_result__submitted_at__lt=timezone.now() - STALE_AFTER)
        if self.result_year is not None:
            queryset = queryset.filter(
                Exists(
                    Assessment.objects.filter(
                        Q(enterprise=OuterRef("pk"), state=AssessmentState.SUBMITTED),
                        submitted_at__year=self.result_year,
                    )
                )
            )
        if self.domain:
            queryset = queryset.filter(latest_result__isnull=False)
        if self.at:  # inside the viewer's scope already: this only narrows it
            queryset = queryset.filter(region_code=self.at)
        return queryset

    def params(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if value not in ("", None):
                out[f.name] = str(value)
        return out

    def chips(self) -> list[str]:
        out: list[str] = []
        if self.grade is not None:
            out.append(f"最近等级：{GradeLevel(self.grade).label}")
        if self.min_grade is not None:
            out.append(f"最近等级不低于{GradeLevel(self.min_grade).label.split(' ')[0]}")
        if self.kind:
            out.append(f"最近结果为{AssessmentKind(self.kind).label}")
        if self.status:
            out.append(STATUS_LABELS[self.status])
        if self.result_year is not None:
            out.append(f"{self.result_year} 年有提交的结果")
        if self.domain:
            out.append(f"能力域：{self.domain}")
        if self.at:
            out.append(f"登记在{regions.full_name(self.at)}（未细分）")
        return out
