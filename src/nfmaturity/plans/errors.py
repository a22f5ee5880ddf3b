"""Why a plan write was refused. Messages are Chinese and shown to the user as they are."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from nfmaturity.plans.models import PlanAction, Rectification


class PlanError(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class StaleActionError(PlanError):
    """Somebody saved this action after the user loaded it; nothing was written."""

    def __init__(self, current: PlanAction) -> None:
        self.current = current
        who = ""
        if current.updated_by is not None:
            who = (current.updated_by.get_full_name() or current.updated_by.get_username()) + " "
        when = current.updated_at.astimezone().strftime("%H:%M:%S")
        super().__init__(
            f"保存失败：该事项已被 {who}于 {when} 修改（您看到的是旧版本）。您填写的内容仍在表单中，"
            "下方列出了最新内容，请核对后重新保存。"
        )


class StaleRectificationError(PlanError):
    def __init__(self, current: Rectification) -> None:
        self.current = current
        super().__init__(
            "保存失败：该整改措施已被他人修改或处理（您看到的是旧版本），您填写的内容仍在表单中，请核对后重新提交。"
        )
