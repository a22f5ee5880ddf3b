"""Rating service and htmx endpoint: DB state, audit rows, stale writes, 不适用 reasons, locking."""

from __future__ import annotations

import pytest

from nfmaturity.assessments.catalogs import sector_view
from nfmaturity.assessments.errors import AssessmentError, AssessmentLockedError, StaleRatingError
from nfmaturity.assessments.models import Assessment, RatingRecord, RatingValue
from nfmaturity.assessments.services import set_rating
from nfmaturity.audit.models import AuditAction, AuditEvent

from .conftest import World


def first_requirement(assessment: Assessment) -> str:
    return sector_view(assessment.catalog_version, assessment.sector).rows[0].requirements[0].id


def test_it_stores_a_rating_and_audits_old_and_new(world: World, draft: Assessment) -> None:
    rid = first_requirement(draft)
    admin = world.users["ent_admin"]
    set_rating(
        assessment=draft, actor=admin, requirement_id=rid, value=RatingValue.PARTLY, expected_version=0
    )
    set_rating(assessment=draft, actor=admin, requirement_id=rid, value=RatingValue.FULL, expected_version=1)
    record = RatingRecord.objects.get(assessment=draft, requirement_id=rid)
    assert (record.value, record.version, record.updated_by) == (RatingValue.FULL, 2, admin)
    events = list(AuditEvent.objects.filter(action=AuditAction.RATING_CHANGED).order_by("id"))
    assert [e.old for e in events] == [None, {"value": "0.5", "reason": "", "note": ""}]
    assert events[1].new["value"] == "1" and events[1].actor == admin
    assert events[1].organisation_id == world.enterprise.organisation_id


def test_it_refuses_a_stale_write_and_keeps_the_other_persons_rating(world: World, draft: Assessment) -> None:
    rid = first_requirement(draft)
    set_rating(
        assessment=draft,
        actor=world.users["ent_member"],
        requirement_id=rid,
        value=RatingValue.MOSTLY,
        expected_version=0,
    )
    with pytest.raises(StaleRatingError) as caught:
        set_rating(
            assessment=draft,
            actor=world.users["ent_admin"],
            requirement_id=rid,
            value=RatingValue.NONE,
            expected_version=0,
        )
    assert "大部分满足" in caught.value.message and "ent_member" in caught.value.message
    assert RatingRecord.objects.get(assessment=draft, requirement_id=rid).value == RatingValue.MOSTLY
    assert AuditEvent.objects.filter(action=AuditAction.RATING_CHANGED).count() == 1


def test_it_answers_409_with_the_latest_rating_over_htmx(world: World, draft: Assessment) -> None:
    rid = first_requirement(draft)
    set_rating(
        assessment=draft,
        actor=world.users["ent_member"],
        requirement_id=rid,
        value=RatingValue.MOSTLY,
        expected_version=0,
    )
    response = world.client("ent_admin").post(
        f"/assessments/{draft.pk}/rate/",
        {"requirement_id": rid, "value": "0", "version": "0"},
        HTTP_HX_REQUEST="true",
    )
    body = response.content.decode()
    assert response.status_code == 409
    assert "保存失败" in body and 'name="version" value="1"' in body


def test_it_requires_a_reason_for_not_applicable(world: World, draft: Assessment) -> None:
    rid = first_requirement(draft)
    with pytest.raises(AssessmentError, match="理由"):
        set_rating(
            assessment=draft,
            actor=world.users["ent_admin"],
            requirement_id=rid,
            value=RatingValue.NOT_APPLICABLE,
            expected_version=0,
            reason="  ",
        )
    response = world.client("ent_admin").post(
        f"/assessments/{draft.pk}/rate/", {"requirement_id": rid, "value": "na", "version": "0", "reason": ""}
    )
    assert response.status_code == 422
    assert "不适用理由（必填）" in response.content.decode()
    assert not RatingRecord.objects.exists()


def test_it_saves_through_the_endpoint_and_updates_progress(world: World, draft: Assessment) -> None:
    rid = first_requirement(draft)
    response = world.client("ent_member").post(
        f"/assessments/{draft.pk}/rate/",
        {"requirement_id": rid, "value": "na", "version": "0", "reason": "无此业务", "note": "见附件"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert 'id="overall-progress" hx-swap-oob="true"' in body and f"1 / {draft.requirement_count}" in body
    record = RatingRecord.objects.get(assessment=draft)
    assert (record.value, record.reason, record.note) == ("na", "无此业务", "见附件")


def test_it_refuses_unknown_requirements(world: World, draft: Assessment) -> None:
    with pytest.raises(AssessmentError):
        set_rating(
            assessment=draft,
            actor=world.users["ent_admin"],
            requirement_id="nope",
            value=RatingValue.FULL,
            expected_version=0,
        )


def test_it_locks_ratings_after_submission(world: World, submitted: Assessment) -> None:
    with pytest.raises(AssessmentLockedError):
        set_rating(
            assessment=submitted,
            actor=world.users["ent_admin"],
            requirement_id=first_requirement(submitted),
            value=RatingValue.NONE,
            expected_version=1,
        )


def test_it_lets_two_people_rate_different_subdomains_at_once(world: World, draft: Assessment) -> None:
    view = sector_view(draft.catalog_version, draft.sector)
    a, b = view.rows[0].requirements[0].id, view.rows[1].requirements[0].id
    set_rating(
        assessment=draft,
        actor=world.users["ent_admin"],
        requirement_id=a,
        value=RatingValue.FULL,
        expected_version=0,
    )
    set_rating(
        assessment=draft,
        actor=world.users["ent_member"],
        requirement_id=b,
        value=RatingValue.NONE,
        expected_version=0,
    )
    assert RatingRecord.objects.filter(assessment=draft).count() == 2


def test_it_stores_checked_evidence_with_its_sha256(world: World, draft: Assessment) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    rid = first_requirement(draft)
    pdf = SimpleUploadedFile("制度.pdf", b"%PDF-1.4 test evidence", content_type="application/pdf")
    response = world.client("ent_admin").post(
        f"/assessments/{draft.pk}/attachments/", {"requirement_id": rid, "file": pdf}
    )
    assert response.status_code == 200
    attachment = draft.attachments.get()
    import hashlib

    assert attachment.sha256 == hashlib.sha256(b"%PDF-1.4 test evidence").hexdigest()
    assert AuditEvent.objects.filter(action=AuditAction.ATTACHMENT_ADDED).count() == 1
    download = world.client("ent_member").get(f"/assessments/attachments/{attachment.pk}/")
    assert download.status_code == 200 and b"".join(download.streaming_content) == b"%PDF-1.4 test evidence"
    assert world.client("outsider").get(f"/assessments/attachments/{attachment.pk}/").status_code == 404


def test_it_rejects_evidence_whose_content_does_not_match_its_type(world: World, draft: Assessment) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    fake = SimpleUploadedFile("报告.pdf", b"MZ\x90\x00 not a pdf")
    response = world.client("ent_admin").post(
        f"/assessments/{draft.pk}/attachments/", {"requirement_id": first_requirement(draft), "file": fake}
    )
    assert response.status_code == 422 and "不符" in response.content.decode()
    assert not draft.attachments.exists()
    exe = SimpleUploadedFile("a.exe", b"MZ")
    response = world.client("ent_admin").post(
        f"/assessments/{draft.pk}/attachments/", {"requirement_id": first_requirement(draft), "file": exe}
    )
    assert "不支持的文件类型" in response.content.decode()
