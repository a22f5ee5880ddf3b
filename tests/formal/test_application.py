"""企业申请 and 受理: the draft, its documents and declarations, submission, withdrawal, the body's decision."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import Http404

from nfmaturity.accounts.models import Notification, Organisation
from nfmaturity.assessments.catalogs import current_version
from nfmaturity.assessments.models import AssessmentKind, GradeLevel
from nfmaturity.audit.models import AuditAction, AuditEvent
from nfmaturity.catalog.loader import content_hash
from nfmaturity.enterprises.models import SectorChoice
from nfmaturity.formal import services_application as app
from nfmaturity.formal.models import ApplicationDocument, DocumentKind, FormalAssessment, FormalState
from nfmaturity.formal.services_application import ApplicationData
from nfmaturity.formal.workflow import FormalError
from tests.web.conftest import World

S = FormalState


def pdf(name: str = "规划.pdf", body: bytes = b"plan") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"%PDF-1.4\n" + body, content_type="application/pdf")


def data(body: Organisation, **changes: object) -> ApplicationData:
    values: dict[str, object] = {
        "body": body,
        "sector": SectorChoice.SMELTING,
        "unit": None,
        "target_grade": GradeLevel.THREE,
        "lawful_declared": True,
        "safety_accident": False,
        "environment_incident": False,
        "starting_self_assessment": None,
        "application_note": "",
    }
    values.update(changes)
    return ApplicationData(**values)  # type: ignore[arg-type]


def draft(world: World, body: Organisation, **changes: object) -> FormalAssessment:
    return app.create_application(actor=world.users["ent_admin"], data=data(body, **changes))  # type: ignore[arg-type]


def with_documents(world: World, formal: FormalAssessment) -> FormalAssessment:
    admin = world.users["ent_admin"]
    app.add_document(
        formal=formal, actor=admin, kind=DocumentKind.LONG_TERM_PLAN, upload=pdf("中长期规划.pdf", b"a")
    )  # type: ignore[arg-type]
    app.add_document(
        formal=formal, actor=admin, kind=DocumentKind.ANNUAL_TARGETS, upload=pdf("年度目标.pdf", b"b")
    )  # type: ignore[arg-type]
    return formal


def applied(world: World, body: Organisation) -> FormalAssessment:
    formal = with_documents(world, draft(world, body))
    return app.submit_application(formal=formal, actor=world.users["ent_admin"])  # type: ignore[arg-type]


@pytest.mark.django_db
def test_creating_an_application_pins_the_catalog_and_makes_a_draft_only_the_enterprise_sees(
    world: World, body: Organisation
) -> None:
    formal = draft(world, body)
    assert formal.state == S.DRAFT
    assessment = formal.assessment
    assert assessment.kind == AssessmentKind.FORMAL
    assert assessment.catalog_version == current_version()
    assert assessment.catalog_hash == content_hash(current_version())
    assert AuditEvent.objects.filter(
        action=AuditAction.APPLICATION_CREATED, object_id=str(formal.pk)
    ).exists()
    assert world.client("ent_admin").get(f"/formal/{formal.pk}/").status_code == 200
    # A draft is the enterprise's own: the body it names does not see it yet, nor do others.
    for persona in ("body_admin", "expert", "outsider", "regulator"):
        assert world.client(persona).get(f"/formal/{formal.pk}/").status_code == 404, persona


@pytest.mark.django_db
def test_only_an_enterprise_admin_may_apply(world: World, body: Organisation) -> None:
    with pytest.raises(PermissionDenied):
        app.create_application(actor=world.users["ent_member"], data=data(body))  # type: ignore[arg-type]
    with pytest.raises(PermissionDenied):
        app.create_application(actor=world.users["body_admin"], data=data(body))  # type: ignore[arg-type]
    assert world.client("ent_member").get("/formal/apply/").status_code == 403


@pytest.mark.django_db
def test_submission_needs_the_long_term_plan_and_the_annual_targets(world: World, body: Organisation) -> None:
    formal = draft(world, body)
    admin = world.users["ent_admin"]
    with pytest.raises(FormalError) as refused:
        app.submit_application(formal=formal, actor=admin)  # type: ignore[arg-type]
    assert "缺少申请材料“中长期规划”" in refused.value.message
    assert "缺少申请材料“年度目标”" in refused.value.message
    app.add_document(formal=formal, actor=admin, kind=DocumentKind.LONG_TERM_PLAN, upload=pdf())  # type: ignore[arg-type]
    with pytest.raises(FormalError) as refused:
        app.submit_application(formal=formal, actor=admin)  # type: ignore[arg-type]
    assert "中长期规划" not in refused.value.message
    assert "缺少申请材料“年度目标”，请上传后再提交" in refused.value.message
    formal.refresh_from_db()
    assert formal.state == S.DRAFT


@pytest.mark.parametrize(
    ("declared", "message"),
    [
        ({"safety_accident": True}, "重大及以上生产安全事故"),
        ({"environment_incident": True}, "重大及以上环境事件"),
        ({"lawful_declared": False}, "须声明企业依法依规经营"),
    ],
)
@pytest.mark.django_db
def test_an_accident_or_incident_declared_makes_submission_impossible(
    world: World, body: Organisation, declared: dict[str, bool], message: str
) -> None:
    formal = with_documents(world, draft(world, body, **declared))
    with pytest.raises(FormalError) as refused:
        app.submit_application(formal=formal, actor=world.users["ent_admin"])  # type: ignore[arg-type]
    assert message in refused.value.message
    # The page says so too, and the state stays a draft.
    response = world.client("ent_admin").post(f"/formal/{formal.pk}/application/submit/")
    assert response.status_code == 422
    assert message in response.content.decode()
    formal.refresh_from_db()
    assert formal.state == S.DRAFT


@pytest.mark.django_db
def test_documents_are_checked_like_evidence_and_downloaded_only_by_the_parties(
    world: World, body: Organisation
) -> None:
    formal = draft(world, body)
    client = world.client("ent_admin")
    fake = SimpleUploadedFile("规划.pdf", b"MZ\x90\x00 not a pdf", content_type="application/pdf")
    response = client.post(
        f"/formal/{formal.pk}/application/documents/", {"kind": "long_term_plan", "file": fake}
    )
    assert response.status_code == 422
    assert "文件内容与扩展名“.pdf”不符" in response.content.decode()
    exe = SimpleUploadedFile("规划.exe", b"MZ", content_type="application/octet-stream")
    response = client.post(
        f"/formal/{formal.pk}/application/documents/", {"kind": "long_term_plan", "file": exe}
    )
    assert "不支持的文件类型" in response.content.decode()
    assert not ApplicationDocument.objects.exists()

    response = client.post(
        f"/formal/{formal.pk}/application/documents/", {"kind": "long_term_plan", "file": pdf()}
    )
    assert response.status_code == 303
    document = ApplicationDocument.objects.get()
    assert len(document.sha256) == 64 and document.size == len(b"%PDF-1.4\nplan")
    again = client.post(
        f"/formal/{formal.pk}/application/documents/", {"kind": "long_term_plan", "file": pdf()}
    )
    assert again.status_code == 422 and "同一文件已作为“中长期规划”上传过" in again.content.decode()

    url = f"/formal/documents/{document.pk}/"
    assert client.get(url).status_code == 200
    assert world.client("body_admin").get(url).status_code == 404  # not submitted yet
    app.add_document(
        formal=formal,
        actor=world.users["ent_admin"],
        kind=DocumentKind.ANNUAL_TARGETS,
        upload=pdf("t.pdf", b"t"),
    )  # type: ignore[arg-type]
    app.submit_application(formal=formal, actor=world.users["ent_admin"])  # type: ignore[arg-type]
    download = world.client("body_admin").get(url)
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == b"%PDF-1.4\nplan"  # type: ignore[attr-defined]
    for persona in ("outsider", "expert", "regulator", "anonymous"):
        assert world.client(persona).get(url).status_code in (302, 404), persona
    # Submitted: the documents are fixed.
    with pytest.raises(FormalError):
        app.remove_document(document=document, actor=world.users["ent_admin"])  # type: ignore[arg-type]


@pytest.mark.django_db
def test_the_body_accepts_and_the_enterprise_admins_are_told(world: World, body: Organisation) -> None:
    formal = applied(world, body)
    assert Notification.objects.filter(user=world.users["body_admin"], text__contains="待受理").exists()
    page = world.client("body_admin").get(f"/formal/{formal.pk}/application/")
    assert "受理评估申请" in page.content.decode() and "中长期规划.pdf" in page.content.decode()
    response = world.client("body_admin").post(
        f"/formal/{formal.pk}/application/decision/", {"decision": "accept", "reason": "材料齐全"}
    )
    assert response.status_code == 303
    formal.refresh_from_db()
    assert formal.state == S.TEAM and formal.decided_by == world.users["body_admin"]
    assert Notification.objects.filter(user=world.users["ent_admin"], text__contains="已受理").exists()
    assert AuditEvent.objects.filter(
        action=AuditAction.APPLICATION_ACCEPTED, object_id=str(formal.pk)
    ).exists()


@pytest.mark.django_db
def test_a_refusal_needs_a_reason(world: World, body: Organisation) -> None:
    formal = applied(world, body)
    client = world.client("body_admin")
    response = client.post(
        f"/formal/{formal.pk}/application/decision/", {"decision": "refuse", "reason": " "}
    )
    assert response.status_code == 422
    assert "不予受理时必须填写理由" in response.content.decode()
    formal.refresh_from_db()
    assert formal.state == S.APPLIED
    response = client.post(
        f"/formal/{formal.pk}/application/decision/", {"decision": "refuse", "reason": "不在本机构业务范围内"}
    )
    assert response.status_code == 303
    formal.refresh_from_db()
    assert formal.state == S.REFUSED and formal.decision_reason == "不在本机构业务范围内"
    assert Notification.objects.filter(
        user=world.users["ent_admin"], text__contains="不在本机构业务范围内"
    ).exists()
    # Decided: no second decision, and the enterprise cannot withdraw any more.
    with pytest.raises(FormalError) as late:
        app.withdraw_application(formal=formal, actor=world.users["ent_admin"])  # type: ignore[arg-type]
    assert "不能撤回申请" in late.value.message


@pytest.mark.django_db
def test_the_enterprise_may_withdraw_until_the_decision(world: World, body: Organisation) -> None:
    formal = applied(world, body)
    response = world.client("ent_admin").post(
        f"/formal/{formal.pk}/application/withdraw/", {"reason": "推迟"}
    )
    assert response.status_code == 303
    formal.refresh_from_db()
    assert formal.state == S.WITHDRAWN
    with pytest.raises(FormalError):
        app.accept_application(formal=formal, actor=world.users["body_admin"])  # type: ignore[arg-type]


@pytest.mark.django_db
def test_a_member_reads_but_does_not_act_and_others_do_not_see(world: World, body: Organisation) -> None:
    formal = applied(world, body)
    with pytest.raises(PermissionDenied):
        app.withdraw_application(formal=formal, actor=world.users["ent_member"])  # type: ignore[arg-type]
    with pytest.raises(PermissionDenied):
        app.accept_application(formal=formal, actor=world.users["ent_admin"])  # type: ignore[arg-type]
    with pytest.raises(Http404):
        app.accept_application(formal=formal, actor=world.users["outsider"])  # type: ignore[arg-type]
    assert world.client("ent_member").get(f"/formal/{formal.pk}/application/").status_code == 200


@pytest.mark.django_db
def test_a_stale_edit_of_the_draft_is_refused_and_keeps_what_was_typed(
    world: World, body: Organisation
) -> None:
    formal = draft(world, body)
    app.update_application(
        formal=formal,
        actor=world.users["ent_admin"],
        data=data(body, application_note="第一次"),
        expected_version=formal.version,
    )  # type: ignore[arg-type]
    response = world.client("ent_admin").post(
        f"/formal/{formal.pk}/application/",
        {
            "body": body.pk,
            "target_grade": "3",
            "lawful_declared": "on",
            "application_note": "我刚写的说明",
            "version": formal.version,
        },
    )
    assert response.status_code == 409
    page = response.content.decode()
    assert "我刚写的说明" in page and "他人刚保存的内容" in page and "申请说明：第一次" in page
    # The page now carries the newer version: saving again is a conscious overwrite.
    assert f'name="version" value="{formal.version + 1}"' in page
    formal.refresh_from_db()
    assert formal.application_note == "第一次"


@pytest.mark.django_db
def test_the_apply_page_creates_the_draft(world: World, body: Organisation) -> None:
    client = world.client("ent_admin")
    page = client.get("/formal/apply/")
    assert page.status_code == 200 and "评估中心" in page.content.decode()
    response = client.post(
        "/formal/apply/",
        {
            "body": body.pk,
            "sector": "smelting",
            "target_grade": "2",
            "lawful_declared": "on",
            "application_note": "",
        },
    )
    assert response.status_code == 303
    formal = FormalAssessment.objects.get()
    assert response["Location"] == f"/formal/{formal.pk}/application/"
    assert formal.target_grade == 2 and formal.body == body


@pytest.mark.django_db
def test_hub_and_list_queries_stay_fixed(world: World, body: Organisation, django_assert_num_queries) -> None:  # type: ignore[no-untyped-def]
    formal = applied(world, body)
    client = world.client("body_admin")
    client.get(f"/formal/{formal.pk}/")  # warm the session
    # session, user, formal assessment, membership, team seat, documents
    with django_assert_num_queries(6):
        assert client.get(f"/formal/{formal.pk}/").status_code == 200
    for _ in range(3):
        applied(world, body)
    # session, user, membership, the list (one query, whatever its length), the admin's own expert profile
    with django_assert_num_queries(5):
        response = client.get("/formal/")
    assert response.status_code == 200 and response.content.decode().count("南丹锡业有限公司") == 4


@pytest.mark.django_db
def test_the_starting_self_assessment_is_shown_to_the_body_and_must_be_the_enterprises_own(
    world: World, body: Organisation
) -> None:
    from nfmaturity.assessments.models import Assessment, AssessmentState
    from nfmaturity.assessments.services import start_self_assessment, submit_assessment
    from tests.web.conftest import WORKED_CHECK, fill

    def submitted_of(enterprise, user) -> Assessment:  # type: ignore[no-untyped-def]
        assessment = start_self_assessment(enterprise=enterprise, actor=user, sector=SectorChoice.SMELTING)
        fill(assessment, WORKED_CHECK, user)
        submit_assessment(assessment=assessment, actor=user)
        assessment.refresh_from_db()
        return assessment

    own = submitted_of(world.enterprise, world.users["ent_admin"])
    theirs = submitted_of(world.other, world.users["outsider"])
    unfinished = start_self_assessment(
        enterprise=world.enterprise, actor=world.users["ent_admin"], sector=SectorChoice.SMELTING
    )
    assert unfinished.state == AssessmentState.DRAFT
    for wrong in (theirs, unfinished):
        with pytest.raises(FormalError) as refused:
            draft(world, body, starting_self_assessment=wrong)
        assert refused.value.message == "作为起点的自评估须是本企业已提交的自评估"
    # The form offers only the enterprise's own submitted ones.
    page = world.client("ent_admin").get("/formal/apply/").content.decode()
    assert f"#{own.pk} 冶炼 · 企业整体 · 提交于" in page
    assert f"#{theirs.pk} 冶炼" not in page and f"#{unfinished.pk} 冶炼" not in page

    formal = with_documents(world, draft(world, body, starting_self_assessment=own))
    app.submit_application(formal=formal, actor=world.users["ent_admin"])  # type: ignore[arg-type]
    result = own.results.get()
    shown = world.client("body_admin").get(f"/formal/{formal.pk}/application/").content.decode()
    assert "自评总分" in shown and result.get_grade_display() in shown
    assert str(result.total_shown) in shown
    # The self-assessment itself stays the enterprise's: the body still cannot open it.
    assert world.client("body_admin").get(f"/assessments/{own.pk}/").status_code == 404
