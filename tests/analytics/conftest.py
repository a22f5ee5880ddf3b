"""Fixtures for the analytics tests: the web personas (tests/web/conftest.py), re-exported for this folder."""

from __future__ import annotations

from tests.web.conftest import (  # noqa: F401  (fixtures, re-exported for this folder)
    World,
    _media_in_tmp,
    module_world,
    world,
)
