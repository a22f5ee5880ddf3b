"""Final meeting, publication (number, check code, latest result, lock) and reopening, at service level."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from nfmaturity.assessments.models import Assessment, AssessmentKind, AssessmentState, LatestResult
from nfmaturity.assessments.services import start_self_assessment, submit_assessment
from nfmaturity.audit.models import AuditAction, AuditEvent
from nfmaturity.enterprises.models import SectorChoice
from nfmaturity.formal import services_publication as pub
from nfmaturity.formal import services_results as svc
from nfmaturity.formal.models import FormalAssessment, FormalState, Reopening
from nfmaturity.formal.timeline import timeline
from nfmaturity.formal.workflow import FormalError, WrongStateError
from tests.web.conftest import WORKED_CHECK, World, fill
from tests.web.test_stored_scores import assert_latest_tied

from .test_results import sent, sent_again

pytestmark = pytest.mark.django_db


def at_final(world: World, body, experts, again: bool = False) -> tuple[FormalAssessment, object]:  # type: ignore[no-untyped-def]
    formal, members = (sent_again if again else sent)(world, body, experts)
    svc.accept_result(formal=formal, actor=world.users["ent_admin"])
    formal.refresh_from_db()
    return formal, members[0].expert.user


def record(formal: FormalAssessment, leader) -> None:  # type: ignore[no-untyped-def]
    formal.refresh_from_db()
    pub.record_final_meeting(
        formal=formal,
        actor=leader,
        expected_version=formal.version,
        held_at=timezone.now(),
        place="企业会议室",
        attendees="评估组全体、企业管理层",
        minutes="通报评估结果，企业无异议。",
        final_conclusion="该企业数字化转型成熟度达到一级（规范级）。",
    )


def test_publication_numbers_the_result_and_makes_it_the_enterprises_latest(
    world: World, body, experts
) -> None:  # type: ignore[no-untyped-def]
    own = start_self_assessment(
        enterprise=world.enterprise, actor=world.users["ent_admin"], sector=SectorChoice.SMELTING
    )
    fill(own, WORKED_CHECK, world.users["ent_admin"])
    self_result = submit_assessment(assessment=own, actor=world.users["ent_admin"])
    formal, leader = at_final(world, body, experts)
    with pytest.raises(FormalError, match="末次会议"):
        pub.publish(formal=formal, actor=world.users["body_admin"])
    with pytest.raises(FormalError, match="会议纪要"):
        pub.record_final_meeting(
            formal=formal,
            actor=leader,
            expected_version=formal.version,
            held_at=timezone.now(),
            place="",
            attendees="全体",
            minutes=" ",
            final_conclusion="结论",
        )
    record(formal, leader)
    with pytest.raises(PermissionDenied):
        pub.publish(formal=formal, actor=leader)
    published = pub.publish(formal=formal, actor=world.users["body_admin"])
    year = timezone.localdate().year
    assert published.result_number == f"NFDT-{year}-000001"
    assert len(published.check_code) == pub.CHECK_LENGTH
    assert published.state == FormalState.PUBLISHED and published.published_result is not None
    latest = LatestResult.objects.get(enterprise=world.enterprise)
    assert latest.result_id == published.published_result.pk != self_result.pk
    # Counted like a submission dated by its publication, and the pointer carries its figures.
    assessment = Assessment.objects.get(pk=formal.assessment_id)
    assert assessment.state == AssessmentState.SUBMITTED and assessment.submitted_at == published.published_at
    assert (latest.total_shown, latest.kind, latest.submitted_at) == (
        published.published_result.total_shown,
        AssessmentKind.FORMAL,
        published.published_at,
    )

    # Locked: writes of every part refuse a published assessment.
    with pytest.raises(WrongStateError):
        svc.save_conclusion(
            formal=formal,
            actor=leader,
            expected_version=published.version,
            overall_assessment="改",
            strengths="",
            weaknesses="",
            recommendations="",
        )
    with pytest.raises(WrongStateError):
        record(formal, leader)

    second, second_leader = at_final(world, body, experts, again=True)
    record(second, second_leader)
    second = pub.publish(formal=second, actor=world.users["body_admin"])
    assert second.result_number == f"NFDT-{year}-000002"

    # Reopening: body admin only, with a reason; the number stops verifying and is never reused.
    with pytest.raises(PermissionDenied):
        pub.reopen(formal=formal, actor=world.users["ent_admin"], reason="企业要求")
    with pytest.raises(FormalError, match="原因"):
        pub.reopen(formal=formal, actor=world.users["body_admin"], reason=" ")
    pub.reopen(formal=formal, actor=world.users["body_admin"], reason="发现一处计分依据录入错误")
    formal.refresh_from_db()
    assert formal.state == FormalState.CONCLUSION and formal.result_number is None
    assert Reopening.objects.get(formal=formal).result_number == f"NFDT-{year}-000001"
    assert AuditEvent.objects.filter(
        action=AuditAction.ASSESSMENT_REOPENED, reason__contains="录入错误"
    ).exists()
    # The enterprise's latest result goes back to the other published formal result (newer than its own).
    assert LatestResult.objects.get(enterprise=world.enterprise).result_id == second.published_result_id
    assert_latest_tied()  # with the copies of its figures (LatestScore)
    # Sent again (version 2), accepted, recorded, published: a new number.
    formal = svc.save_conclusion(
        formal=formal,
        actor=leader,
        expected_version=formal.version,
        overall_assessment="更正后的总体评估",
        strengths="",
        weaknesses="",
        recommendations="",
    )
    v2 = svc.approve_and_send(formal=formal, actor=leader, expected_version=formal.version)
    assert v2.result.version == 2
    svc.accept_result(formal=formal, actor=world.users["ent_admin"])
    record(formal, leader)
    again = pub.publish(formal=formal, actor=world.users["body_admin"])
    assert again.result_number == f"NFDT-{year}-000003"
    assert again.published_result_id == v2.result_id

    entries = timeline(formal)
    assert entries[0].what == "发布评估结果" and "NFDT" in entries[0].detail
    assert entries == sorted(entries, key=lambda e: e.at, reverse=True)
    assert any(e.what == "重新开启正式评估" and "录入错误" in e.detail for e in entries)


def test_the_public_listing_is_the_enterprise_admins_choice(world: World, body, experts) -> None:  # type: ignore[no-untyped-def]
    formal, leader = at_final(world, body, experts)
    record(formal, leader)
    with pytest.raises(WrongStateError):
        pub.set_public_listing(formal=formal, actor=world.users["ent_admin"], listed=True)
    pub.publish(formal=formal, actor=world.users["body_admin"])
    with pytest.raises(PermissionDenied):
        pub.set_public_listing(formal=formal, actor=world.users["ent_member"], listed=True)
    assert pub.set_public_listing(formal=formal, actor=world.users["ent_admin"], listed=True).public_listing


def test_reopening_without_another_result_clears_the_latest_pointer(world: World, body, experts) -> None:  # type: ignore[no-untyped-def]
    formal, leader = at_final(world, body, experts)
    record(formal, leader)
    pub.publish(formal=formal, actor=world.users["body_admin"])
    assert LatestResult.objects.filter(enterprise=world.enterprise).exists()
    pub.reopen(formal=formal, actor=world.users["body_admin"], reason="更正")
    assert not LatestResult.objects.filter(enterprise=world.enterprise).exists()
    assert_latest_tied()  # no copies of the figures left either
    reopened = Assessment.objects.get(pk=formal.assessment_id)
    assert reopened.state == AssessmentState.DRAFT and reopened.submitted_at is None
