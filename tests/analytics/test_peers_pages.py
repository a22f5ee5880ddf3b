"""The peer block on the results page: loaded on demand, percentiles with five others, a sentence with four,
nothing that names a peer, and the enterprise's indicators beside it."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from nfmaturity.analytics.models import IndicatorReport
from nfmaturity.assessments.services import start_self_assessment, submit_assessment
from nfmaturity.enterprises.models import SectorChoice
from tests.web.conftest import WORKED_CHECK, fill

from .conftest import World
from .test_rules_dataset import make_enterprise, make_result, unique_name

PEERS = ("1.00", "2.00", "2.50", "3.00", "4.00")


def _peers(totals: tuple[str, ...]) -> None:
    for total in totals:
        make_result(make_enterprise(unique_name("同行冶炼厂")), total=total, grade=1)


def test_the_results_page_loads_the_peer_block(world: World) -> None:
    admin = world.users["ent_admin"]
    assessment = start_self_assessment(enterprise=world.enterprise, actor=admin, sector=SectorChoice.SMELTING)
    fill(assessment, WORKED_CHECK, admin)
    submit_assessment(assessment=assessment, actor=admin)
    page = world.client("ent_admin").get(f"/assessments/{assessment.pk}/results/")
    assert page.status_code == 200
    assert f'hx-get="/analytics/peers/{assessment.pk}/"' in page.content.decode()
    _peers(PEERS)
    fragment = world.client("ent_admin").get(f"/analytics/peers/{assessment.pk}/").content.decode()
    # The engine's 2.50 (the worked check) among 1, 2, 2.5, 3, 4.
    assert '<span class="num" id="peer-total">高于 50%</span>' in fragment


def test_four_others_give_a_sentence_five_give_percentiles(
    world: World, django_assert_max_num_queries: Any
) -> None:
    result = make_result(world.enterprise, total="2.50", grade=2, domains={"数据": "0.50"})
    client = world.client("ent_member")
    _peers(PEERS[:4])
    fragment = client.get(f"/analytics/peers/{result.assessment_id}/").content.decode()
    assert 'id="peer-too-small"' in fragment and "不足 5 家" in fragment
    assert 'id="peer-total"' not in fragment
    _peers(PEERS[4:])
    with django_assert_max_num_queries(16):
        fragment = client.get(f"/analytics/peers/{result.assessment_id}/").content.decode()
    assert '<span class="num" id="peer-total">高于 50%</span>' in fragment
    assert "同环节（冶炼）、同规模（中型企业）" in fragment and '<span class="num">5</span>' in fragment
    assert "同行冶炼厂" not in fragment and "4.00" not in fragment  # no peer's name or figure
    # The regulator overseeing A sees the same block.
    assert (
        'id="peer-total"'
        in world.client("regulator").get(f"/analytics/peers/{result.assessment_id}/").content.decode()
    )


def test_the_block_shows_the_latest_indicators_to_those_who_may_read_them(world: World) -> None:
    result = make_result(world.enterprise, total="2.50", grade=2)
    IndicatorReport.objects.create(
        enterprise=world.enterprise,
        year=2025,
        equipment_networked=Decimal("42.00"),
        reported_by=world.users["ent_admin"],
    )
    fragment = world.client("ent_admin").get(f"/analytics/peers/{result.assessment_id}/").content.decode()
    assert "技术经济指标（2025 年度）" in fragment and "42.00 %" in fragment
    detail = world.client("ent_admin").get(f"/enterprises/{world.enterprise.pk}/").content.decode()
    assert f'hx-get="/analytics/indicators/{world.enterprise.pk}/panel/"' in detail
    url = f"/analytics/indicators/{world.enterprise.pk}/panel/"
    panel = world.client("regulator").get(url, headers={"HX-Request": "true"})
    assert "42.00 %" in panel.content.decode() and "查看全部年度" in panel.content.decode()
    assert "HX-Request" in panel.headers["Vary"]
    # Opened on its own (a new tab, no JavaScript), the card leads to the page it summarises.
    alone = world.client("regulator").get(url)
    assert (
        alone.status_code == 302
        and alone.headers["Location"] == f"/analytics/indicators/{world.enterprise.pk}/"
    )
