"""Fixtures for the outside QA of issue 12 (the regulator's view): the web personas, re-exported."""

from __future__ import annotations

from tests.web.conftest import (  # noqa: F401  (fixtures, re-exported for this folder)
    World,
    _media_in_tmp,
    module_world,
    world,
)
