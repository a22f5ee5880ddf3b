"""400, 403, 404, 500 and the CSRF refusal: Chinese, the right status, and the site's navigation kept.

Production settings (DEBUG off). The 500 comes from a view in this module's own urlconf, so no URL that
raises exists in the platform's urls.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core.exceptions import BadRequest
from django.http import HttpRequest, HttpResponse
from django.test import Client
from django.urls import path

from nfmaturity.web import errors
from nfmaturity.web.urls import handler400, handler403, handler404, handler500
from nfmaturity.web.urls import urlpatterns as platform_urlpatterns

from .conftest import World
from .test_chinese import english_sentences, visible_text


def _crash(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("boom")


def _bad(request: HttpRequest) -> HttpResponse:
    raise BadRequest("malformed")


# This module doubles as ROOT_URLCONF: the platform's URLs and handlers plus a crash and a bad request.
urlpatterns = [*platform_urlpatterns, path("test-crash/", _crash), path("test-bad/", _bad)]
__all__ = ["handler400", "handler403", "handler404", "handler500", "urlpatterns"]


@pytest.fixture(autouse=True)
def production(settings: Any) -> None:
    settings.DEBUG = False


def header(html: str) -> str:
    match = re.search(r"<header.*?</header>", html, re.S)
    assert match, "every error page keeps the site's header"
    return visible_text(match.group(0))


def assert_error_page(response: Any, status: int, heading: str) -> str:
    html = str(response.content.decode())
    assert response.status_code == status
    assert heading in html and f"<title>{heading} ·" in html
    assert "返回工作台" in html
    assert english_sentences(html) == []
    return html


def assert_user_nav(html: str) -> None:
    nav = header(html)
    for link in ("工作台", "企业信息", "评估历史", "成员管理", "修改密码", "退出"):
        assert link in nav
    assert 'data-bs-target="#site-nav"' in html  # the phone toggler is there too


def test_a_missing_page_is_a_chinese_404_with_the_users_navigation(world: World) -> None:
    html = assert_error_page(world.client("ent_admin").get("/no-such-page/"), 404, "页面不存在")
    assert_user_nav(html)


def test_another_enterprises_page_answers_the_same_404(world: World) -> None:
    response = world.client("ent_admin").get(f"/enterprises/{world.other.pk}/")
    assert_user_nav(assert_error_page(response, 404, "页面不存在"))


def test_anonymous_visitors_get_the_404_with_a_login_link(db: None) -> None:
    html = assert_error_page(Client().get("/no-such-page/"), 404, "页面不存在")
    assert "登录" in header(html) and "退出" not in header(html)


def test_a_refused_page_is_a_chinese_403_with_the_users_navigation(world: World) -> None:
    # Enterprise users may not browse the registry of all enterprises.
    html = assert_error_page(world.client("ent_admin").get("/enterprises/"), 403, "没有权限")
    assert_user_nav(html)


def test_a_bad_request_is_a_chinese_400_with_the_users_navigation(world: World, settings: Any) -> None:
    settings.ROOT_URLCONF = __name__
    response = world.client("ent_admin").get("/test-bad/")
    assert_user_nav(assert_error_page(response, 400, "请求无法处理"))


def test_a_refused_host_is_a_chinese_400_even_before_the_user_is_known(world: World) -> None:
    # CommonMiddleware refuses the Host before authentication runs: no user, so only the brand bar.
    response = world.client("ent_admin").get("/", headers={"host": "evil.example"})
    html = assert_error_page(response, 400, "请求无法处理")
    assert "退出" not in header(html)


def test_a_csrf_refusal_is_a_chinese_403_with_the_users_navigation(world: World) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.users["ent_admin"])  # type: ignore[arg-type]
    response = client.post("/accounts/password/", {"old_password": "x"})
    html = assert_error_page(response, 403, "页面已过期")
    assert_user_nav(html)
    assert "刷新页面后重新提交" in html


def test_a_crash_is_a_chinese_500_that_touches_neither_database_nor_session(
    world: World, settings: Any, django_assert_num_queries: Any
) -> None:
    settings.ROOT_URLCONF = __name__
    client = world.client("ent_admin")
    client.raise_request_exception = False
    with django_assert_num_queries(0):
        response = client.get("/test-crash/")
    html = assert_error_page(response, 500, "服务器出错")
    nav = header(html)
    assert "有色金属数字化转型成熟度评估" in nav and "退出" not in nav


def test_the_500_page_falls_back_to_a_fixed_page_when_its_template_fails(
    db: None, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.ROOT_URLCONF = __name__

    def broken(*args: object, **kwargs: object) -> str:
        raise ValueError("Missing staticfiles manifest entry")

    monkeypatch.setattr(errors, "render_to_string", broken)
    response = Client(raise_request_exception=False).get("/test-crash/")
    assert response.status_code == 500
    assert response.content.decode() == errors.PLAIN_500
