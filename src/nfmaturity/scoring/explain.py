"""Every level score traced down to each requirement (standard-notes §2 rule 9).

A requirement of row s, domain d, level i that takes part contributes

    rating × (1 / n) × (w_s / Σw) × (α_d / Σα)

to S_i, where n counts the row's requirements at the level that are not 不适用, Σw runs over the rows of d taking
part at the level and Σα over the domains taking part. The contributions of a level add up to S_i exactly.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction

from nfmaturity.catalog.model import LEVELS, Level, Requirement, Row
from nfmaturity.scoring.display import format_percent, format_truncated
from nfmaturity.scoring.layout import layout_of
from nfmaturity.scoring.model import ScoreResult
from nfmaturity.scoring.ratings import Rating


@dataclass(frozen=True)
class RequirementTrace:
    requirement: Requirement
    rating: Rating
    share: (
        Fraction | None
    )  # 1/n of the row mean; None for 不适用 (it leaves the mean) or a row taking no part
    contribution: Fraction  # what it adds to S_i (0 for 不适用)


@dataclass(frozen=True)
class RowTrace:
    """One row at one level."""

    row: Row
    score: Fraction | None  # C; None when the row takes no part (all its requirements here are 不适用)
    beta: Fraction | None  # w / Σw over the rows of its domain taking part
    alpha: Fraction | None  # α / Σα over the domains taking part
    requirements: tuple[RequirementTrace, ...]

    @property
    def weight(self) -> Fraction | None:
        """The row's effective weight in S_i: β × α / Σα."""
        return None if self.beta is None or self.alpha is None else self.beta * self.alpha

    @property
    def contribution(self) -> Fraction:
        return sum((r.contribution for r in self.requirements), Fraction(0))


@dataclass(frozen=True)
class LevelTrace:
    level: Level
    score: Fraction
    rows: tuple[RowTrace, ...]  # rows with requirements at this level, in catalog order

    @property
    def contribution(self) -> Fraction:
        """Σ of every requirement's contribution: equals ``score`` exactly."""
        return sum((r.contribution for r in self.rows), Fraction(0))


@dataclass(frozen=True)
class Explanation:
    result: ScoreResult
    levels: tuple[LevelTrace, ...]

    def requirements(self) -> Iterator[tuple[LevelTrace, RowTrace, RequirementTrace]]:
        for level in self.levels:
            for row in level.rows:
                for requirement in row.requirements:
                    yield level, row, requirement


def row_weights(result: ScoreResult) -> tuple[dict[str, tuple[Fraction, Fraction]], ...]:
    """Per level: row id → (β, α/Σα) for every row taking part."""
    layout = layout_of(result.catalog)
    rows = result.row_scores()
    domains = {ds.domain.name: ds for ds in result.domains}
    out = []
    for index, domain_levels in enumerate(layout.levels):
        taking = [dl for dl in domain_levels if domains[dl.domain.name].level_scores[index] is not None]
        alpha_total = sum(dl.weight for dl in taking)
        weights = {}
        for dl in taking:
            cells = [c for c in dl.cells if rows[c.row.id].level_scores[index] is not None]
            w_total = sum(c.weight for c in cells)
            for cell in cells:
                weights[cell.row.id] = (cell.weight / w_total, dl.weight / alpha_total)
        out.append(weights)
    return tuple(out)


def marginal_weights(result: ScoreResult) -> dict[str, Fraction]:
    """Requirement id → how much S_i rises per 1 point of its rating (β × α/Σα / n), for every requirement
    that counts (not 不适用, row taking part). Raising a rating from a to b adds (b − a) × this to S_i."""
    layout = layout_of(result.catalog)
    out = {}
    for index, weights in enumerate(row_weights(result)):
        for cell in layout.cells(index):
            if cell.row.id in weights:
                beta, alpha = weights[cell.row.id]
                counting = [
                    r.id for r in cell.requirements if result.ratings[r.id] is not Rating.NOT_APPLICABLE
                ]
                unit = beta * alpha / len(counting)
                out.update(dict.fromkeys(counting, unit))
    return out


def explain(result: ScoreResult) -> Explanation:
    layout = layout_of(result.catalog)
    row_scores = result.row_scores()
    levels = []
    for index, weights in enumerate(row_weights(result)):
        traces = []
        for cell in layout.cells(index):
            beta, alpha = weights.get(cell.row.id, (None, None))
            ratings = [result.ratings[r.id] for r in cell.requirements]
            if beta is None or alpha is None:  # the row takes no part: every requirement here is 不适用
                requirement_traces = [
                    RequirementTrace(r, rating, None, Fraction(0))
                    for r, rating in zip(cell.requirements, ratings, strict=True)
                ]
            else:
                share = Fraction(1, sum(1 for r in ratings if r is not Rating.NOT_APPLICABLE))
                unit = beta * alpha * share
                # The contribution depends only on the rating within a cell: one product per rating.
                contributions = {
                    r: (None, Fraction(0)) if r.score is None else (share, r.score * unit)
                    for r in set(ratings)
                }
                requirement_traces = [
                    RequirementTrace(r, rating, *contributions[rating])
                    for r, rating in zip(cell.requirements, ratings, strict=True)
                ]
            c = row_scores[cell.row.id].level_scores[index]
            traces.append(RowTrace(cell.row, c, beta, alpha, tuple(requirement_traces)))
        levels.append(LevelTrace(LEVELS[index], result.level_scores[index], tuple(traces)))
    return Explanation(result, tuple(levels))


def _short(text: str, limit: int = 40) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def render_explanation(explanation: Explanation) -> str:
    """The trace as Chinese text (``nfm score --explain``); figures truncated to four decimals."""
    result = explanation.result
    unrated = set(result.unrated)
    lines = [
        "计分说明：要求得分 × 在子域均值中的份额（1/n）× 子域有效权重（β × α/Σα）= 对该等级得分的贡献。",
        "“不适用”的要求不计入均值；要求全部不适用的子域不参与该等级，权重在本能力域内重新归一。",
        "数值截断（不四舍五入）保留四位小数。",
    ]
    for level in explanation.levels:
        met = "满足，计 1 分" if result.level_met[level.level - 1] else "未满足，计实际得分"
        lines.append("")
        lines.append(f"{level.level.label} 等级得分 {format_truncated(level.score, 4)}（{met}）")
        domain = None
        for row in level.rows:
            if row.row.domain != domain:
                domain = row.row.domain
                lines.append(f"  能力域：{domain}")
            if row.score is None or row.beta is None or row.alpha is None:
                lines.append(f"    {row.row.name}：不参与本级（要求均为不适用）")
            else:
                lines.append(
                    f"    {row.row.name}：C = {format_truncated(row.score, 4)}，β = {format_percent(row.beta)}，"
                    f"α/Σα = {format_percent(row.alpha)}，有效权重 {format_percent(row.beta * row.alpha)}，"
                    f"贡献 {format_truncated(row.contribution, 4)}"
                )
            for trace in row.requirements:
                requirement = trace.requirement
                head = f"      {requirement.number}. {_short(requirement.text)}［{requirement.id}］"
                if trace.share is None:
                    reason = result.na_reasons.get(requirement.id, "")
                    lines.append(f"{head}：{trace.rating.label}（理由：{reason}），不计入均值")
                    continue
                label = trace.rating.label + ("（未评分，按不满足计）" if requirement.id in unrated else "")
                lines.append(
                    f"{head}：{label} × 1/{trace.share.denominator} → 贡献 {format_truncated(trace.contribution, 4)}"
                )
        lines.append(f"  {level.level.label} 各要求贡献合计 {format_truncated(level.contribution, 4)}")
    return "\n".join(lines) + "\n"
