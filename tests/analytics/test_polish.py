"""QA findings O1 and O5.

O1: the indicator references and the example rules cite their documents as a reader would (issuing body or
author, title, document number, date, region — each fact found in the text we hold), never our repository's
``seeds/…`` file names; the energy unit reads 千克标准煤/吨; the empty indicators page names its button.
O5: every error of the rules form, field or not, is shown in Chinese right after its own field, with what was typed
kept."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone
from django.utils.html import escape

from nfmaturity.accounts.models import Organisation
from nfmaturity.analytics.forms import DESCRIPTION_MAX, RuleForm
from nfmaturity.analytics.indicators import BY_KEY
from nfmaturity.analytics.models import IndicatorReport, PolicyRule
from nfmaturity.analytics.references import (
    ENERGY_UNIT,
    GUANGXI_ADVICE,
    HEBEI_DIGITAL_MANUFACTURING,
    HEBEI_SMART_FACTORY,
    NONFERROUS_PLAN_2016,
    REFERENCES,
    Source,
)
from nfmaturity.analytics.rules import EXAMPLES
from nfmaturity.reports import index_report
from tests.analytics.test_dashboard import NOW, build_hand_data

from .conftest import World
from .test_indicators import VALID, YEAR

SEEDS = Path(os.environ.get("NFM_SEEDS_DIR", "/work/shared/seeds"))
SEED_OF = {
    GUANGXI_ADVICE: "001",
    HEBEI_DIGITAL_MANUFACTURING: "003",
    HEBEI_SMART_FACTORY: "003",
    NONFERROUS_PLAN_2016: "004",
}
CJK = re.compile(r"[\u4e00-\u9fff]")


def _flat(text: str) -> str:
    # The seeds write 〔2025〕 as [2025] in places and break lines inside titles.
    return (
        re.sub(r"\s+", "", text).replace("[", "〔").replace("]", "〕").replace("(", "（").replace(")", "）")
    )


# ---- O1: citations


def test_each_citation_reads_as_a_reader_would_write_it() -> None:
    assert GUANGXI_ADVICE.citation == (
        "黄淮（执笔）《我区有色金属产业数字化转型关键问题及对策建议》（广西；原文未注明发布单位和日期）"
    )
    assert HEBEI_DIGITAL_MANUFACTURING.citation.startswith(
        "河北省人民政府办公厅《河北省数字技术赋能制造业高质量发展实施方案》（冀政办字〔2025〕1号，2025年1月14日；"
    )
    assert HEBEI_SMART_FACTORY.citation.startswith(
        "河北省工业和信息化厅等五部门《河北省智能工厂梯度培育行动工作方案（2025-2027年）》"
        "（冀工信软件函〔2025〕149号，2025年4月3日；"
    )
    assert NONFERROUS_PLAN_2016.citation.startswith("《有色金属工业发展规划（2016-2020年）》（")
    for source in SEED_OF:
        assert "seeds" not in source.citation and str(source) == source.citation


@pytest.mark.skipif(not SEEDS.is_dir(), reason="the seed documents are not on this machine")
@pytest.mark.parametrize("source", list(SEED_OF), ids=lambda s: s.title[:12])
def test_every_fact_of_a_citation_is_in_its_document(source: Source) -> None:
    """Nothing in a citation is invented: title, author or body, number and date are all in the seed text."""
    (seed,) = SEEDS.glob(f"{SEED_OF[source]}_*.txt")
    text = _flat(seed.read_text(encoding="utf-8"))
    assert _flat(source.title) in text
    if source.by:
        assert _flat(source.by.removesuffix("（执笔）")) in text
    for detail in source.details:
        if re.search(r"\d", detail):  # numbers and dates; the region and period are read from the text
            assert _flat(detail) in text, detail


def test_every_reference_cites_one_of_the_documents_and_the_energy_unit_is_written_out() -> None:
    assert {r.document for r in REFERENCES} <= set(SEED_OF)
    assert BY_KEY["energy_per_unit"].unit == ENERGY_UNIT == "千克标准煤/吨"
    assert "kgce" not in BY_KEY["energy_per_unit"].help
    for r in REFERENCES:
        if r.indicator == "energy_per_unit":
            assert r.unit == "千克标准煤/吨"
            assert "千克标煤/吨" in r.quote  # the quote stays verbatim


def test_the_indicators_page_cites_its_sources_without_file_names(world: World) -> None:
    client = world.client("ent_admin")
    page = client.get(f"/analytics/indicators/{world.enterprise.pk}/").content.decode()
    # The empty page names the button it asks for, which is on the page (no "top right" at phone width).
    this_year = timezone.localdate().year
    assert f"点击上方的“填报 {this_year} 年度”按钮开始填报" in page and "右上角" not in page
    assert f"填报 {this_year} 年度</a>" in page
    assert client.post(f"/analytics/indicators/{world.enterprise.pk}/{YEAR}/", VALID).status_code == 302
    for persona in ("ent_admin", "regulator", "national_regulator"):
        page = world.client(persona).get(f"/analytics/indicators/{world.enterprise.pk}/").content.decode()
        assert "seeds/" not in page and "seeds" not in page and "kgce" not in page
        assert "426.000 千克标准煤/吨" in page and "426</span> 千克标准煤/吨" in page
        for source in SEED_OF:
            if source is not HEBEI_SMART_FACTORY:  # it is cited by a rule, not by a reference
                assert escape(source.citation) in page
        assert "出处：黄淮（执笔）《我区有色金属产业数字化转型关键问题及对策建议》（广西" in page
        # The source the document itself names stays beside the citation.
        assert "原文注明的来源：中国工业互联网研究院《有色金属行业数字化转型白皮书（2023）》" in page
    form = client.get(f"/analytics/indicators/{world.enterprise.pk}/{YEAR}/").content.decode()
    assert "单位产品综合能耗（千克标准煤/吨）" in form and "kgce" not in form
    refused = client.post(
        f"/analytics/indicators/{world.enterprise.pk}/{YEAR}/", {**VALID, "energy_per_unit": "200000"}
    )
    assert "单位产品综合能耗应在 0–100000 千克标准煤/吨 之间" in refused.content.decode()
    assert IndicatorReport.objects.get().version == 1


def test_the_example_rules_cite_their_documents(world: World) -> None:
    assert all("seeds" not in e.description for e in EXAMPLES)
    client = world.client("regulator")
    listing = client.get("/analytics/rules/").content.decode()
    assert "seeds" not in listing
    assert escape(GUANGXI_ADVICE.citation) + "建议探索“以奖代补”模式" in listing
    assert escape(HEBEI_SMART_FACTORY.citation) in listing and "GB/T 39116-2020" in listing
    for e in EXAMPLES:
        run = client.get(f"/analytics/rules/examples/{e.key}/").content.decode()
        assert "seeds" not in run and escape(e.description) in run
        copied = client.get(f"/analytics/rules/new/?from={e.key}").content.decode()
        assert "seeds" not in copied and escape(e.description) in copied


def test_the_index_report_names_no_repository_file(
    world: World, monkeypatch: pytest.MonkeyPatch, settings: Any, tmp_path: Path
) -> None:
    monkeypatch.setattr(timezone, "now", lambda: NOW)
    settings.NFM_REPORTS_DIR = tmp_path / "reports"
    build_hand_data(world)
    report = index_report.build_index_report(world.users["regulator"], 2026)
    assert report.assessed == 2  # the hand data are in it
    assert "seeds" not in repr(report) and "seeds" not in index_report.render_html(report)


# ---- O5: every error of the rules form is shown beside its field

GOOD = {"name": "本厅以奖代补候选", "description": "小微企业", "sizes": ["small"]}
# For each field of the form, a value it refuses. A field added to the form without an entry here fails
# test_every_field_of_the_rules_form_has_a_case.
BAD: dict[str, list[Any]] = {
    "name": ["", "名" * 101, "以奖\x00代补"],
    "description": ["用途\x00说明", "长" * (DESCRIPTION_MAX + 1)],
    "rise_levels": ["两级", "0", "9"],
    "rise_years": ["x", "0", "11"],
    "sizes": [["huge"]],
    "formal_grade": ["9"],
    "latest_grade": ["abc"],
    "sectors": [["mining", "forging"]],
    "metals": [["unobtainium"]],
    "above_scale": ["maybe"],
    "region_codes": [["430000"]],  # 湖南: not a city of the 广西 office's jurisdiction
    "domain_1": ["不存在的域"],
    "level_1": ["s9"],
    "below_1": ["abc", "-1", "0.1234567"],
    "domain_2": ["<b>域</b>"],
    "level_2": ["maturity'"],
    "below_2": ["6"],
    "version": ["abc"],
}
NEVER_REFUSED = {"rise_enabled"}  # a checkbox: any value is on, none is off


def test_every_field_of_the_rules_form_has_a_case() -> None:
    form = RuleForm(jurisdiction="450000")
    assert set(form.fields) == set(BAD) | NEVER_REFUSED


def _assert_shown_after_its_field(page: str, field: str, message: str) -> None:
    """The message is on the page after the field's last input and before the next field begins."""
    anchor = page.rfind(f'name="{field}"')
    assert anchor >= 0, field
    at = page.find(escape(message), anchor)
    assert at > anchor, (field, message)
    assert 'name="' not in page[anchor + len(f'name="{field}"') : at], (field, message)


@pytest.mark.parametrize(
    ("field", "value"),
    [(field, value) for field, values in BAD.items() for value in values],
    ids=lambda v: str(v)[:12],
)
def test_each_refused_value_is_explained_beside_its_field_and_the_typed_name_kept(
    world: World, field: str, value: Any
) -> None:
    data = {**GOOD, field: value}
    if field.startswith(("domain_", "level_", "below_")):  # a complete row but for the refused part
        i = field[-1]
        data = {f"domain_{i}": "数据", f"level_{i}": "s2", f"below_{i}": "0.5", **data}
    if field.startswith("rise_"):
        data = {"rise_enabled": "on", "rise_levels": "1", "rise_years": "2", **data}
    expected = RuleForm(data, jurisdiction="450000")
    assert not expected.is_valid()
    messages = expected.errors.get(field, [])
    assert messages, (field, value, expected.errors)
    response = world.client("regulator").post("/analytics/rules/new/", data)
    assert response.status_code == 422
    page = response.content.decode()
    for message in messages:
        assert CJK.search(message) and not re.search(r"[A-Za-z]{4,}", message.replace("NUL", "")), message
        _assert_shown_after_its_field(page, field, message)
    if field != "name":
        assert f'value="{GOOD["name"]}"' in page
    if field != "description":
        assert f">\n{GOOD['description']}</textarea>" in page
    assert not PolicyRule.objects.exists()


def test_a_nul_in_the_description_and_a_tampered_level_are_both_explained(world: World) -> None:
    response = world.client("regulator").post(
        "/analytics/rules/new/",
        {
            "name": "数据域短板企业",
            "description": "诊断服务\x00对象",
            "domain_1": "数据",
            "level_1": "s7",
            "below_1": "0.5",
        },
    )
    assert response.status_code == 422
    page = response.content.decode()
    assert 'value="数据域短板企业"' in page and 'value="0.5"' in page
    description = "用途说明含有不可见的空字符（NUL），请删除后再保存"
    level = "第 1 项的成熟度或等级不是可选的值，请从列表中重新选择"
    assert description in page and level in page
    _assert_shown_after_its_field(page, "description", description)
    _assert_shown_after_its_field(page, "level_1", level)
    assert page.count("is-invalid") == 2
    assert not PolicyRule.objects.exists()


def test_the_forms_own_errors_and_a_bad_version_are_shown_at_the_top(world: World) -> None:
    client = world.client("regulator")
    page = client.post("/analytics/rules/new/", {"name": "空规则"}).content.decode()
    _assert_shown_after_its_field(page, "version", "请至少设置一个条件")
    assert page.index("请至少设置一个条件") < page.index('name="name"')
    rule = client.post("/analytics/rules/new/", GOOD)
    assert rule.status_code == 302
    pk = PolicyRule.objects.get().pk
    edit = client.post(f"/analytics/rules/{pk}/edit/", {**GOOD, "name": "改名", "version": "v2"})
    assert edit.status_code == 422
    page = edit.content.decode()
    assert "表单的版本号无效，请重新打开本页后再修改" in page and 'value="改名"' in page
    assert PolicyRule.objects.get().name == GOOD["name"]


def test_a_region_refused_where_there_are_no_regions_to_choose_is_still_explained(world: World) -> None:
    """A county office has no divisions to choose, so the list is not drawn — unless it has an error to show."""
    organisation = Organisation.objects.get(name="广西壮族自治区工业和信息化厅")
    organisation.jurisdiction = "451221"  # 南丹县
    organisation.save(update_fields=["jurisdiction"])
    client = world.client("regulator")
    assert 'name="region_codes"' not in client.get("/analytics/rules/new/").content.decode()
    response = client.post("/analytics/rules/new/", {**GOOD, "region_codes": ["451200"]})
    assert response.status_code == 422
    page = response.content.decode()
    label, message = page.index(">所在地区<"), page.index("所选的地区不是可选的值，请从列表中重新选择")
    assert label < message < page.index('name="above_scale"')
