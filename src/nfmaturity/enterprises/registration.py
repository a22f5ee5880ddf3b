"""Self-registration safeguards: login names that reveal no other account, and a per-address limit.

**Login names.** A sign-up form that answers "该用户名已被使用" tells anyone which accounts exist, one
guess at a time. Making that answer vague does not help (the name is refused either way), and a
rate limit only slows the guessing. So the registrant does not pick the whole login name: they pick a
readable stem (``zhaoliu``) and the platform appends a random suffix (``zhaoliu-k7mq``), drawn again on
the rare collision. The form's answer never depends on which accounts exist, so there is nothing to
enumerate; the login name is shown on the welcome page after registration.

**Rate limit.** Each self-registration records the client address (found as the login throttle finds it,
``accounts.throttle.client_address``, proxies included) in its ENTERPRISE_REGISTERED audit event; an address that registered ``REGISTRATIONS_PER_HOUR`` enterprises in the past hour is refused
for a while. The audit table is shared by every gunicorn worker and app server (a per-process memory
cache would not be) and needs no cache table. Only completed registrations count: a refused form
creates nothing and reveals nothing (a code's registration is public information anyway). Two
registrations from one address in the same instant may both pass the count; the limit is there to stop
bulk squatting, not to be exact to one.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.contrib.auth.models import User
from django.utils import timezone

from nfmaturity.audit.models import AuditAction, AuditEvent

REGISTRATIONS_PER_HOUR = 5
WINDOW = timedelta(hours=1)
# The key in the ENTERPRISE_REGISTERED event's ``new`` that holds the client address.
ADDRESS_KEY = "client_address"

# Lower-case letters and digits that cannot be misread for one another (no 0/o, 1/l/i).
_SUFFIX_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"
SUFFIX_LENGTH = 4
STEM_MAX_LENGTH = 30


def login_name_candidate(stem: str) -> str:
    return f"{stem}-{''.join(secrets.choice(_SUFFIX_ALPHABET) for _ in range(SUFFIX_LENGTH))}"


def new_login_name(stem: str) -> str:
    """A free login name made of ``stem`` and a random suffix (31⁴ ≈ 920 000 suffixes per stem)."""
    while True:
        candidate = login_name_candidate(stem)
        if not User.objects.filter(username=candidate).exists():
            return candidate


def recent_registrations(address: str) -> int:
    """Self-registrations from ``address`` in the past hour."""
    return AuditEvent.objects.filter(
        object_type="enterprises.enterprise",
        action=AuditAction.ENTERPRISE_REGISTERED,
        at__gte=timezone.now() - WINDOW,
        **{f"new__{ADDRESS_KEY}": address},
    ).count()
