"""Independent ratings (评估分析打分, standard §4.5.3): each team member rates the requirements of the rows
assigned to him, alone; 不适用 needs a reason and the 组长's confirmation; he submits, and his ratings are
frozen unless the 组长 reopens them. When the last member submits, the consensus opens.

Every write: ``workflow.lock`` first (the formal row), then the seat and the ratings, then the audit event,
all in one transaction. The reads the rating pages need are at the end of this module.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count, Exists, OuterRef
from django.urls import reverse
from django.utils import timezone

from nfmaturity.accounts.notifications import notify
from nfmaturity.assessments.catalogs import SectorView, sector_view
from nfmaturity.assessments.models import RatingRecord, RatingValue
from nfmaturity.audit.models import AuditAction
from nfmaturity.audit.services import EventSpec, record_event, record_events
from nfmaturity.catalog.model import Requirement, Row
from nfmaturity.formal.access import TEAM, get_formal_for_user
from nfmaturity.formal.models import (
    Evidence,
    EvidenceLink,
    ExpertRating,
    FormalAssessment,
    FormalState,
    SubdomainAssignment,
    TeamMember,
)
from nfmaturity.formal.workflow import FormalError, StaleFormError, lock, move, require

NA_REASON_REQUIRED = "选择“不适用”时必须填写理由"
FROZEN = "您已提交评分，评分已冻结；如需修改，请组长为您重新开放"


class StaleExpertRatingError(StaleFormError):
    """The expert's rating changed since his page (or workbook) was opened: e.g. in another tab."""

    def __init__(self, current: ExpertRating | None) -> None:
        super().__init__()
        self.current = current


def view_of(formal: FormalAssessment) -> SectorView:
    return sector_view(formal.assessment.catalog_version, formal.assessment.sector)


def seat_for_write(actor: User, formal: FormalAssessment) -> TeamMember:
    """The actor's seat on the team; for anyone else the answer every page gives (404 unseen, 403 seen)."""
    seat = TeamMember.objects.filter(formal=formal, expert__user=actor).select_related("expert__user").first()
    if seat is None:
        get_formal_for_user(actor, formal.pk, act_as=TEAM)
        raise PermissionDenied
    return seat


def leader_for_write(actor: User, formal: FormalAssessment) -> TeamMember:
    seat = seat_for_write(actor, formal)
    if not seat.is_leader:
        raise PermissionDenied
    return seat


def assigned_rows(seat: TeamMember) -> set[str]:
    return set(SubdomainAssignment.objects.filter(member=seat).values_list("row_id", flat=True))


def assigned_requirements(view: SectorView, row_ids: set[str]) -> list[Requirement]:
    return [req for row in view.rows if row.id in row_ids for req in row.requirements]


@dataclass(frozen=True)
class SavedExpertRating:
    formal: FormalAssessment
    seat: TeamMember
    rating: ExpertRating


def set_expert_rating(
    *,
    formal: FormalAssessment | int,
    actor: User,
    requirement_id: str,
    value: RatingValue,
    expected_version: int,
    reason: str = "",
    note: str = "",
) -> SavedExpertRating:
    """Rate one requirement as one expert, refusing a stale write (``expected_version`` 0: "I saw none").

    A changed 不适用 (another value, or another reason) loses the 组长's confirmation.
    """
    value = RatingValue(value)
    reason = reason.strip() if value == RatingValue.NOT_APPLICABLE else ""
    if value == RatingValue.NOT_APPLICABLE and not reason:
        raise FormalError(NA_REASON_REQUIRED)
    note = note.strip()
    with transaction.atomic():
        locked = lock(formal)
        # The seat and whether the requirement's row is his, in one statement (a save is ≤ 30 ms).
        found = (
            TeamMember.objects.filter(formal=locked, expert__user=actor)
            .annotate(
                assigned=Exists(
                    SubdomainAssignment.objects.filter(
                        member=OuterRef("pk"), row_id=requirement_id.rsplit(":", 2)[0]
                    )
                )
            )
            .first()
        )
        seat: TeamMember = found if found is not None else seat_for_write(actor, locked)  # 404 / 403
        assigned = bool(getattr(found, "assigned", False))
        require(locked, "修改专家评分", FormalState.ONSITE)
        if seat.ratings_submitted_at is not None:
            raise FormalError(FROZEN)
        requirement = view_of(locked).requirements.get(requirement_id)
        if requirement is None:
            raise FormalError("评估标准中没有该要求")
        if requirement.row != requirement_id.rsplit(":", 2)[0]:  # ids are "<row>:<level>:<n>" (loader)
            assigned = SubdomainAssignment.objects.filter(member=seat, row_id=requirement.row).exists()
        if not assigned:
            raise FormalError("该要求所在的能力子域没有分配给您，不能评分")
        current = ExpertRating.objects.filter(member=seat, requirement_id=requirement_id).first()
        if (current.version if current else 0) != expected_version:
            raise StaleExpertRatingError(current)
        old = None
        if current is None:
            current = ExpertRating.objects.create(
                formal=locked,
                member=seat,
                requirement_id=requirement_id,
                row_id=requirement.row,
                level=int(requirement.level),
                value=value,
                reason=reason,
                note=note,
            )
        else:
            old = {"value": current.value, "reason": current.reason, "note": current.note}
            if (current.value, current.reason, current.note) == (value, reason, note):
                return SavedExpertRating(locked, seat, current)
            if (current.value, current.reason) != (value, reason):
                current.na_confirmed_by = None
                current.na_confirmed_at = None
            current.value, current.reason, current.note = value, reason, note
            current.version += 1
            current.save()
        record_event(
            actor=actor,
            action=AuditAction.EXPERT_RATING_CHANGED,
            obj=current,
            organisation_id=locked.enterprise.organisation_id,
            old=old,
            new={
                "value": value.value,
                "reason": reason,
                "note": note,
                "requirement_id": requirement_id,
                "formal_id": locked.pk,
            },
        )
        return SavedExpertRating(locked, seat, current)


def confirm_not_applicable(*, formal: FormalAssessment | int, actor: User, rating_ids: list[int]) -> int:
    """The 组长 confirms experts' 不适用 ratings (standard-notes §2 rule 4). Returns how many he confirmed."""
    with transaction.atomic():
        locked = lock(formal)
        leader_for_write(actor, locked)
        require(locked, "确认不适用", FormalState.ONSITE, FormalState.CONSENSUS)
        ratings = list(
            ExpertRating.objects.select_for_update()
            .filter(
                formal=locked,
                pk__in=rating_ids,
                value=RatingValue.NOT_APPLICABLE,
                na_confirmed_by__isnull=True,
            )
            .order_by("pk")
        )
        if not ratings:
            raise FormalError("没有待确认的不适用评分（可能已被确认或已被修改）")
        now = timezone.now()
        ExpertRating.objects.filter(pk__in=[r.pk for r in ratings]).update(
            na_confirmed_by=actor, na_confirmed_at=now
        )
        record_events(
            actor=actor,
            organisation_id=locked.enterprise.organisation_id,
            events=[
                EventSpec(
                    action=AuditAction.NOT_APPLICABLE_CONFIRMED,
                    obj=r,
                    new={"requirement_id": r.requirement_id, "member_id": r.member_id, "reason": r.reason},
                )
                for r in ratings
            ],
        )
    return len(ratings)


def submit_ratings(*, formal: FormalAssessment | int, actor: User) -> bool:
    """The expert submits his ratings (every assigned requirement rated): they are frozen from now on.

    Returns True when his was the last submission and the consensus opened with it.
    """
    with transaction.atomic():
        locked = lock(formal)
        seat = seat_for_write(actor, locked)
        require(locked, "提交评分", FormalState.ONSITE)
        if seat.ratings_submitted_at is not None:
            raise FormalError("您已提交过评分")
        view = view_of(locked)
        wanted = {r.id for r in assigned_requirements(view, assigned_rows(seat))}
        rated = set(ExpertRating.objects.filter(member=seat).values_list("requirement_id", flat=True))
        missing = len(wanted - rated)
        if missing:
            raise FormalError(f"还有 {missing} 项分配给您的要求未评分，全部评分后才能提交")
        seat.ratings_submitted_at = timezone.now()
        seat.save(update_fields=["ratings_submitted_at"])
        record_event(
            actor=actor,
            action=AuditAction.EXPERT_RATINGS_SUBMITTED,
            obj=seat,
            organisation_id=locked.enterprise.organisation_id,
            new={"formal_id": locked.pk, "rated": len(wanted)},
        )
        if TeamMember.objects.filter(formal=locked, ratings_submitted_at__isnull=True).exists():
            return False
        _open(locked, actor, automatic=True)
        return True


def _open(locked: FormalAssessment, actor: User, *, automatic: bool) -> None:
    move(
        locked,
        FormalState.CONSENSUS,
        actor=actor,
        action=AuditAction.CONSENSUS_OPENED,
        details={"automatic": automatic},
    )
    members = TeamMember.objects.filter(formal=locked).select_related("expert__user")
    notify(
        [m.expert.user for m in members],
        f"{locked.enterprise.name}正式评估：全体专家已提交评分，评分合议已开始。",
        reverse("formal:consensus", args=[locked.pk]),
    )


def open_consensus(*, formal: FormalAssessment | int, actor: User) -> None:
    """The 组长 opens the consensus (ONSITE → CONSENSUS) once every member has submitted."""
    with transaction.atomic():
        locked = lock(formal)
        leader_for_write(actor, locked)
        require(locked, "开始评分合议", FormalState.ONSITE)
        waiting = list(
            TeamMember.objects.filter(formal=locked, ratings_submitted_at__isnull=True).select_related(
                "expert"
            )
        )
        if waiting:
            names = "、".join(m.expert.full_name for m in waiting)
            raise FormalError(f"还有专家未提交评分（{names}），全体提交后才能开始评分合议")
        _open(locked, actor, automatic=False)


def reopen_ratings(*, formal: FormalAssessment | int, actor: User, member_pk: int, reason: str) -> TeamMember:
    """The 组长 reopens one expert's submitted ratings (ONSITE only), with a reason, audited."""
    reason = reason.strip()
    if not reason:
        raise FormalError("重新开放评分须填写原因")
    with transaction.atomic():
        locked = lock(formal)
        leader_for_write(actor, locked)
        require(locked, "重新开放专家评分", FormalState.ONSITE)
        member = (
            TeamMember.objects.select_for_update(of=("self",))
            .select_related("expert__user")
            .filter(formal=locked, pk=member_pk)
            .first()
        )
        if member is None:
            raise FormalError("该专家不在本评估组中")
        if member.ratings_submitted_at is None:
            raise FormalError(f"{member.expert.full_name}尚未提交评分，无需重新开放")
        old = member.ratings_submitted_at.isoformat()
        member.ratings_submitted_at = None
        member.save(update_fields=["ratings_submitted_at"])
        record_event(
            actor=actor,
            action=AuditAction.EXPERT_RATINGS_REOPENED,
            obj=member,
            organisation_id=locked.enterprise.organisation_id,
            old={"ratings_submitted_at": old},
            new={"ratings_submitted_at": None, "formal_id": locked.pk},
            reason=reason,
        )
        notify(
            [member.expert.user],
            f"组长已重新开放您在{locked.enterprise.name}正式评估中的评分：{reason}",
            reverse("formal:rating", args=[locked.pk]),
        )
    return member


# ---- reads for the rating pages


@dataclass
class RowProgress:
    index: int
    row: Row
    total: int
    rated: int


def my_rows(formal: FormalAssessment, seat: TeamMember) -> list[RowProgress]:
    view = view_of(formal)
    mine = assigned_rows(seat)
    counts = Counter(
        dict(
            ExpertRating.objects.filter(member=seat)
            .values_list("row_id")
            .annotate(n=Count("pk"))
            .values_list("row_id", "n")
        )
    )
    return [
        RowProgress(i, row, len(row.requirements), counts[row.id])
        for i, row in enumerate(view.rows)
        if row.id in mine
    ]


@dataclass
class RatingItem:
    """One requirement on an expert's row page: his rating, the references, what he typed after a refusal."""

    requirement: Requirement
    label: str
    rating: ExpertRating | None
    self_rating: RatingRecord | None  # the enterprise's starting self-assessment (reference only)
    evidence: list[Evidence] = field(default_factory=list)
    error: str = ""
    conflict: bool = False
    typed_value: str = ""
    typed_reason: str | None = None
    typed_note: str | None = None

    @property
    def dom_id(self) -> str:
        return "r-" + self.requirement.id.replace(":", "-").replace(" ", "_")

    @property
    def version(self) -> int:
        return self.rating.version if self.rating else 0

    @property
    def form_reason(self) -> str:
        if self.typed_reason is not None:
            return self.typed_reason
        return self.rating.reason if self.rating else ""

    @property
    def form_note(self) -> str:
        if self.typed_note is not None:
            return self.typed_note
        return self.rating.note if self.rating else ""

    @property
    def show_reason(self) -> bool:
        shown = self.typed_value or (self.rating.value if self.rating else "")
        return shown == RatingValue.NOT_APPLICABLE

    @property
    def typed_label(self) -> str:
        return RatingValue(self.typed_value).label if self.typed_value else ""


def requirement_label(view: SectorView, requirement_id: str) -> str:
    req = view.requirements[requirement_id]
    row = view.rows[view.row_index[req.row]]
    return f"{row.name} {req.level.label} 第{req.number}条"


def rating_items(
    formal: FormalAssessment, seat: TeamMember, requirements: list[Requirement], *, evidence: bool = True
) -> list[RatingItem]:
    """The items of ``requirements`` for ``seat``: four queries whatever their number."""
    view = view_of(formal)
    ids = [r.id for r in requirements]
    own = {r.requirement_id: r for r in ExpertRating.objects.filter(member=seat, requirement_id__in=ids)}
    reference: dict[str, RatingRecord] = {}
    start = formal.starting_self_assessment_id
    if start is not None:
        reference = {
            r.requirement_id: r
            for r in RatingRecord.objects.filter(assessment_id=start, requirement_id__in=ids)
        }
    linked: dict[str, list[Evidence]] = {}
    if evidence:
        for link in (
            EvidenceLink.objects.filter(formal=formal, requirement_id__in=ids)
            .select_related("evidence__collected_by")
            .order_by("evidence__created_at", "evidence_id")
        ):
            linked.setdefault(link.requirement_id, []).append(link.evidence)
    return [
        RatingItem(
            requirement=req,
            label=requirement_label(view, req.id),
            rating=own.get(req.id),
            self_rating=reference.get(req.id),
            evidence=linked.get(req.id, []),
        )
        for req in requirements
    ]


def pending_not_applicable(formal: FormalAssessment) -> list[ExpertRating]:
    """不适用 ratings waiting for the 组长's confirmation, in questionnaire order."""
    view = view_of(formal)
    rows = list(
        ExpertRating.objects.filter(
            formal=formal, value=RatingValue.NOT_APPLICABLE, na_confirmed_by__isnull=True
        ).select_related("member__expert")
    )
    order = {rid: i for i, rid in enumerate(view.requirements)}
    return sorted(rows, key=lambda r: (order.get(r.requirement_id, 0), r.member.expert.full_name))


def team_progress(formal: FormalAssessment) -> list[tuple[TeamMember, int, int]]:
    """Each member, with the requirements assigned to him and how many he rated (for the 组长)."""
    view = view_of(formal)
    members = list(TeamMember.objects.filter(formal=formal).select_related("expert"))
    by_member: dict[int, set[str]] = {}
    for member_id, row_id in SubdomainAssignment.objects.filter(formal=formal).values_list(
        "member_id", "row_id"
    ):
        by_member.setdefault(member_id, set()).add(row_id)
    rated: Counter[int] = Counter()
    for member_id, row_id, n in (
        ExpertRating.objects.filter(formal=formal)
        .values_list("member_id", "row_id")
        .annotate(n=Count("pk"))
        .values_list("member_id", "row_id", "n")
    ):
        if row_id in by_member.get(member_id, set()):
            rated[member_id] += n
    out = []
    for m in members:
        total = sum(len(view.rows[view.row_index[r]].requirements) for r in by_member.get(m.pk, set()))
        out.append((m, total, rated[m.pk]))
    return out
