"""Independent ratings: services (save, stale, N/A, submit, freeze, reopen, consensus opening) and pages."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.test import Client
from django.urls import reverse

from nfmaturity.accounts.models import Organisation
from nfmaturity.assessments.catalogs import sector_view
from nfmaturity.assessments.models import Assessment, RatingRecord, RatingValue
from nfmaturity.audit.models import AuditAction, AuditEvent
from nfmaturity.formal import services_rating as svc
from nfmaturity.formal.models import (
    ExpertProfile,
    ExpertRating,
    FormalAssessment,
    FormalState,
    SubdomainAssignment,
    TeamMember,
)
from nfmaturity.formal.workflow import FormalError, WrongStateError
from tests.web.conftest import World, submitted  # noqa: F401  (fixture)

from .factory import make_formal, rate_assigned, seat_team, share_row, smallest_row


@dataclass
class Onsite:
    formal: FormalAssessment
    members: list[TeamMember]
    row_index: int
    row_id: str
    requirements: list[str]  # of the shared row

    def user(self, i: int):  # type: ignore[no-untyped-def]
        return self.members[i].expert.user

    def client(self, i: int) -> Client:
        client = Client()
        client.force_login(self.user(i))
        return client


def build_onsite(world: World, body: Organisation, experts: list[ExpertProfile]) -> Onsite:
    formal = make_formal(world.enterprise, body, world.users["ent_admin"], state=FormalState.ONSITE)
    members = seat_team(formal, experts[:7])
    index, row_id = smallest_row(formal)
    # Exactly the leader and experts 2 and 3 rate the shared row.
    SubdomainAssignment.objects.filter(formal=formal, row_id=row_id).delete()
    share_row(formal, members[:3], row_id)
    view = sector_view(formal.assessment.catalog_version, formal.assessment.sector)
    return Onsite(formal, members, index, row_id, [r.id for r in view.rows[index].requirements])


@pytest.fixture
def onsite(world: World, body: Organisation, experts: list[ExpertProfile]) -> Onsite:
    return build_onsite(world, body, experts)


pytestmark = pytest.mark.django_db


def test_an_expert_rates_his_requirement_and_the_save_is_audited(onsite: Onsite) -> None:
    rid = onsite.requirements[0]
    saved = svc.set_expert_rating(
        formal=onsite.formal.pk,
        actor=onsite.user(1),
        requirement_id=rid,
        value=RatingValue.MOSTLY,
        expected_version=0,
        note="查看了系统演示",
    )
    assert (saved.rating.value, saved.rating.version) == ("0.8", 1)
    again = svc.set_expert_rating(
        formal=onsite.formal.pk,
        actor=onsite.user(1),
        requirement_id=rid,
        value=RatingValue.FULL,
        expected_version=1,
    )
    assert again.rating.version == 2
    events = AuditEvent.objects.filter(action=AuditAction.EXPERT_RATING_CHANGED)
    assert events.count() == 2
    assert events.order_by("id").last().old["value"] == "0.8"  # type: ignore[union-attr]
    # No RatingRecord: the assessment's ratings are the settled ones only.
    assert not RatingRecord.objects.filter(assessment=onsite.formal.assessment).exists()


def test_a_stale_save_is_refused_with_the_newer_rating(onsite: Onsite) -> None:
    rid = onsite.requirements[0]
    svc.set_expert_rating(
        formal=onsite.formal.pk, actor=onsite.user(1), requirement_id=rid, value="1", expected_version=0
    )
    with pytest.raises(svc.StaleExpertRatingError) as caught:
        svc.set_expert_rating(
            formal=onsite.formal.pk, actor=onsite.user(1), requirement_id=rid, value="0", expected_version=0
        )
    assert caught.value.current is not None and caught.value.current.value == "1"
    assert "已被他人修改" in caught.value.message


def test_rules_refuse_with_chinese_messages(onsite: Onsite, world: World) -> None:
    rid = onsite.requirements[0]
    with pytest.raises(FormalError, match="必须填写理由"):
        svc.set_expert_rating(
            formal=onsite.formal.pk, actor=onsite.user(1), requirement_id=rid, value="na", expected_version=0
        )
    with pytest.raises(FormalError, match="没有分配给您"):  # member 4 does not rate the shared row
        svc.set_expert_rating(
            formal=onsite.formal.pk, actor=onsite.user(4), requirement_id=rid, value="1", expected_version=0
        )
    with pytest.raises(PermissionDenied):  # the body admin reads but does not rate
        svc.set_expert_rating(
            formal=onsite.formal.pk,
            actor=world.users["body_admin"],
            requirement_id=rid,
            value="1",
            expected_version=0,
        )
    with pytest.raises(Http404):
        svc.set_expert_rating(
            formal=onsite.formal.pk,
            actor=world.users["outsider"],
            requirement_id=rid,
            value="1",
            expected_version=0,
        )
    FormalAssessment.objects.filter(pk=onsite.formal.pk).update(state=FormalState.PLANNING)
    with pytest.raises(WrongStateError, match="编制评估计划"):
        svc.set_expert_rating(
            formal=onsite.formal.pk, actor=onsite.user(1), requirement_id=rid, value="1", expected_version=0
        )


def test_a_changed_not_applicable_loses_its_confirmation(onsite: Onsite) -> None:
    rid = onsite.requirements[0]
    first = svc.set_expert_rating(
        formal=onsite.formal.pk,
        actor=onsite.user(1),
        requirement_id=rid,
        value="na",
        reason="无该工序",
        expected_version=0,
    )
    rate_assigned(onsite.formal, onsite.members[0], submit=True)  # the leader submits first
    assert (
        svc.confirm_not_applicable(
            formal=onsite.formal.pk, actor=onsite.user(0), rating_ids=[first.rating.pk]
        )
        == 1
    )
    rating = ExpertRating.objects.get(pk=first.rating.pk)
    assert rating.na_confirmed_by == onsite.user(0)
    # Only the note changes: the confirmation stays.
    svc.set_expert_rating(
        formal=onsite.formal.pk,
        actor=onsite.user(1),
        requirement_id=rid,
        value="na",
        reason="无该工序",
        note="现场确认",
        expected_version=1,
    )
    assert ExpertRating.objects.get(pk=rating.pk).na_confirmed_by is not None
    svc.set_expert_rating(
        formal=onsite.formal.pk,
        actor=onsite.user(1),
        requirement_id=rid,
        value="na",
        reason="该工序外包",
        expected_version=2,
    )
    assert ExpertRating.objects.get(pk=rating.pk).na_confirmed_by is None
    with pytest.raises(PermissionDenied):
        svc.confirm_not_applicable(formal=onsite.formal.pk, actor=onsite.user(2), rating_ids=[rating.pk])


def test_submission_needs_every_assigned_requirement_then_freezes(onsite: Onsite) -> None:
    member = onsite.members[1]
    rids = onsite.requirements
    svc.set_expert_rating(
        formal=onsite.formal.pk, actor=onsite.user(1), requirement_id=rids[0], value="1", expected_version=0
    )
    with pytest.raises(FormalError, match=r"还有 \d+ 项分配给您的要求未评分"):
        svc.submit_ratings(formal=onsite.formal.pk, actor=onsite.user(1))
    ExpertRating.objects.filter(member=member).delete()
    rate_assigned(onsite.formal, member, "0.5")
    assert svc.submit_ratings(formal=onsite.formal.pk, actor=onsite.user(1)) is False
    with pytest.raises(FormalError, match="评分已冻结"):
        svc.set_expert_rating(
            formal=onsite.formal.pk,
            actor=onsite.user(1),
            requirement_id=rids[0],
            value="1",
            expected_version=1,
        )
    with pytest.raises(PermissionDenied):
        svc.reopen_ratings(formal=onsite.formal.pk, actor=onsite.user(2), member_pk=member.pk, reason="x")
    with pytest.raises(FormalError, match="须填写原因"):
        svc.reopen_ratings(formal=onsite.formal.pk, actor=onsite.user(0), member_pk=member.pk, reason=" ")
    svc.reopen_ratings(
        formal=onsite.formal.pk, actor=onsite.user(0), member_pk=member.pk, reason="补充证据后复核"
    )
    event = AuditEvent.objects.get(action=AuditAction.EXPERT_RATINGS_REOPENED)
    assert event.reason == "补充证据后复核"
    svc.set_expert_rating(
        formal=onsite.formal.pk, actor=onsite.user(1), requirement_id=rids[0], value="1", expected_version=1
    )


def test_the_last_submission_opens_the_consensus(onsite: Onsite) -> None:
    for member in onsite.members[1:]:
        rate_assigned(onsite.formal, member, submit=True)
    rate_assigned(onsite.formal, onsite.members[0])
    with pytest.raises(FormalError, match="专家1"):  # the leader himself has not submitted
        svc.open_consensus(formal=onsite.formal.pk, actor=onsite.user(0))
    assert svc.submit_ratings(formal=onsite.formal.pk, actor=onsite.user(0)) is True
    onsite.formal.refresh_from_db()
    assert onsite.formal.state == FormalState.CONSENSUS
    assert AuditEvent.objects.filter(action=AuditAction.CONSENSUS_OPENED).count() == 1


def test_the_leader_opens_the_consensus_himself_once_all_submitted(onsite: Onsite) -> None:
    for member in onsite.members:
        rate_assigned(onsite.formal, member, submit=True)
    with pytest.raises(PermissionDenied):
        svc.open_consensus(formal=onsite.formal.pk, actor=onsite.user(1))
    svc.open_consensus(formal=onsite.formal.pk, actor=onsite.user(0))
    onsite.formal.refresh_from_db()
    assert onsite.formal.state == FormalState.CONSENSUS


# ---- pages


def test_row_page_shows_his_rating_the_self_assessment_reference_and_evidence(
    onsite: Onsite,
    world: World,
    submitted: Assessment,  # noqa: F811  (the fixture)
) -> None:
    from nfmaturity.formal.models import CollectionMethod, Evidence, EvidenceLink

    FormalAssessment.objects.filter(pk=onsite.formal.pk).update(starting_self_assessment=submitted)
    rid = onsite.requirements[0]
    evidence = Evidence.objects.create(
        formal=onsite.formal,
        method=CollectionMethod.INTERVIEW,
        description="与生产部长座谈记录",
        collected_on="2026-11-20",
        collected_by=onsite.user(2),
    )
    EvidenceLink.objects.create(evidence=evidence, formal=onsite.formal, requirement_id=rid)
    client = onsite.client(1)
    url = reverse("formal:rating_row", args=[onsite.formal.pk, onsite.row_index])
    page = client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    expected = RatingRecord.objects.get(assessment=submitted, requirement_id=rid).get_value_display()
    assert f"企业自评（参考）：</span><strong>{expected}" in html
    assert "与生产部长座谈记录" in html
    # Another expert's row is not his: 404, like any page that is not his.
    other = next(i for i in range(40) if i % 7 == 4 and i != onsite.row_index)
    assert client.get(reverse("formal:rating_row", args=[onsite.formal.pk, other])).status_code == 404


def test_htmx_save_and_stale_save_through_the_page(onsite: Onsite, django_assert_max_num_queries) -> None:  # type: ignore[no-untyped-def]
    client = onsite.client(1)
    url = reverse("formal:rating_rate", args=[onsite.formal.pk])
    rid = onsite.requirements[0]
    client.get(reverse("formal:rating", args=[onsite.formal.pk]))  # warm the session
    # session, user, lock, seat+assignment, rating, write, audit, row count, savepoints: as bench/pages.py
    with django_assert_max_num_queries(11):
        response = client.post(
            url, {"requirement_id": rid, "version": 0, "value": "0.8"}, HTTP_HX_REQUEST="true"
        )
    assert response.status_code == 200
    assert 'data-value="0.8"' in response.content.decode()
    stale = client.post(
        url, {"requirement_id": rid, "version": 0, "value": "0", "note": "我的说明"}, HTTP_HX_REQUEST="true"
    )
    assert stale.status_code == 409
    body = stale.content.decode()
    assert "我的说明" in body and "改为我的选择“不满足”" in body
    refused = client.post(url, {"requirement_id": rid, "version": 1, "value": "na"}, HTTP_HX_REQUEST="true")
    assert refused.status_code == 422 and "必须填写理由" in refused.content.decode()
    tampered = client.post(url, {"requirement_id": rid, "version": "x", "value": "1"})
    assert tampered.status_code == 404


def test_submit_and_reopen_through_the_pages(onsite: Onsite) -> None:
    rate_assigned(onsite.formal, onsite.members[1])
    response = onsite.client(1).post(reverse("formal:rating_submit", args=[onsite.formal.pk]))
    assert response.status_code == 302
    assert TeamMember.objects.get(pk=onsite.members[1].pk).ratings_submitted_at is not None
    leader = onsite.client(0)
    page = leader.get(reverse("formal:rating", args=[onsite.formal.pk]))
    assert "重新开放" in page.content.decode()
    leader.post(
        reverse("formal:rating_reopen", args=[onsite.formal.pk, onsite.members[1].pk]), {"reason": "复核"}
    )
    assert TeamMember.objects.get(pk=onsite.members[1].pk).ratings_submitted_at is None


def test_not_applicable_list_waits_for_the_leaders_own_submission(onsite: Onsite) -> None:
    svc.set_expert_rating(
        formal=onsite.formal.pk,
        actor=onsite.user(1),
        requirement_id=onsite.requirements[0],
        value="na",
        reason="本企业无该工序秘密理由",
        expected_version=0,
    )
    leader = onsite.client(0)
    url = reverse("formal:rating_not_applicable", args=[onsite.formal.pk])
    before = leader.get(url)
    assert before.status_code == 200 and "本企业无该工序秘密理由" not in before.content.decode()
    assert leader.post(url, {"rating": ExpertRating.objects.get().pk}).status_code == 403
    rate_assigned(onsite.formal, onsite.members[0], submit=True)
    after = leader.get(url)
    assert "本企业无该工序秘密理由" in after.content.decode()
    assert leader.post(url, {"rating": ExpertRating.objects.filter(value="na").get().pk}).status_code == 302
    assert ExpertRating.objects.filter(value="na").get().na_confirmed_by == onsite.user(0)
