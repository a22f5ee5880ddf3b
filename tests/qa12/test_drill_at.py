"""QA12-F9: a drill-down's ``at`` (registered exactly at this division) outside the viewer's jurisdiction is
dropped like any other out-of-scope filter; it used to head the (empty) list and the export with the other
area's name ("登记在湖南省长沙市（未细分）")."""

from __future__ import annotations

import io

import openpyxl
import pytest

from tests.web.conftest import World

pytestmark = pytest.mark.django_db


def test_an_area_outside_the_jurisdiction_is_not_a_filter(world: World) -> None:
    client = world.client("regulator")  # 广西 450000
    page = client.get("/analytics/enterprises/?at=430100").content.decode()
    assert "湖南" not in page and "未细分" not in page
    export = client.get("/analytics/enterprises/export/?at=430100")
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(export.streaming_content))).worksheets[0]  # type: ignore[attr-defined]
    assert "湖南" not in str(sheet["A1"].value)
    # Inside the jurisdiction it still narrows the list and says so.
    inside = client.get("/analytics/enterprises/?at=450000").content.decode()
    assert "登记在广西壮族自治区（未细分）" in inside
