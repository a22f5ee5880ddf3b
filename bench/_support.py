"""What the page and load benchmarks share: a throwaway database, percentiles, forms read from HTML.

Not a benchmark itself (the leading underscore keeps scripts/test.sh from running it).
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urlsplit, urlunsplit

SRC = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src")


@contextmanager
def throwaway_database(label: str) -> Iterator[str]:
    """Yield a DATABASE_URL for a new, empty PostgreSQL database, dropped afterwards; "" without DATABASE_URL.

    A fresh database per run: repeated runs on one cluster never meet each other's enterprises, and the
    database named in DATABASE_URL (e.g. the one the test suite uses) is never touched.
    """
    base = os.environ.get("DATABASE_URL", "")
    if not base:
        yield ""
        return
    import psycopg

    name = f"nfm_bench_{label}_{os.getpid()}"
    parts = urlsplit(base)
    with psycopg.connect(base, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield urlunsplit(parts._replace(path="/" + name))
    finally:
        with psycopg.connect(base, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile: a value that was really measured, never an interpolation."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


CSRF_HEADER = re.compile(r'"X-CSRFToken":\s*"([^"]+)"')
VERSION_INPUT = re.compile(r'name="version" value="(\d+)"')


@dataclass
class Form:
    action: str
    method: str
    fields: list[tuple[str, str]] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    button: tuple[str, str] | None = None
    first_option: dict[str, str] = field(default_factory=dict)
    target: str = ""  # hx-target: the element htmx swaps the answer into (sent as HX-Target)

    def data(self) -> dict[str, list[str]]:
        """What submitting the form sends (the first named submit button pressed)."""
        data: dict[str, list[str]] = {}
        for name, value in [*self.fields, *([self.button] if self.button else [])]:
            data.setdefault(name, []).append(value)
        return data


class FormReader(HTMLParser):
    """The forms of a page as a browser would submit them: hidden and text inputs, checked boxes and
    radios, selected options, textareas, the first named submit button, and the file inputs' names."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._select = ""
        self._textarea = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            if "hx-post" in a:  # an htmx form posts where hx-post says, whatever its method
                self._form = Form(action=a["hx-post"], method="post", target=a.get("hx-target", ""))
            else:
                self._form = Form(action=a.get("action", ""), method=a.get("method", "get").lower())
            self.forms.append(self._form)
            return
        form = self._form
        if form is None:
            return
        name = a.get("name", "")
        kind = a.get("type", "text" if tag == "input" else "submit").lower()
        if tag == "input" and name:
            if kind == "file":
                form.files.append(name)
            elif kind in ("checkbox", "radio"):
                if "checked" in a:
                    form.fields.append((name, a.get("value", "on")))
            elif kind == "submit":
                form.button = form.button or (name, a.get("value", ""))
            elif kind not in ("button", "reset", "image"):
                form.fields.append((name, a.get("value", "")))
        elif tag == "button" and kind == "submit" and name:
            form.button = form.button or (name, a.get("value", ""))
        elif tag == "select":
            self._select = name
        elif tag == "option" and self._select:
            form.first_option.setdefault(self._select, a.get("value", ""))
            if "selected" in a:
                form.fields.append((self._select, a.get("value", "")))
        elif tag == "textarea" and name:
            self._textarea = True
            form.fields.append((name, ""))

    def handle_data(self, data: str) -> None:
        if self._form is not None and self._textarea:
            name, value = self._form.fields[-1]
            self._form.fields[-1] = (name, value + data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "form" and self._form is not None:
            # A select without a selected option submits its first option.
            chosen = {name for name, _ in self._form.fields}
            self._form.fields.extend((n, v) for n, v in self._form.first_option.items() if n not in chosen)
            self._form = None
        elif tag == "select":
            self._select = ""
        elif tag == "textarea":
            self._textarea = False


def post_forms(html: str, action: str) -> list[Form]:
    """The POST forms of ``html`` that submit to ``action`` (or to the page itself)."""
    reader = FormReader()
    reader.feed(html)
    return [f for f in reader.forms if f.method == "post" and f.action in ("", action)]
