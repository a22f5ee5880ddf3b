"""Techno-economic indicators: definitions, validation (Chinese, typed input kept), stale saves, audit rows, the
peer benchmark (k ≥ 5, same product for energy) and the seed references (quoted verbatim)."""

from __future__ import annotations

import os
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from nfmaturity.analytics.indicators import DEFINITIONS, benchmark
from nfmaturity.analytics.models import IndicatorReport
from nfmaturity.analytics.references import (
    GUANGXI_ADVICE,
    HEBEI_DIGITAL_MANUFACTURING,
    NONFERROUS_PLAN_2016,
    REFERENCES,
)
from nfmaturity.analytics.services import StaleError, save_indicators
from nfmaturity.audit.models import AuditAction, AuditEvent
from nfmaturity.enterprises.models import Enterprise

from .conftest import World
from .test_rules_dataset import make_enterprise, unique_name

SEEDS = Path(os.environ.get("NFM_SEEDS_DIR", "/work/shared/seeds"))
# The seed file each cited document is read from.
SEED_OF = {GUANGXI_ADVICE: "001", HEBEI_DIGITAL_MANUFACTURING: "003", NONFERROUS_PLAN_2016: "004"}
YEAR = timezone.localdate().year - 1
VALID = {
    "equipment_networked": "38.5",
    "key_process_nc": "81",
    "sensor_coverage": "15",
    "platform_connected": "yes",
    "digital_investment": "1.20",
    "energy_per_unit": "426",
    "energy_product": "氧化铝",
}


def _url(world: World, year: int = YEAR) -> str:
    return f"/analytics/indicators/{world.enterprise.pk}/{year}/"


def test_one_definition_per_indicator() -> None:
    assert [d.label for d in DEFINITIONS] == [
        "生产设备联网率",
        "关键工序数控化率",
        "关键工艺传感器覆盖率",
        "工业互联网平台接入",
        "数字化投入占营收比",
        "单位产品综合能耗",
    ]
    assert {d.key for d in DEFINITIONS} <= {f.name for f in IndicatorReport._meta.get_fields()}
    energy = DEFINITIONS[-1]
    assert energy.unit == "千克标准煤/吨" and not energy.higher_is_better


def test_an_enterprise_reports_its_year_and_the_save_is_audited(world: World) -> None:
    client = world.client("ent_member")
    response = client.post(_url(world), VALID)
    assert response.status_code == 302
    report = IndicatorReport.objects.get(enterprise=world.enterprise, year=YEAR)
    assert report.equipment_networked == Decimal("38.50") and report.platform_connected is True
    assert report.energy_product == "氧化铝" and report.version == 1
    event = AuditEvent.objects.get(action=AuditAction.INDICATORS_SAVED)
    assert event.old is None and event.new["equipment_networked"] == "38.50" and event.new["year"] == YEAR
    assert event.organisation_id == world.enterprise.organisation_id
    page = client.get(f"/analytics/indicators/{world.enterprise.pk}/").content.decode()
    assert "38.50 %" in page and "426.000 千克标准煤/吨" in page
    # The references are shown with their sources.
    assert "不足 20%" in page and "贾原.广西有色金属产业转型瓶颈与对策" in page and "超过80%" in page
    # A second save changes the row and records old → new.
    form = client.get(_url(world)).content.decode()
    assert 'name="version" value="1"' in form
    assert client.post(_url(world), {**VALID, "equipment_networked": "40", "version": "1"}).status_code == 302
    changed = AuditEvent.objects.filter(action=AuditAction.INDICATORS_SAVED).order_by("at", "id").last()
    assert changed is not None and changed.old["equipment_networked"] == "38.50"
    assert changed.new["equipment_networked"] == "40.00"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("equipment_networked", "120", "生产设备联网率应在 0–100 % 之间"),
        ("sensor_coverage", "-1", "关键工艺传感器覆盖率应在 0–100 % 之间"),
        ("digital_investment", "abc", "数字化投入占营收比请填写数字"),
        ("key_process_nc", "12.345", "关键工序数控化率最多保留 2 位小数"),
        ("energy_product", "", "填报单位产品综合能耗时，请注明对应的产品"),
    ],
)
def test_invalid_figures_are_refused_in_chinese_and_what_was_typed_stays(
    world: World, field: str, value: str, message: str
) -> None:
    response = world.client("ent_admin").post(_url(world), {**VALID, field: value})
    assert response.status_code == 422
    page = response.content.decode()
    assert message in page and "请至少填报一项指标" not in page
    if value:
        assert f'value="{value}"' in page
    other = "key_process_nc" if field != "key_process_nc" else "equipment_networked"
    assert f'value="{VALID[other]}"' in page  # the other typed figures too
    assert not IndicatorReport.objects.exists()
    assert not AuditEvent.objects.filter(action=AuditAction.INDICATORS_SAVED).exists()


def test_an_empty_form_and_a_future_year_are_refused(world: World) -> None:
    client = world.client("ent_admin")
    response = client.post(_url(world), {})
    assert response.status_code == 422 and "请至少填报一项指标" in response.content.decode()
    # One figure typed but refused: the page says what is wrong with it, not that nothing was reported.
    page = client.post(_url(world), {"equipment_networked": "120"}).content.decode()
    assert "生产设备联网率应在 0–100 % 之间" in page and "请至少填报一项指标" not in page
    assert client.get(_url(world, timezone.localdate().year + 1)).status_code == 404


def test_a_stale_save_is_refused_and_keeps_both_versions_on_the_page(world: World) -> None:
    client = world.client("ent_admin")
    assert client.post(_url(world), VALID).status_code == 302
    # A colleague changes it after this user opened the form at version 1.
    save_indicators(
        enterprise=world.enterprise,
        year=YEAR,
        values={"equipment_networked": Decimal("55"), "energy_product": ""},
        base_version=1,
        actor=world.users["ent_member"],  # type: ignore[arg-type]
    )
    response = client.post(_url(world), {**VALID, "equipment_networked": "41.25", "version": "1"})
    assert response.status_code == 409
    page = response.content.decode()
    assert 'value="41.25"' in page and "55.00 %" in page and "已被他人保存" in page
    assert 'name="version" value="2"' in page
    with pytest.raises(StaleError):
        save_indicators(
            enterprise=world.enterprise,
            year=YEAR,
            values={},
            base_version=None,
            actor=world.users["ent_admin"],  # type: ignore[arg-type]
        )


def _report(enterprise: Enterprise, **values: Any) -> IndicatorReport:
    return IndicatorReport.objects.create(enterprise=enterprise, year=YEAR, reported_by=_user(), **values)


def _user() -> Any:
    from .test_rules_dataset import builder_user

    return builder_user()


def test_the_peer_benchmark_needs_five_others_and_compares_energy_per_product(db: None) -> None:
    subject = make_enterprise("本企业")
    mine = _report(
        subject,
        equipment_networked=Decimal("50"),
        platform_connected=True,
        energy_per_unit=Decimal("400"),
        energy_product="氧化铝",
    )
    figures = [("30", "420"), ("40", "430"), ("50", "400"), ("60", "380")]
    for networked, energy in figures:
        _report(
            make_enterprise(unique_name("同行")),
            equipment_networked=Decimal(networked),
            platform_connected=networked == "60",
            energy_per_unit=Decimal(energy),
            energy_product="氧化铝",
        )
    lines = {line.definition.key: line for line in benchmark(mine).lines}
    assert lines["equipment_networked"].peer_text == "同类企业不足 5 家，不作比较"
    _report(
        make_enterprise(unique_name("同行")),
        equipment_networked=Decimal("70"),
        platform_connected=False,
        energy_per_unit=Decimal("1000"),
        energy_product="阴极铜",
    )
    bench = benchmark(mine)
    assert bench.group_label == "同环节（冶炼）、同规模（中型企业）"
    lines = {line.definition.key: line for line in bench.lines}
    # 50 among 30, 40, 50, 60, 70: ahead of two, level with one → 50 %.
    assert lines["equipment_networked"].peer_text == "高于同组 50% 的企业（同组 5 家，持平计一半）"
    assert lines["platform_connected"].peer_text == "同组 5 家企业中 20% 已接入"
    # Energy only against the four 氧化铝 figures: fewer than five.
    assert lines["energy_per_unit"].peer_text == "填报该指标的同类企业（同一产品）不足 5 家，不作比较"
    assert lines["sensor_coverage"].peer_text == "未填报，不作比较"
    assert lines["equipment_networked"].references[0].value == Decimal("38")


def test_demo_and_pending_enterprises_are_not_indicator_peers(db: None) -> None:
    subject = make_enterprise("本企业")
    mine = _report(subject, equipment_networked=Decimal("50"))
    for i in range(3):
        _report(make_enterprise(unique_name("同行")), equipment_networked=Decimal(10 * i))
    _report(make_enterprise(unique_name("演示"), demo=True), equipment_networked=Decimal("1"))
    _report(make_enterprise(unique_name("待核验"), verified=False), equipment_networked=Decimal("1"))
    other_year = make_enterprise(unique_name("同行"))
    IndicatorReport.objects.create(
        enterprise=other_year, year=YEAR - 1, reported_by=_user(), equipment_networked=Decimal("1")
    )
    assert benchmark(mine).group_label == ""


def _flat(text: str) -> str:
    return re.sub(r"\s+", "", text)


@pytest.mark.skipif(not SEEDS.is_dir(), reason="the seed documents are not on this machine")
def test_every_reference_is_quoted_verbatim_from_its_seed() -> None:
    for reference in REFERENCES:
        number = SEED_OF[reference.document]
        (seed,) = SEEDS.glob(f"{number}_*.txt")
        text = _flat(seed.read_text(encoding="utf-8"))
        for part in reference.quote.split("……"):
            assert _flat(part) in text, (reference.label, part)
        assert _flat(str(reference.value)) in _flat(reference.quote), reference.label


def test_the_indicators_page_costs_one_aggregate_per_year(
    world: World, django_assert_num_queries: Any
) -> None:
    for year in (YEAR - 1, YEAR):
        IndicatorReport.objects.create(
            enterprise=world.enterprise, year=year, reported_by=_user(), equipment_networked=Decimal("50")
        )
        for i in range(5):
            IndicatorReport.objects.create(
                enterprise=make_enterprise(unique_name("同行")),
                year=year,
                reported_by=_user(),
                equipment_networked=Decimal(10 * i),
            )
    client = world.client("ent_admin")
    # session, user, enterprise, membership, its reports, one aggregate per year (the size group suffices), and
    # the navigation's link to the enterprise
    with django_assert_num_queries(8):
        page = client.get(f"/analytics/indicators/{world.enterprise.pk}/").content.decode()
    assert page.count("高于同组 100% 的企业（同组 5 家，持平计一半）") == 2  # 50 against 0, 10, 20, 30, 40
