"""Evidence collected on site: added with a checked file, linked to requirements, visible only to the team,
the body admin and the enterprise, downloaded through an access check, removed by its collector (audited)."""

from __future__ import annotations

import hashlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from nfmaturity.audit.models import AuditAction, AuditEvent
from nfmaturity.formal.models import Evidence, EvidenceLink, ExpertProfile, FormalAssessment, FormalState
from tests.web.conftest import World

from .test_rating import Onsite, onsite  # noqa: F401  (fixture)

PDF = b"%PDF-1.4\n%test evidence\n" + b"0" * 200
pytestmark = pytest.mark.django_db


def add(site: Onsite, i: int, requirements: list[str], data: bytes = PDF, name: str = "座谈记录.pdf"):  # type: ignore[no-untyped-def]
    return site.client(i).post(
        reverse("formal:evidence", args=[site.formal.pk]),
        {
            "description": "与设备部长座谈，查看点检记录",
            "method": "interview",
            "collected_on": "2026-11-20",
            "requirements": requirements,
            "file": SimpleUploadedFile(name, data, content_type="application/pdf"),
        },
    )


def test_an_expert_adds_evidence_with_a_file_for_two_requirements(onsite: Onsite) -> None:  # noqa: F811
    response = add(onsite, 1, onsite.requirements[:2])
    assert response.status_code == 302
    evidence = Evidence.objects.get()
    assert evidence.sha256 == hashlib.sha256(PDF).hexdigest()
    assert evidence.collected_by == onsite.user(1) and evidence.size == len(PDF)
    assert sorted(EvidenceLink.objects.values_list("requirement_id", flat=True)) == sorted(
        onsite.requirements[:2]
    )
    event = AuditEvent.objects.get(action=AuditAction.EVIDENCE_ADDED)
    assert event.new["sha256"] == evidence.sha256
    page = onsite.client(2).get(reverse("formal:evidence", args=[onsite.formal.pk]))
    assert "座谈记录.pdf" in page.content.decode() and "专家2" in page.content.decode()


def test_a_file_of_the_wrong_type_is_refused_in_chinese(onsite: Onsite) -> None:  # noqa: F811
    response = add(onsite, 1, onsite.requirements[:1], data=b"MZ\x90\x00binary", name="记录.pdf")
    assert response.status_code == 422
    assert "文件内容与扩展名" in response.content.decode()
    assert not Evidence.objects.exists()


def test_who_downloads_the_file(onsite: Onsite, world: World, experts: list[ExpertProfile]) -> None:  # noqa: F811
    add(onsite, 1, onsite.requirements[:1])
    url = reverse("formal:evidence_download", args=[Evidence.objects.get().pk])
    assert onsite.client(3).get(url).status_code == 200
    for persona in ("ent_admin", "ent_member", "body_admin"):
        response = world.client(persona).get(url)
        assert response.status_code == 200, persona
        assert b"".join(response.streaming_content) == PDF  # type: ignore[attr-defined]
    for persona in ("outsider", "expert", "regulator", "national_regulator"):
        assert world.client(persona).get(url).status_code == 404, persona
    from django.test import Client

    stranger = Client()
    stranger.force_login(experts[8].user)  # an expert of the body who is not on this team
    assert stranger.get(url).status_code == 404


def test_removal_by_its_collector_while_onsite_is_audited(onsite: Onsite) -> None:  # noqa: F811
    add(onsite, 1, onsite.requirements[:1])
    evidence = Evidence.objects.get()
    url = reverse("formal:evidence_remove", args=[evidence.pk])
    assert onsite.client(2).post(url).status_code == 403
    assert onsite.client(1).post(url).status_code == 302
    assert not Evidence.objects.exists()
    event = AuditEvent.objects.get(action=AuditAction.EVIDENCE_REMOVED)
    assert event.old["name"] == "座谈记录.pdf" and event.old["sha256"] == hashlib.sha256(PDF).hexdigest()


def test_evidence_in_the_consensus_can_be_added_not_removed_and_later_not_added(onsite: Onsite) -> None:  # noqa: F811
    FormalAssessment.objects.filter(pk=onsite.formal.pk).update(state=FormalState.CONSENSUS)
    assert add(onsite, 1, onsite.requirements[:1]).status_code == 302
    evidence = Evidence.objects.get()
    response = onsite.client(1).post(reverse("formal:evidence_remove", args=[evidence.pk]), follow=True)
    assert "不能删除证据" in response.content.decode()
    assert Evidence.objects.exists()
    FormalAssessment.objects.filter(pk=onsite.formal.pk).update(state=FormalState.CONCLUSION)
    assert add(onsite, 1, onsite.requirements[:1]).status_code == 403
