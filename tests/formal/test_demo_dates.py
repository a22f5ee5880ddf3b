"""The demo's formal assessments tell one story in dates (QA F5/O4): every date in the past, in the order the
steps happen, after the enterprise's latest self-assessment; the report's cover, its comparison with the
previous assessment, the timeline and the enterprise's latest-result pointer read the same dates."""

from __future__ import annotations

import datetime
import itertools
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.db import transaction
from django.db.models import Max
from django.test import override_settings
from django.utils import timezone

from nfmaturity.accounts.models import Notification
from nfmaturity.assessments.models import (
    Assessment,
    AssessmentKind,
    AssessmentState,
    LatestResult,
    RatingRecord,
    Result,
    WorkbookImport,
)
from nfmaturity.audit.models import AuditEvent
from nfmaturity.formal import demo
from nfmaturity.formal.models import (
    ApplicationDocument,
    AssessmentPlan,
    ContestPoint,
    Evidence,
    ExpertProfile,
    ExpertRating,
    FormalAssessment,
    FormalState,
    Meeting,
    MeetingKind,
    PlanKind,
    ResultVersion,
    Settlement,
    TeamMember,
)
from nfmaturity.formal.services_results import CONTEST_DAYS
from nfmaturity.formal.timeline import timeline
from nfmaturity.reports.content import report_content
from nfmaturity.reports.pdf import build_pdf
from nfmaturity.web.demo import load_demo
from tests.reports.conftest import keep
from tests.web.conftest import PASSWORD
from tests.web.test_stored_scores import assert_latest_tied

Moment = datetime.datetime


@pytest.fixture(scope="module")
def loaded(
    django_db_setup: None, django_db_blocker: object, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Moment]:
    """The whole demo, loaded once for the module (each test still runs in its own savepoint); gives the moment
    the load began."""
    media = tmp_path_factory.mktemp("media")
    with (
        override_settings(MEDIA_ROOT=media),
        django_db_blocker.unblock(),  # type: ignore[attr-defined]
        transaction.atomic(),
    ):
        started = timezone.now()
        load_demo(PASSWORD)
        yield started
        transaction.set_rollback(True)


def _day(moment: Moment | None) -> str:
    """A date as the report writes it."""
    return timezone.localtime(moment).strftime("%Y年%m月%d日") if moment else "—"


def _max(values: list[Moment | None]) -> Moment | None:
    present = [v for v in values if v is not None]
    return max(present) if present else None


def _min(values: list[Moment | None]) -> Moment | None:
    present = [v for v in values if v is not None]
    return min(present) if present else None


def chronology(formal: FormalAssessment) -> list[tuple[str, Moment | None]]:
    """Every date of the formal assessment's rows, in the order the workflow makes them (None: not reached)."""
    team = list(TeamMember.objects.filter(formal=formal))
    plans = list(AssessmentPlan.objects.filter(formal=formal))
    meetings = {m.kind: m for m in Meeting.objects.filter(formal=formal)}
    versions = {
        v.result.version: v for v in ResultVersion.objects.filter(formal=formal).select_related("result")
    }
    points = list(ContestPoint.objects.filter(formal=formal))
    settlements = list(Settlement.objects.filter(formal=formal))
    imports = list(WorkbookImport.objects.filter(assessment=formal.assessment))
    records = list(
        RatingRecord.objects.filter(assessment=formal.assessment).values_list("updated_at", flat=True)
    )
    evidence = list(Evidence.objects.filter(formal=formal))
    first, final = meetings.get(MeetingKind.FIRST), meetings.get(MeetingKind.FINAL)
    v1, v2 = versions.get(1), versions.get(2)
    return [
        ("评估开始（申请创建）", formal.created_at),
        ("评估开始（评估记录）", formal.assessment.created_at),
        ("申请材料上传", _max([d.uploaded_at for d in ApplicationDocument.objects.filter(formal=formal)])),
        ("提交申请", formal.applied_at),
        ("受理", formal.decided_at),
        ("专家加入评估组", _max([m.added_at for m in team])),
        (
            "签署声明",
            _max([m.confidentiality_signed_at for m in team] + [m.conflict_declared_at for m in team]),
        ),
        ("评估组确认", formal.team_confirmed_at),
        ("评估计划保存", _max([p.updated_at for p in plans])),
        ("评估计划确认", _max([p.confirmed_at for p in plans])),
        ("首次会议", first.held_at if first else None),
        ("首次会议记录", first.recorded_at if first else None),
        ("现场评估表导出", _min([i.exported_at for i in imports])),
        ("现场评估表导入", _max([i.applied_at for i in imports] + [i.created_at for i in imports])),
        ("专家评分", _max([r.updated_at for r in ExpertRating.objects.filter(formal=formal)])),
        ("专家提交评分", _max([m.ratings_submitted_at for m in team])),
        ("合议（首轮）", _min([s.settled_at for s in settlements])),
        ("合议后的评分", _min(list(records))),
        ("结论审定", formal.conclusion_approved_at),
        ("第 1 版结果", v1.result.created_at if v1 else None),
        ("第 1 版结果记录", v1.created_at if v1 else None),
        ("提出异议", _min([p.submitted_at for p in points])),
        ("异议证据", _max([e.created_at for e in evidence])),
        ("答复异议", _max([p.answered_at for p in points])),
        ("再次合议", _max([s.settled_at for s in settlements if s.round > 0])),
        ("再次合议后的评分", _max(list(records)) if any(s.round > 0 for s in settlements) else None),
        ("第 2 版结果", v2.result.created_at if v2 else None),
        ("第 2 版结果记录", v2.created_at if v2 else None),
        ("最近一次发送结果", formal.sent_at),
        ("企业确认结果", formal.accepted_by_enterprise_at),
        ("末次会议", final.held_at if final else None),
        ("末次会议记录", final.recorded_at if final else None),
        ("结果发布", formal.published_at),
        ("评估提交（发布）", formal.assessment.submitted_at),
        ("最后更新", formal.updated_at),
    ]


def _formals() -> list[FormalAssessment]:
    return list(FormalAssessment.objects.select_related("assessment", "enterprise").order_by("pk"))


def test_each_formal_assessment_has_one_chronology_in_the_past(loaded: Moment, db: None) -> None:
    formals = _formals()
    assert {f.state for f in formals} == {
        FormalState.PUBLISHED,
        FormalState.CONSENSUS,
        FormalState.COMMUNICATION,
        FormalState.APPLIED,
    }
    for formal in formals:
        dates = [(label, moment) for label, moment in chronology(formal) if moment is not None]
        # Every step of the run is dated before the load began, and the steps come in the workflow's order.
        late = [label for label, moment in dates if moment >= loaded]
        assert not late, (formal.state, late)
        for (label, moment), (next_label, next_moment) in itertools.pairwise(dates):
            assert moment <= next_moment, (formal.state, label, moment, next_label, next_moment)
        # The enterprise assessed itself, then applied.
        self_assessed = Assessment.objects.filter(
            enterprise=formal.enterprise, kind=AssessmentKind.SELF, state=AssessmentState.SUBMITTED
        ).aggregate(last=Max("submitted_at"))["last"]
        assert formal.applied_at is not None
        assert self_assessed < formal.applied_at, formal.state
        assert formal.declaration_year == timezone.localtime(formal.applied_at).year
    reached = {f.state: len([m for _, m in chronology(f) if m is not None]) for f in formals}
    assert reached[FormalState.PUBLISHED] == len(chronology(formals[0]))  # every step dated, none missing
    assert reached[FormalState.APPLIED] < reached[FormalState.CONSENSUS] < reached[FormalState.COMMUNICATION]


def test_plans_and_contest_deadlines_follow_the_steps(loaded: Moment, db: None) -> None:
    for formal in _formals():
        plans = {p.kind: p for p in AssessmentPlan.objects.filter(formal=formal)}
        if formal.state == FormalState.APPLIED:
            assert not plans and formal.contest_deadline is None
            continue
        first = Meeting.objects.get(formal=formal, kind=MeetingKind.FIRST).held_at
        rated = _max([m.ratings_submitted_at for m in TeamMember.objects.filter(formal=formal)])
        pre, main = plans[PlanKind.PRE], plans[PlanKind.FORMAL]
        assert pre.confirmed_at is not None and rated is not None
        # The pre-assessment between planning and the first meeting; the formal one from there to the ratings.
        assert (
            timezone.localdate(pre.confirmed_at)
            <= pre.start_date
            == pre.end_date
            <= timezone.localdate(first)
        )
        assert (main.start_date, main.end_date) == (timezone.localdate(first), timezone.localdate(rated))
        if formal.sent_at is None:
            assert formal.contest_deadline is None
            continue
        # Ten days after the latest sending; the communication one is still open at the load.
        assert formal.contest_deadline == timezone.localdate(formal.sent_at) + datetime.timedelta(
            days=CONTEST_DAYS
        )
        if formal.state == FormalState.COMMUNICATION:
            assert formal.contest_deadline >= timezone.localdate(loaded)
        # Each notice of a sending names the deadline ten days after that notice.
        notices = Notification.objects.filter(
            url__startswith=f"/formal/{formal.pk}/", text__contains="如有异议请于"
        )
        assert notices.exists()
        for notice in notices:
            named = re.search(r"\d{4}-\d{2}-\d{2}", notice.text)
            assert named is not None
            expected = timezone.localdate(notice.created_at) + datetime.timedelta(days=CONTEST_DAYS)
            assert named.group() == expected.isoformat(), notice.text
        sent_events = AuditEvent.objects.filter(
            object_type="formal.formalassessment", object_id=str(formal.pk), new__has_key="contest_deadline"
        )
        assert sent_events.exists()
        for event in sent_events:
            expected = timezone.localdate(event.at) + datetime.timedelta(days=CONTEST_DAYS)
            assert event.new["contest_deadline"] == expected.isoformat()


def test_timeline_and_notifications_carry_the_steps_dates(loaded: Moment, db: None) -> None:
    for formal in _formals():
        events = list(
            AuditEvent.objects.filter(
                object_type="formal.formalassessment", object_id=str(formal.pk)
            ).order_by("pk")
        )
        assert events
        # In the order they were written, and within the run's dates.
        assert [e.at for e in events] == sorted(e.at for e in events)
        assert formal.created_at <= events[0].at and events[-1].at <= formal.updated_at < loaded
        entries = timeline(formal)
        assert entries and all(formal.created_at <= e.at < loaded for e in entries)
        notices = Notification.objects.filter(url__startswith=f"/formal/{formal.pk}/")
        assert notices.exists(), formal.state
        assert all(formal.created_at <= n.created_at <= formal.updated_at for n in notices)


def test_the_roster_was_kept_before_the_runs_began(loaded: Moment, db: None) -> None:
    began = min(f.created_at for f in _formals())
    profiles = list(ExpertProfile.objects.all())
    assert len(profiles) >= len(demo.EXPERTS)
    assert all(p.updated_at < began for p in profiles)
    saved = AuditEvent.objects.filter(object_type="formal.expertprofile")
    assert saved.count() >= len(demo.EXPERTS)
    assert all(e.at < began for e in saved)


def _published() -> FormalAssessment:
    return FormalAssessment.objects.select_related("assessment", "published_result").get(
        state=FormalState.PUBLISHED
    )


def test_the_report_cover_and_comparison_read_the_same_dates(loaded: Moment, db: None) -> None:
    formal = _published()
    result = formal.published_result
    assert result is not None and formal.published_at is not None
    content = report_content(result)
    cover = {field.label: field.value for field in content.cover}
    assert cover["评估开始"] == _day(formal.created_at) == _day(formal.assessment.created_at)
    assert cover["结果形成"] == _day(result.created_at)  # the version reported, formed before publication
    assert cover["结果发布"] == _day(formal.published_at)
    assert cover["结果编号"] == formal.result_number
    assert (formal.result_number or "").split("-")[1] == str(timezone.localtime(formal.published_at).year)
    basics = {field.label: field.value for field in content.basics}
    assert basics["结果版本"] == f"第 2 版（{_day(result.created_at)}）"
    # "与上次评估比较": the enterprise's earlier self-assessment of the same subject (the whole enterprise),
    # last year's, dated as it was submitted.
    earlier = (
        Result.objects.filter(
            assessment__enterprise=formal.enterprise,
            assessment__kind=AssessmentKind.SELF,
            assessment__state=AssessmentState.SUBMITTED,
            assessment__unit__isnull=True,
        )
        .select_related("assessment")
        .latest("created_at")
    )
    assert earlier.created_at == earlier.assessment.submitted_at < formal.created_at
    assert content.change is not None
    assert content.change.label == f"{_day(earlier.created_at)} 自评估"
    meetings = {field.label: field.value for field in content.formal.meetings} if content.formal else {}
    final = Meeting.objects.get(formal=formal, kind=MeetingKind.FINAL)
    assert meetings["末次会议"].startswith(timezone.localtime(final.held_at).strftime("%Y-%m-%d %H:%M"))
    assert final.held_at <= formal.published_at


def test_the_latest_result_pointer_is_the_published_result_with_its_date(loaded: Moment, db: None) -> None:
    assert_latest_tied()  # every enterprise: the newest submitted result, date and year copied
    formal = _published()
    pointer = LatestResult.objects.get(enterprise=formal.enterprise)
    assert formal.published_at is not None
    assert pointer.result_id == formal.published_result_id
    assert pointer.kind == AssessmentKind.FORMAL
    assert pointer.submitted_at == formal.published_at == formal.assessment.submitted_at
    assert pointer.submitted_year == timezone.localtime(formal.published_at).year
    # The other stages are not submitted: their enterprises' latest results stay their self-assessments.
    for other in FormalAssessment.objects.exclude(pk=formal.pk):
        assert LatestResult.objects.get(enterprise=other.enterprise).kind == AssessmentKind.SELF


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils 未安装")
def test_the_pdf_cover_names_the_runs_dates(loaded: Moment, db: None, tmp_path: Path) -> None:
    formal = _published()
    assert formal.published_result is not None
    pdf = build_pdf(formal.published_result)
    keep("formal-demo.pdf", pdf)
    path = tmp_path / "report.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(
        ["pdftotext", "-f", "1", "-l", "1", str(path), "-"], capture_output=True, check=True
    ).stdout.decode("utf-8")
    page = re.sub(r"\s+", "", text)
    assert f"评估开始{_day(formal.created_at)}" in page
    assert f"结果发布{_day(formal.published_at)}" in page
    assert f"结果形成{_day(formal.published_result.created_at)}" in page


def test_schedule_squeezes_a_run_after_a_recent_self_assessment_and_keeps_the_publication_in_the_year() -> (
    None
):
    now = timezone.make_aware(datetime.datetime(2027, 1, 3, 10, 0))
    nominal = demo.schedule("published", now, None)
    assert list(nominal) == list(demo.STEPS)
    assert list(nominal.values()) == sorted(nominal.values()) and max(nominal.values()) < now
    # At office hours, each step of a day half an hour after the one before.
    assert all(
        datetime.time(9, 0) <= timezone.localtime(m).time() <= datetime.time(16, 0) for m in nominal.values()
    )
    # 12 days before the load would be last year: the result number carries the year it is issued in.
    assert nominal["published"] == timezone.make_aware(datetime.datetime(2027, 1, 1, 15, 30))
    after = now - datetime.timedelta(days=5)
    squeezed = demo.schedule("consensus", now, after)
    assert list(squeezed) == list(demo.STEPS[:7])
    assert after < squeezed["created"] and max(squeezed.values()) < now
    assert list(squeezed.values()) == sorted(squeezed.values())
    # Squeezed into the last hours, the steps wait for the office to open, and stay before the load.
    recent = now - datetime.timedelta(hours=3)
    tight = demo.schedule("communication", now, recent)
    assert recent < min(tight.values()) and max(tight.values()) < now
    assert list(tight.values()) == sorted(tight.values())
    assert all(datetime.time(9, 0) <= timezone.localtime(m).time() < now.time() for m in tight.values())
    # At night, with the office closed since the self-assessment, they keep their moments.
    night = timezone.make_aware(datetime.datetime(2027, 1, 3, 2, 0))
    evening = night - datetime.timedelta(hours=7)
    late = demo.schedule("consensus", night, evening)
    assert evening < min(late.values()) and max(late.values()) < night
    assert list(late.values()) == sorted(late.values())
    # Over a few days, each step is at office hours.
    days = demo.schedule("consensus", now, now - datetime.timedelta(days=1, hours=8))
    assert list(days.values()) == sorted(days.values()) and max(days.values()) < now
    assert all(
        datetime.time(9, 0) <= timezone.localtime(m).time() < datetime.time(18, 0) for m in days.values()
    )
    # A self-assessment before the nominal start leaves the run as it is.
    early = demo.schedule("applied", now, now - datetime.timedelta(days=30))
    assert early["applied"] == timezone.make_aware(datetime.datetime(2027, 1, 1, 9, 30))
