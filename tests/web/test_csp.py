"""Security headers on a page, a download and a static file; and, in a real Chromium, no page breaks the
Content-Security-Policy (no inline script, style attribute or event handler anywhere it goes)."""

from __future__ import annotations

import os
import re
import runpy
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.test import Client

import nfmaturity
from nfmaturity.assessments.models import Assessment
from nfmaturity.web import settings as live_settings
from nfmaturity.web.errors import PLAIN_500
from nfmaturity.web.security import CONTENT_SECURITY_POLICY

from .conftest import PASSWORD, World

# Playwright's sync API runs an event loop in this thread; the test's own ORM calls are still synchronous.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

NO_STORE = "private, no-store"


def _directives(response: Any) -> dict[str, str]:
    return {
        part.split(" ", 1)[0]: part.split(" ", 1)[1]
        for part in response["Content-Security-Policy"].split("; ")
    }


def test_a_signed_in_page_has_every_header_and_is_not_stored(world: World) -> None:
    response = world.client("ent_admin").get("/")
    assert response.status_code == 200
    csp = _directives(response)
    assert csp["script-src"] == "'self'" and csp["style-src"] == "'self'"
    assert "unsafe" not in response["Content-Security-Policy"]
    assert csp["img-src"] == "'self' data:" and csp["frame-ancestors"] == "'none'"
    assert csp["form-action"] == "'self'" and csp["base-uri"] == "'none'" and csp["object-src"] == "'none'"
    for feature in ("camera", "microphone", "geolocation"):
        assert f"{feature}=()" in response["Permissions-Policy"]
    assert response["Cache-Control"] == NO_STORE


def test_the_anonymous_login_page_has_the_policy_but_may_be_cached(db: None) -> None:
    response = Client().get("/accounts/login/")
    assert response["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    assert NO_STORE not in response.get("Cache-Control", "")


def test_downloads_are_never_stored(world: World, draft: Assessment) -> None:
    response = world.client("ent_admin").get(f"/assessments/{draft.pk}/import/?download=1")
    assert response.status_code == 200 and response["Content-Disposition"].startswith("attachment")
    assert response["Cache-Control"] == NO_STORE
    assert response["Content-Security-Policy"] == CONTENT_SECURITY_POLICY


def test_a_static_file_has_the_policy_and_stays_cacheable(world: World) -> None:
    client = world.client("ent_admin")
    response = client.get("/static/web/site.css")
    assert response.status_code == 200
    assert response["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    assert "Permissions-Policy" in response
    assert NO_STORE not in response.get("Cache-Control", "")


def test_https_is_one_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    """NFM_HTTPS=true turns on secure cookies, HSTS and the proxy's HTTPS header together."""
    path = live_settings.__file__
    monkeypatch.setenv("NFM_HTTPS", "true")
    on = runpy.run_path(path)
    assert on["SESSION_COOKIE_SECURE"] and on["CSRF_COOKIE_SECURE"]
    assert on["SECURE_HSTS_SECONDS"] >= 180 * 24 * 3600
    assert on["SECURE_PROXY_SSL_HEADER"] == ("HTTP_X_FORWARDED_PROTO", "https")
    monkeypatch.setenv("NFM_HTTPS", "false")
    off = runpy.run_path(path)
    assert not off["SESSION_COOKIE_SECURE"] and not off["CSRF_COOKIE_SECURE"]
    assert "SECURE_HSTS_SECONDS" not in off and "SECURE_PROXY_SSL_HEADER" not in off


# An inline handler is only refused (and reported) when its event fires, so a crawl cannot see a dormant
# onclick; the templates themselves are read for all three kinds of inline code.
INLINE = re.compile(
    r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>"  # a script with a body
    r"|\sstyle=|<style[\s>]"  # a style attribute or element
    r"|\son[a-z]+\s*=",  # an event handler attribute
    re.IGNORECASE,
)


def test_no_template_has_inline_script_style_or_handler() -> None:
    root = Path(nfmaturity.__file__).parent
    templates = sorted(root.glob("*/templates/**/*.html"))
    assert len(templates) > 30
    found = [
        f"{t.relative_to(root)}: {m.group(0).strip()}"
        for t in templates
        for m in INLINE.finditer(t.read_text(encoding="utf-8"))
    ]
    assert not found, found
    assert not INLINE.search(PLAIN_500)


# ---- in a real browser ----------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, object]) -> dict[str, object]:
    from .test_browser import CHROMIUM_ARGS

    return {**browser_type_launch_args, "executable_path": "/usr/bin/chromium", "args": CHROMIUM_ARGS}


# Pages a crawl must not open: they download a file or change something on a GET-free link anyway.
SKIP = re.compile(r"download|/attachments/\d+/$|/admin/|export|\.xlsx|logout")
# One page per URL shape: /assessments/7/rows/3/ stands for every row.
SHAPE = re.compile(r"\d+")

WATCH_VIOLATIONS = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__csp.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`);
});
"""


class CspWatch:
    """Collects CSP violations a page reports, from the console and from the DOM event."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.console: list[str] = []
        page.add_init_script(WATCH_VIOLATIONS)
        page.on(
            "console",
            lambda m: self.console.append(m.text) if "Content Security Policy" in m.text else None,
        )

    def visit(self, url: str) -> None:
        response = self.page.goto(url)
        assert response is not None and response.status < 500, url
        assert "script-src 'self'" in (response.headers.get("content-security-policy") or ""), url
        self.page.wait_for_load_state("load")
        self.check(url)

    def check(self, where: str) -> None:
        events = self.page.evaluate("window.__csp || []")
        assert not events and not self.console, f"{where}: {events or self.console}"


def _login(page: Any, base: str, username: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state("load")


def _crawl(watch: CspWatch, base: str, start: list[str], limit: int = 40) -> set[str]:
    """Visit the start pages and every same-site page they link to (one page per URL shape)."""
    seen_shapes: set[str] = set()
    visited: set[str] = set()
    queue = list(start)
    while queue and len(visited) < limit:
        path = queue.pop(0)
        shape = SHAPE.sub("N", path)
        if shape in seen_shapes or SKIP.search(path):
            continue
        seen_shapes.add(shape)
        visited.add(path)
        watch.visit(base + path)
        # A link marked ``download`` gives a file, not a page.
        for href in watch.page.eval_on_selector_all(
            "a[href]:not([download])", "els => els.map(e => e.getAttribute('href'))"
        ):
            target = urlsplit(href)
            if not target.netloc and target.path.startswith("/"):
                queue.append(target.path)
    return visited


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_no_page_breaks_the_content_security_policy(  # type: ignore[no-untyped-def]
    world: World, submitted: Assessment, live_server, page
) -> None:
    base = live_server.url
    watch = CspWatch(page)
    watch.visit(f"{base}/")
    watch.visit(f"{base}/accounts/login/")
    watch.visit(f"{base}/enterprises/register/")

    # The regulator's dashboard with its charts.
    _login(page, base, "regulator")
    page.wait_for_selector("canvas, svg", state="attached")
    watch.check("the regulator's dashboard")
    regulator_pages = _crawl(watch, base, ["/"])
    page.context.clear_cookies()

    # The enterprise: questionnaire (one rating saved through htmx), results with radar and explanations.
    _login(page, base, "ent_admin")
    enterprise_pages = _crawl(
        watch, base, ["/", f"/assessments/{submitted.pk}/results/", "/accounts/members/"]
    )
    page.goto(f"{base}/assessments/{submitted.pk}/results/")
    page.wait_for_selector("#radar svg text, #radar canvas")
    page.locator("a.explain-link").first.click()
    page.wait_for_selector("#explain.show #explain-total")
    watch.check("results, explanation panel")
    page.goto(f"{base}/assessments/new/")
    page.get_by_role("button", name="开始填写").click()
    page.wait_for_url(re.compile(r"/assessments/\d+/$"))
    page.locator("a.list-group-item").first.click()
    page.locator(".req").first.get_by_role("button", name="全部满足", exact=True).click()
    page.wait_for_selector("#row-progress strong:text-is('1')")
    page.get_by_role("button", name="评分说明").click()
    watch.check("questionnaire row after a save")
    # An invitation: the link shown once, copied by the static script's button.
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base)
    page.goto(f"{base}/accounts/members/")
    page.fill("#id_full_name", "王工")
    page.fill("#id_email", "wang@example.cn")
    page.get_by_role("button", name="生成邀请链接").click()
    page.get_by_role("button", name="复制链接").click()
    page.wait_for_selector("button:text-is('已复制')")
    assert "/accounts/invitation/" in page.evaluate("navigator.clipboard.readText()")
    watch.check("members page with an invitation link")
    page.context.clear_cookies()

    # The platform admin's pages, whatever they are by now.
    _login(page, base, "platform_admin")
    admin_pages = _crawl(watch, base, ["/"])

    assert len(regulator_pages) >= 3 and len(enterprise_pages) >= 6 and admin_pages
