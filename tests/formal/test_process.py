"""The whole formal assessment at service level, every step through its service: application, 受理, a team of
7 experts, plans and the first meeting, each expert's independent ratings (two of them rate one requirement
differently from their colleague), the consensus settles it, the conclusion is sent (result version 1), the
enterprise contests one point with new evidence, the 组长 accepts it and re-scores (version 2), the enterprise
accepts, the final meeting, publication, and the public verification page."""

from __future__ import annotations

import time

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from nfmaturity.accounts.models import Organisation
from nfmaturity.assessments.catalogs import sector_view
from nfmaturity.assessments.models import LatestResult, RatingValue
from nfmaturity.audit.models import AuditAction, AuditEvent
from nfmaturity.formal import public
from nfmaturity.formal import services_application as app
from nfmaturity.formal import services_consensus as consensus
from nfmaturity.formal import services_planning as planning
from nfmaturity.formal import services_publication as publication
from nfmaturity.formal import services_rating as rating
from nfmaturity.formal import services_results as results
from nfmaturity.formal import services_team as team
from nfmaturity.formal.models import (
    ExpertProfile,
    ExpertRating,
    FormalAssessment,
    FormalState,
    PlanKind,
    Settlement,
    SettlementMethod,
    SubdomainAssignment,
    TeamMember,
)
from nfmaturity.formal.versions import diff, versions_of
from tests.web.conftest import WORKED_CHECK, World

from .test_application import applied
from .test_planning import MEETING, PLAN

S = FormalState
pytestmark = pytest.mark.django_db


def by_level(level: int) -> RatingValue:
    return WORKED_CHECK[level]


def run_to_onsite(world: World, body: Organisation, experts: list[ExpertProfile]):  # type: ignore[no-untyped-def]
    formal = applied(world, body)
    body_admin, ent_admin = world.users["body_admin"], world.users["ent_admin"]
    app.accept_application(formal=formal, actor=body_admin)
    for expert in experts[:7]:
        team.add_member(formal=formal, actor=body_admin, expert_id=expert.pk)
    members = list(TeamMember.objects.filter(formal=formal).select_related("expert__user").order_by("pk"))
    team.set_leader(formal=formal, actor=body_admin, member_id=members[0].pk)
    team.assign_default(formal=formal, actor=body_admin)
    for m in members:
        team.sign_declaration(formal=formal, actor=m.expert.user, which="conflict")
        team.sign_declaration(formal=formal, actor=m.expert.user, which="confidentiality")
    team.confirm_team(formal=formal, actor=body_admin)
    leader = members[0].expert.user
    for kind in PlanKind:
        planning.save_plan(formal=formal, actor=leader, kind=kind, data=PLAN, expected_version=0)
        planning.confirm_plan(formal=formal, actor=ent_admin, kind=kind, expected_version=1)
    planning.record_first_meeting(formal=formal, actor=leader, data=MEETING)
    planning.start_onsite(formal=formal, actor=leader)
    formal.refresh_from_db()
    return formal, members


def rate_and_submit(formal: FormalAssessment, members: list[TeamMember]) -> str:
    """Every expert rates his rows through the rating service and submits (the last submission opens the
    consensus). On a row with three raters, two of them depart from the third on its first S2 requirement,
    each in another direction: no majority. Returns that requirement's id."""
    view = sector_view(formal.assessment.catalog_version, formal.assessment.sector)
    # A row rated by three experts: on its first S2 requirement two of them depart from the third.
    rows: dict[str, list[TeamMember]] = {}
    for a in SubdomainAssignment.objects.filter(formal=formal).select_related("member"):
        rows.setdefault(a.row_id, []).append(a.member)
    shared_row, raters = next((r, ms) for r, ms in rows.items() if len(ms) >= 3)
    disputed = next(r.id for r in view.rows[view.row_index[shared_row]].requirements if int(r.level) == 2)
    departures = {raters[1].pk: RatingValue.FULL, raters[2].pk: RatingValue.PARTLY}

    for member in members:
        mine = set(SubdomainAssignment.objects.filter(member=member).values_list("row_id", flat=True))
        for row in view.rows:
            if row.id not in mine:
                continue
            for requirement in row.requirements:
                value = by_level(int(requirement.level))
                if requirement.id == disputed:
                    value = departures.get(member.pk, value)
                rating.set_expert_rating(
                    formal=formal,
                    actor=member.expert.user,
                    requirement_id=requirement.id,
                    value=value,
                    expected_version=0,
                )
    for i, member in enumerate(members):
        opened = rating.submit_ratings(formal=formal, actor=member.expert.user)
        assert opened == (i == len(members) - 1)
    return disputed


def test_the_whole_formal_assessment_with_the_services(world: World, body: Organisation, experts) -> None:  # type: ignore[no-untyped-def]
    started = time.monotonic()
    formal, members = run_to_onsite(world, body, experts)
    assert formal.state == S.ONSITE and len(members) == 7
    leader = members[0].expert.user
    view = sector_view(formal.assessment.catalog_version, formal.assessment.sector)

    disputed = rate_and_submit(formal, members)
    formal.refresh_from_db()
    assert formal.state == S.CONSENSUS
    votes = sorted(
        ExpertRating.objects.filter(formal=formal, requirement_id=disputed).values_list("value", flat=True)
    )
    assert len(set(votes)) == 3  # 全部满足, 大部分满足, 部分满足: no majority

    # Consensus: every unanimous requirement at once, the disputed one by the 组长's ruling.
    settled = consensus.accept_unanimous(formal=formal, actor=leader)
    assert settled == view.requirement_count - 1
    consensus.settle(
        formal=formal,
        requirement_id=disputed,
        value=RatingValue.MOSTLY,
        reason="",
        method=SettlementMethod.LEADER,
        rationale="现场抽查与系统演示一致，取中间评分",
        actor=leader,
        expected_version=0,
    )
    consensus.close_consensus(formal=formal, actor=leader)
    formal.refresh_from_db()
    assert formal.state == S.CONCLUSION
    # The individual ratings are kept as rated.
    assert (
        sorted(
            ExpertRating.objects.filter(formal=formal, requirement_id=disputed).values_list(
                "value", flat=True
            )
        )
        == votes
    )

    # Conclusion, approval, version 1 sent.
    formal = results.save_conclusion(
        formal=formal,
        actor=members[3].expert.user,
        expected_version=formal.version,
        overall_assessment="企业达到规范级，集成级部分满足。",
        strengths="组织建设完整。",
        weaknesses="数据集成不足。",
        recommendations="建设统一数据平台。",
    )
    v1 = results.approve_and_send(formal=formal, actor=leader, expected_version=formal.version)
    assert v1.result.version == 1 and v1.ratings[disputed] == RatingValue.MOSTLY

    # The enterprise contests one point with new evidence; the 组长 accepts it; the re-score makes version 2.
    contested = next(r.id for r in view.requirements.values() if int(r.level) == 3)
    point = results.contest(
        formal=formal,
        actor=world.users["ent_admin"],
        requirement_id=contested,
        argument="该系统已于去年上线，附验收报告。",
        files=[SimpleUploadedFile("验收报告.pdf", b"%PDF-1.4 report", content_type="application/pdf")],
    )
    results.answer_point(
        point=point, actor=leader, answer=results.Answer(True, "验收报告与现场一致，采纳", RatingValue.FULL)
    )
    assert Settlement.objects.get(formal=formal, requirement_id=contested).round == 1
    v2 = results.rescore(formal=formal, actor=leader)
    assert v2 is not None and v2.result.version == 2
    change = diff(formal, v1, v2)
    assert [c.requirement_id for c in change.ratings] == [contested]
    assert change.levels[2].after is not None and change.levels[2].before is not None
    assert change.levels[2].after > change.levels[2].before

    # Accepted, final meeting, published, verified by anyone.
    results.accept_result(formal=formal, actor=world.users["ent_admin"])
    formal.refresh_from_db()
    publication.record_final_meeting(
        formal=formal,
        actor=leader,
        expected_version=formal.version,
        held_at=timezone.now(),
        place="企业会议室",
        attendees="评估组、企业管理层",
        minutes="通报第 2 版评估结果",
        final_conclusion="达到一级（规范级）。",
    )
    published = publication.publish(formal=formal, actor=world.users["body_admin"])
    assert published.published_result_id == v2.result_id
    assert LatestResult.objects.get(enterprise=world.enterprise).result_id == v2.result_id
    assert [v.result.version for v in versions_of(published)] == [2, 1]

    record = public.verify(published.result_number or "", published.check_code)
    assert record is not None and record.enterprise == world.enterprise.name
    cache.clear()
    page = Client().post(
        "/formal/verify/", {"result_number": published.result_number, "check_code": published.check_code}
    )
    assert page.status_code == 200 and "验证通过" in page.text and record.grade in page.text

    states = [
        e["new__state"]
        for e in AuditEvent.objects.filter(object_type="formal.formalassessment", object_id=str(formal.pk))
        .exclude(new__state=None)
        .order_by("pk")
        .values("new__state")
    ]
    assert [s for s in states if s] == [
        "applied",
        "team",
        "planning",
        "onsite",
        "consensus",
        "conclusion",
        "communication",
        "rebuttal",
        "communication",
        "final",
        "published",
    ]
    assert (
        AuditEvent.objects.filter(action=AuditAction.EXPERT_RATING_CHANGED).count()
        == ExpertRating.objects.filter(formal=formal).count()
    )
    print(f"whole process: {time.monotonic() - started:.1f} s")
