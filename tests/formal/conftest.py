"""Fixtures for the formal-assessment tests: the web personas (tests/web/conftest.py) plus a body's experts."""

from __future__ import annotations

import pytest

from nfmaturity.accounts.models import Organisation, OrganisationKind
from nfmaturity.formal.models import ExpertProfile
from tests.web.conftest import (  # noqa: F401  (fixtures, re-exported for this folder)
    World,
    _media_in_tmp,
    module_world,
    world,
)

from .factory import make_experts


@pytest.fixture
def body(world: World) -> Organisation:  # noqa: F811  (the fixture, as a parameter)
    return Organisation.objects.get(kind=OrganisationKind.BODY, name="评估中心")


@pytest.fixture
def experts(body: Organisation) -> list[ExpertProfile]:
    return make_experts(body)
