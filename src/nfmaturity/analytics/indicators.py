"""Techno-economic indicators an enterprise reports each year: one definition each (key, label, unit, valid
range, help), the peer benchmark of a year's figures (k ≥ 5, as for the maturity result) and the seeds'
reference values of policy and research documents beside them.

The keys are the column names of ``IndicatorReport``. A benchmark compares a figure with the same indicator of the
same year reported by peers: verified enterprises of the same kind (real or demo) sharing a sector (环节) of the
profile and its size class, else one of its metals; the energy figure only with peers reporting it for the same
product. Nothing about a group is shown unless it holds at least ``MIN_OTHERS`` other enterprises with a figure,
and then only the enterprise's percentile (or, for 是/否, the share of the group answering 是).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q, QuerySet
from django.http import Http404

from nfmaturity.accounts.access import AnyUser, membership_of
from nfmaturity.analytics.models import IndicatorReport
from nfmaturity.analytics.peers import MIN_OTHERS, peer_enterprises, percentile
from nfmaturity.analytics.references import ENERGY_UNIT, Reference, references_for
from nfmaturity.enterprises.access import can_verify
from nfmaturity.enterprises.models import Enterprise, Metal, SectorChoice, SizeClass

IndicatorValues = dict[str, Decimal | bool | str | None]
FIRST_YEAR = 2000


@dataclass(frozen=True)
class IndicatorDefinition:
    key: str
    label: str
    unit: str
    kind: Literal["percent", "boolean", "number"]
    minimum: Decimal | None
    maximum: Decimal | None
    decimals: int
    help: str
    higher_is_better: bool = True


DEFINITIONS: tuple[IndicatorDefinition, ...] = (
    IndicatorDefinition(
        key="equipment_networked",
        label="生产设备联网率",
        unit="%",
        kind="percent",
        minimum=Decimal(0),
        maximum=Decimal(100),
        decimals=2,
        help="已联网、可实时采集运行数据的生产设备台数占生产设备总台数的比例。",
    ),
    IndicatorDefinition(
        key="key_process_nc",
        label="关键工序数控化率",
        unit="%",
        kind="percent",
        minimum=Decimal(0),
        maximum=Decimal(100),
        decimals=2,
        help="采用数字化控制（数控设备、DCS、PLC 等）的关键工序数占关键工序总数的比例。",
    ),
    IndicatorDefinition(
        key="sensor_coverage",
        label="关键工艺传感器覆盖率",
        unit="%",
        kind="percent",
        minimum=Decimal(0),
        maximum=Decimal(100),
        decimals=2,
        help="关键工艺环节（如电解槽控、烟气处理）中已布设传感器、可在线采集参数的检测点占应设检测点的比例。",
    ),
    IndicatorDefinition(
        key="platform_connected",
        label="工业互联网平台接入",
        unit="是/否",
        kind="boolean",
        minimum=None,
        maximum=None,
        decimals=0,
        help="本企业年末是否已接入工业互联网平台（如行业或区域的铝业工业互联网平台）。",
    ),
    IndicatorDefinition(
        key="digital_investment",
        label="数字化投入占营收比",
        unit="%",
        kind="percent",
        minimum=Decimal(0),
        maximum=Decimal(100),
        decimals=2,
        help="当年数字化投入（软硬件、网络、云服务、数字化人员与咨询）占营业收入的比例。",
    ),
    IndicatorDefinition(
        key="energy_per_unit",
        label="单位产品综合能耗",
        unit=ENERGY_UNIT,
        kind="number",
        minimum=Decimal(0),
        maximum=Decimal(100000),
        decimals=3,
        help=f"单位产品综合能耗，单位为{ENERGY_UNIT}，须注明对应的产品（如氧化铝、阴极铜）。",
        higher_is_better=False,
    ),
)
BY_KEY = {d.key: d for d in DEFINITIONS}


def show(definition: IndicatorDefinition, value: Decimal | bool | None) -> str:
    """A figure as the pages write it: "38.50 %", "是", "426.000 千克标准煤/吨", or "未填报"."""
    if value is None:
        return "未填报"
    if isinstance(value, bool):
        return "是" if value else "否"
    return f"{value:.{definition.decimals}f} {definition.unit}"


@dataclass(frozen=True)
class IndicatorLine:
    """One indicator of one year, as shown: the figure, its peer position (or why there is none), references."""

    definition: IndicatorDefinition
    value: Decimal | bool | None
    shown: str
    peer_text: str
    references: list[Reference]


@dataclass(frozen=True)
class IndicatorBenchmark:
    report: IndicatorReport
    group_label: str  # "" when no group has enough peers
    lines: list[IndicatorLine]


def _groups(subject: Enterprise) -> list[tuple[str, QuerySet[Enterprise]]]:
    pool = peer_enterprises(subject)
    sectors = [s for s in subject.sectors if s in SectorChoice.values]
    sector_q = Q()
    for s in sectors:
        sector_q |= Q(sectors__icontains=f'"{s}"')
    sector_text = "、".join(str(SectorChoice(s).label) for s in sectors) or "未填"
    groups = [
        (
            f"同环节（{sector_text}）、同规模（{SizeClass(subject.size).label}企业）",
            pool.filter(sector_q, size=subject.size),
        )
    ]
    metals = [m for m in subject.metals if m in Metal.values]
    if metals:
        metal_q = Q()
        for m in metals:
            metal_q |= Q(metals__icontains=f'"{m}"')
        metal_text = "、".join(str(Metal(m).label) for m in metals)
        groups.append(
            (f"同环节（{sector_text}）、同金属（{metal_text}）", pool.filter(sector_q).filter(metal_q))
        )
    return groups


def benchmark(report: IndicatorReport, subject: Enterprise | None = None) -> IndicatorBenchmark:
    """The report's figures with their peer positions and the documents' reference values: one aggregate per group tried
    (the group's size and every figure's position counted together), plus the enterprise unless given."""
    if subject is None:
        subject = Enterprise.objects.select_related("organisation").get(pk=report.enterprise_id)
    aggregates: dict[str, Count] = {"others": Count("pk")}
    for d in DEFINITIONS:
        mine = getattr(report, d.key)
        has = Q(**{f"{d.key}__isnull": False})
        if d.key == "energy_per_unit":
            has &= Q(energy_product=report.energy_product)
        aggregates[f"{d.key}_n"] = Count("pk", filter=has)
        if mine is None:
            continue
        if d.kind == "boolean":
            aggregates[f"{d.key}_yes"] = Count("pk", filter=has & Q(**{d.key: True}))
            continue
        worse = f"{d.key}__lt" if d.higher_is_better else f"{d.key}__gt"
        aggregates[f"{d.key}_below"] = Count("pk", filter=has & Q(**{worse: mine}))
        aggregates[f"{d.key}_equal"] = Count("pk", filter=has & Q(**{d.key: mine}))
    chosen_label, counts = "", {}
    for label, enterprises in _groups(subject):
        figures = IndicatorReport.objects.filter(year=report.year, enterprise__in=enterprises).aggregate(
            **aggregates
        )
        if figures["others"] >= MIN_OTHERS:
            chosen_label, counts = label, figures
            break
    grouped = bool(chosen_label)
    lines = []
    for d in DEFINITIONS:
        value = getattr(report, d.key)
        lines.append(
            IndicatorLine(
                definition=d,
                value=value,
                shown=show(d, value),
                peer_text=_peer_text(d, value, counts, grouped),
                references=references_for(d.key),
            )
        )
    return IndicatorBenchmark(report=report, group_label=chosen_label, lines=lines)


def _peer_text(
    d: IndicatorDefinition, value: Decimal | bool | None, counts: dict[str, int], grouped: bool
) -> str:
    if not grouped:
        return f"同类企业不足 {MIN_OTHERS} 家，不作比较"
    if value is None:
        return "未填报，不作比较"
    n = counts.get(f"{d.key}_n", 0)
    if n < MIN_OTHERS:
        extra = "（同一产品）" if d.key == "energy_per_unit" else ""
        return f"填报该指标的同类企业{extra}不足 {MIN_OTHERS} 家，不作比较"
    if d.kind == "boolean":
        share = counts[f"{d.key}_yes"] * 100 // n
        return f"同组 {n} 家企业中 {share}% 已接入"
    position = percentile(counts[f"{d.key}_below"], counts[f"{d.key}_equal"], n)
    better = "高于" if d.higher_is_better else "低于（能耗越低越好）"
    return f"{better}同组 {position}% 的企业（同组 {n} 家，持平计一半）"


def reports_of(enterprise: Enterprise) -> list[IndicatorReport]:
    return list(IndicatorReport.objects.filter(enterprise=enterprise).order_by("-year"))


# ---- Who sees and who reports an enterprise's indicators. They are the enterprise's own figures, like its
# self-assessment: its people and those who oversee it read them; its people report them; an assessment body
# does not see them (404, as for anything else it may not read).


def sees_indicators(user: AnyUser, enterprise: Enterprise) -> bool:
    return can_report(user, enterprise) or can_verify(user, enterprise)


def can_report(user: AnyUser, enterprise: Enterprise) -> bool:
    membership = membership_of(user)
    return membership is not None and membership.organisation_id == enterprise.organisation_id


def get_enterprise_for_indicators(user: AnyUser, pk: int, *, write: bool = False) -> Enterprise:
    enterprise = Enterprise.objects.select_related("organisation").filter(pk=pk).first()
    if enterprise is None or not sees_indicators(user, enterprise):
        raise Http404
    if write and not can_report(user, enterprise):
        raise PermissionDenied
    return enterprise
