"""末次会议 and 结果发布 (standard §4.7): the 组长 records the final meeting and the final conclusion; the body
admin publishes the latest result version under a unique result number with a random check code; from then on
the result counts for the enterprise (``LatestResult``) and the assessment is locked: every write service
refuses in PUBLISHED (they all ``require`` an earlier state). Only the body admin reopens it, with a reason.
"""

from __future__ import annotations

import datetime
import secrets

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from nfmaturity.accounts.notifications import notify
from nfmaturity.assessments.models import Assessment, AssessmentKind, AssessmentState, LatestResult, Result
from nfmaturity.assessments.results import drop_latest, latest_pointer, point_latest
from nfmaturity.audit.models import AuditAction
from nfmaturity.audit.services import record_event
from nfmaturity.formal.access import Party
from nfmaturity.formal.models import (
    FormalAssessment,
    FormalState,
    Meeting,
    MeetingKind,
    Reopening,
)
from nfmaturity.formal.services_results import (
    body_admins,
    check_version,
    enterprise_admins,
    latest_version,
    must_play,
    results_url,
    team_users,
)
from nfmaturity.formal.workflow import FormalError, lock, move, require

S = FormalState

NUMBER_PREFIX = "NFDT"
# Check codes avoid look-alike characters (0/O, 1/I/L): they are typed from a printed certificate.
CHECK_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CHECK_LENGTH = 8
NUMBER_ATTEMPTS = 5


def record_final_meeting(
    *,
    formal: FormalAssessment | int,
    actor: User,
    expected_version: int,
    held_at: datetime.datetime,
    place: str,
    attendees: str,
    minutes: str,
    final_conclusion: str,
) -> Meeting:
    """The 组长 records the 末次会议 and the final conclusion (again until published)."""
    attendees, minutes, final_conclusion = attendees.strip(), minutes.strip(), final_conclusion.strip()
    missing = [
        label
        for label, value in (("参会人员", attendees), ("会议纪要", minutes), ("最终结论", final_conclusion))
        if not value
    ]
    if missing:
        raise FormalError("请填写" + "、".join(missing))
    with transaction.atomic():
        locked = lock(formal)
        must_play(actor, locked, frozenset({Party.LEADER}), "只有组长可以记录末次会议")
        require(locked, "记录末次会议", S.FINAL)
        check_version(locked, expected_version)
        meeting, created = Meeting.objects.update_or_create(
            formal=locked,
            kind=MeetingKind.FINAL,
            defaults={
                "held_at": held_at,
                "place": place.strip(),
                "attendees": attendees,
                "minutes": minutes,
                "recorded_by": actor,
            },
        )
        old_conclusion = locked.final_conclusion
        locked.final_conclusion = final_conclusion
        locked.version += 1
        locked.save(update_fields=["final_conclusion", "version", "updated_at"])
        record_event(
            actor=actor,
            action=AuditAction.MEETING_RECORDED,
            obj=locked,
            organisation_id=locked.enterprise.organisation_id,
            old=None if created else {"final_conclusion": old_conclusion},
            new={
                "meeting": MeetingKind.FINAL.value,
                "held_at": held_at.isoformat(),
                "final_conclusion": final_conclusion,
            },
        )
        if created:
            notify(
                body_admins(locked),
                f"{locked.enterprise.name}正式评估的末次会议已记录，待发布评估结果",
                reverse("formal:final", args=[locked.pk]),
            )
    return meeting


def _next_number(year: int) -> str:
    """The next free number of ``year``: one above the highest ever issued (published now or before a
    reopening), so a number is never given twice. Zero-padded, so the text order is the number order."""
    prefix = f"{NUMBER_PREFIX}-{year}-"
    issued = [
        n
        for n in (
            FormalAssessment.objects.filter(result_number__startswith=prefix)
            .order_by("-result_number")
            .values_list("result_number", flat=True)
            .first(),
            Reopening.objects.filter(result_number__startswith=prefix)
            .order_by("-result_number")
            .values_list("result_number", flat=True)
            .first(),
        )
        if n
    ]
    highest = max((int(n.rsplit("-", 1)[1]) for n in issued), default=0)
    return f"{prefix}{highest + 1:06d}"


def new_check_code() -> str:
    return "".join(secrets.choice(CHECK_ALPHABET) for _ in range(CHECK_LENGTH))


def publish(*, formal: FormalAssessment | int, actor: User) -> FormalAssessment:
    """The body admin publishes: result number, check code, the published result, the enterprise's latest
    result; the assessment is locked from now on.

    The number is sequential per year. Two publications at once may read the same highest number: the
    unique column refuses the second insert, which then takes the next number (inside a savepoint, so the
    transaction and its lock go on)."""
    with transaction.atomic():
        locked = lock(formal)
        must_play(actor, locked, frozenset({Party.BODY_ADMIN}), "只有评估机构管理员可以发布评估结果")
        require(locked, "发布评估结果", S.FINAL)
        if not Meeting.objects.filter(formal=locked, kind=MeetingKind.FINAL).exists():
            raise FormalError("组长尚未记录末次会议，不能发布")
        if not locked.final_conclusion.strip():
            raise FormalError("组长尚未填写最终结论，不能发布")
        version = latest_version(locked)
        if version is None:
            raise FormalError("没有可发布的评估结果")
        now = timezone.now()
        year = timezone.localtime(now).year
        locked.published_at = now
        locked.published_by = actor
        locked.published_result = version.result
        locked.check_code = new_check_code()
        for _ in range(NUMBER_ATTEMPTS):
            locked.result_number = _next_number(year)
            try:
                with transaction.atomic():
                    FormalAssessment.objects.filter(pk=locked.pk).update(result_number=locked.result_number)
                break
            except IntegrityError:
                continue
        else:
            raise FormalError("结果编号分配冲突，请稍后重试")
        move(
            locked,
            S.PUBLISHED,
            actor=actor,
            action=AuditAction.RESULT_PUBLISHED,
            fields=("published_at", "published_by", "published_result", "result_number", "check_code"),
            details={
                "result_number": locked.result_number,
                "result_version": version.result.version,
                "grade": version.result.grade,
            },
        )
        # The formal assessment is now submitted like a self-assessment is (its date is the publication's):
        # statistics read the submission date and state of the assessment behind a result.
        Assessment.objects.filter(pk=locked.assessment_id).update(
            state=AssessmentState.SUBMITTED, submitted_at=now, submitted_by=actor
        )
        locked.assessment.state, locked.assessment.submitted_at = AssessmentState.SUBMITTED, now
        # From now on the formal result is the enterprise's latest (statistics and registry read this).
        point_latest([latest_pointer(version.result, locked.assessment)])
        notify(
            [*enterprise_admins(locked), *team_users(locked)],
            f"正式评估结果已发布，结果编号 {locked.result_number}",
            results_url(locked),
        )
    return locked


def _previous_latest(formal: FormalAssessment) -> Result | None:
    """The result that counts for the enterprise without this formal one: its latest submitted
    self-assessment or other published formal result."""
    candidates = Result.objects.filter(assessment__enterprise_id=formal.enterprise_id).exclude(
        assessment_id=formal.assessment_id
    )
    candidates = candidates.filter(
        Q(assessment__kind=AssessmentKind.SELF, assessment__state=AssessmentState.SUBMITTED)
        | Q(assessment__kind=AssessmentKind.FORMAL, assessment__formal__state=S.PUBLISHED)
    )
    return candidates.select_related("assessment").order_by("-created_at", "-version").first()


def reopen(*, formal: FormalAssessment | int, actor: User, reason: str) -> Reopening:
    """The body admin reopens a published assessment (back to 形成评估结论), with a reason; the number and
    check code stop verifying and the enterprise's latest result goes back to what it was before."""
    reason = reason.strip()
    if not reason:
        raise FormalError("重新开启必须填写原因")
    with transaction.atomic():
        locked = lock(formal)
        must_play(actor, locked, frozenset({Party.BODY_ADMIN}), "只有评估机构管理员可以重新开启")
        require(locked, "重新开启", S.PUBLISHED)
        number = locked.result_number or ""
        reopening = Reopening.objects.create(
            formal=locked, reason=reason, reopened_by=actor, result_number=number
        )
        published = locked.published_result_id
        locked.result_number = None
        locked.check_code = ""
        locked.published_at = None
        locked.published_by = None
        locked.published_result = None
        locked.public_listing = False
        move(
            locked,
            S.CONCLUSION,
            actor=actor,
            action=AuditAction.ASSESSMENT_REOPENED,
            reason=reason,
            fields=(
                "result_number",
                "check_code",
                "published_at",
                "published_by",
                "published_result",
                "public_listing",
            ),
            details={"result_number": number},
        )
        Assessment.objects.filter(pk=locked.assessment_id).update(
            state=AssessmentState.DRAFT, submitted_at=None, submitted_by=None
        )
        pointer = LatestResult.objects.filter(enterprise_id=locked.enterprise_id, result_id=published or 0)
        if published is not None and pointer.exists():
            before = _previous_latest(locked)
            if before is None:
                drop_latest(locked.enterprise_id)
            else:
                point_latest([latest_pointer(before, before.assessment)])
        notify(
            [*enterprise_admins(locked), *team_users(locked)],
            f"正式评估（原结果编号 {number}）已被评估机构重新开启：{reason}",
            results_url(locked),
        )
    return reopening


def set_public_listing(*, formal: FormalAssessment | int, actor: User, listed: bool) -> FormalAssessment:
    """The enterprise admin chooses whether its published result appears in the public list."""
    with transaction.atomic():
        locked = lock(formal)
        must_play(actor, locked, frozenset({Party.ENTERPRISE_ADMIN}), "只有企业管理员可以修改公开展示")
        require(locked, "修改公开展示", S.PUBLISHED)
        if locked.public_listing == listed:
            return locked
        locked.public_listing = listed
        locked.version += 1
        locked.save(update_fields=["public_listing", "version", "updated_at"])
        record_event(
            actor=actor,
            action=AuditAction.PUBLIC_LISTING_CHANGED,
            obj=locked,
            organisation_id=locked.enterprise.organisation_id,
            old={"public_listing": not listed},
            new={"public_listing": listed},
        )
    return locked
