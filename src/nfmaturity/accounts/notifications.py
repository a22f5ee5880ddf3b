"""In-app notifications, each also sent by e-mail through Django's mail backend (the console in the demo)."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.conf import settings
from django.contrib.auth.models import User
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from nfmaturity.accounts.models import Notification

log = logging.getLogger(__name__)

SUBJECT_PREFIX = "【有色金属行业数字化转型成熟度评估平台】"


def notify(users: Iterable[User], text: str, url: str = "") -> list[Notification]:
    """Record ``text`` for each user (one INSERT) and e-mail it once the caller's transaction commits.

    The mail goes out after the commit: sending is slow I/O that must not hold the caller's locks, and a
    rolled-back action must not announce anything. A failed mail is logged; the in-app message stays.
    """
    recipients = {user.pk: user for user in users}
    created = Notification.objects.bulk_create(
        [Notification(user=user, text=text[:500], url=url) for user in recipients.values()]
    )
    addresses = [user.email for user in recipients.values() if user.email]
    if addresses:
        body = text if not url else f"{text}\n\n{url}"

        def send() -> None:
            try:
                send_mail(
                    SUBJECT_PREFIX + text[:60],
                    body,
                    settings.DEFAULT_FROM_EMAIL,
                    addresses,
                )
            except OSError:
                log.exception("通知邮件发送失败：%s", addresses)

        transaction.on_commit(send)
    return created


def unread(user: User, limit: int = 20) -> list[Notification]:
    return list(Notification.objects.filter(user=user, read_at__isnull=True)[:limit])


def mark_read(user: User, pks: Iterable[int] | None = None) -> int:
    """Mark the user's notifications read (all of them when ``pks`` is None); returns how many."""
    rows = Notification.objects.filter(user=user, read_at__isnull=True)
    if pks is not None:
        rows = rows.filter(pk__in=list(pks))
    return rows.update(read_at=timezone.now())
