"""Fixtures for the report tests: the web personas (tests/web/conftest.py), re-exported for this folder, and
assessments worth a report: a self-assessment with a previous one, 不适用 ratings and evidence, and a published
formal assessment with its team, settlements, a rebuttal point, meetings and evidence."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pytest
from django.core.cache import cache
from django.utils import timezone

from nfmaturity.accounts.models import Organisation, OrganisationKind
from nfmaturity.assessments.catalogs import sector_view
from nfmaturity.assessments.models import (
    Assessment,
    AssessmentState,
    Attachment,
    RatingRecord,
    RatingValue,
    Result,
)
from nfmaturity.assessments.results import compute, store_result
from nfmaturity.assessments.services import start_self_assessment, submit_assessment
from nfmaturity.enterprises.models import SectorChoice
from nfmaturity.formal.models import (
    CollectionMethod,
    ContestPoint,
    ContestState,
    Evidence,
    EvidenceLink,
    ExpertRating,
    FormalAssessment,
    FormalState,
    Meeting,
    MeetingKind,
    Settlement,
    SettlementMethod,
)
from tests.formal.factory import make_experts, make_formal, seat_team
from tests.web.conftest import (  # noqa: F401  (fixtures, re-exported for this folder)
    WORKED_CHECK,
    World,
    _media_in_tmp,
    fill,
    module_world,
    world,
)

VALUES = (RatingValue.FULL, RatingValue.MOSTLY, RatingValue.PARTLY, RatingValue.NONE)
NA_REASON = "本企业无自有矿山，该要求涉及的业务不在评估范围内"


def varied(requirement_index: int, level: int, row_index: int) -> RatingValue:
    """A realistic spread: lower levels mostly met, higher ones less, varying by sub-domain."""
    if level == 1:
        return RatingValue.FULL if row_index % 5 else RatingValue.MOSTLY
    if level == 2:
        return (RatingValue.MOSTLY, RatingValue.FULL, RatingValue.MOSTLY, RatingValue.PARTLY)[row_index % 4]
    if level == 3:
        return (RatingValue.PARTLY, RatingValue.MOSTLY, RatingValue.NONE, RatingValue.FULL)[
            (row_index + requirement_index) % 4
        ]
    if level == 4:
        return RatingValue.PARTLY if row_index % 3 == 0 else RatingValue.NONE
    return RatingValue.NONE


def fill_varied(assessment: Assessment, user: object, *, not_applicable: int = 3) -> list[str]:
    """Rate every requirement with ``varied``; the first ``not_applicable`` S4 requirements are 不适用."""
    view = sector_view(assessment.catalog_version, assessment.sector)
    records = []
    na_ids: list[str] = []
    for index, requirement in enumerate(view.requirements.values()):
        row_index = view.row_index[requirement.row]
        value = varied(index, int(requirement.level), row_index)
        reason = ""
        if int(requirement.level) == 4 and len(na_ids) < not_applicable:
            value, reason = RatingValue.NOT_APPLICABLE, NA_REASON
            na_ids.append(requirement.id)
        records.append(
            RatingRecord(
                assessment=assessment,
                requirement_id=requirement.id,
                row_id=requirement.row,
                level=int(requirement.level),
                value=value,
                reason=reason,
                updated_by=user,
            )
        )
    RatingRecord.objects.bulk_create(records)
    return na_ids


@dataclass
class SelfCase:
    assessment: Assessment
    result: Result
    previous: Result
    na_ids: list[str]


@pytest.fixture
def self_case(world: World) -> SelfCase:  # noqa: F811  (the fixture, as a parameter)
    admin = world.users["ent_admin"]
    first = start_self_assessment(enterprise=world.enterprise, actor=admin, sector=SectorChoice.SMELTING)
    fill(first, WORKED_CHECK, admin)
    previous = submit_assessment(assessment=first, actor=admin)
    assessment = start_self_assessment(enterprise=world.enterprise, actor=admin, sector=SectorChoice.SMELTING)
    na_ids = fill_varied(assessment, admin)
    view = sector_view(assessment.catalog_version, assessment.sector)
    requirement = next(iter(view.requirements.values()))
    Attachment.objects.create(
        assessment=assessment,
        requirement_id=requirement.id,
        file="evidence/x/ab/abc.pdf",
        original_name="数字化转型规划（2024—2026）.pdf",
        extension=".pdf",
        content_type="application/pdf",
        size=1024,
        sha256="ab" * 32,
        uploaded_by=admin,
    )
    result = submit_assessment(assessment=assessment, actor=admin)
    assessment.refresh_from_db()
    return SelfCase(assessment, result, previous, na_ids)


@dataclass
class FormalCase:
    formal: FormalAssessment
    result: Result


RESULT_NUMBER = "NFDT-2026-000123"
CHECK_CODE = "7Q4K9D2M"


def build_formal(world: World, body: Organisation) -> FormalCase:  # noqa: F811
    """A published formal 冶炼 assessment: 7 experts who each rated every requirement, settled ratings
    (one contested and re-settled), meetings, evidence, the team's conclusion texts."""
    admin = world.users["ent_admin"]
    leader_user = world.users["body_admin"]
    formal = make_formal(world.enterprise, body, admin, state=FormalState.PUBLISHED)
    members = seat_team(formal, make_experts(body, 7))
    assessment = formal.assessment
    fill_varied(assessment, admin, not_applicable=2)
    view = sector_view(assessment.catalog_version, assessment.sector)
    settled = dict(RatingRecord.objects.filter(assessment=assessment).values_list("requirement_id", "value"))
    expert_rows = []
    settlements = []
    for index, requirement in enumerate(view.requirements.values()):
        value = settled[requirement.id]
        for position, member in enumerate(members):
            own = value
            # Two experts see one requirement in eight one step lower: flagged for discussion.
            if index % 8 == 0 and position < 2 and value == RatingValue.FULL:
                own = RatingValue.PARTLY
            expert_rows.append(
                ExpertRating(
                    formal=formal,
                    member=member,
                    requirement_id=requirement.id,
                    row_id=requirement.row,
                    level=int(requirement.level),
                    value=own,
                    reason=NA_REASON if own == RatingValue.NOT_APPLICABLE else "",
                )
            )
        method = SettlementMethod.MAJORITY if index % 8 == 0 else SettlementMethod.UNANIMOUS
        settlements.append(
            Settlement(
                formal=formal,
                requirement_id=requirement.id,
                row_id=requirement.row,
                level=int(requirement.level),
                value=value,
                reason=NA_REASON if value == RatingValue.NOT_APPLICABLE else "",
                method=method,
                rationale="按多数专家意见确定" if method == SettlementMethod.MAJORITY else "",
                settled_by=leader_user,
            )
        )
    ExpertRating.objects.bulk_create(expert_rows)
    Settlement.objects.bulk_create(settlements)
    now = timezone.now()
    for member in members:
        member.ratings_submitted_at = now
        member.save(update_fields=["ratings_submitted_at"])
    result = store_result(assessment, compute(assessment, allow_unrated=False), version=1)
    Assessment.objects.filter(pk=assessment.pk).update(state=AssessmentState.SUBMITTED, submitted_at=now)
    contested = next(r for r in view.requirements.values() if int(r.level) == 3)
    ContestPoint.objects.create(
        formal=formal,
        result=result,
        requirement_id=contested.id,
        argument="企业已于2025年上线生产执行系统，现场演示未能覆盖，补充系统截图与运行日志",
        submitted_by=admin,
        state=ContestState.REFUSED,
        answer="补充材料未能证明系统已覆盖全部产线，维持原评分",
        answered_by=leader_user,
        answered_at=now,
        old_value=settled[contested.id],
    )
    Meeting.objects.create(
        formal=formal,
        kind=MeetingKind.FIRST,
        held_at=now - timedelta(days=20),
        place="南丹锡业有限公司三楼会议室",
        attendees="评估组全体成员；企业总经理、信息中心主任",
        minutes="介绍评估计划与日程",
        recorded_by=leader_user,
    )
    Meeting.objects.create(
        formal=formal,
        kind=MeetingKind.FINAL,
        held_at=now - timedelta(days=1),
        place="南丹锡业有限公司三楼会议室",
        attendees="评估组全体成员；企业领导班子",
        minutes="宣布评估结论",
        recorded_by=leader_user,
    )
    evidence = Evidence.objects.create(
        formal=formal,
        method=CollectionMethod.SYSTEM_DEMO,
        description="生产执行系统演示记录",
        collected_on=date.today() - timedelta(days=10),
        collected_by=leader_user,
        original_name="MES演示记录.pdf",
        sha256="cd" * 32,
    )
    EvidenceLink.objects.create(evidence=evidence, formal=formal, requirement_id=contested.id)
    FormalAssessment.objects.filter(pk=formal.pk).update(
        published_result=result,
        result_number=RESULT_NUMBER,
        check_code=CHECK_CODE,
        published_at=now,
        published_by=leader_user,
        overall_assessment="企业数字化转型基础扎实，生产环节数字化水平较高。",
        strengths="建成覆盖熔炼、电解全流程的生产执行系统，数据自动采集率高。",
        weaknesses="数据资产管理尚未形成制度，供应链协同仍以线下为主。",
        recommendations="建立企业级数据治理组织，制定数据资产目录。\n推进供应链上下游系统对接。",
        final_conclusion="经评估组合议，确定该企业数字化转型成熟度评估结果如本报告所列。",
    )
    formal.refresh_from_db()
    return FormalCase(formal, result)


@pytest.fixture
def formal_case(world: World) -> FormalCase:  # noqa: F811
    body = Organisation.objects.get(kind=OrganisationKind.BODY, name="评估中心")
    return build_formal(world, body)


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    """Roadmaps and plans are cached by result id; a rolled-back test's ids are used again by the next test."""
    cache.clear()


def keep(name: str, data: bytes) -> None:
    """Keep a rendered file for looking at it (NFM_REPORT_DIR), as the browser tests keep screenshots."""
    target = os.environ.get("NFM_REPORT_DIR")
    if target:
        Path(target).mkdir(parents=True, exist_ok=True)
        (Path(target) / name).write_bytes(data)
