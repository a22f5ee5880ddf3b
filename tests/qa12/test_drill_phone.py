"""QA12-F8: at phone width the drill-down list showed name, region and sector, and the figures it is about
(latest total, grade, the domain's maturity) lay off-screen behind a sideways scroll, the names broken over four
lines. Below md, region, size, sector and date now sit in a line under the name and their columns hide; the
figure columns never hide."""

from __future__ import annotations

import re

import pytest

from tests.analytics.test_rules_dataset import make_enterprise, make_result
from tests.web.conftest import World

pytestmark = pytest.mark.django_db


def test_the_figures_stay_and_the_profile_moves_under_the_name(world: World) -> None:
    enterprise = make_enterprise("（QA）手机宽度企业", size="small", region="451221", sectors=("smelting",))
    make_result(enterprise, total="2.10", grade=2, domains={"数据": "1.50"})
    page = world.client("regulator").get("/analytics/enterprises/?domain=数据&sort=domain").content.decode()
    head = page[page.index("<thead>") : page.index("</thead>")]
    hidden = re.findall(r'<th scope="col" class="d-none d-md-table-cell">(?:<a[^>]*>)?([^<↓↑]+)', head)
    assert [h.strip() for h in hidden] == ["地区", "规模", "环节 / 金属", "评估日期"]
    for shown in ("最近总分", "等级", "数据", "企业名称"):
        assert re.search(rf'<th scope="col"(?: class="text-end")?>(?:<a[^>]*>)?{shown}', head), shown
    row = page[page.index("（QA）手机宽度企业") :]
    row = row[: row.index("</tr>")]
    under = re.search(r'<div class="small text-secondary d-md-none">([^<]+)</div>', row)
    assert under is not None
    assert "河池市" in under.group(1) and "小型" in under.group(1) and "冶炼" in under.group(1)
    assert 'class="text-end num">1.50<' in row and 'class="text-end num">2.10<' in row
    assert "drill-list" in page and "analytics/dashboard." in page  # the phone layout's stylesheet
