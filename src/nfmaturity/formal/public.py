"""What anyone may see of a published formal assessment, without logging in: the verification of a result
number with its check code, and the list of published results whose enterprise chose to appear in it.

Both show the enterprise, unit, sector, grade, date and body — nothing else (no scores, no ratings, no
people). A wrong pair gets one neutral message whichever part was wrong, and failed attempts are counted per
client address: after ``FAILURES_ALLOWED`` within ``WINDOW_SECONDS`` of its first failure the address is
refused until that window ends, so check codes cannot be guessed by trying.

The count is a ``VerifyThrottle`` row in the database, not a counter in a process's memory: with several
gunicorn workers or app servers an attacker would otherwise get ``FAILURES_ALLOWED`` tries from each. A
dedicated table rather than Django's database cache because the count must be raised atomically by
concurrent processes (the cache's ``incr`` reads then writes, losing increments) and because the platform's
other cache users keep their per-process memory cache. Cost: one indexed read per attempt and one ``UPDATE``
per failure; when an address's window starts, rows of ended windows are deleted, so the table holds at most
the addresses that failed in the last ``WINDOW_SECONDS``.
"""

from __future__ import annotations

import datetime
import secrets
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import F, QuerySet
from django.utils import timezone

from nfmaturity.assessments.models import GradeLevel
from nfmaturity.formal.models import FormalAssessment, FormalState, VerifyThrottle

FAILURES_ALLOWED = 10
WINDOW_SECONDS = 15 * 60
NOT_FOUND = "未查询到与该结果编号和校验码相符的已发布评估结果，请核对后重新输入。"
THROTTLED = "查询失败次数过多，请 15 分钟后再试。"


@dataclass(frozen=True)
class PublicRecord:
    result_number: str
    enterprise: str
    unit: str
    sector: str
    grade: str
    published_on: datetime.date
    body: str


def _published() -> QuerySet[FormalAssessment]:
    return FormalAssessment.objects.filter(
        state=FormalState.PUBLISHED, published_result__isnull=False
    ).select_related("enterprise", "body", "assessment__unit", "published_result")


def record_of(formal: FormalAssessment) -> PublicRecord:
    assert formal.published_result is not None and formal.published_at is not None
    return PublicRecord(
        result_number=formal.result_number or "",
        enterprise=formal.enterprise.name,
        unit=formal.assessment.subject,
        sector=formal.assessment.get_sector_display(),
        grade=GradeLevel(formal.published_result.grade).label,
        published_on=timezone.localtime(formal.published_at).date(),
        body=formal.body.name,
    )


def normalise(text: str) -> str:
    return "".join(text.split()).upper()


def verify(result_number: str, check_code: str) -> PublicRecord | None:
    """The published result with this number and check code, or None (whichever part is wrong)."""
    number, code = normalise(result_number), normalise(check_code)
    if not number or not code:
        return None
    formal = _published().filter(result_number=number).first()
    # Compared in constant time, and a missing number costs the same comparison, so the answer's timing
    # does not tell a wrong number from a wrong code.
    expected = formal.check_code if formal is not None else secrets.token_hex(4)
    if not secrets.compare_digest(expected.encode(), code.encode()) or formal is None:
        return None
    return record_of(formal)


def _key(address: str | None) -> str:
    # The column's width; a longer value (a forged proxy header) is still one key.
    return (address or "unknown")[:64]


def _window_cutoff() -> datetime.datetime:
    """Windows that started at or before this have ended."""
    return timezone.now() - datetime.timedelta(seconds=WINDOW_SECONDS)


def is_throttled(address: str | None) -> bool:
    return VerifyThrottle.objects.filter(
        address=_key(address), window_start__gt=_window_cutoff(), failures__gte=FAILURES_ALLOWED
    ).exists()


def count_failure(address: str | None) -> None:
    key, cutoff = _key(address), _window_cutoff()
    # Raised in the database (failures + 1), so two processes counting at once both count.
    if VerifyThrottle.objects.filter(address=key, window_start__gt=cutoff).update(failures=F("failures") + 1):
        return
    # A new window for this address: first delete every ended window (this address's old row among them).
    VerifyThrottle.objects.filter(window_start__lte=cutoff).delete()
    try:
        with transaction.atomic():
            VerifyThrottle.objects.create(address=key, window_start=timezone.now(), failures=1)
    except IntegrityError:  # another process started this address's window just now
        VerifyThrottle.objects.filter(address=key).update(failures=F("failures") + 1)


def public_list() -> list[PublicRecord]:
    """Published results whose enterprise opted in, newest first."""
    return [record_of(f) for f in _published().filter(public_listing=True).order_by("-published_at", "-id")]
