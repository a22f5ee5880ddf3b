"""Properties of the roadmap on random ratings of the real smelting catalog (no database): the default path ends
without a 等级跳跃 at or above the target, the ordered gains add up to the core's own rescoring, levels come in
order, and the literal path never takes more one-grade rises than the default one."""

from __future__ import annotations

from fractions import Fraction

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nfmaturity.assessments.catalogs import current_version, sector_view
from nfmaturity.plans.roadmap import roadmap_from, target_choices
from nfmaturity.scoring.aggregate import score
from nfmaturity.scoring.grading import grade_bands
from nfmaturity.scoring.ratings import SCORED_ASCENDING

VIEW = sector_view(current_version(), "smelting")
IDS = list(VIEW.requirements)
LEVEL_OF = {rid: int(r.level) for rid, r in VIEW.requirements.items()}


@st.composite
def ratings(draw: st.DrawFn) -> dict[str, object]:
    # A rating per level, with a few requirements rated differently: realistic profiles, varied enough.
    base = {level: draw(st.sampled_from(SCORED_ASCENDING)) for level in range(1, 6)}
    out = {rid: base[LEVEL_OF[rid]] for rid in IDS}
    for index in draw(st.lists(st.integers(0, len(IDS) - 1), max_size=40)):
        out[IDS[index]] = draw(st.sampled_from(SCORED_ASCENDING))
    return out


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ratings(), st.integers(0, 4), st.sampled_from(["large", "medium", "small", "micro"]))
def test_the_roadmap_reaches_its_target_exactly(
    given_ratings: dict[str, object], pick: int, size: str
) -> None:
    outcome = score(VIEW.catalog, given_ratings)  # type: ignore[arg-type]
    choices = target_choices(outcome.grade.level, outcome.consecutive_level, grade_bands(VIEW.catalog))
    if not choices:
        return
    target = choices[pick % len(choices)].level
    default = roadmap_from(outcome, VIEW, target_grade=target, literal=False, size=size)
    literal = roadmap_from(outcome, VIEW, target_grade=target, literal=True, size=size)
    for roadmap in (default, literal):
        assert sum((a.gain for a in roadmap.actions), Fraction(0)) == roadmap.reaches_total - outcome.total
        levels = [a.level for a in roadmap.actions]
        assert levels == sorted(levels)
        assert roadmap.reaches_grade >= target
    assert default.warning == "" and default.reaches_consecutive >= default.target_grade >= target
    # The literal path is the fewest one-grade rises reaching the target total; the default path reaches it too.
    assert sum(a.steps for a in literal.actions) <= sum(a.steps for a in default.actions)
