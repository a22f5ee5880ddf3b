"""Why an assessment cannot be scored, planned or settled: one class per failure kind, Chinese messages.

Errors about requirements carry every offending id (``ids``) in catalog order, so a caller can point at
each one (a workbook row, a form field) instead of stopping at the first.
"""

from __future__ import annotations

from collections.abc import Iterable

from nfmaturity.catalog.model import Level


class ScoringError(ValueError):
    """Base class: the message is Chinese and says what is wrong."""


class RequirementsError(ScoringError):
    """A problem that concerns a list of requirements."""

    summary = "要求有误"

    def __init__(self, ids: Iterable[str]) -> None:
        self.ids: tuple[str, ...] = tuple(ids)
        super().__init__(f"{self.summary}（共 {len(self.ids)} 项）：{'、'.join(self.ids)}")


class UnknownRequirementError(RequirementsError):
    """Ratings or reasons given for ids the catalog does not have."""

    summary = "目录中没有这些要求编号"


class UnratedRequirementError(RequirementsError):
    """Requirements of the catalog that have no rating."""

    summary = "以下要求尚未评分"


class MissingReasonError(RequirementsError):
    """Requirements rated 不适用 without a written reason (standard-notes §2 rule 4)."""

    summary = "以下要求评为“不适用”但未填写理由"


class EmptyLevelError(ScoringError):
    """No sub-domain takes part at a level (every requirement there is 不适用), so S_i is undefined."""

    def __init__(self, level: Level) -> None:
        self.level = level
        super().__init__(f"{level.label} 级没有可计分的要求（全部为不适用或目录为空），无法计算该级得分")


class TargetGradeError(ScoringError):
    """A planning target that is not a grade of Table 3."""

    def __init__(self, target: int) -> None:
        self.target = target
        super().__init__(f"目标等级“{target}”无效：应为 1 至 5 之间的整数")


class EffortError(ScoringError):
    """An effort that is not a positive whole number."""

    def __init__(self, requirement_id: str, effort: object) -> None:
        self.requirement_id = requirement_id
        self.effort = effort
        super().__init__(f"要求 {requirement_id} 的提升工作量“{effort}”无效：应为正整数")


class NoVotesError(ScoringError):
    """Consensus asked for a requirement nobody rated."""

    def __init__(self) -> None:
        super().__init__("没有专家评分，无法形成建议评分")
