"""The consensus: settlement rules, the RatingRecord written with it, bulk unanimous, closing, the pages."""

from __future__ import annotations

import re
from fractions import Fraction

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from nfmaturity.accounts.models import Organisation
from nfmaturity.assessments.models import RatingRecord
from nfmaturity.assessments.results import compute
from nfmaturity.audit.models import AuditAction, AuditEvent
from nfmaturity.formal import services_consensus as svc
from nfmaturity.formal.agreement import agreement_for
from nfmaturity.formal.models import (
    ExpertProfile,
    ExpertRating,
    FormalAssessment,
    FormalState,
    Settlement,
    SettlementMethod,
)
from nfmaturity.formal.workflow import FormalError
from tests.web.conftest import World

from .factory import rate_assigned
from .test_rating import Onsite, build_onsite

pytestmark = pytest.mark.django_db


@pytest.fixture
def split(world: World, body: Organisation, experts: list[ExpertProfile]) -> Onsite:
    """Everyone submitted; on the shared row the leader says 全部满足, expert 2 says 全部满足 and
    expert 3 says 部分满足 on the first requirement (flagged); the second requirement is unanimous."""
    onsite = build_onsite(world, body, experts)
    first = onsite.requirements[0]
    rate_assigned(onsite.formal, onsite.members[0], "1", submit=True)
    rate_assigned(onsite.formal, onsite.members[1], "1", submit=True)
    rate_assigned(onsite.formal, onsite.members[2], "1", overrides={first: "0.5"}, submit=True)
    for member in onsite.members[3:]:
        rate_assigned(onsite.formal, member, "0.8", submit=True)
    FormalAssessment.objects.filter(pk=onsite.formal.pk).update(state=FormalState.CONSENSUS)
    onsite.formal.refresh_from_db()
    return onsite


def _settle(
    onsite: Onsite, i: int, rid: str, value: str, method: str, rationale: str = "", version: int = 0
) -> Settlement:
    return svc.settle(
        formal=onsite.formal.pk,
        requirement_id=rid,
        value=value,  # type: ignore[arg-type]
        reason="",
        method=method,  # type: ignore[arg-type]
        rationale=rationale,
        actor=onsite.user(i),
        expected_version=version,
    )


def test_settlement_rules(split: Onsite) -> None:
    first, second = split.requirements[:2]
    with pytest.raises(FormalError, match="并不一致"):
        _settle(split, 1, first, "1", SettlementMethod.UNANIMOUS)
    with pytest.raises(FormalError, match="只有组长"):
        _settle(split, 1, first, "1", SettlementMethod.LEADER, "现场核实")
    with pytest.raises(FormalError, match="组长裁定须写明理由"):
        _settle(split, 0, first, "1", SettlementMethod.LEADER)
    with pytest.raises(FormalError, match="没有得到过半数"):
        _settle(split, 1, first, "0.5", SettlementMethod.MAJORITY)
    settled = _settle(split, 1, first, "1", SettlementMethod.MAJORITY)  # 2 of 3: the proposal too
    assert (settled.value, settled.method, settled.version) == ("1", "majority", 1)
    record = RatingRecord.objects.get(assessment=split.formal.assessment, requirement_id=first)
    assert record.value == "1"
    # Individual ratings are kept as rated.
    assert sorted(ExpertRating.objects.filter(requirement_id=first).values_list("value", flat=True)) == [
        "0.5",
        "1",
        "1",
    ]
    # 多数 holds only the majority's value; anything else is the 组长's ruling, with its rationale.
    with pytest.raises(FormalError, match="没有得到过半数"):
        _settle(split, 1, second, "0.8", SettlementMethod.MAJORITY)
    with pytest.raises(svc.StaleSettlementError):
        _settle(split, 0, first, "0.5", SettlementMethod.LEADER, "证据不足", version=0)
    _settle(split, 0, first, "0.5", SettlementMethod.LEADER, "证据不足", version=1)
    record.refresh_from_db()
    assert (record.value, record.version) == ("0.5", 2)
    assert AuditEvent.objects.filter(action=AuditAction.REQUIREMENT_SETTLED).count() == 2


def test_rebuttal_resettles_with_a_new_round(split: Onsite) -> None:
    rid = split.requirements[0]
    _settle(split, 1, rid, "1", SettlementMethod.MAJORITY)
    FormalAssessment.objects.filter(pk=split.formal.pk).update(state=FormalState.REBUTTAL)
    again = _settle(split, 0, rid, "0.5", SettlementMethod.LEADER, "企业补充材料后复核", version=1)
    assert again.round == 1
    FormalAssessment.objects.filter(pk=split.formal.pk).update(state=FormalState.CONCLUSION)
    with pytest.raises(FormalError, match="形成评估结论"):
        _settle(split, 0, rid, "1", SettlementMethod.LEADER, "x", version=2)


def test_accept_unanimous_then_close(split: Onsite, django_assert_max_num_queries) -> None:  # type: ignore[no-untyped-def]
    total = split.formal.assessment.requirement_count
    with django_assert_max_num_queries(20):
        count = svc.accept_unanimous(formal=split.formal.pk, actor=split.user(1))
    assert count == total - 1  # all but the flagged one
    assert RatingRecord.objects.filter(assessment=split.formal.assessment).count() == total - 1
    with pytest.raises(PermissionDenied):
        svc.close_consensus(formal=split.formal.pk, actor=split.user(1))
    with pytest.raises(FormalError, match="还有 1 项要求未确定"):
        svc.close_consensus(formal=split.formal.pk, actor=split.user(0))
    _settle(split, 1, split.requirements[0], "1", SettlementMethod.MAJORITY)
    ExpertRating.objects.filter(pk=ExpertRating.objects.filter(member=split.members[4]).first().pk).update(  # type: ignore[union-attr]
        value="na", reason="无该工序"
    )
    with pytest.raises(FormalError, match="待组长确认"):
        svc.close_consensus(formal=split.formal.pk, actor=split.user(0))
    ExpertRating.objects.filter(value="na").update(na_confirmed_by=split.user(0))
    svc.close_consensus(formal=split.formal.pk, actor=split.user(0))
    split.formal.refresh_from_db()
    assert split.formal.state == FormalState.CONCLUSION
    # The score is computed from the settled ratings only.
    score = compute(split.formal.assessment, allow_unrated=False)
    assert score.total > 0
    # The 组长 may take the team back to the consensus, with a reason, to change a settled rating.
    with pytest.raises(PermissionDenied):
        svc.resume_consensus(formal=split.formal.pk, actor=split.user(1), reason="改一项")
    with pytest.raises(FormalError, match="原因"):
        svc.resume_consensus(formal=split.formal.pk, actor=split.user(0), reason=" ")
    svc.resume_consensus(formal=split.formal.pk, actor=split.user(0), reason="一项证据需复核")
    split.formal.refresh_from_db()
    assert split.formal.state == FormalState.CONSENSUS
    assert AuditEvent.objects.filter(action=AuditAction.CONSENSUS_RESUMED, reason="一项证据需复核").exists()
    with pytest.raises(FormalError, match="评分合议"):
        svc.resume_consensus(formal=split.formal.pk, actor=split.user(0), reason="再来一次")


def test_agreement_figures_are_exact(split: Onsite) -> None:
    first = split.requirements[0]
    svc.accept_unanimous(formal=split.formal.pk, actor=split.user(1))
    _settle(split, 1, first, "1", SettlementMethod.MAJORITY)
    result = agreement_for(split.formal)
    assert result.overall.flagged == 1
    assert result.overall.rated == split.formal.assessment.requirement_count
    by_name = {e.member.expert.full_name: e for e in result.experts}
    deviant = by_name["专家3"]
    assert deviant.large == 1 and deviant.total_deviation == Fraction(1, 2)
    assert deviant.mean == Fraction(1, 2) / deviant.compared
    assert by_name["专家2"].large == 0 and by_name["专家2"].mean == 0
    assert sum(d.flagged for d in result.domains) == 1


# ---- pages


def test_overview_lists_disagreements_first_with_the_provisional_score(
    split: Onsite,
    django_assert_max_num_queries,  # type: ignore[no-untyped-def]
) -> None:
    from nfmaturity.formal.models import CollectionMethod, Evidence, EvidenceLink

    evidence = Evidence.objects.create(
        formal=split.formal,
        method=CollectionMethod.SITE_VISIT,
        description="实地查看质检中心",
        collected_on="2026-11-20",
        collected_by=split.user(2),
    )
    EvidenceLink.objects.create(evidence=evidence, formal=split.formal, requirement_id=split.requirements[0])
    client = split.client(1)
    client.get(reverse("formal:rating", args=[split.formal.pk]))
    with django_assert_max_num_queries(20):
        page = client.get(reverse("formal:consensus", args=[split.formal.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert "待合议的分歧（1 项）" in html and "暂定得分" in html
    with django_assert_max_num_queries(20):
        row = client.get(reverse("formal:consensus_row", args=[split.formal.pk, split.row_index]))
    body = row.content.decode()
    assert "实地调查 · 实地查看质检中心" in body  # the evidence beside the votes
    assert body.index("分歧</span>") < body.index("专家2：全部满足", body.index("分歧</span>"))


def test_settle_through_the_page(split: Onsite) -> None:
    url = reverse("formal:consensus_settle", args=[split.formal.pk])
    rid = split.requirements[0]
    client = split.client(2)
    refused = client.post(
        url,
        {"requirement_id": rid, "value": "1", "method": "unanimous", "version": 0, "rationale": "我的理由"},
        HTTP_HX_REQUEST="true",
    )
    assert refused.status_code == 422 and "并不一致" in refused.content.decode()
    assert "我的理由" in refused.content.decode()
    ok = client.post(
        url, {"requirement_id": rid, "value": "1", "method": "majority", "version": 0}, HTTP_HX_REQUEST="true"
    )
    assert ok.status_code == 200 and "已确定" in ok.content.decode()
    stale = client.post(
        url, {"requirement_id": rid, "value": "1", "method": "majority", "version": 0}, HTTP_HX_REQUEST="true"
    )
    assert stale.status_code == 409
    bulk = client.post(reverse("formal:consensus_unanimous", args=[split.formal.pk]))
    assert bulk.status_code == 302
    assert Settlement.objects.filter(formal=split.formal).count() == split.formal.assessment.requirement_count
    leader = split.client(0)
    assert leader.post(reverse("formal:consensus_close", args=[split.formal.pk])).status_code == 302
    split.formal.refresh_from_db()
    assert split.formal.state == FormalState.CONCLUSION


def test_next_steps_of_the_rating_and_consensus(split: Onsite, world: World) -> None:
    from nfmaturity.formal.access import parties, team_seat
    from nfmaturity.formal.steps import Viewer
    from nfmaturity.formal.steps_rating import steps

    def labels(user, formal: FormalAssessment) -> list[tuple[str, bool]]:  # type: ignore[no-untyped-def]
        formal.refresh_from_db()
        viewer = Viewer(parties(user, formal), team_seat(user, formal))
        return [(s.label, s.waiting) for s in steps(formal, viewer)]

    total = split.formal.assessment.requirement_count
    assert (f"评分合议（未定 {total} 项）", True) in labels(split.user(1), split.formal)
    assert ("查看评分一致性", False) in labels(world.users["body_admin"], split.formal)
    assert labels(world.users["ent_admin"], split.formal) == [("查看现场证据", False)]
    svc.accept_unanimous(formal=split.formal.pk, actor=split.user(1))
    _settle(split, 1, split.requirements[0], "1", SettlementMethod.MAJORITY)
    assert ("结束评分合议，进入形成评估结论", True) in labels(split.user(0), split.formal)
    # On site: the expert's count, and the 组长's N/A confirmations once he has submitted.
    FormalAssessment.objects.filter(pk=split.formal.pk).update(state=FormalState.ONSITE)
    member = split.members[3]
    member.ratings_submitted_at = None
    member.save()
    ExpertRating.objects.filter(member=member).first().delete()  # type: ignore[union-attr]
    mine = labels(member.expert.user, split.formal)
    waiting = [label for label, w in mine if w]
    assert len(waiting) == 1 and re.fullmatch(r"对分配给您的 (\d+) 项要求评分（已评 (\d+) 项）", waiting[0])
    n, k = map(int, re.findall(r"\d+", waiting[0]))
    assert k == n - 1
    ExpertRating.objects.filter(member=split.members[4]).update(value="na", reason="无该工序")
    na = ExpertRating.objects.filter(value="na").count()
    assert (f"确认不适用（{na} 项）", True) in labels(split.user(0), split.formal)
