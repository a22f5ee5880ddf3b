"""Comparing two submitted assessments from their stored results (exact values, never recomputed).

Figures are shown truncated to two decimals, and a change is shown as the difference of the two figures *as
shown* (standard-notes §2 rule 7: 3.13 − 2.65 = +0.48, even when the exact change truncates to 0.47), so the
arithmetic a reader does on the page always holds. The exact change stays available beside it (four decimals).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from nfmaturity.assessments.catalogs import sector_view
from nfmaturity.assessments.models import Assessment, Result
from nfmaturity.assessments.results import parse_exact
from nfmaturity.catalog.model import LEVELS
from nfmaturity.scoring.display import format_truncated


def shown_figure(value: Fraction | None) -> str:
    return "—" if value is None else format_truncated(value)


def shown_difference(before: Fraction, after: Fraction) -> Decimal:
    """The difference of the two truncated figures, exactly as a reader would subtract them."""
    return Decimal(format_truncated(after)) - Decimal(format_truncated(before))


@dataclass(frozen=True)
class Change:
    name: str
    group: str
    before: Fraction | None
    after: Fraction | None

    @property
    def before_shown(self) -> str:
        return shown_figure(self.before)

    @property
    def after_shown(self) -> str:
        return shown_figure(self.after)

    @property
    def shown_delta(self) -> Decimal | None:
        if self.before is None or self.after is None:
            return None
        return shown_difference(self.before, self.after)

    @property
    def delta_shown(self) -> str:
        """ "+0.48", "-0.12", "0.00"; "—" when one side has no figure."""
        d = self.shown_delta
        if d is None:
            return "—"
        return f"+{d}" if d > 0 else str(d)

    @property
    def exact_delta_shown(self) -> str:
        """The exact change, truncated to four decimals (for the tooltip beside the shown change)."""
        if self.before is None or self.after is None:
            return ""
        return format_truncated(self.after - self.before, 4)

    @property
    def direction(self) -> str:
        """From the shown change, so the colour never disagrees with the number beside it."""
        d = self.shown_delta
        if d is None or d == 0:
            return "same"
        return "up" if d > 0 else "down"


@dataclass(frozen=True)
class Comparison:
    before: Assessment
    after: Assessment
    before_result: Result
    after_result: Result
    total: Change
    levels: list[Change]
    domains: list[Change]
    subdomains: list[Change]
    warnings: list[str]


def warnings_for(before: Assessment, after: Assessment, rb: Result, ra: Result) -> list[str]:
    """Why the two results may not be comparable, in Chinese (empty when they are)."""
    out = []
    if before.unit_id != after.unit_id:
        out.append(
            f"两次评估的评估对象不同（{before.subject} / {after.subject}），分数反映的是不同单元的情况，"
            "变化不代表同一单元的进步或退步。"
        )
    if before.sector != after.sector:
        out.append(
            f"两次评估的评估环节不同（{before.get_sector_display()} / {after.get_sector_display()}），"
            "行业特性能力子域的要求不同，子域只按同名对照，分数不能直接比较。"
        )
    if rb.catalog_version != ra.catalog_version:
        out.append(
            f"两次评估采用的标准版本不同（{rb.catalog_version} / {ra.catalog_version}），要求与权重可能不同。"
        )
    elif rb.catalog_hash and ra.catalog_hash and rb.catalog_hash != ra.catalog_hash:
        out.append("两次评估虽采用同一标准版本，但标准文件内容不同（要求或权重经过修订），分数不能直接比较。")
    return out


def compare_results(before: Assessment, after: Assessment) -> Comparison:
    rb = before.results.order_by("-version").first()
    ra = after.results.order_by("-version").first()
    assert rb is not None and ra is not None  # both are submitted, so both have results
    levels = [
        Change(
            level.label, "", parse_exact(rb.levels.get(str(i + 1))), parse_exact(ra.levels.get(str(i + 1)))
        )
        for i, level in enumerate(LEVELS)
    ]
    domains = [
        Change(
            name, "", parse_exact(rb.domains.get(name, {}).get("maturity")), parse_exact(data.get("maturity"))
        )
        for name, data in ra.domains.items()
    ]
    # Sub-domains are matched by name: row ids differ between sectors and catalog versions.
    before_rows = {(d["domain"], d["name"]): rid for rid, d in rb.subdomains.items()}
    subdomains = []
    for rid, data in ra.subdomains.items():
        key = (data["domain"], data["name"])
        old = before_rows.get(key)
        subdomains.append(
            Change(
                data["name"],
                data["domain"],
                parse_exact(rb.maturity.get(old)) if old else None,
                parse_exact(ra.maturity.get(rid)),
            )
        )
    # JSON objects have no key order on PostgreSQL (jsonb): order by the questionnaire's row order.
    order = sector_view(after.catalog_version, after.sector)
    rank = {(row.domain, row.name): i for i, row in enumerate(order.rows)}
    subdomains.sort(key=lambda c: rank.get((c.group, c.name), len(rank)))
    domain_rank = {name: i for i, name in enumerate(order.domain_order)}
    domains.sort(key=lambda c: domain_rank.get(c.name, len(domain_rank)))
    return Comparison(
        before=before,
        after=after,
        before_result=rb,
        after_result=ra,
        total=Change("总分", "", Fraction(rb.total), Fraction(ra.total)),
        levels=levels,
        domains=domains,
        subdomains=subdomains,
        warnings=warnings_for(before, after, rb, ra),
    )
