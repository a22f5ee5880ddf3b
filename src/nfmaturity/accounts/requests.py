"""The request type of views behind ``login_required``.

Django types ``request.user`` as "a user or AnonymousUser". A view that ``login_required`` guards only
ever sees a real account, so it annotates its request with this type and hands ``request.user`` to
services that take a ``User`` (the actor of the audit event) without casting.
"""

from __future__ import annotations

from django.contrib.auth.models import User
from django.http import HttpRequest


class AuthenticatedRequest(HttpRequest):
    user: User
