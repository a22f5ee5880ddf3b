"""The formal assessment from the conclusion to the final meeting (standard §4.6 形成评估报告, §4.7 沟通评估结果):
the team drafts the conclusion, the 组长 approves and sends it (result version 1), the enterprise accepts or
contests points before the deadline (再次论证), the team answers each point, and the 组长 re-scores: a changed
settled rating makes a new result version, sent again; none goes on to the final meeting.

Each function is one action: a transaction that locks the formal assessment first (``workflow.lock``), checks
the state and the actor's part, writes, audits. File checks and writes happen before the transaction opens.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from nfmaturity.accounts.models import Membership, Role
from nfmaturity.accounts.notifications import notify
from nfmaturity.assessments.catalogs import sector_view
from nfmaturity.assessments.errors import AssessmentError
from nfmaturity.assessments.models import RatingRecord, RatingValue, Result
from nfmaturity.assessments.results import compute, store_result
from nfmaturity.assessments.selectors import requirement_label
from nfmaturity.audit.models import AuditAction
from nfmaturity.audit.services import record_event
from nfmaturity.formal import contest_files
from nfmaturity.formal.access import TEAM, Party, parties
from nfmaturity.formal.models import (
    ContestPoint,
    ContestState,
    FormalAssessment,
    FormalState,
    ResultVersion,
    SettlementMethod,
)
from nfmaturity.formal.workflow import FormalError, StaleFormError, lock, move, require
from nfmaturity.scoring.errors import ScoringError, UnratedRequirementError

S = FormalState

# The enterprise has this many days to contest a sent result unless the 组长 sets another date (§4.7).
CONTEST_DAYS = 10
CONCLUSION_FIELDS = ("overall_assessment", "strengths", "weaknesses", "recommendations")


def must_play(
    actor: User, formal: FormalAssessment, allowed: frozenset[Party], what: str
) -> frozenset[Party]:
    mine = parties(actor, formal)
    if not mine & allowed:
        raise PermissionDenied(what)
    return mine


def check_version(formal: FormalAssessment, expected_version: int | None) -> None:
    if expected_version is not None and formal.version != expected_version:
        raise StaleFormError


def enterprise_admins(formal: FormalAssessment) -> list[User]:
    return [
        m.user
        for m in Membership.objects.select_related("user").filter(
            organisation_id=formal.enterprise.organisation_id, role=Role.ENTERPRISE_ADMIN
        )
    ]


def team_users(formal: FormalAssessment) -> list[User]:
    return [m.expert.user for m in formal.team.select_related("expert__user")]


def body_admins(formal: FormalAssessment) -> list[User]:
    return [
        m.user
        for m in Membership.objects.select_related("user").filter(
            organisation_id=formal.body_id, role=Role.BODY_ADMIN
        )
    ]


def results_url(formal: FormalAssessment) -> str:
    return reverse("formal:results", args=[formal.pk])


def settled_ratings(formal: FormalAssessment) -> dict[str, str]:
    """The team's settled rating of each requirement, as the assessment's RatingRecords hold them."""
    return dict(
        RatingRecord.objects.filter(assessment_id=formal.assessment_id).values_list("requirement_id", "value")
    )


def latest_version(formal: FormalAssessment) -> ResultVersion | None:
    return (
        ResultVersion.objects.select_related("result")
        .filter(formal=formal)
        .order_by("-result__version")
        .first()
    )


# ---- 形成评估结论 ----------------------------------------------------------------------------------------


def save_conclusion(
    *,
    formal: FormalAssessment | int,
    actor: User,
    expected_version: int,
    overall_assessment: str,
    strengths: str,
    weaknesses: str,
    recommendations: str,
) -> FormalAssessment:
    """The team's draft of the four conclusion texts (any team member; the 组长 approves it when sending)."""
    with transaction.atomic():
        locked = lock(formal)
        must_play(actor, locked, TEAM, "只有评估组成员可以编写评估结论")
        require(locked, "编写评估结论", S.CONCLUSION)
        check_version(locked, expected_version)
        texts = {
            "overall_assessment": overall_assessment.strip(),
            "strengths": strengths.strip(),
            "weaknesses": weaknesses.strip(),
            "recommendations": recommendations.strip(),
        }
        old = {name: getattr(locked, name) for name in CONCLUSION_FIELDS}
        if old == texts:
            return locked
        for name, value in texts.items():
            setattr(locked, name, value)
        locked.version += 1
        locked.save(update_fields=[*CONCLUSION_FIELDS, "version", "updated_at"])
        record_event(
            actor=actor,
            action=AuditAction.CONCLUSION_SAVED,
            obj=locked,
            organisation_id=locked.enterprise.organisation_id,
            old={k: v for k, v in old.items() if v != texts[k]},
            new={k: v for k, v in texts.items() if v != old[k]},
        )
    return locked


def _store_version(locked: FormalAssessment, actor: User, reason: str) -> ResultVersion:
    """Score the settled ratings and store them as the next result version (inside the caller's lock)."""
    try:
        outcome = compute(locked.assessment, allow_unrated=False)
    except UnratedRequirementError as exc:
        raise FormalError(f"还有 {len(exc.ids)} 项要求尚未合议确定评分，不能形成评估结果") from None
    except (ScoringError, AssessmentError) as exc:
        raise FormalError(str(exc)) from None
    last = Result.objects.filter(assessment_id=locked.assessment_id).order_by("-version").first()
    result = store_result(locked.assessment, outcome, version=1 if last is None else last.version + 1)
    return ResultVersion.objects.create(
        formal=locked, result=result, ratings=settled_ratings(locked), reason=reason, created_by=actor
    )


def default_deadline(today: datetime.date | None = None) -> datetime.date:
    return (today or timezone.localdate()) + datetime.timedelta(days=CONTEST_DAYS)


def approve_and_send(
    *,
    formal: FormalAssessment | int,
    actor: User,
    expected_version: int,
    deadline: datetime.date | None = None,
) -> ResultVersion:
    """The 组长 approves the conclusion and sends the result: a new stored result version from the settled
    ratings, the contest deadline set (10 days unless given), the enterprise's admins notified."""
    today = timezone.localdate()
    deadline = deadline or default_deadline(today)
    if deadline <= today:
        raise FormalError("异议截止日期须晚于今天")
    with transaction.atomic():
        locked = lock(formal)
        must_play(actor, locked, frozenset({Party.LEADER}), "只有组长可以批准并发送评估结果")
        require(locked, "发送评估结果", S.CONCLUSION)
        check_version(locked, expected_version)
        if not locked.overall_assessment.strip():
            raise FormalError("请先填写“总体评估”，再批准发送")
        version = _store_version(locked, actor, "")
        now = timezone.now()
        locked.conclusion_approved_by = actor
        locked.conclusion_approved_at = now
        locked.sent_at = now
        locked.contest_deadline = deadline
        locked.accepted_by_enterprise_at = None
        record_event(
            actor=actor,
            action=AuditAction.CONCLUSION_APPROVED,
            obj=locked,
            organisation_id=locked.enterprise.organisation_id,
            new={"result_version": version.result.version},
        )
        move(
            locked,
            S.COMMUNICATION,
            actor=actor,
            action=AuditAction.RESULT_SENT,
            fields=(
                "conclusion_approved_by",
                "conclusion_approved_at",
                "sent_at",
                "contest_deadline",
                "accepted_by_enterprise_at",
            ),
            details={
                "result_version": version.result.version,
                "total": str(version.result.total_shown),
                "grade": version.result.grade,
                "contest_deadline": deadline.isoformat(),
            },
        )
        notify(
            enterprise_admins(locked),
            f"{locked.body.name}已发送正式评估结果（第 {version.result.version} 版），"
            f"如有异议请于 {deadline:%Y-%m-%d} 前提出",
            results_url(locked),
        )
    return version


# ---- 沟通评估结果 / 再次论证 ------------------------------------------------------------------------------


def _open_for_contest(locked: FormalAssessment) -> None:
    require(locked, "提出异议", S.COMMUNICATION, S.REBUTTAL)
    if locked.contest_deadline is not None and timezone.localdate() > locked.contest_deadline:
        raise FormalError(f"异议截止日期（{locked.contest_deadline:%Y-%m-%d}）已过，不能再提出异议")


def contest(
    *,
    formal: FormalAssessment | int,
    actor: User,
    requirement_id: str,
    argument: str,
    files: Sequence[UploadedFile[bytes]] = (),
) -> ContestPoint:
    """The enterprise contests one requirement of the sent result, with an argument and new evidence files.

    The first point moves the assessment to 再次论证; more points may follow until the deadline. The files
    are checked and written before the transaction opens, and removed again if it refuses (``contest_files``).
    """
    argument = argument.strip()
    if not argument:
        raise FormalError("请填写异议理由")
    checked = contest_files.check(files)
    formal_pk = formal if isinstance(formal, int) else formal.pk
    if checked:
        # Early answers, so that a contest refused outright writes no file; all are asked again under the lock.
        current = FormalAssessment.objects.filter(pk=formal_pk).first()
        if current is not None:
            must_play(actor, current, frozenset({Party.ENTERPRISE_ADMIN}), "只有企业管理员可以提出异议")
            _open_for_contest(current)
    stored = contest_files.store(formal_pk, actor, checked)
    try:
        with transaction.atomic():
            locked = lock(formal_pk)
            must_play(actor, locked, frozenset({Party.ENTERPRISE_ADMIN}), "只有企业管理员可以提出异议")
            _open_for_contest(locked)
            view = sector_view(locked.assessment.catalog_version, locked.assessment.sector)
            if requirement_id not in view.requirements:
                raise FormalError("评估标准中没有该要求")
            version = latest_version(locked)
            if version is None:
                raise FormalError("尚未发送评估结果")
            if ContestPoint.objects.filter(
                formal=locked, result=version.result, requirement_id=requirement_id
            ).exists():
                raise FormalError(f"已对“{requirement_label(view, requirement_id)}”提出过异议")
            point = ContestPoint.objects.create(
                formal=locked,
                result=version.result,
                requirement_id=requirement_id,
                argument=argument,
                submitted_by=actor,
                old_value=version.ratings.get(requirement_id, ""),
            )
            contest_files.attach(stored, point)
            details = {
                "point_id": point.pk,
                "requirement_id": requirement_id,
                "result_version": version.result.version,
                "files": [e.original_name for e in stored],
            }
            if locked.state == S.COMMUNICATION:
                move(
                    locked,
                    S.REBUTTAL,
                    actor=actor,
                    action=AuditAction.POINT_CONTESTED,
                    reason=argument,
                    details=details,
                )
                notify(
                    team_users(locked),
                    f"{locked.enterprise.name}对正式评估结果提出异议，请评估组答复",
                    reverse("formal:rebuttal", args=[locked.pk]),
                )
            else:
                record_event(
                    actor=actor,
                    action=AuditAction.POINT_CONTESTED,
                    obj=locked,
                    organisation_id=locked.enterprise.organisation_id,
                    new=details,
                    reason=argument,
                )
    except BaseException:
        contest_files.discard(stored)
        raise
    return point


def accept_result(*, formal: FormalAssessment | int, actor: User) -> FormalAssessment:
    """The enterprise accepts the sent result: on to the final meeting."""
    with transaction.atomic():
        locked = lock(formal)
        must_play(actor, locked, frozenset({Party.ENTERPRISE_ADMIN}), "只有企业管理员可以确认评估结果")
        require(locked, "确认评估结果", S.COMMUNICATION)
        locked.accepted_by_enterprise_at = timezone.now()
        move(
            locked,
            S.FINAL,
            actor=actor,
            action=AuditAction.RESULT_ACCEPTED,
            fields=("accepted_by_enterprise_at",),
        )
        notify(
            [*team_users(locked), *body_admins(locked)],
            f"{locked.enterprise.name}已确认正式评估结果，请组长召开末次会议",
            reverse("formal:final", args=[locked.pk]),
        )
    return locked


def close_communication(*, formal: FormalAssessment | int, actor: User) -> FormalAssessment:
    """After the deadline with no contest, the 组长 moves on to the final meeting."""
    with transaction.atomic():
        locked = lock(formal)
        must_play(actor, locked, frozenset({Party.LEADER}), "只有组长可以结束结果沟通")
        require(locked, "结束结果沟通", S.COMMUNICATION)
        if locked.contest_deadline is not None and timezone.localdate() <= locked.contest_deadline:
            raise FormalError(
                f"异议截止日期（{locked.contest_deadline:%Y-%m-%d}）未到，企业仍可提出异议或确认结果"
            )
        move(
            locked,
            S.FINAL,
            actor=actor,
            action=AuditAction.RESULT_ACCEPTED,
            details={"deadline_passed": True},
        )
    return locked


@dataclass(frozen=True)
class Answer:
    accepted: bool
    answer: str
    value: RatingValue | None = None  # the new settled rating, when accepted
    reason: str = ""  # 不适用理由, when the new rating is 不适用


def answer_point(
    *, point: ContestPoint | int, actor: User, answer: Answer, expected_settlement_version: int | None = None
) -> ContestPoint:
    """The team answers one contested point: accepted (the requirement re-rated and re-settled through the
    settlement service) or refused with a reason."""
    from nfmaturity.formal.services_consensus import settle

    text = answer.answer.strip()
    if not text:
        raise FormalError("请填写答复意见" if answer.accepted else "不采纳异议时必须说明理由")
    if answer.accepted and answer.value is None:
        raise FormalError("采纳异议时请选择重新确定的评分")
    point_pk = point if isinstance(point, int) else point.pk
    formal_pk = ContestPoint.objects.filter(pk=point_pk).values_list("formal_id", flat=True).first()
    if formal_pk is None:
        raise FormalError("该异议不存在")
    with transaction.atomic():
        locked = lock(formal_pk)
        must_play(actor, locked, TEAM, "只有评估组成员可以答复异议")
        require(locked, "答复异议", S.REBUTTAL)
        current = ContestPoint.objects.select_for_update().get(pk=point_pk)
        if current.state != ContestState.PENDING:
            raise FormalError("该异议已答复")
        now = timezone.now()
        if answer.accepted:
            assert answer.value is not None
            settlement_version = expected_settlement_version
            if settlement_version is None:
                settlement_version = (
                    locked.settlements.filter(requirement_id=current.requirement_id)
                    .values_list("version", flat=True)
                    .first()
                ) or 0
            settle(
                formal=locked,
                requirement_id=current.requirement_id,
                value=answer.value,
                reason=answer.reason,
                method=SettlementMethod.LEADER,
                rationale=f"再次论证采纳企业异议：{text}",
                actor=actor,
                expected_version=settlement_version,
            )
            current.state = ContestState.ACCEPTED
            current.new_value = answer.value
        else:
            current.state = ContestState.REFUSED
            current.new_value = ""
        current.answer = text
        current.answered_by = actor
        current.answered_at = now
        current.save(update_fields=["state", "answer", "answered_by", "answered_at", "new_value"])
        record_event(
            actor=actor,
            action=AuditAction.CONTEST_ANSWERED,
            obj=locked,
            organisation_id=locked.enterprise.organisation_id,
            new={
                "point_id": current.pk,
                "requirement_id": current.requirement_id,
                "point_state": current.state,
                "old_value": current.old_value,
                "new_value": current.new_value,
            },
            reason=text,
        )
    return current


def pending_points(formal: FormalAssessment) -> int:
    return ContestPoint.objects.filter(formal=formal, state=ContestState.PENDING).count()


def rescore(*, formal: FormalAssessment | int, actor: User, reason: str = "") -> ResultVersion | None:
    """Once every point is answered, the 组长 re-scores. A changed settled rating makes a new result version,
    sent to the enterprise with a new deadline (back to 结果沟通); no change goes on to the final meeting.
    Returns the new version, or None when nothing changed."""
    with transaction.atomic():
        locked = lock(formal)
        must_play(actor, locked, frozenset({Party.LEADER}), "只有组长可以重新评分")
        require(locked, "重新评分", S.REBUTTAL)
        waiting = pending_points(locked)
        if waiting:
            raise FormalError(f"还有 {waiting} 条异议未答复，全部答复后才能重新评分")
        last = latest_version(locked)
        if last is None:
            raise FormalError("尚未发送评估结果")
        now_ratings = settled_ratings(locked)
        changed = sorted(k for k, v in now_ratings.items() if last.ratings.get(k) != v)
        if not changed:
            move(
                locked,
                S.FINAL,
                actor=actor,
                action=AuditAction.RESULT_RESCORED,
                details={"changed": [], "result_version": last.result.version},
            )
            notify(
                enterprise_admins(locked),
                "评估组已答复全部异议，评分未变，评估结果维持不变，将召开末次会议",
                results_url(locked),
            )
            return None
        points = list(
            ContestPoint.objects.filter(formal=locked, result=last.result, state=ContestState.ACCEPTED)
        )
        view = sector_view(locked.assessment.catalog_version, locked.assessment.sector)
        why = reason.strip() or "再次论证采纳异议：" + "、".join(
            requirement_label(view, p.requirement_id)
            if p.requirement_id in view.requirements
            else p.requirement_id
            for p in points
        )
        version = _store_version(locked, actor, why)
        deadline = default_deadline()
        locked.sent_at = timezone.now()
        locked.contest_deadline = deadline
        move(
            locked,
            S.COMMUNICATION,
            actor=actor,
            action=AuditAction.RESULT_RESCORED,
            reason=why,
            fields=("sent_at", "contest_deadline"),
            details={
                "changed": changed,
                "result_version": version.result.version,
                "total": str(version.result.total_shown),
                "grade": version.result.grade,
                "contest_deadline": deadline.isoformat(),
            },
        )
        notify(
            enterprise_admins(locked),
            f"评估组重新评分，已发送第 {version.result.version} 版评估结果，"
            f"如有异议请于 {deadline:%Y-%m-%d} 前提出",
            results_url(locked),
        )
    return version
