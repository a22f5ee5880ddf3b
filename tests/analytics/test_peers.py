"""Peer benchmark: percentiles worked out by hand, the k ≥ 5 rule, which group is used, demo/real separation."""

from __future__ import annotations

from typing import Any

import pytest

from nfmaturity.analytics.peers import MIN_OTHERS, PeerPosition, peer_position, percentile

from .test_rules_dataset import make_enterprise, make_result, unique_name

pytestmark = pytest.mark.django_db

PEER_TOTALS = ("1.00", "2.00", "2.50", "3.00", "4.00")


def _peers(totals: tuple[str, ...], **profile: Any) -> None:
    for total in totals:
        make_result(make_enterprise(unique_name("同行"), **profile), total=total, grade=1)


def _subject(**profile: Any) -> Any:
    return make_result(
        make_enterprise("本企业", **profile),
        total="2.50",
        grade=2,
        domains={"组织": "4.00", "数据": "0.50"},
    )


def test_percentile_counts_ties_half_and_rounds_down() -> None:
    assert percentile(3, 1, 5) == 70
    assert percentile(0, 0, 5) == 0
    assert percentile(5, 0, 5) == 100
    assert percentile(1, 0, 3) == 33
    with pytest.raises(ValueError):
        percentile(0, 0, 0)


def test_four_others_show_nothing_five_show_percentiles() -> None:
    _peers(PEER_TOTALS[:4])
    subject = _subject()
    assert MIN_OTHERS == 5
    assert peer_position(subject) is None
    _peers(PEER_TOTALS[4:])
    position = peer_position(subject)
    assert isinstance(position, PeerPosition)
    assert position.others == 5
    assert position.group_label == "同环节（冶炼）、同规模（中型企业）"
    # 2.50 among 1, 2, 2.5, 3, 4: ahead of two, level with one → (2 + 0.5) / 5 = 50 %.
    assert position.total_percentile == 50
    domains = dict(position.domains)
    assert list(domains)[:3] == ["组织", "技术", "数据"]  # the catalog's order
    assert domains["组织"] == 90  # 4.00: ahead of four, level with one
    assert domains["数据"] == 0  # 0.50: below all of them
    assert domains["技术"] == 50  # the total's figure, as the set-up gives every other domain


def test_the_position_names_no_peer_and_no_peer_figure() -> None:
    _peers(PEER_TOTALS)
    position = peer_position(_subject())
    assert position is not None
    assert set(vars(position)) == {"group_label", "others", "total_percentile", "domains"}
    assert "同行" not in repr(position) and "4.00" not in repr(position)


def test_the_metal_group_is_used_when_the_size_group_is_too_small() -> None:
    _peers(PEER_TOTALS[:2])  # medium, tin
    _peers(PEER_TOTALS[2:], size="large")  # large, tin
    position = peer_position(_subject())
    assert position is not None
    assert position.group_label == "同环节（冶炼）、同金属（锡）"
    assert position.others == 5


def test_other_sectors_unverified_and_demo_enterprises_are_not_peers() -> None:
    _peers(PEER_TOTALS[:4])
    # A peer is one whose latest result is for the same sector (环节), whatever else its profile lists.
    make_result(make_enterprise(unique_name("采选")), total="3.00", grade=1, sector="mining")
    _peers(("3.00",), verified=False)
    _peers(("3.00",), demo=True)
    assert peer_position(_subject()) is None


def test_a_demo_result_is_compared_with_demo_enterprises_only() -> None:
    _peers(PEER_TOTALS)  # real
    _peers(PEER_TOTALS[:4], demo=True)
    demo_subject = _subject(demo=True)
    assert peer_position(demo_subject) is None
    _peers(("4.00",), demo=True)
    position = peer_position(demo_subject)
    assert position is not None and position.others == 5
    # The real subject still sees the five real ones only.
    real = make_result(make_enterprise("真实企业"), total="2.50", grade=2)
    real_position = peer_position(real)
    assert real_position is not None and real_position.others == 6 - 1  # the demo subject is not counted


def test_peer_position_runs_a_fixed_number_of_queries(django_assert_num_queries: Any) -> None:
    _peers(PEER_TOTALS)
    subject = _subject()
    subject.refresh_from_db()
    # assessment, enterprise + organisation, own domain figures, one aggregate over the group
    with django_assert_num_queries(4):
        assert peer_position(subject) is not None
    _peers(PEER_TOTALS * 3)
    subject.refresh_from_db()
    with django_assert_num_queries(4):
        assert peer_position(subject) is not None
