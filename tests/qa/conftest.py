"""Fixtures for the outside-QA regression tests: the web personas (tests/web/conftest.py)."""

from __future__ import annotations

from tests.web.conftest import (  # noqa: F401  (fixtures, re-exported for this folder)
    World,
    _media_in_tmp,
    draft,
    module_world,
    submitted,
    world,
)
