"""A workbook downloaded before later online edits never silently overwrites them (issue 8, point 1)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from io import BytesIO

import pytest
from django.test import Client
from openpyxl import load_workbook

from nfmaturity.assessments.catalogs import catalog
from nfmaturity.assessments.models import Assessment, RatingRecord, RatingValue, WorkbookImport
from nfmaturity.assessments.services import set_rating
from nfmaturity.catalog.model import Sector
from nfmaturity.workbook.xlsx import META_SHEET, SHEET, workbook_bytes

from .conftest import World
from .test_import import upload

R1, R2, R3 = (f"nfdt:2024:common:组织建设:S1:{n}" for n in (1, 2, 3))
R4, R5 = (f"nfdt:2024:common:组织建设:S2:{n}" for n in (1, 2))

Cells = Mapping[str, Mapping[str, object]]


def edit(data: bytes, rows: Cells, *, meta: Mapping[str, object] | None = None) -> bytes:
    """Type into the 评分 / 不适用理由 / 备注 cells of the rows named by requirement id, as a user in Excel would."""
    wb = load_workbook(BytesIO(data))
    ws = wb[SHEET]
    header = {c.value: c.column for c in ws[1]}
    for line in range(2, ws.max_row + 1):
        cells = rows.get(str(ws.cell(line, header["要求编号"]).value))
        for column, value in (cells or {}).items():
            ws.cell(line, header[column]).value = value
    for line in range(1, wb[META_SHEET].max_row + 1):
        key = wb[META_SHEET].cell(line, 1).value
        if meta and key in meta:
            wb[META_SHEET].cell(line, 2).value = meta[key]
    out = BytesIO()
    wb.save(out)
    return out.getvalue()


def rate(
    world: World, draft: Assessment, rid: str, value: RatingValue, who: str = "ent_admin", **text: str
) -> None:
    current = RatingRecord.objects.filter(assessment=draft, requirement_id=rid).first()
    set_rating(
        assessment=draft,
        actor=world.users[who],
        requirement_id=rid,
        value=value,
        expected_version=current.version if current else 0,
        **text,
    )


def download(world: World, draft: Assessment) -> bytes:
    response = world.client("ent_admin").get(f"/assessments/{draft.pk}/import/?download=1")
    assert response.status_code == 200
    return response.content


def state(draft: Assessment, rid: str) -> tuple[str, str, str, int]:
    r = RatingRecord.objects.get(assessment=draft, requirement_id=rid)
    return r.value, r.reason, r.note, r.version


@pytest.fixture
def changed_online(world: World, draft: Assessment) -> tuple[Client, str]:
    """R1 and R2 rated, workbook downloaded, then R1 changed online by a colleague; the workbook changes
    R1, R2 and rates R3. Returns the admin's client and the preview URL."""
    world.users["ent_member"].first_name = "李工"  # type: ignore[attr-defined]
    world.users["ent_member"].save()  # type: ignore[attr-defined]
    rate(world, draft, R1, RatingValue.MOSTLY)
    rate(world, draft, R2, RatingValue.PARTLY)
    data = download(world, draft)
    rate(world, draft, R1, RatingValue.FULL, who="ent_member", note="现场核实")
    filled = edit(data, {R1: {"评分": "不满足"}, R2: {"评分": "不满足"}, R3: {"评分": "全部满足"}})
    response = upload(world, draft, filled)
    assert response.status_code == 302
    return world.client("ent_admin"), response.url


def test_a_rating_changed_after_the_download_is_shown_as_a_conflict_beside_the_workbook_value(
    world: World, draft: Assessment, changed_online: tuple[Client, str]
) -> None:
    client, url = changed_online
    pending = WorkbookImport.objects.get()
    assert [c["requirement_id"] for c in pending.conflicts] == [R1]
    assert [c["requirement_id"] for c in pending.changes] == [R2, R3]
    page = client.get(url).content.decode()
    conflicts = page.split('id="conflicts"', 1)[1].split("</table>", 1)[0]
    assert page.index('id="conflicts"') < page.index('id="changes"')  # conflicts come first
    assert "组织建设 S1 第1条" in conflicts and "nfdt:" not in page
    assert (
        "全部满足" in conflicts and "现场核实" in conflicts and "李工" in conflicts
    )  # platform: value, note, who
    assert "不满足" in conflicts  # beside the workbook's value
    assert 'value="platform" checked' in conflicts  # default keeps the platform's newer value
    assert "冲突全部保留平台" in page and "冲突全部采用工作簿" in page


@pytest.mark.parametrize(
    ("post", "r1"),
    [
        ({}, (RatingValue.FULL, "", "现场核实", 2)),
        ({"all": "platform"}, (RatingValue.FULL, "", "现场核实", 2)),
        ({"all": "workbook"}, (RatingValue.NONE, "", "现场核实", 3)),
        ({"c-ROW": "workbook"}, (RatingValue.NONE, "", "现场核实", 3)),
    ],
    ids=["default", "all-platform", "all-workbook", "row-workbook"],
)
def test_the_user_decides_each_conflict_and_the_rest_is_applied(
    world: World,
    draft: Assessment,
    changed_online: tuple[Client, str],
    post: dict[str, str],
    r1: tuple[str, str, str, int],
) -> None:
    client, url = changed_online
    row = WorkbookImport.objects.get().conflicts[0]["row_number"]
    response = client.post(url, {k.replace("ROW", str(row)): v for k, v in post.items()})
    assert response.status_code == 302
    assert state(draft, R1) == r1
    assert state(draft, R2)[0] == RatingValue.NONE and state(draft, R3)[0] == RatingValue.FULL


def test_a_row_equal_to_the_newer_platform_state_is_no_conflict(world: World, draft: Assessment) -> None:
    rate(world, draft, R1, RatingValue.MOSTLY)
    data = download(world, draft)
    rate(world, draft, R1, RatingValue.FULL, who="ent_member")
    upload(world, draft, edit(data, {R1: {"评分": "全部满足"}}))
    pending = WorkbookImport.objects.get()
    assert (pending.conflicts, pending.changes, pending.unchanged) == ([], [], 1)


def test_a_blank_cell_never_erases_and_the_preview_shows_note_and_reason_changes(
    world: World, draft: Assessment
) -> None:
    rate(world, draft, R1, RatingValue.NOT_APPLICABLE, reason="无此工序", note="见附件一")
    rate(world, draft, R2, RatingValue.MOSTLY, note="旧说明")
    rate(world, draft, R4, RatingValue.FULL)
    rate(world, draft, R5, RatingValue.NOT_APPLICABLE, reason="旧理由")
    filled = edit(
        download(world, draft),
        {
            R1: {
                "评分": None,
                "不适用理由": None,
                "备注": None,
            },  # all cleared: the platform keeps everything
            R2: {"评分": "全部满足", "备注": None},  # new rating, blank note: the old note stays
            R3: {"备注": "只有说明"},  # no rating anywhere: nothing to attach the note to
            R4: {"备注": "补充说明"},  # same rating, a note added
            R5: {"不适用理由": "新理由"},
        },
    )
    response = upload(world, draft, filled)
    page = world.client("ent_admin").get(response.url).content.decode()
    assert "<del" in page and "旧理由" in page and "新理由" in page and "补充说明" in page
    world.client("ent_admin").post(response.url)
    assert state(draft, R1) == (RatingValue.NOT_APPLICABLE, "无此工序", "见附件一", 1)
    assert state(draft, R2) == (RatingValue.FULL, "", "旧说明", 2)
    assert not RatingRecord.objects.filter(assessment=draft, requirement_id=R3).exists()
    assert state(draft, R4) == (RatingValue.FULL, "", "补充说明", 2)
    assert state(draft, R5) == (RatingValue.NOT_APPLICABLE, "新理由", "", 2)


@pytest.mark.parametrize("with_time", [True, False], ids=["export-time", "no-export-time"])
def test_an_old_format_workbook_without_row_versions_falls_back_on_the_export_time(
    world: World, draft: Assessment, with_time: bool
) -> None:
    exported = datetime(2024, 6, 1, 8, 0, tzinfo=UTC)
    rate(world, draft, R1, RatingValue.MOSTLY)
    rate(world, draft, R2, RatingValue.MOSTLY)
    RatingRecord.objects.filter(requirement_id=R1).update(updated_at=exported - timedelta(days=1))
    RatingRecord.objects.filter(requirement_id=R2).update(updated_at=exported + timedelta(days=1))
    blank = workbook_bytes(catalog("2024"), Sector.SMELTING, exported_at=exported)
    filled = edit(
        blank,
        {R1: {"评分": "不满足"}, R2: {"评分": "不满足"}, R3: {"评分": "全部满足"}},
        meta=None if with_time else {"exported_at": None},
    )
    response = upload(world, draft, filled)
    pending = WorkbookImport.objects.get()
    conflicts = {c["requirement_id"] for c in pending.conflicts}
    assert conflicts == ({R2} if with_time else {R1, R2})
    assert R3 in {c["requirement_id"] for c in pending.changes}
    page = world.client("ent_admin").get(response.url).content.decode()
    assert "旧版离线评估表" in page
