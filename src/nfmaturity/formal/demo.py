"""Demo formal assessments (演示数据), made by running the workflow's own services, so the demo is a real run:
an expert roster of nine with profiles, and four formal assessments at different stages —

- the first demo enterprise's, **published** after a contested point was accepted and re-scored (two result
  versions, a result number and check code, listed publicly);
- one in **评分合议** (every expert submitted; one requirement with no majority waits for the 组长);
- one in **结果沟通** (version 1 sent, waiting for the enterprise to accept or contest);
- one **待受理** (waiting for the body admin).

Each expert's ratings go in the way an expert on site would put them in bulk: his offline field workbook
(现场评估表), exported, filled in and imported through the field-workbook service. Idempotent: an enterprise
that already has a demo formal assessment gets no second one; the expert logins are put back as printed.

Dates: the services stamp everything with the load time, so each run is then given a past chronology
(``schedule``): every step its own moment, after the enterprise's latest self-assessment and before the load.
The audit events and notifications of a step take its moment as they are written (``_dated``); the rows'
dates are rewritten once the run is done (``_backdate``). Without this the report's cover read "评估开始 /
结果形成 / 结果发布" on the load day while the first meeting was weeks earlier.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from io import BytesIO

from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Max, Value
from django.db.models.functions import Replace
from django.utils import timezone
from openpyxl import load_workbook

from nfmaturity.accounts.models import Membership, Notification, Organisation, Role
from nfmaturity.accounts.services import create_member
from nfmaturity.assessments.catalogs import sector_view
from nfmaturity.assessments.imports import read_upload
from nfmaturity.assessments.models import (
    Assessment,
    AssessmentKind,
    AssessmentState,
    GradeLevel,
    RatingRecord,
    RatingValue,
    Result,
    WorkbookImport,
)
from nfmaturity.assessments.results import latest_pointer, local_year, point_latest
from nfmaturity.audit.models import AuditEvent
from nfmaturity.enterprises.models import Enterprise, SectorChoice
from nfmaturity.formal import field_workbook
from nfmaturity.formal import services_application as application
from nfmaturity.formal import services_consensus as consensus
from nfmaturity.formal import services_planning as planning
from nfmaturity.formal import services_publication as publication
from nfmaturity.formal import services_rating as rating
from nfmaturity.formal import services_results as results
from nfmaturity.formal import services_team as team
from nfmaturity.formal.models import (
    ApplicationDocument,
    AssessmentPlan,
    ContestPoint,
    Discipline,
    DocumentKind,
    Evidence,
    ExpertProfile,
    ExpertRating,
    FormalAssessment,
    Meeting,
    MeetingKind,
    PlanKind,
    ResultVersion,
    Settlement,
    SettlementMethod,
    SubdomainAssignment,
    TeamMember,
)
from nfmaturity.workbook.xlsx import COL, SHEET

LEADER_USERNAME = "demo-leader"
# The nine experts of the demo body: (username, name, disciplines, title). demo-expert exists already (the
# body's plain expert login); the 组长 and the others are added here.
EXPERTS: tuple[tuple[str, str, tuple[Discipline, ...], str], ...] = (
    (
        LEADER_USERNAME,
        "韦组长（演示）",
        (Discipline.NONFERROUS, Discipline.MANAGEMENT_SCIENCE),
        "正高级工程师",
    ),
    ("demo-expert", "评估专家（演示）", (Discipline.INFORMATISATION,), "高级工程师"),
    ("demo-expert-3", "黄安全（演示）", (Discipline.SAFETY,), "注册安全工程师"),
    ("demo-expert-4", "覃环保（演示）", (Discipline.ENVIRONMENT,), "高级工程师"),
    ("demo-expert-5", "蒙计算（演示）", (Discipline.COMPUTER_SCIENCE,), "教授"),
    ("demo-expert-6", "陆管理（演示）", (Discipline.MANAGEMENT_SCIENCE,), "副教授"),
    ("demo-expert-7", "莫冶金（演示）", (Discipline.NONFERROUS,), "高级工程师"),
    (
        "demo-expert-8",
        "梁数据（演示）",
        (Discipline.INFORMATISATION, Discipline.COMPUTER_SCIENCE),
        "高级工程师",
    ),
    ("demo-expert-9", "罗工艺（演示）", (Discipline.NONFERROUS, Discipline.SAFETY), "工程师"),
)
# Printed with the other demo logins (and listed in the README).
LOGINS = (LEADER_USERNAME, "demo-expert-3")
TEAM_SIZE = 7

# Settled ratings by level for the demo runs: 一级 met, 二级 mostly, little above.
LEVEL_VALUES = {
    1: RatingValue.FULL,
    2: RatingValue.MOSTLY,
    3: RatingValue.PARTLY,
    4: RatingValue.NONE,
    5: RatingValue.NONE,
}
LABELS = {
    RatingValue.FULL: "全部满足",
    RatingValue.MOSTLY: "大部分满足",
    RatingValue.PARTLY: "部分满足",
    RatingValue.NONE: "不满足",
}
PLAN = planning.PlanData(
    purpose="评估企业数字化转型成熟度，核实企业申报等级",
    scope="企业冶炼与加工主要生产单元及职能部门",
    tasks="资料审查、人员座谈、现场核查、系统演示、数据查验",
    methods="人员座谈、实地调查、抽样调查、文件与评审记录、信息系统演示、数据采集查验",
    start_date=None,
    end_date=None,
    people="评估组 7 人，组长 1 人",
    agenda="第一天首次会议与资料审查；第二、三天现场核查；第四天评分合议与末次会议",
)


# The steps of a formal assessment in the order they happen, and when each stage's demo run took them, in days
# before the load. A run stops at its stage's last step (待受理 after "applied", 评分合议 after "rated", 结果沟通
# after "sent", its contest window still open); the published run goes through all of them.
STEPS = (
    "created",
    "applied",
    "accepted",
    "team",
    "planned",
    "first_meeting",
    "rated",
    "settled",
    "sent",
    "contested",
    "answered",
    "result_accepted",
    "final_meeting",
    "published",
)
DAYS_BEFORE: dict[str, tuple[float, ...]] = {
    "published": (44, 43, 41, 39, 37, 33, 31, 28, 26, 22, 19, 17, 14, 12),
    "communication": (30, 29, 27, 25, 23, 19, 16, 12, 4),
    "consensus": (20, 19, 17, 15, 13, 9, 5),
    "applied": (3, 2),
}
# The share of the time since the enterprise's latest self-assessment that a squeezed run takes up.
SQUEEZE = 0.9
# Office hours: a step's time of day is 09:00 plus half an hour per step (a meeting at 21:55 looked made up).
OFFICE_OPENS = datetime.time(9, 0)
OFFICE_CLOSES = datetime.time(18, 0)
STEP_MINUTES = 30

Schedule = dict[str, datetime.datetime]


@dataclass(frozen=True)
class Login:
    username: str
    role: str
    organisation: str


def schedule(stage: str, now: datetime.datetime, after: datetime.datetime | None) -> Schedule:
    """When each step of ``stage``'s run happened: DAYS_BEFORE ``now``, squeezed in proportion into the time
    since ``after`` (the enterprise's latest self-assessment) when that is later than the first step: the
    enterprise assessed itself, then applied. The publication stays in ``now``'s year, the year its result
    number was issued in (numbers run per year of publication)."""
    days = DAYS_BEFORE[stage]
    span = datetime.timedelta(days=days[0])
    scale = 1.0
    if after is not None and now - span <= after:
        scale = max(SQUEEZE * ((now - after) / span), 0.0)
    moments = {step: now - datetime.timedelta(days=d * scale) for step, d in zip(STEPS, days, strict=False)}
    if "published" in moments:
        local = timezone.localtime(now)
        year_start = local.replace(month=1, day=1, hour=0, minute=0, second=0, microsecond=0)
        moments["published"] = max(moments["published"], year_start)
    return _office_hours(moments, now, after)


def _office_hours(moments: Schedule, now: datetime.datetime, after: datetime.datetime | None) -> Schedule:
    """Each step on its day at office hours, the steps of one day half an hour apart; when that would break
    the order or leave the time between ``after`` and ``now`` (a run squeezed into a few days), each step
    waits for the next office hours instead."""
    snapped = {}
    for step, moment in moments.items():
        day = timezone.localtime(moment).replace(
            hour=OFFICE_OPENS.hour, minute=OFFICE_OPENS.minute, second=0, microsecond=0
        )
        snapped[step] = day + datetime.timedelta(minutes=STEP_MINUTES * STEPS.index(step))
    times = list(snapped.values())
    fits = times == sorted(times) and times[-1] < now and (after is None or after < times[0])
    return snapped if fits else _waiting_for_office(moments, now)


def _waiting_for_office(moments: Schedule, now: datetime.datetime) -> Schedule:
    """Each moment outside office hours moved forward to the next opening, unless that passes ``now`` (then it
    stays). Moving forward keeps every step after the self-assessment, and keeps the order: only the last
    steps, after the last closing before ``now``, can pass it, and they stay after every moved one."""
    out = {}
    for step, moment in moments.items():
        local = timezone.localtime(moment)
        opening = local.replace(hour=OFFICE_OPENS.hour, minute=OFFICE_OPENS.minute, second=0, microsecond=0)
        if local.time() < OFFICE_OPENS:
            moved = opening
        elif local.time() >= OFFICE_CLOSES:
            moved = opening + datetime.timedelta(days=1)
        else:
            moved = local
        out[step] = moved if moved < now else moment
    return out


def _last_id(model: type[AuditEvent] | type[Notification]) -> int:
    last: int | None = model.objects.aggregate(last=Max("pk"))["last"]
    return last or 0


@contextmanager
def _dated(moment: datetime.datetime) -> Iterator[None]:
    """The audit events and notifications written inside take ``moment`` (the services stamp them with the load
    time). One UPDATE each; events of one moment keep their order by id, as the timeline sorts them."""
    events, notices = _last_id(AuditEvent), _last_id(Notification)
    yield
    AuditEvent.objects.filter(pk__gt=events).update(at=moment)
    Notification.objects.filter(pk__gt=notices).update(created_at=moment)


def _user(username: str, name: str, body: Organisation, password: str) -> User:
    user = User.objects.filter(username=username).first()
    if user is None:
        user = create_member(
            organisation=body, username=username, password=password, role=Role.EXPERT, full_name=name
        )
    elif not Membership.objects.filter(user=user).exists():
        Membership.objects.create(user=user, organisation=body, role=Role.EXPERT)
    return user


def roster(body: Organisation, body_admin: User, password: str) -> list[ExpertProfile]:
    """The body's nine demo experts with their profiles (through the roster service)."""
    out = []
    for username, name, disciplines, title in EXPERTS:
        user = _user(username, name, body, password)
        out.append(
            ExpertProfile.objects.filter(user=user).first()
            or team.save_expert_profile(
                actor=body_admin,
                user=user,
                full_name=name,
                disciplines=[d.value for d in disciplines],
                title=title,
                qualifications="从事有色金属行业数字化转型咨询与评估多年（演示数据）",
            )
        )
    return out


def _pdf(name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"%PDF-1.4\n% demo document\n", content_type="application/pdf")


def _apply(enterprise: Enterprise, admin: User, body: Organisation, when: Schedule) -> FormalAssessment:
    sector = SectorChoice(enterprise.sectors[0])
    with _dated(when["created"]):
        formal = application.create_application(
            actor=admin,
            data=application.ApplicationData(
                body=body,
                sector=sector,
                unit=None,
                target_grade=GradeLevel.TWO,
                lawful_declared=True,
                safety_accident=False,
                environment_incident=False,
                starting_self_assessment=None,
                application_note="申请对企业整体开展正式评估（演示数据）",
            ),
        )
        for kind in (DocumentKind.LONG_TERM_PLAN, DocumentKind.ANNUAL_TARGETS, DocumentKind.IMPLEMENTATION):
            application.add_document(formal=formal, actor=admin, kind=kind, upload=_pdf(f"{kind.label}.pdf"))
    with _dated(when["applied"]):
        return application.submit_application(formal=formal, actor=admin)


def _plan(kind: PlanKind, when: Schedule) -> planning.PlanData:
    """The plan's dates: the pre-assessment between planning and the first meeting, the formal assessment
    from the first meeting to the ratings."""
    if kind == PlanKind.PRE:
        day = timezone.localdate(when["planned"] + (when["first_meeting"] - when["planned"]) / 2)
        return replace(PLAN, start_date=day, end_date=day)
    return replace(
        PLAN,
        start_date=timezone.localdate(when["first_meeting"]),
        end_date=timezone.localdate(when["rated"]),
    )


def _to_onsite(
    formal: FormalAssessment, admin: User, body_admin: User, experts: list[ExpertProfile], when: Schedule
) -> list[TeamMember]:
    with _dated(when["accepted"]):
        application.accept_application(formal=formal, actor=body_admin, note="材料齐全，予以受理（演示）")
    with _dated(when["team"]):
        for expert in experts[:TEAM_SIZE]:
            team.add_member(formal=formal, actor=body_admin, expert_id=expert.pk)
        members = list(TeamMember.objects.filter(formal=formal).select_related("expert__user").order_by("pk"))
        team.set_leader(formal=formal, actor=body_admin, member_id=members[0].pk)
        team.assign_default(formal=formal, actor=body_admin)
        for member in members:
            team.sign_declaration(formal=formal, actor=member.expert.user, which="conflict")
            team.sign_declaration(formal=formal, actor=member.expert.user, which="confidentiality")
        team.confirm_team(formal=formal, actor=body_admin)
    leader = members[0].expert.user
    with _dated(when["planned"]):
        for kind in PlanKind:
            data = _plan(kind, when)
            planning.save_plan(formal=formal, actor=leader, kind=kind, data=data, expected_version=0)
            planning.confirm_plan(formal=formal, actor=admin, kind=kind, expected_version=1)
    with _dated(when["first_meeting"]):
        planning.record_first_meeting(
            formal=formal,
            actor=leader,
            data=planning.MeetingData(
                held_at=when["first_meeting"],
                place="企业会议室",
                attendees="评估组全体成员、企业主要负责人及各部门负责人",
                minutes="介绍评估计划、评估方法与保密要求；企业介绍数字化转型情况（演示）",
            ),
        )
        planning.start_onsite(formal=formal, actor=leader)
    return members


def _fill_workbook(data: bytes, values: dict[str, RatingValue]) -> bytes:
    wb = load_workbook(BytesIO(data))
    ws = wb[SHEET]
    for row in range(2, ws.max_row + 1):
        rid = str(ws.cell(row=row, column=COL["要求编号"]).value or "")
        if rid in values:
            ws.cell(row=row, column=COL["评分"]).value = LABELS[values[rid]]
    out = BytesIO()
    wb.save(out)
    return out.getvalue()


def _rate(formal: FormalAssessment, members: list[TeamMember]) -> str:
    """Every expert fills his field workbook (same values by level) and submits; on one row with three raters
    two of them depart from the third on one requirement, each another way. Returns that requirement."""
    view = sector_view(formal.assessment.catalog_version, formal.assessment.sector)
    rows: dict[str, list[int]] = {}
    for a in SubdomainAssignment.objects.filter(formal=formal):
        rows.setdefault(a.row_id, []).append(a.member_id)
    shared, raters = next((r, ms) for r, ms in rows.items() if len(ms) >= 3)
    disputed = next(r.id for r in view.rows[view.row_index[shared]].requirements if int(r.level) == 2)
    departures = {raters[1]: RatingValue.FULL, raters[2]: RatingValue.PARTLY}
    for member in members:
        mine = {row_id for row_id, ms in rows.items() if member.pk in ms}
        values = {
            r.id: departures.get(member.pk, LEVEL_VALUES[int(r.level)])
            if r.id == disputed
            else LEVEL_VALUES[int(r.level)]
            for row in view.rows
            if row.id in mine
            for r in row.requirements
        }
        data = _fill_workbook(field_workbook.export_bytes(formal, member), values)
        parsed = read_upload(SimpleUploadedFile("现场评估表.xlsx", data))
        user = member.expert.user
        pending = field_workbook.preview(formal=formal, actor=user, parsed=parsed)
        field_workbook.apply(formal=formal, actor=user, import_pk=pending.pk)
    for member in members:
        rating.submit_ratings(formal=formal, actor=member.expert.user)
    return disputed


def _settle(formal: FormalAssessment, leader: User, disputed: str) -> None:
    consensus.accept_unanimous(formal=formal, actor=leader)
    consensus.settle(
        formal=formal,
        requirement_id=disputed,
        value=RatingValue.MOSTLY,
        reason="",
        method=SettlementMethod.LEADER,
        rationale="现场抽查记录与系统演示相互印证，取中间评分（演示）",
        actor=leader,
        expected_version=0,
    )
    consensus.close_consensus(formal=formal, actor=leader)


def _send(formal: FormalAssessment, members: list[TeamMember]) -> None:
    formal.refresh_from_db()
    formal = results.save_conclusion(
        formal=formal,
        actor=members[1].expert.user,
        expected_version=formal.version,
        overall_assessment="企业已建立数字化转型组织与制度，主要业务环节实现信息化覆盖，整体达到规范级，"
        "集成级要求大部分满足（演示）。",
        strengths="组织建设完整，数字化转型职责明确；生产管控系统覆盖冶炼主要工序（演示）。",
        weaknesses="跨系统数据集成与数据治理尚未体系化；数字化成效度量不足（演示）。",
        recommendations="建设统一数据平台与主数据管理；建立数字化转型成效评价指标（演示）。",
    )
    results.approve_and_send(formal=formal, actor=members[0].expert.user, expected_version=formal.version)


def _publish_after_contest(
    formal: FormalAssessment, members: list[TeamMember], admin: User, body_admin: User, when: Schedule
) -> None:
    view = sector_view(formal.assessment.catalog_version, formal.assessment.sector)
    leader = members[0].expert.user
    contested = next(r.id for r in view.requirements.values() if int(r.level) == 3)
    with _dated(when["contested"]):
        point = results.contest(
            formal=formal,
            actor=admin,
            requirement_id=contested,
            argument="该项工作已于去年完成并通过验收，现场评估时未提供验收报告，现补充提交（演示）。",
            files=[_pdf("验收报告.pdf")],
        )
    with _dated(when["answered"]):
        results.answer_point(
            point=point,
            actor=leader,
            answer=results.Answer(True, "验收报告与现场核查情况一致，采纳异议（演示）", RatingValue.FULL),
        )
        results.rescore(formal=formal, actor=leader)
    with _dated(when["result_accepted"]):
        results.accept_result(formal=formal, actor=admin)
    formal.refresh_from_db()
    with _dated(when["final_meeting"]):
        publication.record_final_meeting(
            formal=formal,
            actor=leader,
            expected_version=formal.version,
            held_at=when["final_meeting"],
            place="企业会议室",
            attendees="评估组全体成员、企业主要负责人",
            minutes="通报第 2 版评估结果及改进建议，企业无异议（演示）。",
            final_conclusion="企业数字化转型成熟度评估结论以第 2 版评估结果为准（演示）。",
        )
    with _dated(when["published"]):
        publication.publish(formal=formal, actor=body_admin)
        publication.set_public_listing(formal=formal, actor=admin, listed=True)


def _backdate(formal: FormalAssessment, when: Schedule) -> None:
    """Give the run's rows the moments of its schedule (the services wrote the load time), like
    ``web.demo._backdate`` does for a self-assessment: the assessment's, its results', its team's, plans',
    meetings', ratings', settlements', contest points' and evidence's dates. A step the run did not reach
    has no moment, and its dates stay empty."""
    formal.refresh_from_db()
    versions = list(ResultVersion.objects.filter(formal=formal).select_related("result"))
    # Version 1 is made when the result is sent, each later one when the team re-scores after a contest.
    made = [when.get("sent"), when.get("answered")]
    for version in versions:
        moment = made[min(version.result.version, len(made)) - 1]
        ResultVersion.objects.filter(pk=version.pk).update(created_at=moment)
        Result.objects.filter(pk=version.result_id).update(created_at=moment)
    last_sent = made[min(len(versions), len(made)) - 1] if versions else None
    deadline = None
    if formal.contest_deadline is not None and last_sent is not None:
        deadline = timezone.localdate(last_sent) + datetime.timedelta(days=results.CONTEST_DAYS)
        _move_deadline(formal, when, formal.contest_deadline)
    FormalAssessment.objects.filter(pk=formal.pk).update(
        created_at=when["created"],
        updated_at=max(when.values()),
        applied_at=when["applied"],
        declaration_year=local_year(when["applied"]),
        decided_at=when.get("accepted"),
        team_confirmed_at=when.get("team"),
        conclusion_approved_at=when.get("sent"),
        sent_at=last_sent,
        contest_deadline=deadline,
        accepted_by_enterprise_at=when.get("result_accepted"),
        published_at=when.get("published"),
    )
    Assessment.objects.filter(pk=formal.assessment_id).update(created_at=when["created"])
    if "published" in when:
        Assessment.objects.filter(pk=formal.assessment_id).update(submitted_at=when["published"])
    ApplicationDocument.objects.filter(formal=formal).update(uploaded_at=when["created"])
    if "team" not in when:
        return
    team_signed = when["team"]
    TeamMember.objects.filter(formal=formal).update(
        added_at=team_signed, conflict_declared_at=team_signed, confidentiality_signed_at=team_signed
    )
    TeamMember.objects.filter(formal=formal, ratings_submitted_at__isnull=False).update(
        ratings_submitted_at=when["rated"]
    )
    AssessmentPlan.objects.filter(formal=formal).update(
        updated_at=when["planned"], confirmed_at=when["planned"]
    )
    for kind, step in ((MeetingKind.FIRST, "first_meeting"), (MeetingKind.FINAL, "final_meeting")):
        if step in when:
            Meeting.objects.filter(formal=formal, kind=kind).update(
                held_at=when[step], recorded_at=when[step]
            )
    WorkbookImport.objects.filter(assessment_id=formal.assessment_id).update(
        exported_at=when["rated"], created_at=when["rated"], applied_at=when["rated"]
    )
    ExpertRating.objects.filter(formal=formal).update(updated_at=when["rated"])
    if "settled" not in when:
        return
    Settlement.objects.filter(formal=formal).update(settled_at=when["settled"])
    RatingRecord.objects.filter(assessment_id=formal.assessment_id).update(updated_at=when["settled"])
    if "contested" not in when:
        return
    ContestPoint.objects.filter(formal=formal).update(
        submitted_at=when["contested"], answered_at=when["answered"]
    )
    Evidence.objects.filter(formal=formal, contest_point__isnull=False).update(
        created_at=when["contested"], collected_on=timezone.localdate(when["contested"])
    )
    # The ratings the team changed on answering the contest were settled again then (their round rose).
    again = Settlement.objects.filter(formal=formal, round__gt=0)
    RatingRecord.objects.filter(
        assessment_id=formal.assessment_id, requirement_id__in=again.values("requirement_id")
    ).update(updated_at=when["answered"])
    again.update(settled_at=when["answered"])


def _move_deadline(formal: FormalAssessment, when: Schedule, written: datetime.date) -> None:
    """Each sending (the result, then each re-scored version) set the contest deadline ten days after the load;
    its audit event and notifications name it. They are told the deadline ten days after their own moment."""
    url = f"/formal/{formal.pk}/"
    for step in ("sent", "answered"):
        if step not in when:
            continue
        wanted = (timezone.localdate(when[step]) + datetime.timedelta(days=results.CONTEST_DAYS)).isoformat()
        Notification.objects.filter(
            created_at=when[step], url__contains=url, text__contains=written.isoformat()
        ).update(text=Replace("text", Value(written.isoformat()), Value(wanted)))
        events = AuditEvent.objects.filter(
            at=when[step],
            object_type=FormalAssessment._meta.label_lower,
            object_id=str(formal.pk),
            new__contest_deadline=written.isoformat(),
        )
        for event in events:
            event.new = {**(event.new if isinstance(event.new, dict) else {}), "contest_deadline": wanted}
            event.save(update_fields=["new"])


def _repoint(enterprise: Enterprise) -> None:
    """The enterprise's latest result by the one rule (submission time, then version), now that the published
    formal result carries its publication date, with its copies (date, year) rewritten."""
    newest = (
        Result.objects.filter(assessment__enterprise=enterprise, assessment__state=AssessmentState.SUBMITTED)
        .select_related("assessment")
        .order_by("-assessment__submitted_at", "-version")
        .first()
    )
    if newest is not None:
        point_latest([latest_pointer(newest, newest.assessment)])


def _latest_self_assessment(enterprise: Enterprise) -> datetime.datetime | None:
    submitted: datetime.datetime | None = Assessment.objects.filter(
        enterprise=enterprise, kind=AssessmentKind.SELF, state=AssessmentState.SUBMITTED
    ).aggregate(last=Max("submitted_at"))["last"]
    return submitted


# The enterprises (by the admin login acting for each) of the four stages: the first is the demo enterprise
# logins' own, so its admin finds the published result, its history and the public list entry.
ENTERPRISE_ADMINS = ("demo-enterprise-admin", "demo-e02", "demo-e03", "demo-e04")


def load(
    *,
    body: Organisation,
    password: str,
    body_admin_username: str = "demo-body-admin",
    enterprise_admins: tuple[str, ...] = ENTERPRISE_ADMINS,
) -> None:
    """The roster and the demo formal assessments, one stage per enterprise admin login (after the demo
    enterprises and logins exist)."""
    body_admin = User.objects.get(username=body_admin_username)
    enterprises = []
    for username in enterprise_admins:
        membership = Membership.objects.select_related("user", "organisation__enterprise").get(
            user__username=username
        )
        enterprises.append((membership.organisation.enterprise, membership.user))
    stages = ("published", "consensus", "communication", "applied")
    now = timezone.now()
    runs = [
        (enterprise, admin, stage, schedule(stage, now, _latest_self_assessment(enterprise)))
        for (enterprise, admin), stage in zip(enterprises, stages, strict=False)
        if not FormalAssessment.objects.filter(enterprise=enterprise, body=body).exists()
    ]
    # The body kept its roster before any of the runs began (a profile saved on the load day read as if the
    # experts were listed after they had rated).
    listed = min((when["created"] for *_, when in runs), default=now) - datetime.timedelta(days=7)
    known = set(ExpertProfile.objects.filter(body=body).values_list("pk", flat=True))
    with _dated(listed):
        experts = roster(body, body_admin, password)
    ExpertProfile.objects.filter(pk__in=[e.pk for e in experts if e.pk not in known]).update(
        updated_at=listed
    )
    for enterprise, admin, stage, when in runs:
        formal = _run(stage, enterprise, admin, body, body_admin, experts, when)
        _backdate(formal, when)
        if stage == "published":
            _repoint(enterprise)


def _run(
    stage: str,
    enterprise: Enterprise,
    admin: User,
    body: Organisation,
    body_admin: User,
    experts: list[ExpertProfile],
    when: Schedule,
) -> FormalAssessment:
    """The workflow up to ``stage``, each step's events at its moment."""
    formal = _apply(enterprise, admin, body, when)
    if stage == "applied":
        return formal
    members = _to_onsite(formal, admin, body_admin, experts, when)
    with _dated(when["rated"]):
        disputed = _rate(formal, members)
    if stage == "consensus":
        return formal
    with _dated(when["settled"]):
        _settle(formal, members[0].expert.user, disputed)
    with _dated(when["sent"]):
        _send(formal, members)
    if stage == "published":
        _publish_after_contest(formal, members, admin, body_admin, when)
    return formal
