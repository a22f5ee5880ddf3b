"""The 一企一策 roadmap: the capabilities an enterprise builds to reach a target grade (standard-notes §2 rule 10).

The scoring core's planner chooses which requirements to raise, exactly; this module turns that choice into a
roadmap people read: each action is the capability the requirement describes ("建立…", "实现…"), placed in a
scenario (``scenarios.py``) and a domain, in level order (a lower level is built before a higher one), with a
default effort fitted to the enterprise's size and the exact gain in total S it brings.

Path. By default the roadmap reaches the target grade with every level up to it met (逐级达标: no 等级跳跃 at the
end; §4.6.4 asks for advice fitted to the enterprise's stage, not the cheapest route to a number). If meeting
S1..S_g already lifts the total into a higher band while leaving that band's level unmet (a jump at the end), the
target is raised to that band and planned again, so the default path never ends on a jump. ``literal=True`` asks
for the cheapest route to the total alone (最低代价: the fewest one-grade rises), which may end on a jump: the
roadmap says so.

The planner searches in one-grade rises ("steps", as the results page's plan does), so both pages choose the same
requirements. On the default path that choice is also the one of least effort in 人周: every level up to the
target must be met, levels are then independent, and within one level every step costs the same, so the fewest
steps are the least effort. (Searching in 人周 directly gives the same default path, 10–60 times slower: the
knapsack tables grow with the effort's scale.) The literal path is the fewest steps, and says so.

Effort (人周 per one-grade rise of a requirement: 不满足 → 部分满足 → 大部分满足 → 全部满足) grows with the level:
a higher level asks for deeper integration. A 小型/微型 enterprise's first stage (the lowest level the roadmap
builds) costs half, rounded up: the standard asks for advice fitted to size, and a small enterprise starts with
light, rented solutions (cloud services, an industrial-internet platform) rather than its own systems. The effort is
only a default: a saved plan's actions are edited.

Exactness. ``reaches_total`` and ``reaches_grade`` are the core's own result of scoring the ratings with every
action done. Each action's ``gain`` is how much the total rises when it is done after the actions before it in the
roadmap's order (exact Fractions; a level's rise counts only up to its 0.8 threshold, where the level then counts
1), so the gains add up exactly to ``reaches_total`` − the current total.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from fractions import Fraction

from nfmaturity.assessments.catalogs import SectorView, sector_view
from nfmaturity.assessments.models import Assessment, Result
from nfmaturity.assessments.results import recompute_stored, shown
from nfmaturity.catalog.model import LEVELS, Requirement
from nfmaturity.enterprises.models import SizeClass
from nfmaturity.plans import scenarios
from nfmaturity.scoring.grading import GradeBand, counted, grade_bands
from nfmaturity.scoring.model import ScoreResult
from nfmaturity.scoring.planner import Plan, plan
from nfmaturity.scoring.ratings import Rating

PATH_CONSECUTIVE = "逐级达标"
PATH_LITERAL = "最低代价"
EFFORT_UNIT = "人周"

# Effort of one one-grade rise of a requirement, by level (人周).
STEP_EFFORT: dict[int, int] = {1: 2, 2: 3, 3: 5, 4: 8, 5: 12}
SMALL_SIZES = frozenset({SizeClass.SMALL.value, SizeClass.MICRO.value})

# What the enterprise has of the capability now, and what the action builds, in capability words.
HAVE: dict[Rating, str] = {
    Rating.NONE: "尚未具备",
    Rating.PARTLY: "部分具备",
    Rating.MOSTLY: "大部分具备",
}
BUILD: dict[Rating, str] = {
    Rating.PARTLY: "初步建立",
    Rating.MOSTLY: "基本建成",
    Rating.FULL: "全面建成",
}

_ASPECT = re.compile(r"^在(?P<aspect>[^，,；;。]{2,40}?)方面[，,]\s*")
_LEAD = ".．、 \u3000"


def capability(text: str) -> tuple[str, str]:
    """(capability, aspect) from a requirement's text.

    "在数字化转型相关职能建设方面，应在重点部门…；" gives ("在重点部门…", "数字化转型相关职能建设"): the
    requirement is the capability, without the "应" of a requirement and the list punctuation.
    """
    rest = text.strip().lstrip(_LEAD)
    aspect = ""
    found = _ASPECT.match(rest)
    if found:
        aspect = found["aspect"]
        rest = rest[found.end() :]
    rest = rest.lstrip(_LEAD)
    if rest.startswith("应") and len(rest) > 1:
        rest = rest[1:]
    rest = rest.rstrip("；;。.，, ")
    return rest or text.strip(), aspect


@dataclass(frozen=True)
class RoadmapAction:
    title: str  # the capability to build, from the requirement text
    aspect: str  # "数字化转型相关职能建设" when the text names one
    scenario: str
    domain: str
    subdomain: str  # the row's name as the standard writes it
    row_id: str
    level: int  # 1..5
    requirement_ids: tuple[str, ...]
    number: int  # the requirement's number inside its cell
    text: str  # the requirement as the standard writes it
    current: Rating
    target: Rating
    effort: int  # default, 人周
    steps: int  # one-grade rises (不满足 → 部分满足 … 全部满足)
    gain: Fraction  # exact rise of total S, done after the actions before it
    level_gain: Fraction  # exact rise of S_level

    @property
    def level_label(self) -> str:
        return f"S{self.level}"

    @property
    def have(self) -> str:
        return HAVE[self.current]

    @property
    def build(self) -> str:
        return BUILD[self.target]

    @property
    def reference(self) -> str:
        return f"{self.domain} / {self.subdomain} · S{self.level} 第{self.number}条"


@dataclass(frozen=True)
class Group:
    """Actions of one scenario, domain or level, with their summed effort and exact summed gain."""

    name: str
    actions: list[RoadmapAction]

    @property
    def effort(self) -> int:
        return sum(a.effort for a in self.actions)

    @property
    def gain(self) -> Fraction:
        return sum((a.gain for a in self.actions), Fraction(0))


@dataclass(frozen=True)
class Roadmap:
    target_grade: int
    target_label: str
    path: str  # PATH_CONSECUTIVE or PATH_LITERAL
    size: str  # SizeClass value ("" when unknown)
    before_total: Fraction
    before_grade: int
    before_label: str
    before_consecutive: int
    reaches_total: Fraction  # the core's total with every action done
    reaches_grade: int
    reaches_label: str
    reaches_consecutive: int
    warning: str  # empty unless the literal path leaves a 等级跳跃
    enterprise_advice: list[str]
    actions: list[RoadmapAction]  # level order, then scenario, domain, questionnaire order
    domain_order: tuple[str, ...] = ()  # the questionnaire's

    @property
    def literal(self) -> bool:
        return self.path == PATH_LITERAL

    @property
    def total_effort(self) -> int:
        return sum(a.effort for a in self.actions)

    @property
    def total_gain(self) -> Fraction:
        return self.reaches_total - self.before_total

    def by_scenario(self) -> dict[str, list[RoadmapAction]]:
        grouped: dict[str, list[RoadmapAction]] = {}
        for name in scenarios.SCENARIOS:
            chosen = [a for a in self.actions if a.scenario == name]
            if chosen:
                grouped[name] = chosen
        return grouped

    def by_domain(self) -> dict[str, list[RoadmapAction]]:
        grouped: dict[str, list[RoadmapAction]] = {}
        for name in self.domain_order:
            chosen = [a for a in self.actions if a.domain == name]
            if chosen:
                grouped[name] = chosen
        return grouped

    def scenario_groups(self) -> list[Group]:
        return [Group(name, actions) for name, actions in self.by_scenario().items()]

    def domain_groups(self) -> list[Group]:
        return [Group(name, actions) for name, actions in self.by_domain().items()]

    def by_level(self) -> dict[int, list[RoadmapAction]]:
        grouped: dict[int, list[RoadmapAction]] = {}
        for action in self.actions:
            grouped.setdefault(action.level, []).append(action)
        return grouped


def step_effort(level: int, size: str, first_stage: int) -> int:
    """Default effort (人周) of one one-grade rise at ``level`` for an enterprise of ``size``."""
    base = STEP_EFFORT[level]
    if size in SMALL_SIZES and level == first_stage:
        return max(1, -(-base // 2))
    return base


def target_choices(
    outcome_grade: int, consecutive_level: int, bands: tuple[GradeBand, ...]
) -> list[GradeBand]:
    """Grades a roadmap may aim at: every higher grade, and the current one while it rests on a 等级跳跃
    (the roadmap then consolidates it: the levels up to it are met)."""
    return [b for b in bands if b.level > outcome_grade or (b.level == outcome_grade > consecutive_level)]


def choices_for(result: Result, view: SectorView) -> list[GradeBand]:
    return target_choices(result.grade, result.consecutive_level, grade_bands(view.catalog))


def build_roadmap(
    assessment: Assessment,
    result: Result,
    *,
    target_grade: int | None = None,
    literal: bool = False,
    size: str | None = None,
) -> Roadmap:
    """The roadmap from a stored ``result`` of ``assessment`` to ``target_grade`` (default: the first grade
    offered by ``target_choices``). Reads the locked ratings (checked against the stored row); writes nothing.

    ``size`` defaults to the enterprise's registered size. A target that is not offered raises ``ValueError``.
    """
    view = sector_view(assessment.catalog_version, assessment.sector)
    outcome = recompute_stored(assessment, result)
    return roadmap_from(
        outcome,
        view,
        target_grade=target_grade,
        literal=literal,
        size=assessment.enterprise.size if size is None else size,
    )


def roadmap_from(
    outcome: ScoreResult, view: SectorView, *, target_grade: int | None, literal: bool, size: str
) -> Roadmap:
    bands = grade_bands(view.catalog)
    choices = target_choices(outcome.grade.level, outcome.consecutive_level, bands)
    if target_grade is None:
        target = choices[0] if choices else outcome.grade
    else:
        wanted = next((b for b in choices if b.level == target_grade), None)
        if wanted is None:
            raise ValueError(target_grade)
        target = wanted
    first_stage = next((i + 1 for i, met in enumerate(outcome.level_met) if not met), len(LEVELS))

    found = _plan(outcome, target.level, literal) if choices else None
    if found is None:
        chosen: list[tuple[Requirement, Rating, Rating, int, Fraction]] = []
        after = outcome
    else:
        chosen = [(a.requirement, a.current, a.target, a.effort, a.level_gain) for a in found.actions]
        after = found.after
        target = found.target or target
    actions = _ordered(view, outcome, chosen, lambda level: step_effort(level, size, first_stage))
    roadmap = Roadmap(
        target_grade=target.level,
        target_label=target.label,
        path=PATH_LITERAL if literal else PATH_CONSECUTIVE,
        size=size,
        before_total=outcome.total,
        before_grade=outcome.grade.level,
        before_label=outcome.grade.label,
        before_consecutive=outcome.consecutive_level,
        reaches_total=after.total,
        reaches_grade=after.grade.level,
        reaches_label=after.grade.label,
        reaches_consecutive=after.consecutive_level,
        warning=after.warning or "",
        enterprise_advice=[],
        actions=actions,
        domain_order=view.domain_order,
    )
    # The ordered gains must add up to the core's own rescoring: a check that the roadmap's figures are its.
    if sum((a.gain for a in actions), outcome.total) != after.total:
        raise ArithmeticError("roadmap gains disagree with the core's rescoring")
    return replace(roadmap, enterprise_advice=enterprise_advice(roadmap, outcome, view))


def _plan(outcome: ScoreResult, target: int, literal: bool) -> Plan:
    """The planner's choice in one-grade rises (its ``effort`` is then the number of steps of each action); on
    the default path, re-aimed until it ends without a 等级跳跃."""
    found = plan(outcome, target, consecutive=not literal)
    while not literal and found.after.warning and found.after.grade.level > target:
        target = found.after.grade.level
        found = plan(outcome, target, consecutive=True)
    return found


def _ordered(
    view: SectorView,
    outcome: ScoreResult,
    chosen: list[tuple[Requirement, Rating, Rating, int, Fraction]],
    per_step: Callable[[int], int],
) -> list[RoadmapAction]:
    rows = {row.id: row for row in view.rows}
    scenario_rank = {name: i for i, name in enumerate(scenarios.SCENARIOS)}
    domain_rank = {name: i for i, name in enumerate(view.domain_order)}

    def key(item: tuple[Requirement, Rating, Rating, int, Fraction]) -> tuple[int, int, int, int, int]:
        requirement = item[0]
        row = rows[requirement.row]
        return (
            int(requirement.level),
            scenario_rank[scenarios.scenario_of(row)],
            domain_rank[row.domain],
            view.row_index[row.id],
            requirement.number,
        )

    scores = list(outcome.level_scores)
    actions = []
    for requirement, current, target, steps, level_gain in sorted(chosen, key=key):
        row = rows[requirement.row]
        index = int(requirement.level) - 1
        before = counted(scores[index])
        scores[index] += level_gain
        title, aspect = capability(requirement.text)
        actions.append(
            RoadmapAction(
                title=title,
                aspect=aspect,
                scenario=scenarios.scenario_of(row),
                domain=row.domain,
                subdomain=row.name,
                row_id=row.id,
                level=int(requirement.level),
                requirement_ids=(requirement.id,),
                number=requirement.number,
                text=requirement.text,
                current=current,
                target=target,
                effort=steps * per_step(int(requirement.level)),
                steps=steps,
                gain=counted(scores[index]) - before,
                level_gain=level_gain,
            )
        )
    return actions


SIZE_ADVICE: dict[str, str] = {
    SizeClass.LARGE.value: (
        "大型企业：建议由数字化转型领导小组统筹，按场景分批立项；多基地、多工厂统一平台与数据标准，"
        "避免各厂重复建设，并把成熟做法向上下游延伸。"
    ),
    SizeClass.MEDIUM.value: (
        "中型企业：建议把资源集中在生产主线和管理主线的关键场景，优先选用成熟的行业解决方案，分阶段上线、"
        "每阶段验收后再进入下一阶段。"
    ),
    SizeClass.SMALL.value: (
        "小型企业：第一步建议采用工业互联网平台、云化（SaaS）服务等轻量化方案起步，先实现关键工序与主要业务的"
        "数据采集和线上管理，再逐步扩展；路线图已按此把第一阶段的工作量估算减半。"
    ),
    SizeClass.MICRO.value: (
        "微型企业：第一步建议直接使用工业互联网平台和云化（SaaS）服务，不自建系统，先把主要业务搬到线上、"
        "把关键数据记录下来；路线图已按此把第一阶段的工作量估算减半。"
    ),
}

SECTOR_ADVICE: dict[str, tuple[str, str]] = {
    # sector → (scenario to watch, sentence)
    "mining": (
        scenarios.SAFETY,
        "采选企业：矿山作业点多、分散，安全风险高，建议把安全生产监测预警与设备远程监控放在生产场景的优先位置。",
    ),
    "smelting": (
        scenarios.SAFETY,
        "冶炼企业：能耗高、安全环保约束强，建议把能源管理、安全生产与环保管理的数字化与生产作业一并推进，"
        "结合能碳管理中心建设指南安排。",
    ),
    "processing": (
        scenarios.PRODUCTION,
        "加工企业：多品种、订单驱动，建议把产品与工艺设计、计划调度和质量管控的数据贯通放在生产场景的优先位置。",
    ),
}


def enterprise_advice(roadmap: Roadmap, outcome: ScoreResult, view: SectorView) -> list[str]:
    """Enterprise-level advice (§4.6.4): the stage, the path, size and sector, where the work concentrates."""
    advice = []
    held = (
        f"连续满足的最高等级为 S{outcome.consecutive_level}"
        if outcome.consecutive_level
        else "尚无连续满足的等级"
    )
    advice.append(f"所处阶段：当前总分 {shown(outcome.total)}，{outcome.grade.label}，{held}。")
    if outcome.warning:
        advice.append(
            f"当前存在等级跳跃：评定等级依赖更高等级的部分得分，建议先补齐 S{outcome.consecutive_level + 1} "
            "的基础能力，再向上发展。"
        )
    if not roadmap.actions:
        advice.append("已达到所选目标，无需新增能力建设；建议巩固现有能力并保持数据与制度的持续运行。")
        return advice
    if roadmap.literal:
        advice.append(
            f"路径：最低代价——只求总分达到{roadmap.target_label}的下限，所需提升档数最少；"
            + ("完成后仍存在等级跳跃，仅供比较参考。" if roadmap.warning else "完成后不存在等级跳跃。")
        )
    else:
        advice.append(
            f"路径：逐级达标——把 S1 至 S{roadmap.reaches_consecutive} 各级得分都提高到 0.8 以上，"
            f"达到{roadmap.reaches_label}后不依赖更高等级的部分得分。"
        )
    stages = roadmap.by_level()
    first = min(stages)
    base = [a for a in stages[first] if a.scenario in (scenarios.MANAGEMENT, scenarios.FOUNDATION)]
    if base:
        advice.append(
            f"先打基础：第一阶段（S{first}）中管理与数据基础支撑方面的 {len(base)} 项能力是其他场景的前提，宜最先启动。"
        )
    if roadmap.size in SIZE_ADVICE:
        advice.append(SIZE_ADVICE[roadmap.size])
    sector = SECTOR_ADVICE.get(view.catalog.sector.value)
    if sector is not None:
        watched, sentence = sector
        count = sum(1 for a in roadmap.actions if a.scenario == watched)
        advice.append(sentence + (f"本路线图中该场景有 {count} 项能力建设。" if count else ""))
    effort_by = {name: sum(a.effort for a in actions) for name, actions in roadmap.by_scenario().items()}
    top = sorted(effort_by.items(), key=lambda item: -item[1])[:3]
    advice.append(
        "工作量最集中的场景："
        + "、".join(f"{name}（约 {effort} {EFFORT_UNIT}）" for name, effort in top)
        + f"；合计 {len(roadmap.actions)} 项能力建设，估算 {roadmap.total_effort} {EFFORT_UNIT}"
        "（按等级与企业规模估算，保存为企业计划后可逐项修改）。"
    )
    return advice
