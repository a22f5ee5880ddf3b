"""The results part at service level: conclusion, result versions, contest and rebuttal, re-score, diff."""

from __future__ import annotations

import datetime
from fractions import Fraction

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from nfmaturity.accounts.models import Notification, Organisation
from nfmaturity.assessments.catalogs import sector_view
from nfmaturity.assessments.models import RatingValue, Result, ResultScore
from nfmaturity.assessments.results import compute
from nfmaturity.formal import services_results as svc
from nfmaturity.formal.models import (
    ContestState,
    Evidence,
    EvidenceSource,
    FormalAssessment,
    FormalState,
    ResultVersion,
    Settlement,
    TeamMember,
)
from nfmaturity.formal.versions import diff, versions_of
from nfmaturity.formal.workflow import FormalError, StaleFormError, WrongStateError
from tests.web.conftest import WORKED_CHECK, World

from .factory import make_concluded

pytestmark = pytest.mark.django_db


def concluded(world: World, body: Organisation, experts: list) -> tuple[FormalAssessment, list[TeamMember]]:  # type: ignore[type-arg]
    return make_concluded(world.enterprise, body, world.users["ent_admin"], experts[:7], WORKED_CHECK)


def write_conclusion(formal: FormalAssessment, member: TeamMember) -> FormalAssessment:
    return svc.save_conclusion(
        formal=formal,
        actor=member.expert.user,
        expected_version=formal.version,
        overall_assessment="企业整体处于规范级向集成级过渡阶段。",
        strengths="生产管控系统覆盖主要工序。",
        weaknesses="数据治理尚未体系化。",
        recommendations="建设统一数据平台。",
    )


def sent(world: World, body: Organisation, experts: list) -> tuple[FormalAssessment, list[TeamMember]]:  # type: ignore[type-arg]
    formal, members = concluded(world, body, experts)
    formal = write_conclusion(formal, members[1])
    svc.approve_and_send(formal=formal, actor=members[0].expert.user, expected_version=formal.version)
    formal.refresh_from_db()
    return formal, members


def first_requirement(formal: FormalAssessment, level: int) -> str:
    view = sector_view(formal.assessment.catalog_version, formal.assessment.sector)
    return next(r.id for r in view.requirements.values() if int(r.level) == level)


def test_the_team_drafts_the_conclusion_and_a_stale_save_is_refused(world: World, body, experts) -> None:  # type: ignore[no-untyped-def]
    formal, members = concluded(world, body, experts)
    seen = formal.version
    formal = write_conclusion(formal, members[3])
    assert formal.version == seen + 1
    assert FormalAssessment.objects.get(pk=formal.pk).weaknesses == "数据治理尚未体系化。"
    with pytest.raises(StaleFormError):  # a colleague's form opened before that save
        svc.save_conclusion(
            formal=formal.pk,
            actor=members[2].expert.user,
            expected_version=seen,
            overall_assessment="别的文字",
            strengths="",
            weaknesses="",
            recommendations="",
        )
    with pytest.raises(PermissionDenied):
        svc.save_conclusion(
            formal=formal.pk,
            actor=world.users["ent_admin"],
            expected_version=formal.version,
            overall_assessment="企业自己写的结论",
            strengths="",
            weaknesses="",
            recommendations="",
        )


def test_sending_stores_version_1_as_a_self_assessment_result_is_stored(world: World, body, experts) -> None:  # type: ignore[no-untyped-def]
    formal, members = concluded(world, body, experts)
    with pytest.raises(FormalError, match="总体评估"):
        svc.approve_and_send(formal=formal, actor=members[0].expert.user, expected_version=formal.version)
    formal = write_conclusion(formal, members[1])
    with pytest.raises(PermissionDenied):  # not the 组长
        svc.approve_and_send(formal=formal, actor=members[1].expert.user, expected_version=formal.version)
    version = svc.approve_and_send(
        formal=formal, actor=members[0].expert.user, expected_version=formal.version
    )
    formal.refresh_from_db()
    assert formal.state == FormalState.COMMUNICATION
    assert formal.contest_deadline == timezone.localdate() + datetime.timedelta(days=10)
    result = version.result
    assert result.version == 1 and result.assessment_id == formal.assessment_id
    # The same engine result a self-assessment with these ratings stores (WORKED_CHECK: 一级 met, total 1.8…).
    outcome = compute(formal.assessment, allow_unrated=False)
    assert Fraction(result.total) == outcome.total and result.grade == outcome.grade.level
    assert ResultScore.objects.filter(result=result).count() == len(result.domains) + len(result.subdomains)
    assert len(version.ratings) == formal.assessment.requirement_count
    assert set(version.ratings.values()) == {v.value for v in WORKED_CHECK.values()}
    admin_note = Notification.objects.get(user=world.users["ent_admin"])
    assert "第 1 版" in admin_note.text and admin_note.url == f"/formal/{formal.pk}/results/"


def test_a_deadline_in_the_past_is_refused(world: World, body, experts) -> None:  # type: ignore[no-untyped-def]
    formal, members = concluded(world, body, experts)
    formal = write_conclusion(formal, members[1])
    with pytest.raises(FormalError, match="晚于今天"):
        svc.approve_and_send(
            formal=formal,
            actor=members[0].expert.user,
            expected_version=formal.version,
            deadline=timezone.localdate(),
        )


def test_the_enterprise_contests_a_point_with_evidence_and_the_rescore_makes_version_2(
    world: World, body, experts
) -> None:  # type: ignore[no-untyped-def]
    formal, members = sent(world, body, experts)
    leader = members[0].expert.user
    contested = first_requirement(formal, 3)  # rated 部分满足 by the team
    pdf = SimpleUploadedFile("验收报告.pdf", b"%PDF-1.4 demo evidence", content_type="application/pdf")
    with pytest.raises(PermissionDenied):  # a plain member reads, only the admin acts
        svc.contest(formal=formal, actor=world.users["ent_member"], requirement_id=contested, argument="理由")
    point = svc.contest(
        formal=formal,
        actor=world.users["ent_admin"],
        requirement_id=contested,
        argument="该系统已于去年全面上线，附验收报告。",
        files=[pdf],
    )
    formal.refresh_from_db()
    assert formal.state == FormalState.REBUTTAL
    assert point.old_value == RatingValue.PARTLY
    evidence = Evidence.objects.get(contest_point=point)
    assert evidence.source == EvidenceSource.ENTERPRISE and evidence.links.get().requirement_id == contested
    with pytest.raises(FormalError, match="已对"):
        svc.contest(
            formal=formal, actor=world.users["ent_admin"], requirement_id=contested, argument="再说一次"
        )
    other = first_requirement(formal, 4)
    refused = svc.contest(
        formal=formal, actor=world.users["ent_admin"], requirement_id=other, argument="也有异议"
    )
    with pytest.raises(FormalError, match="未答复"):
        svc.rescore(formal=formal, actor=leader)
    with pytest.raises(FormalError, match="理由"):
        svc.answer_point(point=refused, actor=members[2].expert.user, answer=svc.Answer(False, "  "))
    svc.answer_point(
        point=refused, actor=members[2].expert.user, answer=svc.Answer(False, "现场未见该功能的运行记录")
    )
    with pytest.raises(FormalError, match="组长"):  # re-rating is the 组长's ruling
        svc.answer_point(
            point=point,
            actor=members[2].expert.user,
            answer=svc.Answer(True, "验收报告可证明", RatingValue.FULL),
        )
    svc.answer_point(point=point, actor=leader, answer=svc.Answer(True, "验收报告可证明", RatingValue.FULL))
    settlement = Settlement.objects.get(formal=formal, requirement_id=contested)
    assert (settlement.value, settlement.round) == (RatingValue.FULL, 1)
    version = svc.rescore(formal=formal, actor=leader)
    assert version is not None and version.result.version == 2
    formal.refresh_from_db()
    assert formal.state == FormalState.COMMUNICATION
    first, second = sorted(versions_of(formal), key=lambda v: v.result.version)
    assert Result.objects.filter(assessment=formal.assessment).count() == 2
    assert first.ratings[contested] == RatingValue.PARTLY  # the earlier version stays as it was
    changes = diff(formal, first, second)
    assert [(c.requirement_id, c.before, c.after) for c in changes.ratings] == [
        (contested, "部分满足", "全部满足")
    ]
    level3 = changes.levels[2]
    assert level3.after is not None and level3.before is not None and level3.after > level3.before
    assert changes.total.after is not None and changes.total.before is not None
    assert changes.total.after >= changes.total.before
    states = dict(ContestState.choices)
    assert {p.requirement_id: states[p.state] for p in formal.contest_points.all()} == {
        contested: "已采纳（重新评分）",
        other: "未采纳",
    }


def test_answers_without_a_changed_rating_go_on_to_the_final_meeting(world: World, body, experts) -> None:  # type: ignore[no-untyped-def]
    formal, members = sent(world, body, experts)
    point = svc.contest(
        formal=formal,
        actor=world.users["ent_admin"],
        requirement_id=first_requirement(formal, 2),
        argument="异议",
    )
    svc.answer_point(point=point, actor=members[0].expert.user, answer=svc.Answer(False, "证据不足"))
    assert svc.rescore(formal=formal, actor=members[0].expert.user) is None
    formal.refresh_from_db()
    assert formal.state == FormalState.FINAL
    assert ResultVersion.objects.filter(formal=formal).count() == 1


def test_accepting_or_letting_the_deadline_pass_leads_to_the_final_meeting(
    world: World, body, experts
) -> None:  # type: ignore[no-untyped-def]
    formal, members = sent(world, body, experts)
    leader = members[0].expert.user
    with pytest.raises(FormalError, match="未到"):
        svc.close_communication(formal=formal, actor=leader)
    FormalAssessment.objects.filter(pk=formal.pk).update(
        contest_deadline=timezone.localdate() - datetime.timedelta(days=1)
    )
    with pytest.raises(FormalError, match="已过"):
        svc.contest(
            formal=formal,
            actor=world.users["ent_admin"],
            requirement_id=first_requirement(formal, 1),
            argument="晚了",
        )
    svc.close_communication(formal=formal, actor=leader)
    formal.refresh_from_db()
    assert formal.state == FormalState.FINAL
    with pytest.raises(WrongStateError):
        svc.accept_result(formal=formal, actor=world.users["ent_admin"])

    other, _ = sent_again(world, body, experts)
    svc.accept_result(formal=other, actor=world.users["ent_admin"])
    other.refresh_from_db()
    assert other.state == FormalState.FINAL and other.accepted_by_enterprise_at is not None


def sent_again(world: World, body: Organisation, experts: list) -> tuple[FormalAssessment, list[TeamMember]]:  # type: ignore[type-arg]
    formal, members = make_concluded(
        world.enterprise, body, world.users["ent_admin"], experts[1:8], WORKED_CHECK
    )
    formal = write_conclusion(formal, members[0])
    svc.approve_and_send(formal=formal, actor=members[0].expert.user, expected_version=formal.version)
    formal.refresh_from_db()
    return formal, members
