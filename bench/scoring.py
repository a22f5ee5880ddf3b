"""Benchmark of the scoring core on the real catalog (nfdt-2024, all three sectors).

For each sector: scores N random complete assessments (a few 不适用 with reasons), with and without the
explanation trace, runs gap analysis, and plans the least-effort route to the next grade.

    .venv/bin/python bench/scoring.py            # N = 200 assessments, 30 plans per sector
    .venv/bin/python bench/scoring.py --short    # a quick run for CI

Targets: a full score well under 5 ms; a plan to the next grade under 1 s.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from collections.abc import Callable
from typing import Any, TypeVar

from nfmaturity.catalog.loader import load_catalog
from nfmaturity.catalog.model import Sector, SectorCatalog
from nfmaturity.cli.text_table import pad
from nfmaturity.scoring.aggregate import score
from nfmaturity.scoring.explain import explain
from nfmaturity.scoring.gaps import find_gaps
from nfmaturity.scoring.planner import plan
from nfmaturity.scoring.ratings import Rating

SCORE_TARGET_MS = 5.0
PLAN_TARGET_MS = 1000.0
SCALE = (Rating.FULL, Rating.MOSTLY, Rating.PARTLY, Rating.NONE)
T = TypeVar("T")


def random_assessment(catalog: SectorCatalog, rng: random.Random) -> tuple[dict[str, Rating], dict[str, str]]:
    """Ratings that thin out at higher levels, like a real enterprise's; about 2 % 不适用."""
    maturity = rng.uniform(0.5, 4.5)
    ratings, reasons = {}, {}
    for requirement in catalog.requirements():
        if rng.random() < 0.02:
            ratings[requirement.id] = Rating.NOT_APPLICABLE
            reasons[requirement.id] = "本企业无此业务"
            continue
        ahead = requirement.level - maturity  # > 0: above the enterprise's level
        weights = (max(0.1, 3 - 2 * ahead), 2, max(0.1, 1 + ahead), max(0.1, 1 + 2 * ahead))
        ratings[requirement.id] = rng.choices(SCALE, weights=weights)[0]
    return ratings, reasons


def timed(function: Callable[..., T], *args: Any, **kwargs: Any) -> tuple[T, float]:
    """The value and the wall time in milliseconds."""
    start = time.perf_counter()
    value = function(*args, **kwargs)
    return value, (time.perf_counter() - start) * 1000


def summary(label: str, samples: list[float], per: int | None = None, target: float | None = None) -> str:
    mean = statistics.fmean(samples)
    worst = max(samples)
    text = f"  {pad(label, 22)} 平均 {mean:8.3f} ms  最慢 {worst:8.3f} ms"
    if per:
        text += f"  每千条评分 {mean * 1000 / per:7.3f} ms"
    if target:
        text += f"  占目标 {mean / target:6.1%}（目标 {target:g} ms）"
    return text


def bench_sector(catalog: SectorCatalog, n: int, n_plans: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    size = sum(1 for _ in catalog.requirements())
    cases = [random_assessment(catalog, rng) for _ in range(n)]
    score(catalog, cases[0][0], na_reasons=cases[0][1])  # arranges the catalog once (it is cached)
    scored, explained, gaps = [], [], []
    results = []
    for ratings, reasons in cases:
        result, ms = timed(score, catalog, ratings, na_reasons=reasons)
        scored.append(ms)
        results.append(result)
        _, trace_ms = timed(explain, result)
        explained.append(ms + trace_ms)
        _, gap_ms = timed(find_gaps, result)
        gaps.append(gap_ms)
    planned, efforts = [], []
    for result in [r for r in results if r.grade.level < 5][:n_plans]:
        outcome, ms = timed(plan, result)
        assert outcome.reached
        planned.append(ms)
        efforts.append(outcome.effort)
    grades = statistics.multimode(r.grade.level for r in results)
    lines = [
        f"{catalog.sector.label}（{size} 条要求，{len(catalog.rows)} 个能力子域行，{n} 份评估，常见等级 {grades}）",
        summary("计分", scored, size, SCORE_TARGET_MS),
        summary("计分 + 计分说明", explained, size),
        summary("差距分析", gaps, size),
    ]
    if planned:
        lines.append(summary("提升计划（下一等级）", planned, None, PLAN_TARGET_MS))
        lines.append(f"  {pad('', 22)} {len(planned)} 份计划，最少工作量 {min(efforts)}–{max(efforts)} 档")
    ratio = statistics.fmean(explained) / statistics.fmean(scored)
    lines.append(f"  {pad('', 22)} 带计分说明的耗时为单纯计分的 {ratio:.1f} 倍")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description="评分引擎基准测试（真实目录 nfdt-2024）")
    parser.add_argument("--short", action="store_true", help="少量样本，供持续集成快速运行")
    parser.add_argument("-n", type=int, default=200, help="每个行业的随机评估份数（默认 200）")
    parser.add_argument("--plans", type=int, default=30, help="每个行业计算提升计划的份数（默认 30）")
    parser.add_argument("--seed", type=int, default=2024)
    args = parser.parse_args()
    n, n_plans = (5, 2) if args.short else (args.n, args.plans)
    catalog = load_catalog()
    print(f"评分引擎基准：{catalog.title}（{catalog.code}-{catalog.version}），精确分数运算（Fraction）")
    for index, sector in enumerate(Sector):
        print()
        print("\n".join(bench_sector(catalog.for_sector(sector), n, n_plans, args.seed + index)))


if __name__ == "__main__":
    main()
