"""The Excel exports: the drill-down list and the dashboard's tables, read back with openpyxl; text stays text."""

from __future__ import annotations

import io

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from nfmaturity.assessments.models import GradeLevel
from nfmaturity.enterprises.models import Enterprise
from tests.web.conftest import World

from .test_dashboard import NOW, HandData, build_hand_data


@pytest.fixture
def hand(world: World, monkeypatch: pytest.MonkeyPatch) -> HandData:
    monkeypatch.setattr(timezone, "now", lambda: NOW)
    return build_hand_data(world)


def download(client: Client, url: str):  # type: ignore[no-untyped-def]
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in response["Content-Disposition"]
    return load_workbook(io.BytesIO(b"".join(response.streaming_content)))


@pytest.mark.django_db
def test_the_list_export_holds_the_list_and_keeps_text_as_text(hand: HandData) -> None:
    Enterprise.objects.filter(pk=hand.e1.pk).update(name='=HYPERLINK("http://x","点我")')
    # Markup characters are escaped, and a control character XML cannot hold is dropped.
    Enterprise.objects.filter(pk=hand.world.other.pk).update(name="百色铝业<&>有限公司\x07")
    client = Client()
    client.force_login(hand.world.users["regulator"])
    wb = download(
        client, reverse("analytics:enterprises_export") + f"?min_grade=2&sort=-total&domain={hand.d1}"
    )
    ws = wb["企业清单"]
    rows = list(ws.iter_rows(values_only=True))
    assert "企业清单" in rows[0][0] and "广西壮族自治区" in rows[0][0] and "能力域" in rows[0][0]
    assert rows[1][:3] == ("企业名称", "统一社会信用代码", "地区")
    assert rows[1][-6:] == (f"{hand.d1}成熟度", *(f"{hand.d1} S{n}" for n in range(1, 6)))
    body = rows[2:]
    assert [(r[0], r[7], r[8], r[9], *r[-6:]) for r in body] == [
        ("百色铝业<&>有限公司", 3.1, GradeLevel.THREE.label, "自评估", 3, 1, 1, 0.9, None, None),
        ('=HYPERLINK("http://x","点我")', 2.4, GradeLevel.TWO.label, "正式评估", 2, 1, 0.8, None, None, None),
    ]
    cell = ws.cell(row=4, column=1)
    assert cell.data_type == "s"  # a string, never a formula
    assert cell.quotePrefix  # and stays text when someone edits it in Excel
    assert not ws.cell(row=3, column=1).quotePrefix
    assert rows[2][2] == "广西壮族自治区 百色市 右江区"


@pytest.mark.django_db
def test_the_dashboard_export_has_every_table(hand: HandData) -> None:
    client = Client()
    client.force_login(hand.world.users["regulator"])
    wb = download(client, reverse("analytics:export") + "?region=451200")
    assert wb.sheetnames == [
        "概览",
        "按区县",
        "按环节",
        "按金属",
        "按规模",
        "按规上规下",
        "按最近提交年份",
        "按评估类型",
        "能力域（由弱到强）",
        "热力图（平均成熟度）",
        "逐年趋势",
    ]
    overview = {r[0]: r[1] for r in wb["概览"].iter_rows(min_row=3, values_only=True)}
    assert overview["已核验企业（计入统计）"] == 2 and overview["平均总分"] == 1.8
    counties = {r[0]: r[1:3] for r in wb["按区县"].iter_rows(min_row=3, values_only=True)}
    assert counties == {"南丹县": (1, 1), "金城江区": (1, 1)}
    heat = list(wb["热力图（平均成熟度）"].iter_rows(min_row=2, values_only=True))
    # In 河池 both domains average 1.50 ((1 + 2) / 2 each): a tie keeps the catalog's order.
    assert heat[0] == ("地区", hand.d1, hand.d2)
    assert sorted(heat[1:]) == [("南丹县", 1, 2), ("金城江区", 2, 1)]
