"""Peer benchmark: where one stored result stands among comparable enterprises, as percentiles only.

Peers are other enterprises whose latest submitted result (``LatestResult``) is for the same sector
(环节) and which share the subject's size class; when that group holds fewer than ``MIN_OTHERS`` other
enterprises, those sharing one of its metals instead. Below ``MIN_OTHERS`` nothing is shown (k-anonymity:
with four others a percentile would nearly give their figures away). Only verified enterprises count; a
real result is compared with real enterprises only and a demo result with demo enterprises only, so demo
data never leaks into real figures nor real figures into a demo page.

What comes back identifies no peer: the group's label, how many others it holds, and the subject's
percentiles. No names, no single peer's figure, no minimum or maximum.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet

from nfmaturity.analytics.selectors import DEMO
from nfmaturity.assessments.catalogs import sector_view
from nfmaturity.assessments.models import LatestScore, Result, ResultScore, ScoreKind
from nfmaturity.assessments.results import in_units
from nfmaturity.enterprises.models import Enterprise, Metal, SectorChoice, SizeClass, VerificationState

# The smallest number of *other* enterprises a group must hold before anything about it is shown.
MIN_OTHERS = 5


def is_demo(enterprise: Enterprise) -> bool:
    return bool(enterprise.is_demo or enterprise.organisation.is_demo)


def percentile(below: int, equal: int, others: int) -> int:
    """The share of ``others`` the subject is ahead of, ties counted half, in whole percent (rounded down):
    ahead of 3 and level with 1 of 5 others is (3 + 0.5) / 5 = 70."""
    if others <= 0:
        raise ValueError("a percentile needs at least one other enterprise")
    return (2 * below + equal) * 100 // (2 * others)


@dataclass(frozen=True)
class PeerPosition:
    """The subject's place among its peers. ``group_label`` says which group was used (size or metal)."""

    group_label: str
    others: int
    total_percentile: int
    domains: list[tuple[str, int]]  # (domain name, percentile of its maturity), in the catalog's order


def peer_enterprises(subject: Enterprise) -> QuerySet[Enterprise]:
    """Every enterprise that may be a peer of ``subject``: verified, of the same kind (demo or real), not it."""
    pool = Enterprise.objects.exclude(pk=subject.pk).filter(verification=VerificationState.VERIFIED)
    return pool.filter(DEMO) if is_demo(subject) else pool.exclude(DEMO)


def _metal_filter(metals: list[str]) -> Q:
    condition = Q()
    for metal in metals:
        # JSON list membership written so it works on SQLite and PostgreSQL alike (as the registry filter).
        condition |= Q(metals__icontains=f'"{metal}"')
    return condition


def _metal_names(metals: list[str]) -> str:
    return "、".join(Metal(m).label for m in metals if m in Metal.values)


def peer_groups(subject: Enterprise, sector: str) -> list[tuple[str, QuerySet[Enterprise]]]:
    """The groups ``subject`` may be compared with for ``sector``, in order of preference: the other enterprises
    of its size class whose latest result is for ``sector``, then those sharing one of its metals."""
    pool = peer_enterprises(subject).filter(latest_result__sector=sector)
    sector_label = SectorChoice(sector).label if sector in SectorChoice.values else sector
    candidates: list[tuple[str, QuerySet[Enterprise]]] = [
        (
            f"同环节（{sector_label}）、同规模（{SizeClass(subject.size).label}企业）",
            pool.filter(size=subject.size),
        )
    ]
    metals = [m for m in subject.metals if m in Metal.values]
    if metals:
        candidates.append(
            (
                f"同环节（{sector_label}）、同金属（{_metal_names(metals)}）",
                pool.filter(_metal_filter(metals)),
            )
        )
    return candidates


def peer_position(result: Result) -> PeerPosition | None:
    """``result``'s total and each domain's maturity as percentiles among its peers, or None when the peer
    group holds fewer than ``MIN_OTHERS`` other enterprises.

    One aggregate per group tried (the size group, then the metal group), over the peers' stored domain rows:
    how many peers, how many lie below and level with the subject on the total and on each domain. Counting
    the group and its figures in one statement halved the time at 50 000 enterprises (measured: 1.2 s for
    three statements → see the report of issue 12; read from ``LatestScore`` since); no peer's figure ever leaves the database."""
    assessment = result.assessment
    subject = Enterprise.objects.select_related("organisation").get(pk=assessment.enterprise_id)
    mine = {
        key: in_units(maturity)
        for key, maturity in ResultScore.objects.filter(
            result=result, kind=ScoreKind.DOMAIN, maturity__isnull=False
        ).values_list("key", "maturity")
    }
    order = _domain_order(result, list(mine))
    if not order:  # a result without domain figures has nothing to compare
        return None
    # Each peer has one latest result with one row per domain in ``LatestScore`` (figures in millionths): its
    # rows for the first domain count the peers and compare the totals (a plain filtered COUNT; COUNT
    # DISTINCT over all rows sorted them and cost a third more).
    first = Q(key=order[0])
    total = "enterprise__latest_result__total_shown"
    counts: dict[str, Count] = {
        "others": Count("pk", filter=first),
        "t_below": Count("pk", filter=first & Q(**{f"{total}__lt": result.total_shown})),
        "t_equal": Count("pk", filter=first & Q(**{total: result.total_shown})),
    }
    for i, key in enumerate(order):
        counts[f"d{i}_n"] = Count("pk", filter=Q(key=key, maturity__isnull=False))
        counts[f"d{i}_below"] = Count("pk", filter=Q(key=key, maturity__lt=mine[key]))
        counts[f"d{i}_equal"] = Count("pk", filter=Q(key=key, maturity=mine[key]))
    found: tuple[str, dict[str, int]] | None = None
    for candidate, peers in peer_groups(subject, assessment.sector):
        figures = LatestScore.objects.filter(
            kind=ScoreKind.DOMAIN, enterprise_id__in=peers.values("pk")
        ).aggregate(**counts)
        if figures["others"] >= MIN_OTHERS:
            found = (candidate, figures)
            break
    if found is None:
        return None
    label, figures = found
    domains: list[tuple[str, int]] = []
    for i, key in enumerate(order):
        below, equal, n = figures[f"d{i}_below"], figures[f"d{i}_equal"], figures[f"d{i}_n"]
        # A domain some peers' catalogs lack is shown only when enough of them have it.
        if n >= MIN_OTHERS:
            domains.append((key, percentile(below, equal, n)))
    return PeerPosition(
        group_label=label,
        others=figures["others"],
        total_percentile=percentile(figures["t_below"], figures["t_equal"], figures["others"]),
        domains=domains,
    )


def _domain_order(result: Result, keys: list[str]) -> list[str]:
    try:
        order = list(sector_view(result.catalog_version, result.assessment.sector).domain_order)
    except (KeyError, ValueError, FileNotFoundError):  # a catalog version no longer installed
        order = []
    known = [k for k in order if k in keys]
    return known + sorted(k for k in keys if k not in known)
