"""The questionnaire through its views: query counts, nothing typed lost, help and progress, evidence, withdrawal."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import Http404

from nfmaturity.assessments import services
from nfmaturity.assessments.catalogs import sector_view
from nfmaturity.assessments.errors import AssessmentLockedError
from nfmaturity.assessments.models import Assessment, AssessmentState, Attachment, RatingRecord, RatingValue
from nfmaturity.assessments.selectors import percent
from nfmaturity.audit.models import AuditAction, AuditEvent

from .conftest import World

# One rating click: session, user, membership; BEGIN; the locking read (access, draft state, current rating
# and both progress counts in one statement); the rating write; the audit row; COMMIT.
RATE_QUERIES = 8
# The sub-domain page: session, user, membership, access, the row's ratings, its evidence, the overall
# count, the enterprise behind the navigation.
ROW_QUERIES = 8


def _view(assessment: Assessment) -> Any:
    return sector_view(assessment.catalog_version, assessment.sector)


def _rate(client: Any, assessment: Assessment, requirement_id: str, **fields: str) -> Any:
    data = {"requirement_id": requirement_id, "version": "0", **fields}
    return client.post(f"/assessments/{assessment.pk}/rate/", data, HTTP_HX_REQUEST="true")


def _text(response: Any) -> str:
    return str(response.content.decode())


# --- query counts ------------------------------------------------------------------------------------------


def test_a_rating_save_takes_eight_queries(
    world: World, draft: Assessment, django_assert_num_queries: Any
) -> None:
    assert draft.requirement_count == 722
    client = world.client("ent_admin")
    rid = _view(draft).rows[0].requirements[0].id
    with django_assert_num_queries(RATE_QUERIES):
        first = _rate(client, draft, rid, value="1")
    with django_assert_num_queries(RATE_QUERIES):
        second = _rate(client, draft, rid, value="0.5", version="1", note="见制度文件")
    assert first.status_code == second.status_code == 200
    body = _text(second)
    assert 'id="overall-progress" hx-swap-oob="true"' in body and "已评 1 / 722 项（0.1%）" in body
    assert "本子域已评 <strong>1</strong>" in body and 'name="version" value="2"' in body
    record = RatingRecord.objects.get(assessment=draft, requirement_id=rid)
    assert (record.value, record.note, record.version) == ("0.5", "见制度文件", 2)
    assert AuditEvent.objects.filter(action=AuditAction.RATING_CHANGED).count() == 2


def test_the_largest_subdomain_page_of_the_722_requirement_sector_takes_eight_queries(
    world: World, draft: Assessment, django_assert_num_queries: Any
) -> None:
    view = _view(draft)
    index = max(range(len(view.rows)), key=lambda i: len(view.rows[i].requirements))
    row = view.rows[index]
    admin = world.users["ent_admin"]
    for requirement in row.requirements[:5]:
        services.set_rating(
            assessment=draft, actor=admin, requirement_id=requirement.id, value="1", expected_version=0
        )
    pdf = SimpleUploadedFile("证据.pdf", b"%PDF-1.4 evidence")
    services.add_attachment(assessment=draft, actor=admin, requirement_id=row.requirements[0].id, upload=pdf)
    client = world.client("ent_admin")
    with django_assert_num_queries(ROW_QUERIES):
        response = client.get(f"/assessments/{draft.pk}/rows/{index}/")
    assert response.status_code == 200
    assert _text(response).count('class="card req ') == len(row.requirements) == 48


# --- nothing typed is lost ----------------------------------------------------------------------------------


def test_a_not_applicable_without_reason_comes_back_with_what_was_typed(
    world: World, draft: Assessment
) -> None:
    rid = _view(draft).rows[0].requirements[0].id
    response = _rate(
        world.client("ent_member"), draft, rid, value="na", reason="  ", note="车间无此设备，待核实"
    )
    body = _text(response)
    assert response.status_code == 422
    assert "组织建设 S1 第1条：选择“不适用”时必须填写理由" in body
    assert "车间无此设备，待核实</textarea>" in body
    # The reason field is open (no ``hidden``) and takes the cursor.
    box = re.search(r'<div class="na-reason mt-2"[^>]*>', body)
    assert box is not None and "hidden" not in box.group(0)
    assert re.search(r'name="reason"[^>]*autofocus', body)
    assert not RatingRecord.objects.exists()


def test_a_too_long_note_is_refused_in_words_and_given_back(world: World, draft: Assessment) -> None:
    from nfmaturity.workbook.limits import NOTE_MAX_CHARS

    rid = _view(draft).rows[0].requirements[0].id
    note = "长" * (NOTE_MAX_CHARS + 1)
    response = _rate(world.client("ent_member"), draft, rid, value="1", note=note)
    body = _text(response)
    assert response.status_code == 422
    assert f"说明不能超过 {NOTE_MAX_CHARS} 字（现为 {NOTE_MAX_CHARS + 1} 字）" in body
    assert note in body
    assert not RatingRecord.objects.exists()


def test_a_conflict_shows_the_platform_value_and_keeps_the_typed_text_to_reapply(
    world: World, draft: Assessment
) -> None:
    rid = _view(draft).rows[0].requirements[0].id
    services.set_rating(
        assessment=draft,
        actor=world.users["ent_member"],
        requirement_id=rid,
        value=RatingValue.MOSTLY,
        expected_version=0,
        note="同事的说明",
    )
    client = world.client("ent_admin")
    response = _rate(client, draft, rid, value="na", reason="本企业无选矿工序", note="我的说明")
    body = _text(response)
    assert response.status_code == 409
    assert "组织建设 S1 第1条：保存失败" in body and "ent_member" in body
    assert "平台上现在的评分：<strong>大部分满足</strong>" in body and "平台上的说明：同事的说明" in body
    assert 'value="本企业无选矿工序"' in body and "我的说明</textarea>" in body
    assert 'name="version" value="1"' in body
    assert '<button type="submit" name="value" value="na" class="btn btn-sm btn-warning">' in body
    # Re-applying with the version now shown writes the user's choice and text.
    again = _rate(client, draft, rid, value="na", version="1", reason="本企业无选矿工序", note="我的说明")
    assert again.status_code == 200
    record = RatingRecord.objects.get(assessment=draft, requirement_id=rid)
    assert (record.value, record.reason, record.note, record.version) == (
        "na",
        "本企业无选矿工序",
        "我的说明",
        2,
    )


def test_a_tampered_form_is_404_and_reveals_nothing(world: World, draft: Assessment) -> None:
    rid = _view(draft).rows[0].requirements[0].id
    assert _rate(world.client("ent_admin"), draft, rid, value="2").status_code == 404
    assert _rate(world.client("outsider"), draft, rid, value="1").status_code == 404
    assert _rate(world.client("outsider"), draft, rid, value="1", note="长" * 5000).status_code == 404


def test_the_service_checks_who_may_write(world: World, draft: Assessment, submitted: Assessment) -> None:
    rid = _view(draft).rows[0].requirements[0].id
    with pytest.raises(Http404):
        services.set_rating(
            assessment=draft.pk,
            actor=world.users["outsider"],
            requirement_id=rid,
            value="1",
            expected_version=0,
        )
    with pytest.raises(PermissionDenied):
        services.submit_assessment(assessment=submitted.pk, actor=world.users["regulator"])


# --- the questionnaire explains itself ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("done", "total", "shown"),
    [
        (0, 722, "0.0"),
        (1, 2000, "0.1"),
        (7, 722, "0.9"),
        (721, 722, "99.8"),
        (722, 722, "100.0"),
        (0, 0, "0.0"),
    ],
)
def test_progress_reads_honestly(done: int, total: int, shown: str) -> None:
    assert percent(done, total) == shown


def test_the_row_page_explains_the_scale_levels_and_grade(world: World, draft: Assessment) -> None:
    body = _text(world.client("ent_member").get(f"/assessments/{draft.pk}/rows/0/"))
    help_panel = body[body.index('<dialog id="rating-help"') :]
    for words in (
        '全部满足</td><td class="text-end num">1</td>',
        '大部分满足</td><td class="text-end num">0.8</td>',
        '部分满足</td><td class="text-end num">0.5</td>',
        '不满足</td><td class="text-end num">0</td>',
        "<strong>S1</strong> 对应 一级 规范级",
        "<strong>S5</strong> 对应 五级 生态级",
        "等级得分达到 0.8 即算达到",
        "0.8 ≤ 总分 &lt; 1.8",
        "4.8 ≤ 总分 ≤ 5",
    ):
        assert words in help_panel, words
    # The reason field is there for every card, closed until 不适用 is chosen, and labelled apart from 说明.
    assert body.count('<div class="na-reason mt-2" hidden>') == body.count('class="card req ')
    assert "不适用理由（必填）" in body and "说明/备注（可选）" in body
    assert "questionnaire.js" in body


def test_evidence_fingerprints_are_explained_not_shown_bare(world: World, draft: Assessment) -> None:
    rid = _view(draft).rows[0].requirements[0].id
    pdf = SimpleUploadedFile("制度.pdf", b"%PDF-1.4 evidence")
    services.add_attachment(assessment=draft, actor=world.users["ent_admin"], requirement_id=rid, upload=pdf)
    body = _text(world.client("ent_member").get(f"/assessments/{draft.pk}/rows/0/"))
    assert body.count("SHA-256") == body.count("文件指纹（SHA-256）") == 1
    assert "可用来核对文件是否被改过" in body


def test_progress_shows_seven_of_722_as_nine_tenths(world: World, draft: Assessment) -> None:
    for requirement in list(_view(draft).requirements)[:7]:
        services.set_rating(
            assessment=draft,
            actor=world.users["ent_admin"],
            requirement_id=requirement,
            value="1",
            expected_version=0,
        )
    body = _text(world.client("ent_member").get(f"/assessments/{draft.pk}/"))
    assert "已评 7 / 722 项（0.9%）" in body and 'value="0.9" max="100"' in body


# --- evidence ------------------------------------------------------------------------------------------------


def _zip_bomb() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("word/document.xml", b"\0" * (20 * 1024 * 1024))  # 20 MB of zeros, ~20 KB packed
    return buffer.getvalue()


HOSTILE = [
    ("exe renamed .pdf", "报告.pdf", b"MZ\x90\x00\x03" + b"\0" * 60, 422, "文件内容与扩展名“.pdf”不符"),
    ("html renamed .pdf", "报告.pdf", b"<html><script>alert(1)</script></html>", 422, "不符"),
    ("empty", "空.pdf", b"", 422, "文件为空"),
    ("too big", "大.pdf", b"%PDF-" + b"x" * 2048, 422, "文件过大"),
    ("bad UTF-8 text", "说明.txt", "这是GBK文本".encode("gbk") * 10, 422, "UTF-8"),
    ("no extension", "README", b"hello", 422, "不支持的文件类型“无扩展名”"),
    ("executable", "setup.exe", b"MZ\x90\x00", 422, "不支持的文件类型“.exe”"),
    ("zip bomb .docx (never unpacked)", "炸弹.docx", _zip_bomb(), 200, "已上传“炸弹.docx”"),
    ("path in the name", "../../etc/制度.pdf", b"%PDF-1.4 x", 200, "已上传“制度.pdf”"),
]


@pytest.mark.parametrize(
    ("name", "data", "status", "words"), [h[1:] for h in HOSTILE], ids=[h[0] for h in HOSTILE]
)
def test_hostile_evidence_gets_a_chinese_answer_never_a_500(
    world: World, draft: Assessment, settings: Any, name: str, data: bytes, status: int, words: str
) -> None:
    settings.NFM_UPLOAD_MAX_BYTES = 1024 * 1024 if name != "大.pdf" else 1024
    rid = _view(draft).rows[0].requirements[0].id
    response = world.client("ent_admin").post(
        f"/assessments/{draft.pk}/attachments/",
        {"requirement_id": rid, "file": SimpleUploadedFile(name, data)},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == status
    assert words in _text(response)
    stored = list(Path(settings.MEDIA_ROOT).rglob("*.*"))
    if status == 200:
        attachment = Attachment.objects.get()
        assert len(stored) == 1 and attachment.size == len(data)
    else:
        assert not Attachment.objects.exists() and stored == []


def test_the_same_file_twice_is_refused_on_one_requirement_and_flagged_on_another(
    world: World, draft: Assessment, settings: Any
) -> None:
    first, second = _view(draft).rows[0].requirements[:2]
    client = world.client("ent_admin")

    def upload(requirement_id: str) -> Any:
        pdf = SimpleUploadedFile("规划.pdf", b"%PDF-1.4 the same plan")
        return client.post(
            f"/assessments/{draft.pk}/attachments/", {"requirement_id": requirement_id, "file": pdf}
        )

    assert upload(first.id).status_code == 200
    again = upload(first.id)
    assert again.status_code == 409
    assert "组织建设 S1 第1条：该文件已于" in _text(again) and "上传到本条要求" in _text(again)
    elsewhere = upload(second.id)
    assert elsewhere.status_code == 200
    assert "提示：同一文件此前已上传到 组织建设 S1 第1条" in _text(elsewhere)
    assert Attachment.objects.count() == 2
    # The refused copy left no file behind; the two accepted ones have a file each.
    assert len(list(Path(settings.MEDIA_ROOT).rglob("*.pdf"))) == 2


def test_removing_evidence_is_audited_and_the_file_goes_after_commit(
    world: World, draft: Assessment, django_capture_on_commit_callbacks: Any
) -> None:
    rid = _view(draft).rows[0].requirements[0].id
    added = services.add_attachment(
        assessment=draft,
        actor=world.users["ent_member"],
        requirement_id=rid,
        upload=SimpleUploadedFile("错传.pdf", b"%PDF-1.4 wrong file"),
    )
    path = Path(added.attachment.file.path)
    assert path.exists()
    assert (
        world.client("outsider").post(f"/assessments/attachments/{added.attachment.pk}/remove/").status_code
        == 404
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = world.client("ent_admin").post(
            f"/assessments/attachments/{added.attachment.pk}/remove/", HTTP_HX_REQUEST="true"
        )
    assert response.status_code == 200 and "已删除“错传.pdf”" in _text(response)
    assert not Attachment.objects.exists() and not path.exists()
    event = AuditEvent.objects.get(action=AuditAction.ATTACHMENT_REMOVED)
    assert event.actor == world.users["ent_admin"]
    assert event.old["sha256"] == added.attachment.sha256 and event.old["name"] == "错传.pdf"
    assert event.old["uploaded_by"] == "ent_member" and event.old["requirement"] == "组织建设 S1 第1条"


def test_evidence_of_a_submitted_assessment_cannot_be_removed(world: World, submitted: Assessment) -> None:
    attachment = Attachment.objects.create(
        assessment=submitted,
        requirement_id=_view(submitted).rows[0].requirements[0].id,
        file="evidence/x.pdf",
        original_name="x.pdf",
        extension=".pdf",
        content_type="application/pdf",
        size=1,
        sha256="0" * 64,
        uploaded_by=world.users["ent_admin"],
    )
    response = world.client("ent_admin").post(f"/assessments/attachments/{attachment.pk}/remove/")
    assert response.status_code == 422 and "该自评估已提交，不能再修改评分或附件" in _text(response)
    assert Attachment.objects.filter(pk=attachment.pk).exists()
    with pytest.raises(AssessmentLockedError):
        services.remove_attachment(attachment=attachment, actor=world.users["ent_admin"])


# --- withdrawal ----------------------------------------------------------------------------------------------


def test_a_draft_is_withdrawn_after_a_confirm_page_and_kept_read_only(
    world: World, draft: Assessment
) -> None:
    client = world.client("ent_member")
    confirm = client.get(f"/assessments/{draft.pk}/withdraw/")
    assert confirm.status_code == 200 and "仍然保留" in _text(confirm) and "确认撤回" in _text(confirm)
    assert world.client("outsider").post(f"/assessments/{draft.pk}/withdraw/").status_code == 404
    response = client.post(f"/assessments/{draft.pk}/withdraw/", {"reason": "选错了评估环节"})
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.state == AssessmentState.WITHDRAWN
    event = AuditEvent.objects.get(action=AuditAction.ASSESSMENT_WITHDRAWN)
    assert (event.old, event.new, event.reason) == (
        {"state": "draft"},
        {"state": "withdrawn"},
        "选错了评估环节",
    )
    # Gone from work in progress, still there to look at.
    home = _text(client.get("/"))
    assert "继续填写" not in home and "已撤回的自评估（1" in home
    page = client.get(f"/assessments/{draft.pk}/")
    assert page.status_code == 200 and "该自评估已撤回" in _text(page) and "撤回</a>" not in _text(page)
    with pytest.raises(AssessmentLockedError, match="已撤回"):
        services.set_rating(
            assessment=draft,
            actor=world.users["ent_admin"],
            requirement_id=_view(draft).rows[0].requirements[0].id,
            value="1",
            expected_version=0,
        )
    assert client.get(f"/assessments/{draft.pk}/submit/").status_code == 302
    assert world.client("regulator").get(f"/assessments/{draft.pk}/").status_code == 404


def test_a_submitted_assessment_cannot_be_withdrawn(world: World, submitted: Assessment) -> None:
    with pytest.raises(AssessmentLockedError):
        services.withdraw_assessment(assessment=submitted, actor=world.users["ent_admin"])
    assert world.client("ent_admin").get(f"/assessments/{submitted.pk}/withdraw/").status_code == 302
