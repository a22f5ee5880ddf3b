"""Comparing two submitted assessments from their stored results (exact values, never recomputed).

The changes are differences of the engine's stored exact figures, taken exactly and shown truncated.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from nfmaturity.assessments.catalogs import sector_view
from nfmaturity.assessments.models import Assessment, Result
from nfmaturity.assessments.results import parse_exact


@dataclass(frozen=True)
class Change:
    name: str
    group: str
    before: Fraction | None
    after: Fraction | None

    @property
    def delta(self) -> Fraction | None:
        if self.before is None or self.after is None:
            return None
        return self.after - self.before

    @property
    def direction(self) -> str:
        d = self.delta
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
    domains: list[Change]
    subdomains: list[Change]


def compare_results(before: Assessment, after: Assessment) -> Comparison:
    rb = before.results.order_by("-version").first()
    ra = after.results.order_by("-version").first()
    assert rb is not None and ra is not None  # both are submitted, so both have results
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
        domains=domains,
        subdomains=subdomains,
    )
