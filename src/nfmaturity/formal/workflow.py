"""The formal assessment's one state machine: which state may follow which, and the single way to move.

Every transition is one service function (in services_application / services_rating / services_results) that
opens a transaction, takes the row lock with ``lock``, checks its own rules, then calls ``move``: the state
changes, the row's version rises and the audit trail records old → new, all in that transaction.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User

from nfmaturity.audit.models import AuditAction
from nfmaturity.audit.services import record_event
from nfmaturity.formal.models import FormalAssessment, FormalState

S = FormalState

# Which states may follow each state. PUBLISHED → CONCLUSION is the body admin's reopening (with a reason).
TRANSITIONS: dict[FormalState, frozenset[FormalState]] = {
    S.DRAFT: frozenset({S.APPLIED, S.WITHDRAWN}),
    S.APPLIED: frozenset({S.TEAM, S.REFUSED, S.WITHDRAWN}),
    S.REFUSED: frozenset(),
    S.WITHDRAWN: frozenset(),
    S.TEAM: frozenset({S.PLANNING}),
    S.PLANNING: frozenset({S.ONSITE}),
    S.ONSITE: frozenset({S.CONSENSUS}),
    S.CONSENSUS: frozenset({S.CONCLUSION}),
    S.CONCLUSION: frozenset({S.COMMUNICATION, S.CONSENSUS}),
    S.COMMUNICATION: frozenset({S.REBUTTAL, S.FINAL}),
    S.REBUTTAL: frozenset({S.COMMUNICATION, S.FINAL}),
    S.FINAL: frozenset({S.PUBLISHED}),
    S.PUBLISHED: frozenset({S.CONCLUSION}),
}

# The order the hub's progress bar shows (REFUSED and WITHDRAWN end the road early).
ROAD = (
    S.DRAFT,
    S.APPLIED,
    S.TEAM,
    S.PLANNING,
    S.ONSITE,
    S.CONSENSUS,
    S.CONCLUSION,
    S.COMMUNICATION,
    S.FINAL,
    S.PUBLISHED,
)


class FormalError(Exception):
    """A refused action, with the Chinese sentence shown to the user."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class WrongStateError(FormalError):
    def __init__(self, formal: FormalAssessment, what: str) -> None:
        super().__init__(f"本次正式评估当前处于“{formal.get_state_display()}”阶段，不能{what}")


class StaleFormError(FormalError):
    """The row changed after the form was opened: the user sees the newer data and decides again."""

    def __init__(self) -> None:
        super().__init__("这条记录已被他人修改，请查看最新内容后再提交（您填写的内容已保留）")


def lock(formal: FormalAssessment | int) -> FormalAssessment:
    """The row, locked until the caller's transaction ends (call inside ``transaction.atomic``).

    Lock order, the same in every formal write: this row first, then the assessment (ratings) and what hangs
    off them, so two writes to one formal assessment run one after another.
    """
    pk = formal if isinstance(formal, int) else formal.pk
    return (
        FormalAssessment.objects.select_for_update(of=("self",))
        .select_related("assessment", "enterprise", "body")
        .get(pk=pk)
    )


def require(formal: FormalAssessment, what: str, *states: FormalState) -> None:
    if formal.state not in states:
        raise WrongStateError(formal, what)


def move(
    formal: FormalAssessment,
    to: FormalState,
    *,
    actor: User,
    action: AuditAction,
    reason: str = "",
    fields: tuple[str, ...] = (),
    details: dict[str, Any] | None = None,
) -> None:
    """Change the (locked) row's state, save it with ``fields`` the caller set, and audit the step."""
    if to not in TRANSITIONS[FormalState(formal.state)]:
        raise FormalError(f"不能从“{formal.get_state_display()}”转到“{to.label}”")
    old = formal.state
    formal.state = to
    formal.version += 1
    formal.save(update_fields=["state", "version", "updated_at", *fields])
    record_event(
        actor=actor,
        action=action,
        obj=formal,
        organisation_id=formal.enterprise.organisation_id,
        old={"state": old},
        new={"state": to.value, **(details or {})},
        reason=reason,
    )
