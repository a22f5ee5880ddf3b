"""Login throttling, idle sessions and cookies: the account rules of issue 9 (accounts and sessions)."""

from __future__ import annotations

import time
from typing import Any

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.models import Session
from django.db.models import F
from django.test import Client

from nfmaturity.accounts.sessions import REFRESH_SECONDS

from .conftest import PASSWORD, World

LOCKED = "登录失败次数过多"


def _login(username: str, password: str, address: str = "10.0.0.1", **extra: str) -> Any:
    return Client(REMOTE_ADDR=address, **extra).post(
        "/accounts/login/", {"username": username, "password": password}
    )


def test_five_wrong_passwords_lock_the_account_even_against_the_right_one(world: World) -> None:
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        response = _login("ent_admin", "wrong-password")
        assert response.status_code == 200 and "用户名或密码不正确" in response.content.decode()
    fifth = _login("ent_admin", "wrong-password")
    assert fifth.status_code == 429 and LOCKED in fifth.content.decode()

    # The sixth, with the right password and from another address, is refused all the same, in Chinese,
    # on the login form; nobody is signed in.
    sixth = _login("ent_admin", PASSWORD, address="10.9.9.9")
    page = sixth.content.decode()
    assert sixth.status_code == 429 and SESSION_KEY not in sixth.client.session
    assert LOCKED in page and "15 分钟" in page and 'name="password"' in page

    # Another account, from the very address that failed, is unaffected.
    other = _login("ent_member", PASSWORD)
    assert other.status_code == 302 and other.client.session[SESSION_KEY] == str(world.users["ent_member"].pk)  # type: ignore[attr-defined]


def test_the_lockout_ends_after_the_cool_off(world: World) -> None:
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _login("ent_admin", "wrong-password")
    assert _login("ent_admin", PASSWORD).status_code == 429
    # The failures are now as old as the cool-off time.
    AccessAttempt.objects.update(attempt_time=F("attempt_time") - settings.AXES_COOLOFF_TIME)
    assert _login("ent_admin", PASSWORD).status_code == 302


def test_many_usernames_from_one_address_lock_the_address(world: World, settings: Any) -> None:
    settings.NFM_LOGIN_ADDRESS_LIMIT = 8
    for i in range(8):
        assert _login(f"nobody-{i}", "guess", address="10.6.6.6").status_code in (200, 429)
    # Even a real account with its right password is refused from that address, and only from there.
    assert _login("ent_member", PASSWORD, address="10.6.6.6").status_code == 429
    assert _login("ent_member", PASSWORD, address="10.7.7.7").status_code == 302


def test_a_successful_login_clears_only_the_accounts_own_failures(world: World, settings: Any) -> None:
    settings.NFM_LOGIN_ADDRESS_LIMIT = 8
    for i in range(4):
        _login(f"nobody-{i}", "guess")
    for _ in range(3):
        _login("ent_member", "wrong-password")
    assert _login("ent_member", PASSWORD).status_code == 302
    # The member's three failures are gone; the four against the address remain and still count.
    assert not AccessAttempt.objects.filter(username="ent_member").exists()
    assert AccessAttempt.objects.filter(ip_address="10.0.0.1").count() == 4
    for _ in range(4):
        _login("ent_member", "wrong-password")
    assert _login("ent_member", PASSWORD).status_code == 429


def test_behind_a_proxy_the_forwarded_address_counts(world: World, settings: Any) -> None:
    settings.NFM_PROXY_COUNT = 1
    settings.NFM_LOGIN_ADDRESS_LIMIT = 3
    for i in range(3):
        _login(f"nobody-{i}", "guess", address="127.0.0.1", HTTP_X_FORWARDED_FOR="forged, 203.0.113.9")
    # Everybody comes through the proxy at 127.0.0.1; only the client behind 203.0.113.9 is locked out.
    blocked = _login("ent_member", PASSWORD, address="127.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.9")
    allowed = _login("ent_member", PASSWORD, address="127.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.1")
    assert blocked.status_code == 429 and allowed.status_code == 302


# --- sessions -----------------------------------------------------------------------------------------


def test_the_session_expires_after_the_idle_time_and_slides_while_used(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert settings.SESSION_COOKIE_AGE == 8 * 3600
    client = Client()
    assert client.post("/accounts/login/", {"username": "ent_admin", "password": PASSWORD}).status_code == 302
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    first = Session.objects.get(session_key=key).expire_date

    # Within the refresh interval a request writes nothing.
    assert client.get("/").status_code == 200
    assert Session.objects.get(session_key=key).expire_date == first

    # Later, a request pushes the expiry forward and sends the cookie again with a full max-age.
    real_time = time.time
    monkeypatch.setattr(time, "time", lambda: real_time() + REFRESH_SECONDS + 1)
    response = client.get("/")
    assert Session.objects.get(session_key=key).expire_date > first
    assert response.cookies[settings.SESSION_COOKIE_NAME]["max-age"] == settings.SESSION_COOKIE_AGE


def test_cookies_are_http_only(world: World) -> None:
    response = Client().get("/accounts/login/")
    assert response.cookies[settings.CSRF_COOKIE_NAME]["httponly"]
    signed_in = Client().post("/accounts/login/", {"username": "ent_admin", "password": PASSWORD})
    assert signed_in.cookies[settings.SESSION_COOKIE_NAME]["httponly"]
