"""Login throttling on top of django-axes: which address a request comes from, when it is locked out, and
the Chinese answer it then gets.

Two limits, kept in axes' database tables so they hold across gunicorn workers and app servers:

- one account: ``AXES_FAILURE_LIMIT`` failed passwords (5) lock that username, whatever the address;
- one address: ``NFM_LOGIN_ADDRESS_LIMIT`` failures (many usernames tried from one place) lock the address.
  It is far higher than the account limit because a whole office may sit behind one address.

Both last ``AXES_COOLOFF_TIME`` after the latest failure.
"""

from __future__ import annotations

from typing import Any

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.db.models import QuerySet, Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def client_address(request: HttpRequest) -> str | None:
    """The visitor's address. Behind ``NFM_PROXY_COUNT`` reverse proxies it is the entry that many places
    from the right of X-Forwarded-For (the one the outermost proxy saw); the client can forge only entries to
    the left of it. Without proxies the header is ignored: anyone can send it."""
    proxies: int = settings.NFM_PROXY_COUNT
    if proxies > 0:
        header = str(request.META.get("HTTP_X_FORWARDED_FOR", ""))
        forwarded = [a.strip() for a in header.split(",") if a.strip()]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    address = request.META.get("REMOTE_ADDR")
    return str(address) if address else None


def _failures(attempts: QuerySet[AccessAttempt]) -> int:
    return int(attempts.aggregate(n=Sum("failures_since_start"))["n"] or 0)


class LoginThrottle(AxesDatabaseHandler):  # type: ignore[misc]  # axes ships no type information
    """axes' database handler with a separate, higher limit for an address than for an account."""

    def get_failures(self, request: HttpRequest, credentials: dict[str, Any] | None = None) -> int:
        # axes compares one count with one limit (AXES_FAILURE_LIMIT). The address count is scaled onto the
        # account's scale so that it reaches that limit exactly at NFM_LOGIN_ADDRESS_LIMIT failures:
        # floor(a * L / A) >= L  ⇔  a >= A.
        by_account, by_address = (_failures(q) for q in self.get_user_attempts(request, credentials))
        account_limit: int = settings.AXES_FAILURE_LIMIT
        address_limit: int = settings.NFM_LOGIN_ADDRESS_LIMIT
        return max(by_account, by_address * account_limit // address_limit)

    def reset_user_attempts(self, request: HttpRequest, credentials: dict[str, Any] | None = None) -> int:
        # A successful login clears the account's own failures only: otherwise anyone with one valid
        # account could wipe the failures counted against their address by logging in to it.
        username = get_client_username(request, credentials)
        deleted, _ = AccessAttempt.objects.filter(username=username).delete()
        return int(deleted)


def lockout_response(
    request: HttpRequest,
    original_response: HttpResponse | None = None,
    credentials: dict[str, Any] | None = None,
) -> HttpResponse:
    """The login form again, with the reason in Chinese (status 429), instead of axes' English text."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    form = AuthenticationForm(request, initial={"username": get_client_username(request, credentials) or ""})
    # Rendered here: axes' middleware hands this back after the view ran, too late for a TemplateResponse.
    return render(
        request,
        "accounts/login.html",
        {"form": form, "locked_out_minutes": minutes, "next": request.POST.get("next", "")},
        status=429,
    )
