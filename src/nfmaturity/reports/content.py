"""Every figure and text of the assessment report, read from the stored result (issue 11 point 1).

Pure data for both renderers (``reports.pdf`` and ``reports.docx``): they lay it out and never compute. The figures
come from the stored ``Result`` through the results page's own reader (``assessments.report.stored_figures``),
shown truncated to two decimals (``scoring.display``); strengths and weaknesses of a self-assessment are the
results page's own (``assessments.report.standouts``: a 0.00 sub-domain is never a strength). A change since the
previous assessment is the difference of the two figures as shown (standard-notes §2 rule 7). The improvement
advice is the planner's plan to the next grade without a 等级跳跃 (rule 10), re-scored from the locked ratings
and checked against the stored result; a formal assessment adds the team's own texts.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from fractions import Fraction

from django.db.models import F, Q
from django.utils import timezone

from nfmaturity.analytics.peers import peer_position
from nfmaturity.assessments import report
from nfmaturity.assessments.catalogs import SectorView, sector_view
from nfmaturity.assessments.errors import AssessmentError
from nfmaturity.assessments.models import (
    Assessment,
    AssessmentKind,
    AssessmentState,
    Attachment,
    RatingRecord,
    RatingValue,
    Result,
)
from nfmaturity.assessments.results import parse_exact, shown
from nfmaturity.assessments.selectors import latest_result
from nfmaturity.catalog.model import LEVELS
from nfmaturity.formal.models import (
    ContestPoint,
    Evidence,
    ExpertRating,
    FormalAssessment,
    FormalState,
    Meeting,
    Settlement,
    SettlementMethod,
    TeamMember,
)
from nfmaturity.plans.models import ActionStatus, ImprovementPlan
from nfmaturity.plans.roadmap import BUILD, EFFORT_UNIT, HAVE
from nfmaturity.plans.scenarios import SCENARIOS
from nfmaturity.plans.selectors import cached_roadmap, current_plan
from nfmaturity.reports.qr import verification_url
from nfmaturity.scoring.display import format_truncated
from nfmaturity.scoring.grading import MET_THRESHOLD, THRESHOLD_READING
from nfmaturity.scoring.ratings import Rating

REPORT_TITLE = "有色金属行业数字化转型成熟度评估报告"
# A flagged requirement of the consensus: the experts' ratings differ by this much or more (standard-notes §2 rule 8).
DISAGREEMENT = Fraction(1, 2)

RENORMALISATION = (
    "能力子域得分为该子域在该等级各条要求得分的算术平均（公式3）；能力域得分为其子域得分按表1权重加权（公式2）；"
    "等级得分为各能力域得分按能力域权重加权（公式1）。某子域在某等级没有要求、或其要求均为“不适用”时，"
    "该子域不参与该等级计分，权重在本能力域内按比例重新归一，不在能力域之间转移。"
)
TRUNCATION = (
    "全部计算采用精确分数，等级判定按精确值进行；报告中的数值截断（不四舍五入）保留两位小数，"
    "两次评估之差按两次显示值相减。"
)
RATING_SCALE = (
    "要求评分（表2）：全部满足 1，大部分满足 0.8，部分满足 0.5，不满足 0；“不适用”须写明理由，不计入均值。"
)
TOTAL_RULE = "满足的等级计 1 分，未满足的等级计实际得分，五个等级相加得总分 S（0–5），按表3确定等级。"


@dataclass(frozen=True)
class Field:
    label: str
    value: str


@dataclass(frozen=True)
class LevelLine:
    label: str  # S1
    score: str  # 0.83
    met: bool
    counted: str  # what it adds to the total
    fraction: float  # 0..1, the shown figure, for charts only (bar length)
    previous: str | None = None  # the previous assessment's score at this level, as shown
    delta: str | None = None  # the difference of the two shown figures


@dataclass(frozen=True)
class Cell:
    shown: str  # "0.83" or "—"
    heat: str  # the results page's colour band (heat-0 … heat-4, heat-none)


@dataclass(frozen=True)
class SubdomainLine:
    domain: str
    name: str
    cells: tuple[Cell, ...]  # S1..S5
    maturity: str


@dataclass(frozen=True)
class DomainSection:
    name: str
    maturity: str
    value: float  # 0..5, the shown figure, for the radar only
    levels: tuple[Cell, ...]  # the domain's score at S1..S5
    subdomains: tuple[SubdomainLine, ...]
    change: str | None  # "+0.48" since the previous assessment, when there is one


@dataclass(frozen=True)
class Change:
    """The previous assessment of the same enterprise, unit and sector, and the differences as shown."""

    label: str  # 2025-03-01 自评估
    previous_total: str
    previous_grade: str
    total_delta: str
    levels: tuple[tuple[str, str, str, str], ...]  # (S1, previous, now, delta)


@dataclass(frozen=True)
class PeerLine:
    """Where the result stands among comparable enterprises (``analytics.peers``): percentiles only."""

    group: str
    others: int
    total_percentile: int
    domains: tuple[tuple[str, int], ...]


@dataclass(frozen=True)
class Standout:
    domain: str
    name: str
    maturity: str


@dataclass(frozen=True)
class Action:
    """One capability of the 一企一策 roadmap (``plans.roadmap``)."""

    level: str  # S3
    scenario: str
    domain: str
    subdomain: str
    number: int  # the requirement's number in its cell
    title: str  # the capability to build, from the requirement text
    have: str  # 尚未具备 / 部分具备 / 大部分具备
    build: str  # 初步建立 / 基本建成 / 全面建成
    effort: int  # 人周: the default, or as the enterprise set it in its saved plan
    owner: str = ""  # from the enterprise's saved plan, when there is one
    due: str = ""
    status: str = ""


@dataclass(frozen=True)
class ScenarioAdvice:
    scenario: str  # 生产、管理 … (plans.scenarios)
    effort: int
    actions: tuple[Action, ...]


@dataclass(frozen=True)
class Advice:
    enterprise_level: tuple[str, ...]  # paragraphs
    scenarios: tuple[ScenarioAdvice, ...]
    plan_note: str  # which path is shown, and what it leads to
    saved_plan: bool = False  # the actions are the enterprise's saved plan (owners, due dates, status)


@dataclass(frozen=True)
class NotApplicable:
    label: str  # 组织建设 S1 第1条
    domain: str
    text: str
    reason: str


@dataclass(frozen=True)
class EvidenceLine:
    requirements: str  # the requirement labels it supports
    name: str
    method: str
    date: str
    digest: str  # the first 12 hex digits of the file's SHA-256, or "—"


@dataclass(frozen=True)
class TeamLine:
    name: str
    role: str
    title: str
    disciplines: str
    signed: str


@dataclass(frozen=True)
class ContestLine:
    requirement: str
    argument: str
    state: str
    answer: str
    change: str  # 部分满足 → 大部分满足, or "—"


@dataclass(frozen=True)
class FormalSection:
    body: str
    state: str
    result_number: str
    check_code: str
    team: tuple[TeamLine, ...]
    consensus: tuple[Field, ...]
    contests: tuple[ContestLine, ...]
    meetings: tuple[Field, ...]
    overall: str
    final_conclusion: str
    signatories: tuple[str, ...]  # who signs the signatures page


@dataclass(frozen=True)
class ReportContent:
    title: str
    kind: str  # 自评估 / 正式评估
    is_formal: bool
    enterprise: str
    subject: str  # the unit, or 企业整体
    sector: str
    body: str  # the assessment body, or 企业自评
    result_number: str  # "—" for a self-assessment
    cover: tuple[Field, ...]
    basics: tuple[Field, ...]
    total: str
    grade: str
    grade_description: str
    consecutive_level: str
    warning: str | None
    levels: tuple[LevelLine, ...]
    domains: tuple[DomainSection, ...]
    change: Change | None
    peer: PeerLine | None
    strengths: tuple[Standout, ...]
    weaknesses: tuple[Standout, ...]
    strengths_text: str  # the team's conclusion (formal); empty for a self-assessment
    weaknesses_text: str
    advice: Advice
    not_applicable: tuple[NotApplicable, ...]
    evidence: tuple[EvidenceLine, ...]
    methodology: tuple[Field, ...]
    formal: FormalSection | None
    verification_url: str | None  # published formal results only
    self_assessment_notice: str | None
    generated_at: str
    footer: str  # the running footer/header text
    level_labels: tuple[str, ...] = field(default=tuple(level.label for level in LEVELS))


def _date(value: datetime | None) -> str:
    return timezone.localtime(value).strftime("%Y年%m月%d日") if value else "—"


def _delta(now: str, before: str) -> str:
    """The difference of two shown figures, as a reader would compute it (rule 7)."""
    difference = Fraction(now) - Fraction(before)
    sign = "+" if difference > 0 else ("−" if difference < 0 else "±")
    return f"{sign}{format_truncated(abs(difference))}"


def _previous(assessment: Assessment, result: Result) -> Result | None:
    """The latest result of an earlier assessment of the same enterprise, unit and sector: a submitted
    self-assessment, or a formal assessment's published result."""
    counted = Q(assessment__kind=AssessmentKind.SELF, assessment__state=AssessmentState.SUBMITTED) | Q(
        assessment__kind=AssessmentKind.FORMAL, assessment__formal__published_result=F("pk")
    )
    same_subject = (
        Q(assessment__unit__isnull=True)
        if assessment.unit_id is None
        else Q(assessment__unit=assessment.unit_id)
    )
    return (
        Result.objects.filter(
            counted,
            same_subject,
            assessment__enterprise_id=assessment.enterprise_id,
            assessment__sector=assessment.sector,
            created_at__lt=result.created_at,
        )
        .exclude(assessment_id=assessment.pk)
        .select_related("assessment")
        .order_by("-created_at", "-version")
        .first()
    )


def _change(result: Result, previous: Result | None) -> Change | None:
    if previous is None:
        return None
    levels = []
    for level in LEVELS:
        now = shown(Fraction(result.levels[str(int(level))]))
        before = shown(Fraction(previous.levels[str(int(level))]))
        levels.append((level.label, before, now, _delta(now, before)))
    before_total = shown(Fraction(previous.total))
    return Change(
        label=f"{_date(previous.created_at)} {previous.assessment.get_kind_display()}",
        previous_total=before_total,
        previous_grade=previous.get_grade_display(),
        total_delta=_delta(shown(Fraction(result.total)), before_total),
        levels=tuple(levels),
    )


def _domain_sections(
    view: SectorView, result: Result, figures: report.Figures, previous: Result | None
) -> tuple[DomainSection, ...]:
    sections = []
    for name, maturity in figures.domains:
        stored = result.domains.get(name, {})
        cells = tuple(
            Cell(shown(value), report.heat_class(value))
            for value in (parse_exact(stored.get("levels", {}).get(str(int(level)))) for level in LEVELS)
        )
        rows = tuple(
            SubdomainLine(
                domain=row.row.domain,
                name=row.row.name,
                cells=tuple(Cell(shown(value), heat) for value, heat, _ in row.cells),
                maturity=shown(row.maturity),
            )
            for row in figures.rows
            if row.row.domain == name
        )
        change = None
        if previous is not None:
            before = parse_exact(previous.domains.get(name, {}).get("maturity"))
            if maturity is not None and before is not None:
                change = _delta(shown(maturity), shown(before))
        sections.append(
            DomainSection(
                name=name,
                maturity=shown(maturity),
                value=float(Fraction(shown(maturity))) if maturity is not None else 0.0,
                levels=cells,
                subdomains=rows,
                change=change,
            )
        )
    return tuple(sections)


def _advice(assessment: Assessment, result: Result, formal: FormalAssessment | None) -> Advice:
    """改造建议 at both levels of §4.6.4: the team's own advice (formal), then the 一企一策 roadmap's enterprise-level
    advice and its capabilities by scenario. When the enterprise saved a plan from this result, that plan is shown
    (with owners, due dates and status); otherwise the default roadmap (逐级达标: no 等级跳跃 at the end) to the
    first grade it offers, re-scored from the locked ratings and checked against the stored result."""
    paragraphs: list[str] = []
    if formal is not None and formal.recommendations.strip():
        paragraphs.extend(p.strip() for p in formal.recommendations.splitlines() if p.strip())
    saved = current_plan(assessment)
    if saved is not None and saved.result_id == result.pk:
        return _saved_advice(saved, paragraphs)
    latest = latest_result(assessment)
    if latest is None or latest.pk != result.pk:
        note = "本报告所据结果不是该评估的最新版本，提升路线图以最新版本为准，此处不列出。"
        return Advice(tuple(paragraphs), (), note)
    try:
        roadmap = cached_roadmap(assessment, result, target_grade=None, literal=False)
    except AssessmentError as exc:
        return Advice(tuple(paragraphs), (), exc.message)
    paragraphs.extend(roadmap.enterprise_advice)
    scenarios = tuple(
        ScenarioAdvice(
            scenario=group.name,
            effort=group.effort,
            actions=tuple(
                Action(
                    level=a.level_label,
                    scenario=a.scenario,
                    domain=a.domain,
                    subdomain=a.subdomain,
                    number=a.number,
                    title=a.title,
                    have=a.have,
                    build=a.build,
                    effort=a.effort,
                )
                for a in group.actions
            ),
        )
        for group in roadmap.scenario_groups()
    )
    if not roadmap.actions:
        return Advice(tuple(paragraphs), (), "已达到最高等级且不存在等级跳跃，无需新增能力建设。")
    held = f"，连续满足至 S{roadmap.reaches_consecutive}" if roadmap.reaches_consecutive else ""
    ending = f"；{roadmap.warning}" if roadmap.warning else "，不出现等级跳跃"
    note = (
        f"一企一策路线图（{roadmap.path}，目标{roadmap.target_label}）：完成以下 {len(roadmap.actions)} 项能力建设"
        f"（估算 {roadmap.total_effort} {EFFORT_UNIT}，按等级与企业规模估算）后，总分由 {shown(roadmap.before_total)} "
        f"提高到 {shown(roadmap.reaches_total)}，评定为{roadmap.reaches_label}{held}{ending}。"
        "同一等级内先做的能力列在前面；企业保存为计划后可逐项指定负责人、期限与预算。"
    )
    return Advice(tuple(paragraphs), scenarios, note)


def _saved_advice(saved: ImprovementPlan, paragraphs: list[str]) -> Advice:
    """The enterprise's saved plan as the report's 改造建议: its actions as edited, grouped by scenario."""
    paragraphs.extend(str(p) for p in saved.enterprise_advice)
    actions = list(saved.actions.all())
    by_scenario: dict[str, list[Action]] = {}
    for a in actions:
        by_scenario.setdefault(a.scenario, []).append(
            Action(
                level=f"S{a.level}",
                scenario=a.scenario,
                domain=a.domain,
                subdomain=a.subdomain,
                number=0,
                title=a.title,
                have=HAVE.get(Rating(a.current_rating), a.get_current_rating_display()),
                build=BUILD.get(Rating(a.target_rating), a.get_target_rating_display()),
                effort=a.effort,
                owner=a.owner,
                due=a.due_date.strftime("%Y-%m-%d") if a.due_date else "",
                status=a.get_status_display(),
            )
        )
    order = [name for name in SCENARIOS if name in by_scenario] + [
        n for n in by_scenario if n not in SCENARIOS
    ]
    scenarios = tuple(
        ScenarioAdvice(name, sum(a.effort for a in by_scenario[name]), tuple(by_scenario[name]))
        for name in order
    )
    done = sum(1 for a in actions if a.status == ActionStatus.DONE)
    note = (
        f"企业已保存的提升计划（{saved.get_path_display()}，目标{saved.get_target_grade_display()}，"
        f"{timezone.localtime(saved.created_at).strftime('%Y-%m-%d')} 制定）：{len(actions)} 项能力建设，"
        f"合计 {sum(a.effort for a in actions)} {EFFORT_UNIT}，已完成 {done} 项。全部完成后总分由 "
        f"{shown(Fraction(saved.before_total))} 提高到 {shown(Fraction(saved.reaches_total))}，"
        f"评定为{saved.get_reaches_grade_display()}。"
    )
    return Advice(tuple(paragraphs), scenarios, note, saved_plan=True)


def _peer(result: Result) -> PeerLine | None:
    position = peer_position(result)
    if position is None:
        return None
    return PeerLine(
        group=position.group_label,
        others=position.others,
        total_percentile=position.total_percentile,
        domains=tuple(position.domains),
    )


def _not_applicable(view: SectorView, assessment: Assessment) -> tuple[NotApplicable, ...]:
    records = RatingRecord.objects.filter(
        assessment=assessment, value=RatingValue.NOT_APPLICABLE
    ).values_list("requirement_id", "reason")
    lines = []
    for requirement_id, reason in records:
        requirement = view.requirements.get(requirement_id)
        if requirement is None:
            continue
        row = view.rows[view.row_index[requirement.row]]
        lines.append(
            (
                (view.row_index[requirement.row], int(requirement.level), requirement.number),
                NotApplicable(
                    f"{row.name} {requirement.level.label} 第{requirement.number}条",
                    row.domain,
                    requirement.text,
                    reason or "—",
                ),
            )
        )
    return tuple(line for _, line in sorted(lines, key=lambda item: item[0]))


def _label(view: SectorView, requirement_id: str) -> str:
    requirement = view.requirements.get(requirement_id)
    if requirement is None:
        return requirement_id
    row = view.rows[view.row_index[requirement.row]]
    return f"{row.name} {requirement.level.label} 第{requirement.number}条"


def _evidence(
    view: SectorView, assessment: Assessment, formal: FormalAssessment | None
) -> tuple[EvidenceLine, ...]:
    if formal is not None:
        lines = []
        for item in (
            Evidence.objects.filter(formal=formal).prefetch_related("links").order_by("collected_on", "id")
        ):
            labels = "；".join(_label(view, link.requirement_id) for link in item.links.all()) or "—"
            lines.append(
                EvidenceLine(
                    requirements=labels,
                    name=item.original_name or item.description,
                    method=item.get_method_display() or item.get_source_display(),
                    date=item.collected_on.strftime("%Y-%m-%d"),
                    digest=item.sha256[:12] if item.sha256 else "—",
                )
            )
        return tuple(lines)
    return tuple(
        EvidenceLine(
            requirements=_label(view, a.requirement_id),
            name=a.original_name,
            method="企业上传",
            date=timezone.localtime(a.uploaded_at).strftime("%Y-%m-%d"),
            digest=a.sha256[:12],
        )
        for a in Attachment.objects.filter(assessment=assessment).order_by("uploaded_at", "id")
    )


def _consensus(formal: FormalAssessment) -> tuple[Field, ...]:
    methods = Counter(Settlement.objects.filter(formal=formal).values_list("method", flat=True))
    spread: dict[str, list[Fraction]] = defaultdict(list)
    for requirement_id, value in ExpertRating.objects.filter(formal=formal).values_list(
        "requirement_id", "value"
    ):
        score = Rating(value).score
        if score is not None:
            spread[requirement_id].append(score)
    flagged = sum(1 for scores in spread.values() if max(scores) - min(scores) >= DISAGREEMENT)
    raters = TeamMember.objects.filter(formal=formal, ratings_submitted_at__isnull=False).count()
    total = sum(methods.values())
    fields = [
        Field("独立评分的专家人数", str(raters)),
        Field("合议确定的要求条数", str(total)),
    ]
    fields.extend(
        Field(f"其中：{method.label}", str(methods.get(method.value, 0))) for method in SettlementMethod
    )
    fields.append(Field("专家评分相差 0.5 及以上、经合议确定的要求", f"{flagged} 条"))
    fields.append(Field("合议规则", "以专家评分的中位数为建议值（并列取较低值），由评估组确定并记录理由"))
    return tuple(fields)


def _formal_section(view: SectorView, formal: FormalAssessment) -> FormalSection:
    team = tuple(
        TeamLine(
            name=m.expert.full_name,
            role="组长" if m.is_leader else "成员",
            title=m.expert.title or "—",
            disciplines="、".join(m.expert.discipline_labels) or "—",
            signed=_date(m.confidentiality_signed_at),
        )
        for m in TeamMember.objects.filter(formal=formal).select_related("expert")
    )
    contests = tuple(
        ContestLine(
            requirement=_label(view, c.requirement_id),
            argument=c.argument,
            state=c.get_state_display(),
            answer=c.answer or "—",
            change=(
                f"{RatingValue(c.old_value).label} → {RatingValue(c.new_value).label}"
                if c.old_value and c.new_value and c.old_value != c.new_value
                else "—"
            ),
        )
        for c in ContestPoint.objects.filter(formal=formal).order_by("submitted_at", "id")
    )
    meetings = tuple(
        Field(
            m.get_kind_display(),
            f"{timezone.localtime(m.held_at).strftime('%Y-%m-%d %H:%M')}"
            f"{('，' + m.place) if m.place else ''}；参会：{m.attendees}",
        )
        for m in Meeting.objects.filter(formal=formal)
    )
    return FormalSection(
        body=formal.body.name,
        state=formal.get_state_display(),
        result_number=formal.result_number or "—",
        check_code=formal.check_code or "—",
        team=team,
        consensus=_consensus(formal),
        contests=contests,
        meetings=meetings,
        overall=formal.overall_assessment,
        final_conclusion=formal.final_conclusion,
        signatories=(
            *(f"评估组{t.role}：{t.name}" for t in team),
            f"评估机构（盖章）：{formal.body.name}",
            f"受评估方代表：{formal.enterprise.name}",
        ),
    )


def _formal_of(assessment: Assessment) -> FormalAssessment | None:
    if assessment.kind != AssessmentKind.FORMAL:
        return None
    return FormalAssessment.objects.select_related("body", "enterprise").filter(assessment=assessment).first()


def report_content(result: Result) -> ReportContent:
    """The whole report of ``result`` (a stored result of a submitted or formal assessment)."""
    assessment = Assessment.objects.select_related("enterprise", "unit").filter(pk=result.assessment_id).get()
    enterprise = assessment.enterprise
    view = sector_view(assessment.catalog_version, assessment.sector)
    figures = report.stored_figures(assessment, result)
    formal = _formal_of(assessment)
    published = (
        formal is not None
        and formal.state == FormalState.PUBLISHED
        and formal.published_result_id == result.pk
        and bool(formal.result_number)
    )
    number = formal.result_number if published and formal is not None and formal.result_number else "—"
    previous = _previous(assessment, result)
    descriptions = {g.level: g.description for g in view.catalog.grades}
    strengths, weaknesses = report.standouts(figures)
    kind = assessment.get_kind_display()
    body = formal.body.name if formal is not None else "企业自评（未经评估机构评估）"
    total = shown(figures.total)
    dates = [
        Field("评估开始", _date(assessment.created_at)),
        # A formal assessment's "submitted" time is its publication; the version reported was formed earlier.
        Field("提交日期", _date(assessment.submitted_at or result.created_at))
        if formal is None
        else Field("结果形成", _date(result.created_at)),
    ]
    if formal is not None:
        dates.append(Field("结果发布", _date(formal.published_at) if published else "尚未发布"))
    cover = (
        Field("受评估企业", enterprise.name),
        Field("评估对象", assessment.subject),
        Field("评估环节", assessment.get_sector_display()),
        Field("评估类型", kind),
        Field("评估机构", body),
        Field("结果编号", number),
        *dates,
    )
    basics = (
        Field("企业名称", enterprise.name),
        Field("统一社会信用代码", enterprise.uscc or "—"),
        Field("所在地区", enterprise.region_name),
        Field(
            "企业规模", f"{enterprise.get_size_display()}{'（规模以上）' if enterprise.above_scale else ''}"
        ),
        Field("主要金属", "、".join(enterprise.metal_labels) or "—"),
        Field("所属集团", enterprise.group_name or "—"),
        Field("评估对象", assessment.subject),
        Field(
            "评估环节",
            f"{assessment.get_sector_display()}（附录A 基础共性 + 附录B {assessment.get_sector_display()}）",
        ),
        Field("评估类型", kind),
        Field("评估要求条数", str(assessment.requirement_count)),
        Field("结果版本", f"第 {result.version} 版（{_date(result.created_at)}）"),
    )
    change = _change(result, previous)
    earlier = {label: (before, delta) for label, before, _, delta in change.levels} if change else {}
    levels = tuple(
        LevelLine(
            label=level.label,
            score=shown(level.score),
            met=level.met,
            counted=shown(level.counted),
            fraction=float(Fraction(shown(min(level.score, Fraction(1))))),
            previous=earlier.get(level.label, (None, None))[0],
            delta=earlier.get(level.label, (None, None))[1],
        )
        for level in figures.levels
    )
    methodology = (
        Field("评估标准", f"{view.catalog.title}（{view.catalog.code}，{result.catalog_version} 版）"),
        Field("标准内容摘要（SHA-256）", result.catalog_hash or assessment.catalog_hash or "—"),
        Field("评分规则", RATING_SCALE),
        Field("等级满足线", f"{THRESHOLD_READING}；满足线 {format_truncated(MET_THRESHOLD)}"),
        Field("总分与等级", TOTAL_RULE),
        Field(
            "等级跳跃",
            "总分按标准原文计算；若评定等级高于连续满足的最高等级，报告给出“等级跳跃”警示，等级不作改变。",
        ),
        Field("权重归一", RENORMALISATION),
        Field("数值显示", TRUNCATION),
    )
    url = None
    if published and formal is not None and formal.result_number:
        url = verification_url(formal.result_number, formal.check_code)
    notice = None
    if formal is None:
        notice = "本报告为企业自评估结果，由企业自行评分，未经评估机构评估，不作为正式评估结论。"
    elif not published:
        notice = f"本正式评估尚未发布（当前状态：{formal.get_state_display()}），报告内容以发布结果为准。"
    return ReportContent(
        title=REPORT_TITLE,
        kind=kind,
        is_formal=formal is not None,
        enterprise=enterprise.name,
        subject=assessment.subject,
        sector=assessment.get_sector_display(),
        body=body,
        result_number=number,
        cover=cover,
        basics=basics,
        total=total,
        grade=figures.grade.label,
        grade_description=descriptions.get(figures.grade.level, "总分低于 0.8，未达到表3的一级（规范级）。"),
        consecutive_level=f"S{figures.consecutive_level}" if figures.consecutive_level else "无",
        warning=figures.warning,
        levels=levels,
        domains=_domain_sections(view, result, figures, previous),
        change=change,
        peer=_peer(result),
        strengths=tuple(Standout(r.row.domain, r.row.name, shown(r.maturity)) for r in strengths),
        weaknesses=tuple(Standout(r.row.domain, r.row.name, shown(r.maturity)) for r in weaknesses),
        strengths_text=formal.strengths if formal is not None else "",
        weaknesses_text=formal.weaknesses if formal is not None else "",
        advice=_advice(assessment, result, formal),
        not_applicable=_not_applicable(view, assessment),
        evidence=_evidence(view, assessment, formal),
        methodology=methodology,
        formal=_formal_section(view, formal) if formal is not None else None,
        verification_url=url,
        self_assessment_notice=notice,
        generated_at=_date(timezone.now()),
        footer=f"{enterprise.name} · {assessment.get_sector_display()}{kind}报告",
    )
