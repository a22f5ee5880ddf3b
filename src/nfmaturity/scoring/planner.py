"""The improvement plan: the least total effort of rating raises that reaches a target grade.

An action raises one requirement from its current rating to a higher one; its effort is the sum of the efforts
of the steps 不满足 → 部分满足 → 大部分满足 → 全部满足 it climbs (1 per step unless the caller says otherwise).
Raising requirement r by Δ adds Δ × u_r to its level score S_i (u_r = β × α/Σα / n, see ``explain``); the total
counts a level as S_i while under 0.8 and as 1 once it reaches 0.8 (standard-notes §2 rule 10).

The search is exact. Levels interact only through the total, so:

1. per unmet level, a 0/1 multiple-choice knapsack over effort gives the largest rise of S_i for every effort
   budget (each requirement contributes at most one of its possible raises); the rise is capped at what the
   level needs to reach 0.8, because more adds nothing;
2. the five curves are combined by a (max, +) convolution over effort, and the smallest budget whose best
   combination reaches the target total is the answer; among plans of that effort the one with the highest
   total is returned.

All values are whole multiples of one common denominator, so the knapsack runs on Python integers, exactly.
A budget bound — the cost of meeting the cheapest whole levels until the target is reached — keeps the
convolution small. Efforts must be positive whole numbers (use a finer unit, e.g. half-days, for halves).

With ``consecutive=True`` the plan instead reaches grade g with S1..S_g all met (no 等级跳跃 at the end,
standard-notes §2 rule 10): meeting those levels makes the total at least g, above the band's lower bound, so this
is the same search restricted to the unmet levels up to g, each of which must reach 0.8.

``ranking`` lists single one-step raises by their gain in total S per unit of effort, taken alone from the
current ratings: a greedy view for display, not the plan.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from fractions import Fraction
from math import lcm

from nfmaturity.catalog.model import LEVELS, Level, Requirement, Row
from nfmaturity.scoring.aggregate import TENTHS, score
from nfmaturity.scoring.errors import EffortError
from nfmaturity.scoring.explain import marginal_weights
from nfmaturity.scoring.grading import MET_THRESHOLD, GradeBand, counted, grade_bands, target_band
from nfmaturity.scoring.layout import layout_of
from nfmaturity.scoring.model import ScoreResult
from nfmaturity.scoring.ratings import SCORED_ASCENDING, Rating

# The effort of raising ``requirement`` one step up from ``rating`` (a whole number ≥ 1).
EffortFunction = Callable[[Requirement, Rating], int]
# Either such a function, or the effort of the step up from each rating (不满足, 部分满足, 大部分满足).
Effort = EffortFunction | Mapping[Rating, int]


@dataclass(frozen=True)
class Action:
    """Raise one requirement from ``current`` to ``target``."""

    requirement: Requirement
    row: Row
    level: Level
    current: Rating
    target: Rating
    effort: int
    level_gain: Fraction  # how much S_i rises


@dataclass(frozen=True)
class Suggestion:
    """One step up for one requirement, judged alone from the current ratings."""

    requirement: Requirement
    row: Row
    level: Level
    current: Rating
    target: Rating
    effort: int
    gain: Fraction  # in total S

    @property
    def ratio(self) -> Fraction:
        return self.gain / self.effort


@dataclass(frozen=True)
class Plan:
    target: GradeBand | None  # None when there is no higher grade
    effort: int
    actions: tuple[Action, ...]  # catalog order
    before: ScoreResult
    after: ScoreResult  # the assessment rescored with every action done
    ranking: tuple[Suggestion, ...]  # best gain per effort first

    @property
    def reached(self) -> bool:
        return self.target is None or self.after.total >= self.target.lower


def _effort_function(effort: Effort | None) -> EffortFunction:
    if effort is None:
        return lambda requirement, rating: 1
    if isinstance(effort, Mapping):
        steps = effort
        return lambda requirement, rating: steps[rating]
    return effort


def _step_costs(requirement: Requirement, current: Rating, effort: EffortFunction) -> list[int]:
    """Effort of each step up from ``current`` to 全部满足."""
    costs = []
    for rating in SCORED_ASCENDING[SCORED_ASCENDING.index(current) : -1]:
        cost = effort(requirement, rating)
        if isinstance(cost, bool) or not isinstance(cost, int) or cost < 1:
            raise EffortError(requirement.id, cost)
        costs.append(cost)
    return costs


@dataclass(frozen=True)
class _Item:
    """A requirement that can be raised: its choices (effort, rise in units of 1/D, target rating)."""

    requirement: Requirement
    row: Row
    current: Rating
    choices: tuple[tuple[int, int, Rating], ...]


def _curve(items: list[_Item], need: int) -> list[list[int]]:
    """Knapsack tables: tables[k][c] = the largest rise (capped at ``need``) using items[:k] with effort ≤ c.

    A table is stored up to where it stops changing: entries past the end equal the last one.
    """
    tables = [[0]]
    for item in items:
        previous = tables[-1]
        widest = max(cost for cost, _, _ in item.choices)
        extended = previous + [previous[-1]] * widest
        new = list(extended)
        for cost, rise, _ in item.choices:
            taken = [min(need, x + rise) for x in extended[: len(extended) - cost]]
            new[cost:] = [a if a >= b else b for a, b in zip(new[cost:], taken, strict=True)]
        if new[-1] == need:  # beyond the first budget that meets the level nothing changes
            new = new[: new.index(need) + 1]
        tables.append(new)
    return tables


def _at(table: list[int], budget: int) -> int:
    return table[min(budget, len(table) - 1)]


def _choose(
    items: list[_Item], tables: list[list[int]], budget: int, need: int
) -> list[tuple[_Item, int, Rating]]:
    """Walk the tables back: which raise each item takes within ``budget``."""
    chosen = []
    for k in range(len(items), 0, -1):
        value = _at(tables[k], budget)
        if value == _at(tables[k - 1], budget):
            continue  # not raising this one is as good
        item = items[k - 1]
        # The table rose at this item, so one of its raises produced the value: the first such one.
        cost, _, target = next(
            (cost, rise, target)
            for cost, rise, target in item.choices
            if cost <= budget and min(need, _at(tables[k - 1], budget - cost) + rise) == value
        )
        chosen.append((item, cost, target))
        budget -= cost
    return chosen


def _convolve(a: list[int], b: list[int], limit: int) -> tuple[list[int], list[int]]:
    """(max, +) convolution of two budget curves up to ``limit``; also the budget given to ``b`` at each point."""
    best, split = [], []
    for c in range(min(len(a) + len(b) - 2, limit) + 1):
        top, where = -1, 0
        for cb in range(min(c, len(b) - 1) + 1):
            value = _at(a, c - cb) + b[cb]
            if value > top:
                top, where = value, cb
        best.append(top)
        split.append(where)
    return best, split


def plan(
    result: ScoreResult, target: int | None = None, effort: Effort | None = None, *, consecutive: bool = False
) -> Plan:
    """The least-effort plan reaching grade ``target`` (default: the next grade), with a greedy ranking.

    ``consecutive``: reach it with every level up to the target met (no 等级跳跃), not by the total alone."""
    band = target_band(grade_bands(result.catalog), result.grade, target)
    effort_of = _effort_function(effort)
    units = marginal_weights(result)
    layout = layout_of(result.catalog)
    unmet = [i for i, met in enumerate(result.level_met) if not met]
    candidates: dict[int, list[tuple[Requirement, Row, Rating, list[int]]]] = {i: [] for i in unmet}
    for index in unmet:
        for cell in layout.cells(index):
            for requirement in cell.requirements:
                rating = result.ratings[requirement.id]
                if rating not in (Rating.FULL, Rating.NOT_APPLICABLE):
                    costs = _step_costs(requirement, rating, effort_of)
                    candidates[index].append((requirement, cell.row, rating, costs))
    ranking = _ranking(result, candidates, units)
    actions: list[tuple[Requirement, Row, Rating, Rating, int]] = []
    if band is not None and consecutive:
        below = {i: entries for i, entries in candidates.items() if i < band.level}
        if below:  # each of these levels must count 1: the unmet ones together add len(below)
            actions = _optimal(result, Fraction(sum(result.level_met) + len(below)), below, units)
    elif band is not None and result.total < band.lower:
        actions = _optimal(result, band.lower, candidates, units)
    return _plan(result, band, actions, units, ranking)


def _ranking(
    result: ScoreResult,
    candidates: Mapping[int, list[tuple[Requirement, Row, Rating, list[int]]]],
    units: Mapping[str, Fraction],
) -> tuple[Suggestion, ...]:
    suggestions = []
    for index, entries in candidates.items():
        s = result.level_scores[index]
        for requirement, row, rating, costs in entries:
            up = SCORED_ASCENDING[SCORED_ASCENDING.index(rating) + 1]
            rise = (_score(up) - _score(rating)) * units[requirement.id]
            suggestion = Suggestion(
                requirement, row, LEVELS[index], rating, up, costs[0], counted(s + rise) - s
            )
            suggestions.append(suggestion)
    suggestions.sort(key=lambda x: (x.ratio, x.gain), reverse=True)
    return tuple(suggestions)


def _score(rating: Rating) -> Fraction:
    value = rating.score
    assert value is not None  # only scored ratings are raised
    return value


def _optimal(
    result: ScoreResult,
    lower: Fraction,
    candidates: Mapping[int, list[tuple[Requirement, Row, Rating, list[int]]]],
    units: Mapping[str, Fraction],
) -> list[tuple[Requirement, Row, Rating, Rating, int]]:
    """The least-effort raises of the ``candidates`` levels that bring the total to ``lower``."""
    # One denominator D for every quantity, so the search runs on integers.
    denominators = [MET_THRESHOLD.denominator, lower.denominator]
    denominators += [result.level_scores[i].denominator for i in candidates]
    denominators += [(units[r.id] / 10).denominator for entries in candidates.values() for r, *_ in entries]
    d = lcm(*denominators)
    met_total = d * sum(1 for met in result.level_met if met)
    goal = int(lower * d) - met_total  # what the unmet levels must add up to, counted
    curves: dict[int, tuple[list[_Item], list[list[int]], int]] = {}
    counted_curves: dict[int, list[int]] = {}
    for index, entries in candidates.items():
        s = int(result.level_scores[index] * d)
        need = int(MET_THRESHOLD * d) - s
        items = []
        for requirement, row, rating, costs in entries:
            unit = int(units[requirement.id] * d / 10)
            start = TENTHS[rating] or 0
            choices = []
            for step, up in enumerate(SCORED_ASCENDING[SCORED_ASCENDING.index(rating) + 1 :], start=1):
                choices.append((sum(costs[:step]), ((TENTHS[up] or 0) - start) * unit, up))
            items.append(_Item(requirement, row, rating, tuple(choices)))
        # Large rises for little effort first: the tables then reach the level's need, and stop growing, sooner.
        items.sort(key=lambda item: Fraction(item.choices[-1][1], item.choices[-1][0]), reverse=True)
        tables = _curve(items, need)
        curves[index] = (items, tables, need)
        counted_curves[index] = [d if rise >= need else s + rise for rise in tables[-1]]
    # A budget that surely suffices: meet whole levels, cheapest first, until the goal is reached.
    limit, reached = 0, sum(curve[0] for curve in counted_curves.values())
    for index in sorted(candidates, key=lambda i: len(counted_curves[i])):
        if reached >= goal:
            break
        limit += len(counted_curves[index]) - 1
        reached += d - counted_curves[index][0]
    order = list(candidates)
    combined = counted_curves[order[0]]
    splits = []
    for index in order[1:]:
        combined, split = _convolve(combined, counted_curves[index], limit)
        splits.append(split)
    budget = next(c for c, value in enumerate(combined) if value >= goal)
    budgets = {}
    for index, split in zip(reversed(order[1:]), reversed(splits), strict=True):
        budgets[index] = split[budget]
        budget -= split[budget]
    budgets[order[0]] = budget
    actions = []
    for index, (items, tables, need) in curves.items():
        for item, cost, target in _choose(items, tables, budgets[index], need):
            actions.append((item.requirement, item.row, item.current, target, cost))
    return actions


def _plan(
    result: ScoreResult,
    band: GradeBand | None,
    actions: list[tuple[Requirement, Row, Rating, Rating, int]],
    units: Mapping[str, Fraction],
    ranking: tuple[Suggestion, ...],
) -> Plan:
    ratings = dict(result.ratings)
    for requirement, _, _, target, _ in actions:
        ratings[requirement.id] = target
    unrated = set(result.unrated) - {requirement.id for requirement, *_ in actions}
    after = score(
        result.catalog,
        {i: r for i, r in ratings.items() if i not in unrated},
        na_reasons=result.na_reasons,
        allow_unrated=True,
    )
    order = {i: n for n, i in enumerate(layout_of(result.catalog).requirement_ids)}
    done = sorted(
        (
            Action(
                requirement,
                row,
                requirement.level,
                current,
                target,
                cost,
                (_score(target) - _score(current)) * units[requirement.id],
            )
            for requirement, row, current, target, cost in actions
        ),
        key=lambda a: order[a.requirement.id],
    )
    return Plan(band, sum(a.effort for a in done), tuple(done), result, after, ranking)
