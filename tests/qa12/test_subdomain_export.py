"""QA12-F14: every view exports to Excel. The sub-domain page had no export at all (its figures were in no
workbook), and the domains and trends pages opened on their own had no export button (their tables are in the
dashboard's workbook). The sub-domain export holds exactly the page's rows, under the same filters."""

from __future__ import annotations

import io
import re

import openpyxl
import pytest

from nfmaturity.assessments.services import start_self_assessment, submit_assessment
from nfmaturity.enterprises.models import SectorChoice
from tests.web.conftest import WORKED_CHECK, World, fill

pytestmark = pytest.mark.django_db


def test_the_subdomain_export_holds_the_page_rows(world: World) -> None:
    admin = world.users["ent_admin"]
    assessment = start_self_assessment(enterprise=world.enterprise, actor=admin, sector=SectorChoice.SMELTING)
    fill(assessment, WORKED_CHECK, admin)
    submit_assessment(assessment=assessment, actor=admin)
    size = world.enterprise.size
    client = world.client("regulator")
    page = client.get(f"/analytics/subdomains/?domain=数据&size={size}").content.decode()
    assert f'href="/analytics/subdomains/export/?size={size}&amp;domain=' in page
    shown = re.findall(r'<tr><th scope="row" class="fw-normal">([^<]+)</th>((?:<td[^>]*>[^<]*</td>)+)', page)
    response = client.get(f"/analytics/subdomains/export/?domain=数据&size={size}")
    assert (
        response.status_code == 200
        and "%E8%83%BD%E5%8A%9B%E5%AD%90%E5%9F%9F-" in response["Content-Disposition"]
    )
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).worksheets[0]  # type: ignore[attr-defined]
    rows = list(sheet.iter_rows(values_only=True))
    assert "能力域：数据" in str(rows[0][0]) and world.enterprise.get_size_display() in str(rows[0][0])
    assert rows[1][0] == "能力子域"
    exported = [(r[0], [f"{v:.2f}" if v is not None else "—" for v in r[1:7]], r[7]) for r in rows[2:]]
    on_page = [
        (name, cells[:6], int(cells[6]))
        for name, tds in shown
        for cells in [re.findall(r">([^<]*)</td>", tds)]
    ]
    assert exported == on_page and len(on_page) > 1
    for path in ("/analytics/domains/", "/analytics/trends/"):
        assert 'href="/analytics/export/"' in client.get(path).content.decode()
