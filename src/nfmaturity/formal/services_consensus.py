"""The consensus (评分合议): the team settles each requirement from its experts' independent ratings.

``settle`` is the one way a requirement gets its team rating, here and in the rebuttal step (where it raises
``Settlement.round``). It writes the ``Settlement`` and the assessment's ``RatingRecord`` in one transaction:
the score is computed from the RatingRecords, i.e. from settled ratings only. Individual ``ExpertRating``s are
never changed.

Rules (standard-notes §2 rule 8): 一致 only when every vote is that value; 多数 only when more than half of
the votes hold it; 组长裁定 only by the 组长, and always with a rationale; any value other than the proposal
(``scoring.consensus.propose``) needs a rationale; 不适用 needs its reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import F

from nfmaturity.assessments.catalogs import SectorView
from nfmaturity.assessments.imports import lift_sqlite_parameter_cap
from nfmaturity.assessments.models import RatingRecord, RatingValue
from nfmaturity.audit.models import AuditAction
from nfmaturity.audit.services import EventSpec, record_event, record_events
from nfmaturity.catalog.model import Requirement
from nfmaturity.formal.models import (
    Evidence,
    EvidenceLink,
    ExpertRating,
    FormalAssessment,
    FormalState,
    Settlement,
    SettlementMethod,
    TeamMember,
)
from nfmaturity.formal.services_rating import requirement_label, seat_for_write, view_of
from nfmaturity.formal.workflow import FormalError, StaleFormError, lock, move, require
from nfmaturity.scoring.consensus import Consensus, propose
from nfmaturity.scoring.display import format_truncated
from nfmaturity.scoring.ratings import Rating

SETTLE_STATES = (FormalState.CONSENSUS, FormalState.REBUTTAL)


class StaleSettlementError(StaleFormError):
    def __init__(self, current: Settlement | None) -> None:
        super().__init__()
        self.current = current


def _check_rules(
    *,
    consensus: Consensus | None,
    value: RatingValue,
    reason: str,
    method: SettlementMethod,
    rationale: str,
    is_leader: bool,
) -> None:
    if value == RatingValue.NOT_APPLICABLE and not reason:
        raise FormalError("确定为“不适用”时必须填写不适用理由")
    if method == SettlementMethod.LEADER:
        if not is_leader:
            raise FormalError("只有组长可以“组长裁定”")
        if not rationale:
            raise FormalError("组长裁定须写明理由")
        return
    if consensus is None:
        raise FormalError("该要求没有专家评分，只能由组长裁定")
    rating = Rating(value)
    if method == SettlementMethod.UNANIMOUS and not (consensus.unanimous and consensus.votes[0] is rating):
        raise FormalError(f"专家评分并不一致，不能按“一致”确定为“{value.label}”")
    if method == SettlementMethod.MAJORITY and consensus.majority is not rating:
        raise FormalError(f"“{value.label}”没有得到过半数专家的评分，不能按“多数”确定")
    if rating is not consensus.proposal and not rationale:
        raise FormalError(f"确定的评分与建议评分“{consensus.proposal.label}”不同，须写明理由")


def settle(
    *,
    formal: FormalAssessment | int,
    requirement_id: str,
    value: RatingValue,
    reason: str,
    method: SettlementMethod,
    rationale: str,
    actor: User,
    expected_version: int,
) -> Settlement:
    """Settle one requirement (CONSENSUS; also REBUTTAL, where the round rises by one).

    ``expected_version``: the settlement's version the user saw (0: none yet); a stale one is refused.
    """
    value = RatingValue(value)
    method = SettlementMethod(method)
    reason = reason.strip() if value == RatingValue.NOT_APPLICABLE else ""
    rationale = rationale.strip()
    with transaction.atomic():
        locked = lock(formal)
        seat = seat_for_write(actor, locked)
        require(locked, "确定合议评分", *SETTLE_STATES)
        view = view_of(locked)
        requirement = view.requirements.get(requirement_id)
        if requirement is None:
            raise FormalError("评估标准中没有该要求")
        votes = [
            Rating(v)
            for v in ExpertRating.objects.filter(formal=locked, requirement_id=requirement_id).values_list(
                "value", flat=True
            )
        ]
        consensus = propose(votes) if votes else None
        _check_rules(
            consensus=consensus,
            value=value,
            reason=reason,
            method=method,
            rationale=rationale,
            is_leader=seat.is_leader,
        )
        current = (
            Settlement.objects.select_for_update()
            .filter(formal=locked, requirement_id=requirement_id)
            .first()
        )
        if (current.version if current else 0) != expected_version:
            raise StaleSettlementError(current)
        rebuttal = locked.state == FormalState.REBUTTAL
        old: dict[str, Any] | None = None
        if current is None:
            current = Settlement(
                formal=locked,
                requirement_id=requirement_id,
                row_id=requirement.row,
                level=int(requirement.level),
                round=1 if rebuttal else 0,
            )
        else:
            old = {
                "value": current.value,
                "reason": current.reason,
                "method": current.method,
                "rationale": current.rationale,
                "round": current.round,
            }
            current.version += 1
            if rebuttal:
                current.round += 1
        current.value, current.reason, current.method, current.rationale = value, reason, method, rationale
        current.settled_by = actor
        current.save()
        _write_record(locked.assessment_id, requirement, value, reason, rationale, actor)
        record_event(
            actor=actor,
            action=AuditAction.REQUIREMENT_SETTLED,
            obj=current,
            organisation_id=locked.enterprise.organisation_id,
            old=old,
            new={
                "formal_id": locked.pk,
                "requirement_id": requirement_id,
                "value": value.value,
                "reason": reason,
                "method": method.value,
                "rationale": rationale,
                "round": current.round,
                "proposal": consensus.proposal.value if consensus else None,
            },
        )
    return current


def _write_record(
    assessment_id: int, requirement: Requirement, value: str, reason: str, note: str, actor: User
) -> None:
    updated = RatingRecord.objects.filter(assessment_id=assessment_id, requirement_id=requirement.id).update(
        value=value, reason=reason, note=note, version=F("version") + 1, updated_by=actor
    )
    if not updated:
        RatingRecord.objects.create(
            assessment_id=assessment_id,
            requirement_id=requirement.id,
            row_id=requirement.row,
            level=int(requirement.level),
            value=value,
            reason=reason,
            note=note,
            updated_by=actor,
        )


def _joined_reasons(reasons: list[str]) -> str:
    return "；".join(dict.fromkeys(r for r in reasons if r))


def accept_unanimous(*, formal: FormalAssessment | int, actor: User) -> int:
    """Settle every unsettled requirement whose votes all agree, as 一致, in a constant number of queries."""
    lift_sqlite_parameter_cap()
    with transaction.atomic():
        locked = lock(formal)
        seat_for_write(actor, locked)
        require(locked, "采纳一致评分", FormalState.CONSENSUS)
        view = view_of(locked)
        settled = set(Settlement.objects.filter(formal=locked).values_list("requirement_id", flat=True))
        votes: dict[str, list[tuple[str, str]]] = {}
        for rid, value, reason in ExpertRating.objects.filter(formal=locked).values_list(
            "requirement_id", "value", "reason"
        ):
            if rid not in settled:
                votes.setdefault(rid, []).append((value, reason))
        chosen = {
            rid: (pairs[0][0], _joined_reasons([r for _, r in pairs]))
            for rid, pairs in votes.items()
            if rid in view.requirements and len({v for v, _ in pairs}) == 1
        }
        if not chosen:
            raise FormalError("没有待确定的一致评分")
        settlements = [
            Settlement(
                formal=locked,
                requirement_id=rid,
                row_id=view.requirements[rid].row,
                level=int(view.requirements[rid].level),
                value=value,
                reason=reason,
                method=SettlementMethod.UNANIMOUS,
                settled_by=actor,
            )
            for rid, (value, reason) in chosen.items()
        ]
        Settlement.objects.bulk_create(settlements)
        RatingRecord.objects.bulk_create(
            [
                RatingRecord(
                    assessment_id=locked.assessment_id,
                    requirement_id=s.requirement_id,
                    row_id=s.row_id,
                    level=s.level,
                    value=s.value,
                    reason=s.reason,
                    updated_by=actor,
                )
                for s in settlements
            ],
            update_conflicts=True,
            unique_fields=["assessment", "requirement_id"],
            update_fields=["value", "reason", "note", "updated_by", "updated_at"],
        )
        saved = {
            s.requirement_id: s for s in Settlement.objects.filter(formal=locked, requirement_id__in=chosen)
        }
        record_events(
            actor=actor,
            organisation_id=locked.enterprise.organisation_id,
            events=[
                *(
                    EventSpec(
                        action=AuditAction.REQUIREMENT_SETTLED,
                        obj=saved[rid],
                        new={
                            "formal_id": locked.pk,
                            "requirement_id": rid,
                            "value": value,
                            "reason": reason,
                            "method": SettlementMethod.UNANIMOUS.value,
                            "round": 0,
                        },
                    )
                    for rid, (value, reason) in chosen.items()
                ),
                EventSpec(action=AuditAction.UNANIMOUS_ACCEPTED, obj=locked, new={"count": len(chosen)}),
            ],
        )
    return len(chosen)


def close_consensus(*, formal: FormalAssessment | int, actor: User) -> None:
    """The 组长 ends the consensus (CONSENSUS → CONCLUSION): every requirement settled, every 不适用 confirmed."""
    with transaction.atomic():
        locked = lock(formal)
        seat = seat_for_write(actor, locked)
        if not seat.is_leader:
            raise PermissionDenied
        require(locked, "结束评分合议", FormalState.CONSENSUS)
        total = len(view_of(locked).requirements)
        settled = Settlement.objects.filter(formal=locked).count()
        if settled < total:
            raise FormalError(f"还有 {total - settled} 项要求未确定合议评分，全部确定后才能结束合议")
        unconfirmed = ExpertRating.objects.filter(
            formal=locked, value=RatingValue.NOT_APPLICABLE, na_confirmed_by__isnull=True
        ).count()
        if unconfirmed:
            raise FormalError(f"还有 {unconfirmed} 项“不适用”评分待组长确认，确认后才能结束合议")
        move(
            locked,
            FormalState.CONCLUSION,
            actor=actor,
            action=AuditAction.CONSENSUS_CLOSED,
            details={"settled": settled},
        )


def resume_consensus(*, formal: FormalAssessment | int, actor: User, reason: str) -> None:
    """The 组长 takes the team back from the conclusion to the consensus (CONCLUSION → CONSENSUS), with a
    reason: a settled rating must change before the result is sent — or after the body admin reopened a
    published assessment, which lands in the conclusion. Earlier result versions stay as they were; the
    next one sent is a new version."""
    reason = reason.strip()
    if not reason:
        raise FormalError("返回评分合议须说明原因")
    with transaction.atomic():
        locked = lock(formal)
        seat = seat_for_write(actor, locked)
        if not seat.is_leader:
            raise PermissionDenied
        require(locked, "返回评分合议", FormalState.CONCLUSION)
        move(locked, FormalState.CONSENSUS, actor=actor, action=AuditAction.CONSENSUS_RESUMED, reason=reason)


# ---- reads for the consensus pages


@dataclass
class Vote:
    member: TeamMember
    value: str | None  # None: he did not rate it (not assigned to him)
    reason: str = ""
    note: str = ""
    confirmed: bool = False

    @property
    def label(self) -> str:
        return RatingValue(self.value).label if self.value else "—"


_RATINGS = {r.value: r for r in Rating}


@lru_cache(maxsize=4096)
def _proposal(values: tuple[str, ...]) -> Consensus:
    """``propose`` for one multiset of votes: a team's 722 requirements repeat a few dozen vote patterns,
    and the (immutable) answer depends on the multiset only."""
    return propose(_RATINGS[v] for v in values)


@dataclass
class ConsensusItem:
    requirement: Requirement
    label: str
    members: list[TeamMember]
    given: dict[int, tuple[str, str, str, bool]]  # member pk → (value, reason, note, N/A confirmed)
    consensus: Consensus | None
    settled_value: str | None  # the settled rating, or None
    settlement: Settlement | None = None  # the full row, when the page shows it
    evidence: list[Evidence] = field(default_factory=list)  # filled by the row page
    error: str = ""
    conflict: bool = False

    @cached_property
    def votes(self) -> list[Vote]:
        """One per member, in team order (built only for the items a page shows)."""
        return [Vote(m, *self.given[m.pk]) if m.pk in self.given else Vote(m, None) for m in self.members]

    @property
    def na_reasons(self) -> str:
        """The experts' 不适用 reasons, joined: the default reason when the team settles on 不适用."""
        return _joined_reasons([g[1] for g in self.given.values() if g[0] == RatingValue.NOT_APPLICABLE])

    @property
    def is_settled(self) -> bool:
        return self.settled_value is not None

    @property
    def flagged(self) -> bool:
        return self.consensus is not None and self.consensus.flagged

    @property
    def dom_id(self) -> str:
        return "s-" + self.requirement.id.replace(":", "-").replace(" ", "_")

    @property
    def version(self) -> int:
        return self.settlement.version if self.settlement else 0

    @property
    def proposal(self) -> str:
        return self.consensus.proposal.value if self.consensus else ""

    @property
    def proposal_label(self) -> str:
        return self.consensus.proposal.label if self.consensus else "—"

    @property
    def spread(self) -> str:
        return format_truncated(self.consensus.spread, 1) if self.consensus else "—"


@dataclass
class ConsensusData:
    members: list[TeamMember]
    items: list[ConsensusItem]  # questionnaire order


def consensus_data(
    formal: FormalAssessment,
    requirements: list[Requirement] | None = None,
    *,
    view: SectorView | None = None,
    full: bool = True,
) -> ConsensusData:
    """Every requirement's votes, proposal and settlement: three queries whatever the size.

    ``full=False`` (the overview, the agreement figures) reads only each settlement's value, not the rows.
    """
    view = view or view_of(formal)
    wanted = requirements if requirements is not None else list(view.requirements.values())
    ids = [r.id for r in wanted]
    members = list(TeamMember.objects.filter(formal=formal).select_related("expert"))
    ratings = ExpertRating.objects.filter(formal=formal)
    settlements = Settlement.objects.filter(formal=formal)
    if requirements is not None:
        ratings = ratings.filter(requirement_id__in=ids)
        settlements = settlements.filter(requirement_id__in=ids)
    by_req: dict[str, dict[int, tuple[str, str, str, bool]]] = {}
    if full:
        for rid, member_id, value, reason, note, confirmed in ratings.values_list(
            "requirement_id", "member_id", "value", "reason", "note", "na_confirmed_by_id"
        ):
            by_req.setdefault(rid, {})[member_id] = (value, reason, note, confirmed is not None)
    else:  # the overview shows the votes only: no texts to read (7 × 722 rows)
        for rid, member_id, value in ratings.values_list("requirement_id", "member_id", "value"):
            by_req.setdefault(rid, {})[member_id] = (value, "", "", False)
    rows: dict[str, Settlement] = {}
    if full:
        rows = {s.requirement_id: s for s in settlements.select_related("settled_by")}
        values = {rid: s.value for rid, s in rows.items()}
    else:
        values = dict(settlements.values_list("requirement_id", "value"))
    items = []
    for req in wanted:
        given = by_req.get(req.id, {})
        cast = tuple(sorted(g[0] for g in given.values()))
        items.append(
            ConsensusItem(
                requirement=req,
                label=requirement_label(view, req.id),
                members=members,
                given=given,
                consensus=_proposal(cast) if cast else None,
                settled_value=values.get(req.id),
                settlement=rows.get(req.id),
            )
        )
    return ConsensusData(members, items)


def attach_evidence(formal: FormalAssessment, items: list[ConsensusItem]) -> None:
    """Each item's linked evidence, for the team deciding (one query)."""
    by_id = {i.requirement.id: i for i in items}
    for link in (
        EvidenceLink.objects.filter(formal=formal, requirement_id__in=list(by_id))
        .select_related("evidence__collected_by")
        .order_by("evidence__created_at", "evidence_id")
    ):
        by_id[link.requirement_id].evidence.append(link.evidence)


def disagreements_first(items: list[ConsensusItem]) -> list[ConsensusItem]:
    """Unsettled flagged first, then unsettled, then settled (each in questionnaire order)."""
    return sorted(items, key=lambda i: (i.is_settled, not i.flagged))


@dataclass
class RowSummary:
    index: int
    name: str
    domain: str
    total: int
    flagged: int
    settled: int

    @property
    def open_flagged(self) -> int:
        return self.flagged


def row_summaries(view: SectorView, items: list[ConsensusItem]) -> list[RowSummary]:
    by_row: dict[str, list[ConsensusItem]] = {}
    for item in items:
        by_row.setdefault(item.requirement.row, []).append(item)
    out = []
    for index, row in enumerate(view.rows):
        mine = by_row.get(row.id, [])
        out.append(
            RowSummary(
                index=index,
                name=row.name,
                domain=row.domain,
                total=len(mine),
                flagged=sum(1 for i in mine if i.flagged and not i.is_settled),
                settled=sum(1 for i in mine if i.is_settled),
            )
        )
    # Rows with open disagreements first, then rows with unsettled requirements, then the rest.
    return sorted(out, key=lambda r: (-r.flagged, r.settled == r.total, r.index))
