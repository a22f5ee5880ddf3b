"""The demo's formal assessments are a real run of the workflow: roster, stages, versions, publication."""

from __future__ import annotations

import time

import pytest

from nfmaturity.accounts.models import Organisation
from nfmaturity.formal import demo
from nfmaturity.formal.models import ExpertProfile, FormalAssessment, FormalState, ResultVersion
from nfmaturity.formal.public import public_list, verify
from tests.web.conftest import PASSWORD, World

pytestmark = pytest.mark.django_db


def test_the_demo_runs_the_workflow_to_each_stage_and_reruns_without_duplicates(
    world: World, body: Organisation
) -> None:
    started = time.monotonic()
    admins = ("ent_admin", "outsider", "hunan_admin")
    demo.load(body=body, password=PASSWORD, body_admin_username="body_admin", enterprise_admins=admins)
    elapsed = time.monotonic() - started
    assert ExpertProfile.objects.filter(body=body).count() >= 9
    stages = {f.enterprise_id: f for f in FormalAssessment.objects.filter(body=body)}
    published = stages[world.enterprise.pk]
    assert published.state == FormalState.PUBLISHED and published.public_listing
    assert ResultVersion.objects.filter(formal=published).count() == 2  # contested, re-scored
    assert published.contest_points.get().state == "accepted"
    assert verify(published.result_number or "", published.check_code) is not None
    assert [r.result_number for r in public_list()] == [published.result_number]
    assert stages[world.other.pk].state == FormalState.CONSENSUS
    assert stages[world.hunan.pk].state == FormalState.COMMUNICATION
    demo.load(body=body, password=PASSWORD, body_admin_username="body_admin", enterprise_admins=admins)
    assert FormalAssessment.objects.filter(body=body).count() == 3
    print(f"formal demo: {elapsed:.1f} s")
