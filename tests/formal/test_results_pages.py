"""The results part through its pages (test client): each decision is a form on a page, refusals come back
on the same page with what was typed."""

from __future__ import annotations

import re

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from nfmaturity.assessments.models import RatingValue
from nfmaturity.formal.models import ContestPoint, FormalAssessment, FormalState
from tests.web.conftest import World

from .test_results import concluded, first_requirement, sent

pytestmark = pytest.mark.django_db


def login(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


def test_from_conclusion_to_verification_through_the_pages(
    world: World, body, experts, django_assert_max_num_queries
) -> None:  # type: ignore[no-untyped-def]
    formal, members = concluded(world, body, experts)
    leader, colleague = login(members[0].expert.user), login(members[1].expert.user)
    enterprise = world.client("ent_admin")
    base = f"/formal/{formal.pk}"

    page = colleague.get(f"{base}/conclusion/")
    assert page.status_code == 200 and "按合议评分计算的分数" in page.text and "批准并发送" not in page.text
    texts = {
        "overall_assessment": "总体处于规范级。",
        "strengths": "优秀经验甲",
        "weaknesses": "短板乙",
        "recommendations": "建议丙",
    }
    assert colleague.post(f"{base}/conclusion/", {**texts, "version": formal.version}).status_code == 302
    stale = leader.post(
        f"{base}/conclusion/", {**texts, "overall_assessment": "组长的改写", "version": formal.version}
    )
    assert stale.status_code == 409 and "组长的改写" in stale.text and "已被他人修改" in stale.text
    assert "他人刚保存的内容" in stale.text and "总体处于规范级。" in stale.text  # the newer text beside
    assert enterprise.get(f"{base}/conclusion/").status_code == 403  # reads the assessment, not the draft
    formal.refresh_from_db()
    deadline = (timezone.localdate() + timezone.timedelta(days=5)).isoformat()
    assert (
        colleague.post(
            f"{base}/conclusion/send/", {"version": formal.version, "deadline": deadline}
        ).status_code
        == 403
    )
    sent_page = leader.post(
        f"{base}/conclusion/send/", {"version": formal.version, "deadline": deadline}, follow=True
    )
    assert "已批准并发送第 1 版评估结果" in sent_page.text

    with django_assert_max_num_queries(
        9
    ):  # measured 7: session, user, membership, formal, parties, versions, points
        results = enterprise.get(f"{base}/results/")
    assert results.status_code == 200
    assert "确认评估结果，无异议" in results.text and "对具体要求提出异议" in results.text
    assert "优秀经验甲" in results.text and 'id="grade"' in results.text
    # The report downloads of the version shown (the panel itself is tested in tests/reports).
    version_one = formal.versions.get().result
    assert f"/reports/results/{version_one.pk}/files/" in results.text
    assert (
        enterprise.get(f"/reports/results/{version_one.pk}/files/", HTTP_HX_REQUEST="true").status_code == 200
    )
    contested = first_requirement(formal, 3)
    refused = enterprise.post(f"{base}/results/contest/", {"requirement_id": contested, "argument": ""})
    assert refused.status_code == 422
    upload = SimpleUploadedFile("说明.pdf", b"%PDF-1.4 x", content_type="application/pdf")
    done = enterprise.post(
        f"{base}/results/contest/",
        {"requirement_id": contested, "argument": "已上线", "files": [upload]},
        follow=True,
    )
    assert "异议已提交" in done.text
    point = ContestPoint.objects.get(formal=formal)
    rebuttal = leader.get(f"{base}/rebuttal/")
    assert rebuttal.status_code == 200 and "说明.pdf" in rebuttal.text
    evidence = point.evidence.get()
    assert leader.get(f"{base}/rebuttal/evidence/{evidence.pk}/").status_code == 200
    answer = {
        f"p{point.pk}-decision": "accept",
        f"p{point.pk}-value": RatingValue.FULL.value,
        f"p{point.pk}-answer": "证据充分",
    }
    assert leader.post(f"{base}/rebuttal/{point.pk}/answer/", answer).status_code == 302
    rescored = leader.post(f"{base}/rebuttal/rescore/", {"reason": ""}, follow=True)
    assert "第 2 版" in rescored.text
    diff = enterprise.get(f"{base}/results/diff/")
    assert diff.status_code == 200 and "部分满足" in diff.text and "全部满足" in diff.text
    assert enterprise.get(f"{base}/results/?v=1").status_code == 200
    assert enterprise.post(f"{base}/results/accept/").status_code == 302

    formal.refresh_from_db()
    assert formal.state == FormalState.FINAL
    meeting = {
        "version": formal.version,
        "held_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        "place": "会议室",
        "attendees": "全体",
        "minutes": "纪要",
        "final_conclusion": "达到一级",
    }
    assert leader.post(f"{base}/final/", meeting).status_code == 302
    admin = world.client("body_admin")
    assert admin.get(f"{base}/final/").status_code == 200
    published = admin.post(f"{base}/final/publish/", follow=True)
    assert "评估结果已发布" in published.text
    formal.refresh_from_db()
    assert formal.result_number and formal.result_number in published.text
    assert enterprise.post(f"{base}/results/listing/", {"listed": "1"}).status_code == 302
    assert formal.result_number in Client().get("/formal/published/").text

    anonymous = Client()
    assert anonymous.get("/formal/verify/").status_code == 200
    ok = anonymous.post(
        "/formal/verify/", {"result_number": formal.result_number.lower(), "check_code": formal.check_code}
    )
    assert ok.status_code == 200 and "验证通过" in ok.text and world.enterprise.name in ok.text
    assert not re.search(
        r"总分|\d\.\d\d", ok.text.split('id="verified"')[1].split("</dl>")[0]
    )  # grade, no score
    # The report's QR code links here with both values in the query: the record shows at once.
    scanned = Client().get("/formal/verify/", {"number": formal.result_number, "code": formal.check_code})
    assert scanned.status_code == 200 and "验证通过" in scanned.text
    assert Client().get("/formal/verify/", {"number": formal.result_number, "code": "X"}).status_code == 404
    timeline = admin.get(f"{base}/timeline/", HTTP_HX_REQUEST="true")
    assert "发布评估结果" in timeline.text and "企业提出异议" in timeline.text
    assert admin.get(f"{base}/reopen/").status_code == 200
    assert admin.post(f"{base}/reopen/", {"reason": ""}).status_code == 422
    assert admin.post(f"{base}/reopen/", {"reason": "更正"}).status_code == 302
    assert FormalAssessment.objects.get(pk=formal.pk).state == FormalState.CONCLUSION


def test_a_wrong_pair_gets_one_neutral_message_and_guessing_is_throttled(world: World, body, experts) -> None:  # type: ignore[no-untyped-def]
    cache.clear()
    formal, _ = sent(world, body, experts)
    FormalAssessment.objects.filter(pk=formal.pk).update(state=FormalState.PUBLISHED)
    anonymous = Client()
    wrong_code = anonymous.post(
        "/formal/verify/", {"result_number": "NFDT-2026-000001", "check_code": "AAAA"}
    )
    wrong_number = anonymous.post(
        "/formal/verify/", {"result_number": "NFDT-2026-999999", "check_code": "AAAA"}
    )
    assert wrong_code.status_code == wrong_number.status_code == 404
    message = "未查询到与该结果编号和校验码相符的已发布评估结果"
    assert message in wrong_code.text and message in wrong_number.text
    for _ in range(8):
        anonymous.post("/formal/verify/", {"result_number": "X", "check_code": "Y"})
    throttled = anonymous.post("/formal/verify/", {"result_number": "X", "check_code": "Y"})
    assert throttled.status_code == 429 and "失败次数过多" in throttled.text
    cache.clear()
