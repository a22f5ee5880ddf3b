"""The expert's offline field workbook: only his rows, round trip, conflicts, all-or-nothing, hostile files."""

from __future__ import annotations

import re
from io import BytesIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from nfmaturity.assessments.models import WorkbookImport
from nfmaturity.audit.models import AuditAction, AuditEvent
from nfmaturity.formal import services_rating as svc
from nfmaturity.formal.models import ExpertRating, SubdomainAssignment
from nfmaturity.workbook.xlsx import COL, SHEET, read_workbook
from tests.hostile import hostile_workbooks

from .test_rating import Onsite, onsite  # noqa: F401  (fixture)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CJK = re.compile(r"[\u4e00-\u9fff]")
pytestmark = pytest.mark.django_db


def download(client: Client, site: Onsite) -> bytes:
    response = client.get(reverse("formal:rating_workbook", args=[site.formal.pk]) + "?download=1")
    assert response.status_code == 200
    assert response["Content-Type"] == XLSX
    return response.content


def fill(data: bytes, labels: dict[str, str]) -> bytes:
    """Type ratings (by requirement id) into the workbook as a person would in Excel."""
    wb = load_workbook(BytesIO(data))
    ws = wb[SHEET]
    for row in range(2, ws.max_row + 1):
        rid = ws.cell(row=row, column=COL["要求编号"]).value
        if rid in labels:
            ws.cell(row=row, column=COL["评分"]).value = labels[rid]
    out = BytesIO()
    wb.save(out)
    return out.getvalue()


def upload(client: Client, site: Onsite, data: bytes, name: str = "现场评估表.xlsx"):  # type: ignore[no-untyped-def]
    return client.post(
        reverse("formal:rating_workbook", args=[site.formal.pk]),
        {"file": SimpleUploadedFile(name, data, content_type=XLSX)},
    )


def test_the_workbook_holds_only_his_rows_with_his_ratings_and_versions(onsite: Onsite) -> None:  # noqa: F811
    client = onsite.client(1)
    rid = onsite.requirements[0]
    svc.set_expert_rating(
        formal=onsite.formal.pk, actor=onsite.user(1), requirement_id=rid, value="0.5", expected_version=0
    )
    data = download(client, onsite)
    filled = read_workbook(data)
    mine = set(SubdomainAssignment.objects.filter(member=onsite.members[1]).values_list("row_id", flat=True))
    assert {r.requirement_id.rsplit(":", 2)[0] for r in filled.rows} == mine
    assert filled.assessment_id == onsite.formal.assessment_id
    by_id = {r.requirement_id: r for r in filled.rows}
    assert by_id[rid].rating is not None and by_id[rid].rating.value == "0.5" and by_id[rid].version == 1
    guide = load_workbook(BytesIO(data))["填写说明"]
    assert "专家2" in str(guide.cell(row=1, column=1).value)


def test_round_trip_with_a_conflict_kept_on_the_platform_by_default(onsite: Onsite) -> None:  # noqa: F811
    client = onsite.client(1)
    first, second = onsite.requirements[:2]
    svc.set_expert_rating(
        formal=onsite.formal.pk, actor=onsite.user(1), requirement_id=first, value="0.5", expected_version=0
    )
    data = download(client, onsite)
    # After the download he changes the first rating online (say, in another tab).
    svc.set_expert_rating(
        formal=onsite.formal.pk, actor=onsite.user(1), requirement_id=first, value="0", expected_version=1
    )
    filled = fill(data, {first: "全部满足", second: "大部分满足"})
    response = upload(client, onsite, filled)
    assert response.status_code == 302, response.content.decode()[:2000]
    pending = WorkbookImport.objects.get()
    assert [c["requirement_id"] for c in pending.conflicts] == [first]
    assert [c["requirement_id"] for c in pending.changes] == [second]
    preview = client.get(response["Location"])
    assert "冲突" in preview.content.decode()
    applied = client.post(response["Location"], {})
    assert applied.status_code == 302
    ratings = dict(
        ExpertRating.objects.filter(member=onsite.members[1]).values_list("requirement_id", "value")
    )
    assert ratings[first] == "0" and ratings[second] == "0.8"
    assert AuditEvent.objects.filter(action=AuditAction.FIELD_WORKBOOK_IMPORTED).count() == 1
    again = client.post(response["Location"], {})
    assert again.status_code == 409 and "已导入过" in again.content.decode()


def test_apply_is_all_or_nothing_when_a_rating_changed_after_the_preview(onsite: Onsite) -> None:  # noqa: F811
    client = onsite.client(1)
    first, second = onsite.requirements[:2]
    data = fill(download(client, onsite), {first: "全部满足", second: "部分满足"})
    response = upload(client, onsite, data)
    svc.set_expert_rating(
        formal=onsite.formal.pk, actor=onsite.user(1), requirement_id=second, value="0", expected_version=0
    )
    refused = client.post(response["Location"], {})
    assert refused.status_code == 409 and "未写入任何评分" in refused.content.decode()
    assert not ExpertRating.objects.filter(requirement_id=first).exists()


def test_constant_queries_whatever_the_row_count(onsite: Onsite, django_assert_max_num_queries) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    client = onsite.client(0)  # the leader's rows include the shared one
    data = download(client, onsite)
    every = {r.requirement_id: "部分满足" for r in read_workbook(data).rows}
    response = upload(client, onsite, fill(data, every))
    with django_assert_max_num_queries(22):
        applied = client.post(response["Location"], {})
    assert applied.status_code == 302
    assert ExpertRating.objects.filter(member=onsite.members[0]).count() == len(every)


def test_another_experts_workbook_or_preview_is_refused(onsite: Onsite) -> None:  # noqa: F811
    data = download(onsite.client(0), onsite)
    filled = fill(data, {onsite.requirements[0]: "全部满足"})
    # Expert 4 does not rate the leader's rows: every row is named as not his.
    response = upload(onsite.client(4), onsite, filled)
    assert response.status_code == 422 and "没有分配给您" in response.content.decode()
    mine = upload(onsite.client(0), onsite, filled)
    assert onsite.client(1).get(mine["Location"]).status_code == 404


@pytest.mark.parametrize("kind", sorted(hostile_workbooks()))
def test_a_hostile_file_gets_a_chinese_refusal_and_writes_nothing(onsite: Onsite, kind: str) -> None:  # noqa: F811
    name, data = hostile_workbooks()[kind]
    response = upload(onsite.client(1), onsite, data, name or "x.xlsx")
    assert response.status_code in (413, 422), response.status_code
    body = response.content.decode()
    message = body.split('class="alert alert-danger"', 1)[1].split("</div>", 1)[0]
    assert CJK.search(message) and "未导入任何评分" in message
    assert "Traceback" not in message
    assert not WorkbookImport.objects.exists() and not ExpertRating.objects.exists()


def test_names_that_look_like_formulas_stay_text(onsite: Onsite) -> None:  # noqa: F811
    from nfmaturity.enterprises.models import Enterprise

    Enterprise.objects.filter(pk=onsite.formal.enterprise_id).update(name="=1+1有限公司")
    data = download(onsite.client(1), onsite)
    cell = load_workbook(BytesIO(data))["填写说明"].cell(row=1, column=1)
    assert cell.data_type == "s" and str(cell.value).startswith("=1+1有限公司")


def test_a_not_applicable_changed_in_the_workbook_loses_its_confirmation(onsite: Onsite) -> None:  # noqa: F811
    first, second = onsite.requirements[:2]
    for rid in (first, second):
        svc.set_expert_rating(
            formal=onsite.formal.pk,
            actor=onsite.user(1),
            requirement_id=rid,
            value="na",
            reason="无该工序",
            expected_version=0,
        )
    ExpertRating.objects.filter(value="na").update(na_confirmed_by=onsite.user(0))
    client = onsite.client(1)
    wb = load_workbook(BytesIO(download(client, onsite)))
    ws = wb[SHEET]
    for row in range(2, ws.max_row + 1):
        rid = ws.cell(row=row, column=COL["要求编号"]).value
        if rid == first:  # another reason: the 组长 must confirm again
            ws.cell(row=row, column=COL["不适用理由"]).value = "该工序已外包"
        if rid == second:  # only a note: the confirmation stays
            ws.cell(row=row, column=COL["备注"]).value = "现场核实"
    out = BytesIO()
    wb.save(out)
    response = upload(client, onsite, out.getvalue())
    assert client.post(response["Location"], {}).status_code == 302
    changed = ExpertRating.objects.get(requirement_id=first, member=onsite.members[1])
    kept = ExpertRating.objects.get(requirement_id=second, member=onsite.members[1])
    assert (changed.reason, changed.na_confirmed_by_id) == ("该工序已外包", None)
    assert (kept.note, kept.na_confirmed_by_id) == ("现场核实", onsite.user(0).pk)
