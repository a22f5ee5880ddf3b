"""Fixtures for the outside-QA regression tests: the web personas (tests/web/conftest.py)."""

from __future__ import annotations

from tests.formal.conftest import body, experts  # noqa: F401  (the formal fixtures too)
from tests.web.conftest import (  # noqa: F401  (fixtures, re-exported for this folder)
    World,
    _media_in_tmp,
    draft,
    module_world,
    submitted,
    world,
)
