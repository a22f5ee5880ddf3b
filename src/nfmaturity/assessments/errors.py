"""Why an assessment write was refused. Messages are Chinese and shown to the user as they are."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from nfmaturity.assessments.models import RatingRecord


class AssessmentError(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class AssessmentLockedError(AssessmentError):
    def __init__(self) -> None:
        super().__init__("该自评估已提交，不能再修改评分或附件")


class StaleRatingError(AssessmentError):
    """Somebody changed this rating after the user loaded it; nothing was written."""

    def __init__(self, current: RatingRecord | None) -> None:
        self.current = current
        if current is None:
            message = "该要求的评分已被他人清除或尚未保存，页面已刷新为最新状态，请重新选择。"
        else:
            who = current.updated_by.get_full_name() or current.updated_by.get_username()
            when = current.updated_at.astimezone().strftime("%H:%M:%S")
            message = (
                f"保存失败：该要求的评分已被 {who} 于 {when} 改为“{current.get_value_display()}”"
                "（您看到的是旧版本）。下方已显示最新评分，如需修改请重新选择。"
            )
        super().__init__(message)


class WorkbookRejectedError(AssessmentError):
    """The uploaded workbook cannot be imported; ``problems`` lists every bad row, in Chinese."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__(f"工作簿有 {len(problems)} 处问题，未导入任何评分")
