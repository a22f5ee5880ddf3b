"""Raters' agreement on a hand-computed set (no database): 3 experts, 4 requirements in 2 domains.

    requirement  domain  A     B     C     settled   flagged
    r1           甲      1     0.8   0.5   0.8       yes (spread 0.5)
    r2           甲      1     1     1     1         no
    r3           乙      na    0.5   0.5   0.5       yes (不适用 split)
    r4           乙      0     0     —     (unsettled) no

A: |1−0.8| + |1−1| = 0.2 + 0 over 2 compared → mean 1/10; no deviation ≥ 0.5; one 不适用 disagreement (r3).
B: 0 + 0 + 0 over 3 → mean 0.
C: |0.5−0.8| + 0 + 0 = 0.3 over 3 → mean 1/10; none ≥ 0.5 (0.3).
Flagged: 2 of 4 rated → 50 %; 甲 1/2, 乙 1/2.
"""

from __future__ import annotations

from fractions import Fraction

from nfmaturity.catalog.model import Level, Requirement
from nfmaturity.formal.agreement import agreement_of
from nfmaturity.formal.models import TeamMember
from nfmaturity.formal.services_consensus import ConsensusItem
from nfmaturity.scoring.consensus import propose
from nfmaturity.scoring.ratings import Rating

A, B, C = (TeamMember(pk=i) for i in (1, 2, 3))


def item(rid: str, votes: dict[TeamMember, str], settled: str | None) -> ConsensusItem:
    requirement = Requirement(
        id=f"row-{rid[-1]}:1:1",
        row="row-1" if rid in ("r1", "r2") else "row-2",
        level=Level(1),
        number=1,
        text=rid,
        line=1,
    )
    given = {m.pk: (v, "理由" if v == "na" else "", "", False) for m, v in votes.items()}
    return ConsensusItem(
        requirement=requirement,
        label=rid,
        members=[A, B, C],
        given=given,
        consensus=propose([Rating(v) for v in votes.values()]),
        settled_value=settled,
    )


def test_hand_computed_agreement() -> None:
    items = [
        item("r1", {A: "1", B: "0.8", C: "0.5"}, "0.8"),
        item("r2", {A: "1", B: "1", C: "1"}, "1"),
        item("r3", {A: "na", B: "0.5", C: "0.5"}, "0.5"),
        item("r4", {A: "0", B: "0"}, None),
    ]
    result = agreement_of(items, [A, B, C], {"row-1": "甲", "row-2": "乙"}, ("甲", "乙"))
    assert (result.overall.flagged, result.overall.rated) == (2, 4)
    assert result.overall.shown == "50.00%"
    assert [(d.name, d.flagged, d.rated) for d in result.domains] == [("甲", 1, 2), ("乙", 1, 2)]
    assert result.na_split == 1 and result.settled == 3
    a, b, c = result.experts
    assert (a.compared, a.mean, a.large, a.na_disagreements) == (2, Fraction(1, 10), 0, 1)
    assert (b.compared, b.mean, b.large, b.na_disagreements) == (3, Fraction(0), 0, 0)
    assert (c.compared, c.mean, c.large) == (3, Fraction(1, 10), 0)
    assert c.mean_shown == "0.10" and a.mean_shown == "0.10"


def test_a_deviation_of_half_a_point_counts_and_shows_truncated() -> None:
    items = [
        item("r1", {A: "1", B: "0.5", C: "0.5"}, "0.5"),
        item("r2", {A: "0.8", B: "1", C: "1"}, "1"),
        item("r3", {A: "0.5", B: "0.5", C: "0.5"}, "0.5"),
    ]
    a = agreement_of(items, [A, B, C], {"row-1": "甲", "row-2": "乙"}, ("甲", "乙")).experts[0]
    # (0.5 + 0.2 + 0) / 3 = 7/30 = 0.2333… → shown 0.23 (truncated, never rounded up).
    assert a.mean == Fraction(7, 30) and a.mean_shown == "0.23" and a.large == 1
