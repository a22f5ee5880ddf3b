"""Every hostile or broken file through the web import: a Chinese 4xx page with the form, never a 500, and
nothing written (issue 8, point 2)."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from nfmaturity.assessments.models import Assessment, RatingRecord, WorkbookImport
from nfmaturity.audit.models import AuditAction, AuditEvent
from tests.hostile import hostile_workbooks

from .conftest import World
from .test_import import XLSX, alert

KINDS = sorted(hostile_workbooks())
CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.mark.parametrize("kind", KINDS)
def test_a_hostile_workbook_gets_a_chinese_refusal_and_writes_nothing(
    world: World, draft: Assessment, kind: str
) -> None:
    name, data = hostile_workbooks()[kind]
    response = world.client("ent_admin").post(
        f"/assessments/{draft.pk}/import/", {"file": SimpleUploadedFile(name, data, content_type=XLSX)}
    )
    assert response.status_code in (413, 422), response.status_code
    message = alert(response)
    assert CJK.search(message) and "未导入任何评分" in message
    # People read requirements as 组织建设 S1 第1条; internal ids and Python's words stay out of the page.
    assert "nfdt:" not in message and "Error" not in message and "Traceback" not in message
    assert 'name="file"' in response.content.decode()  # the form is still there to try again
    assert not WorkbookImport.objects.exists() and not RatingRecord.objects.exists()
    assert not AuditEvent.objects.filter(action=AuditAction.WORKBOOK_IMPORTED).exists()
