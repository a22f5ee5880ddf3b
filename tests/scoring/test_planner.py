"""The planner finds the least-effort set of raises that reaches the target grade: checked against brute force."""

from __future__ import annotations

import itertools
import random
from collections.abc import Callable
from fractions import Fraction

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from nfmaturity.catalog.loader import load_catalog
from nfmaturity.catalog.model import Requirement, Sector, SectorCatalog
from nfmaturity.scoring.aggregate import score
from nfmaturity.scoring.errors import EffortError, TargetGradeError
from nfmaturity.scoring.model import ScoreResult
from nfmaturity.scoring.planner import plan
from nfmaturity.scoring.ratings import SCORED_ASCENDING, Rating

from .factory import build_catalog, fill, na_reasons_for
from .strategies import catalogs

F = Fraction
Cost = Callable[[Requirement, Rating], int]


def brute_force(result: ScoreResult, goal: Fraction, cost: Cost, consecutive: int = 0) -> int:
    """Try every combination of raises; the least effort whose rescored total reaches ``goal`` (with at
    least ``consecutive`` levels met from S1 up)."""
    catalog, ratings = result.catalog, dict(result.ratings)
    requirements = catalog.requirement_map()
    raisable = [i for i, r in ratings.items() if r not in (Rating.FULL, Rating.NOT_APPLICABLE)]
    options = [SCORED_ASCENDING[SCORED_ASCENDING.index(ratings[i]) :] for i in raisable]
    best: int | None = None
    for combo in itertools.product(*options):
        effort = 0
        for i, target in zip(raisable, combo, strict=True):
            for step in SCORED_ASCENDING[SCORED_ASCENDING.index(ratings[i]) : SCORED_ASCENDING.index(target)]:
                effort += cost(requirements[i], step)
        if best is not None and effort >= best:
            continue
        raised = ratings | dict(zip(raisable, combo, strict=True))
        after = score(catalog, raised, na_reasons=result.na_reasons)
        if after.total >= goal and after.consecutive_level >= consecutive:
            best = effort
    assert best is not None
    return best


@st.composite
def small_cases(draw: st.DrawFn) -> tuple[ScoreResult, Cost | None, int]:
    catalog = draw(catalogs(max_domains=2, max_rows=2, max_per_cell=2))
    ids = list(catalog.requirement_map())
    ratings = dict.fromkeys(ids, Rating.FULL)
    for i in draw(st.lists(st.sampled_from(ids), max_size=6, unique=True)):
        ratings[i] = draw(st.sampled_from([Rating.NONE, Rating.PARTLY, Rating.MOSTLY, Rating.NOT_APPLICABLE]))
    for level in range(1, 6):  # keep something to score at every level
        at_level = [r.id for r in catalog.requirements() if r.level == level]
        if all(ratings[i] is Rating.NOT_APPLICABLE for i in at_level):
            ratings[at_level[0]] = Rating.NONE
    result = score(catalog, ratings, na_reasons=na_reasons_for(ratings))
    assume(result.grade.level < 5)
    target = draw(st.integers(result.grade.level + 1, 5))
    if draw(st.booleans()):
        return result, None, target
    costs = {(i, step): draw(st.integers(1, 4)) for i in ids for step in SCORED_ASCENDING[:-1]}
    return result, lambda requirement, rating: costs[requirement.id, rating], target


@given(small_cases())
@settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much]
)
def test_the_plan_is_optimal_against_brute_force(case: tuple[ScoreResult, Cost | None, int]) -> None:
    result, cost, target = case
    found = plan(result, target, cost)
    assert found.target is not None
    assert found.after.total >= found.target.lower and found.reached
    assert found.after.grade.level >= target
    assert found.effort == brute_force(result, found.target.lower, cost or (lambda r, s: 1))
    effort_of = cost or (lambda r, s: 1)
    for action in found.actions:  # each action's effort is the sum of its steps
        a, b = SCORED_ASCENDING.index(action.current), SCORED_ASCENDING.index(action.target)
        assert action.effort == sum(effort_of(action.requirement, s) for s in SCORED_ASCENDING[a:b])
    assert found.effort == sum(a.effort for a in found.actions)


@given(small_cases())
@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much]
)
def test_the_consecutive_plan_meets_every_level_up_to_the_target_at_least_effort(
    case: tuple[ScoreResult, Cost | None, int],
) -> None:
    result, cost, target = case
    found = plan(result, target, cost, consecutive=True)
    assert found.target is not None and found.reached
    assert found.after.consecutive_level >= target
    assert found.effort == brute_force(result, found.target.lower, cost or (lambda r, s: 1), target)


@pytest.fixture
def two_rows() -> SectorCatalog:
    return build_catalog(
        {
            "组织": {
                "rows": {
                    "A": {"weight": 1, "requirements": [4, 4, 4, 4, 4]},
                    "B": {"weight": 3, "requirements": [1, 1, 1, 1, 1]},
                }
            }
        }
    )


def test_a_cheap_step_that_crosses_the_threshold_wins(two_rows: SectorCatalog) -> None:
    ratings = fill(two_rows, Rating.NONE, {"A": {"S1": Rating.FULL}, "B": {"S1": Rating.PARTLY}})
    result = score(two_rows, ratings)
    # S1 = (1·1 + 3·0.5)/4 = 5/8; raising B one step to 0.8 gives (1 + 2.4)/4 = 0.85 ≥ 0.8: effort 1.
    assert result.level_scores[0] == F(5, 8)
    found = plan(result)
    assert found.effort == 1 and [a.requirement.id for a in found.actions] == ["B:S1:1"]
    assert found.after.grade.level == 1
    assert found.actions[0].level_gain == F(3, 10) * F(3, 4)


def test_custom_effort_as_a_mapping_changes_the_choice(two_rows: SectorCatalog) -> None:
    others = {"S2": Rating.FULL, "S3": Rating.FULL, "S4": Rating.FULL, "S5": Rating.FULL}
    ratings = fill(two_rows, others, {"A": {"S1": Rating.PARTLY}, "B": {"S1": Rating.MOSTLY}})
    result = score(two_rows, ratings)
    # S1 = (0.5 + 3·0.8)/4 = 0.725, total 4.725 (四级). 五级 needs S1 ≥ 0.8: either B 0.8 → 1 (+0.15, one
    # step) or all four of A's requirements 0.5 → 0.8 (+0.3/16 each: exactly 0.8).
    assert result.level_scores[0] == F(29, 40) and result.grade.level == 4
    assert plan(result).effort == 1
    expensive_top = {Rating.NONE: 1, Rating.PARTLY: 1, Rating.MOSTLY: 5}
    found = plan(result, effort=expensive_top)
    assert found.effort == 4 and {a.requirement.row for a in found.actions} == {"r:A"}
    assert found.after.level_scores[0] == F(4, 5) and found.after.grade.level == 5


@pytest.mark.parametrize("bad", [0, -1, True, 1.5, "1"])
def test_efforts_must_be_positive_whole_numbers(two_rows: SectorCatalog, bad: object) -> None:
    result = score(two_rows, fill(two_rows, Rating.NONE))
    with pytest.raises(EffortError, match="提升工作量"):
        plan(result, effort=lambda requirement, rating: bad)  # type: ignore[arg-type,return-value]


def test_invalid_target(two_rows: SectorCatalog) -> None:
    with pytest.raises(TargetGradeError):
        plan(score(two_rows, fill(two_rows, Rating.NONE)), target=0)


def test_nothing_to_do_when_the_target_is_reached_or_there_is_no_higher_grade(
    two_rows: SectorCatalog,
) -> None:
    reached = plan(score(two_rows, fill(two_rows, {"S1": Rating.FULL, "S2": Rating.FULL})), target=2)
    assert (reached.effort, reached.actions, reached.reached) == (0, (), True)
    assert reached.after.total == reached.before.total
    assert plan(reached.before, target=2, consecutive=True).actions == ()
    top = plan(score(two_rows, fill(two_rows, Rating.FULL)))
    assert (top.target, top.effort, top.actions, top.ranking, top.reached) == (None, 0, (), (), True)


def test_the_ranking_orders_single_steps_by_gain_per_effort(two_rows: SectorCatalog) -> None:
    result = score(two_rows, fill(two_rows, Rating.NONE))
    ranking = plan(result).ranking
    ratios = [s.ratio for s in ranking]
    assert ratios == sorted(ratios, reverse=True)
    first = ranking[0]
    # B's single requirement carries 3/4 of each level: 0 → 0.5 adds 3/8
    assert (first.requirement.id, first.current, first.target, first.effort, first.gain) == (
        "B:S1:1",
        Rating.NONE,
        Rating.PARTLY,
        1,
        F(3, 8),
    )


def test_a_provisional_result_keeps_what_is_still_unrated(two_rows: SectorCatalog) -> None:
    result = score(two_rows, {"A:S1:1": Rating.FULL}, allow_unrated=True)
    found = plan(result)
    raised = {a.requirement.id for a in found.actions}
    assert set(found.after.unrated) == set(result.unrated) - raised
    assert found.after.grade.level >= 1


@pytest.mark.parametrize("sector", list(Sector))
def test_on_the_real_catalog_the_plan_reaches_the_next_grade(sector: Sector) -> None:
    catalog = load_catalog().for_sector(sector)
    rng = random.Random(sector.value)
    scale = (Rating.FULL, Rating.MOSTLY, Rating.PARTLY, Rating.NONE)
    ratings = {
        r.id: rng.choices(scale, weights=(6 - r.level, 3, 2, r.level))[0] for r in catalog.requirements()
    }
    result = score(catalog, ratings)
    found = plan(result)
    assert found.target is not None and found.target.level == result.grade.level + 1
    assert found.after.total >= found.target.lower and found.effort > 0
