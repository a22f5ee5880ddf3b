"""Audit events of the formal assessment, the plans, the analytics and the reports, in words.

``describe`` began with the self-assessment and the registry; the formal workflow and the later apps write
events on their own objects (``formal.settlement``, ``plans.rectification`` …) with their own keys
(``held_at``, ``method``, ``point_state`` …). Without these tables the log read "formal.formalassessment #1
（已删除）" for an assessment that exists, and "状态：final → published". Keys not listed here fall back to the
model field's Chinese verbose name and choices, so a new field reads in words without a change here.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from fractions import Fraction
from typing import Any

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist

from nfmaturity.analytics.indicators import BY_KEY as INDICATORS
from nfmaturity.analytics.rules import example, parse_definition
from nfmaturity.assessments.catalogs import sector_view
from nfmaturity.assessments.models import RatingValue
from nfmaturity.assessments.selectors import requirement_label
from nfmaturity.audit.models import AuditEvent
from nfmaturity.formal.models import (
    ContestState,
    Discipline,
    DocumentKind,
    FormalAssessment,
    FormalState,
    MeetingKind,
    PlanKind,
    RelationKind,
    SettlementMethod,
)
from nfmaturity.plans.models import ActionStatus, PlanPath, RectificationState
from nfmaturity.reports.models import ReportFormat, ReportState
from nfmaturity.scoring.display import format_truncated

OBJECT_TYPES: dict[str, str] = {
    "formal.formalassessment": "正式评估",
    "formal.applicationdocument": "申请材料",
    "formal.expertprofile": "专家",
    "formal.expertrelation": "专家利益关系申报",
    "formal.teammember": "评估组成员",
    "formal.assessmentplan": "评估计划",
    "formal.meeting": "会议",
    "formal.evidence": "现场证据",
    "formal.expertrating": "专家评分",
    "formal.settlement": "合议结果",
    "formal.contestpoint": "异议条目",
    "formal.reopening": "重新开启",
    "assessments.result": "评估结果",
    "plans.improvementplan": "改进计划",
    "plans.planaction": "改进事项",
    "plans.rectification": "弱项整改",
    "analytics.policyrule": "筛选规则",
    "analytics.indicatorreport": "技术经济指标",
    "reports.reportfile": "报告文件",
    "reports.indexreportfile": "指数报告文件",
}

# Keys the formal services and the later apps write, where the model has no field of that name.
FIELD_LABELS: dict[str, str] = {
    "application_note": "申请说明",
    "automatic": "自动提交",
    "body": "评估机构",
    "contest_deadline": "异议截止日期",
    "count": "条数",
    "declaration": "签署的声明",
    "disciplines": "专业领域",
    "environment_incident": "重大及以上环境事件",
    "expert": "专家",
    "expert_detail": "含专家个人评分",
    "files": "文件",
    "final_conclusion": "最终结论",
    "format": "格式",
    "from": "原值",
    "to": "新值",
    "full_name": "姓名",
    "held_at": "召开时间",
    "how": "方式",
    "is_leader": "组长",
    "lawful_declared": "依法依规经营",
    "leader": "组长",
    "meeting": "会议",
    "members": "成员",
    "method": "确定方式",
    "new_value": "新评分",
    "old_value": "原评分",
    "overall_assessment": "总体评估",
    "pairs": "分工条数",
    "path": "路径",
    "place": "地点",
    "point_id": "异议条目",
    "point_state": "异议处理",
    "proposal": "拟定评分",
    "public_listing": "列入公开名单",
    "qualifications": "资质与经历",
    "queued": "已排队",
    "rated": "已评条数",
    "rationale": "理由",
    "recommendations": "改造建议",
    "requirement_id": "要求",
    "requirements": "关联要求",
    "result": "结果",
    "result_number": "结果编号",
    "result_version": "结果版本",
    "round": "合议轮次",
    "rows": "负责的子域",
    "safety_accident": "重大及以上生产安全事故",
    "settled": "已合议条数",
    "starting_self_assessment": "依据的自评估",
    "strengths": "优秀经验",
    "superseded": "已被新计划取代",
    "target_grade": "申请等级",
    "weaknesses": "短板不足",
    "year": "年度",
    "version": "版本",
    "confirmed_version": "企业确认的版本",
    "ratings_submitted_at": "提交本人评分时间",
    "reaches_total": "完成后总分",
    "actions": "事项数",
    "assessment": "评估",
    "copied_from": "复制自",
    "counterparty_name": "关系方名称",
    "counterparty_uscc": "关系方信用代码",
    "started_on": "开始日期",
    "ended_on": "结束日期",
    "collected_on": "采集日期",
    "evidence_text": "完成证明",
    "measure": "整改措施",
    "due_date": "完成期限",
    "description": "说明",
    "status": "状态",
}
# Where one key means something else on this kind of object.
FIELD_LABELS_BY_TYPE: dict[str, dict[str, str]] = {
    # A count after a field workbook import, the list of requirements after a re-score.
    "formal.formalassessment": {"changed": "变更"},
    "formal.applicationdocument": {"name": "文件名", "size": "大小", "kind": "材料类型"},
    "formal.assessmentplan": {"kind": "计划类型"},
    "formal.meeting": {"kind": "会议"},
    "formal.expertrelation": {"kind": "关系类型"},
    "reports.reportfile": {"format": "格式"},
    "analytics.policyrule": {"rows": "匹配企业数", "definition": "条件", "copied_from": "复制自示例"},
}
# Machine detail, or what the object column already says (the assessment and requirement of a rating).
HIDDEN_BY_TYPE: dict[str, frozenset[str]] = {
    "formal.expertrating": frozenset({"formal_id", "requirement_id"}),
    "formal.settlement": frozenset({"formal_id", "requirement_id"}),
    "formal.teammember": frozenset({"formal_id"}),
    "formal.formalassessment": frozenset({"member_id"}),
}


def _choice(choices: Iterable[tuple[Any, str]]) -> Callable[[object], str]:
    table = {str(k): v for k, v in choices}

    def label(value: object) -> str:
        if isinstance(value, list):
            return "、".join(table.get(str(v), str(v)) for v in value) or "（无）"
        return table.get(str(value), str(value))

    return label


_HOW = _choice([("default", "按专业自动分配"), ("edited", "组长调整")])
_DECLARATION = _choice([("conflict", "利益冲突声明"), ("confidentiality", "保密承诺")])

# Keys whose values are enum values, wherever a formal event writes them.
VALUE_FORMATS: dict[str, Callable[[object], str]] = {
    "method": _choice(SettlementMethod.choices),
    "proposal": _choice(RatingValue.choices),
    "old_value": _choice(RatingValue.choices),
    "new_value": _choice(RatingValue.choices),
    "point_state": _choice(ContestState.choices),
    "meeting": _choice(MeetingKind.choices),
    "disciplines": _choice(Discipline.choices),
    "how": _HOW,
    "declaration": _DECLARATION,
    "path": _choice(PlanPath.choices),
    "status": _choice(ActionStatus.choices),
    "format": _choice(ReportFormat.choices),
    "body": lambda v: f"机构 #{v}",
    "assessment": lambda v: f"#{v}",
    "reaches_total": lambda v: _shown(v),
}


def _shown(value: object) -> str:
    """An exact score as stored ("548859/172000"), shown as everywhere else: truncated to two decimals."""
    try:
        return format_truncated(Fraction(str(value)))
    except (ValueError, ZeroDivisionError):
        return str(value)


def _rule_text(value: object) -> str:
    """A rule's stored conditions as the rules pages write them ("两年内等级提升至少 1 级，且……")."""
    try:
        return parse_definition(value).describe()
    except ValueError:  # a definition the present rules no longer read: shown as stored rather than lost
        return str(value)


def _example_name(value: object) -> str:
    shipped = example(str(value)) if value else None
    return f"“{shipped.name}”" if shipped else (str(value) or "（无）")


VALUE_FORMATS_BY_TYPE: dict[str, dict[str, Callable[[object], str]]] = {
    "formal.formalassessment": {"state": _choice(FormalState.choices)},
    "formal.applicationdocument": {"kind": _choice(DocumentKind.choices)},
    "formal.assessmentplan": {"kind": _choice(PlanKind.choices)},
    "formal.meeting": {"kind": _choice(MeetingKind.choices)},
    "formal.expertrelation": {"kind": _choice(RelationKind.choices)},
    "formal.contestpoint": {"state": _choice(ContestState.choices)},
    "plans.rectification": {"state": _choice(RectificationState.choices)},
    "reports.reportfile": {"state": _choice(ReportState.choices)},
    "reports.indexreportfile": {"state": _choice(ReportState.choices)},
    "analytics.policyrule": {
        "definition": _rule_text,
        "copied_from": _example_name,
    },
}


def _model_field(object_type: str, key: str) -> Any:
    try:
        return apps.get_model(object_type)._meta.get_field(key)
    except (LookupError, ValueError, FieldDoesNotExist):
        return None


def _chinese(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def field_label(object_type: str, key: str) -> str | None:
    """The key in words for these object types, or None (then ``describe``'s own tables decide)."""
    by_type = FIELD_LABELS_BY_TYPE.get(object_type, {})
    if key in by_type:
        return by_type[key]
    if object_type not in OBJECT_TYPES:
        return None
    if object_type == "analytics.indicatorreport" and key in INDICATORS:
        return INDICATORS[key].label
    if key in FIELD_LABELS:
        return FIELD_LABELS[key]
    field = _model_field(object_type, key)
    name = str(getattr(field, "verbose_name", ""))
    return name if _chinese(name) else None


def value_formatter(object_type: str, key: str) -> Callable[[object], str] | None:
    """How to write a value of the key for these object types, or None (``describe`` decides)."""
    by_type = VALUE_FORMATS_BY_TYPE.get(object_type, {})
    if key in by_type:
        return by_type[key]
    if object_type not in OBJECT_TYPES:
        return None
    if key in VALUE_FORMATS:
        return VALUE_FORMATS[key]
    choices = getattr(_model_field(object_type, key), "choices", None)
    return _choice(choices) if choices else None


def hidden(object_type: str, key: str) -> bool:
    return key in HIDDEN_BY_TYPE.get(object_type, frozenset())


def _json_of(event: AuditEvent) -> dict[str, Any]:
    for side in (event.new, event.old):
        if isinstance(side, dict):
            return side
    return {}


class FormalSubjects:
    """The objects of a page's events of these types, one query per type, written in words."""

    def __init__(self, events: Sequence[AuditEvent]) -> None:
        ids: dict[str, set[int]] = defaultdict(set)
        for e in events:
            if e.object_type in OBJECT_TYPES and e.object_id.isdigit():
                ids[e.object_type].add(int(e.object_id))
        # Every other object is loaded as it is now; the formal assessment it belongs to comes with it.
        self.rows: dict[str, dict[int, Any]] = {}
        for object_type, wanted in ids.items():
            if object_type == "formal.formalassessment":
                continue
            self.rows[object_type] = apps.get_model(object_type)._default_manager.in_bulk(wanted)
        formal_ids = set(ids.get("formal.formalassessment", set()))
        for e in events:
            data = _json_of(e)
            if e.object_type.startswith("formal.") and str(data.get("formal_id", "")).isdigit():
                formal_ids.add(int(data["formal_id"]))
        for rows in self.rows.values():
            formal_ids |= {r.formal_id for r in rows.values() if hasattr(r, "formal_id")}
        self.formals: Mapping[int, FormalAssessment] = (
            FormalAssessment.objects.select_related("enterprise", "assessment")
            .only("pk", "enterprise__name", "assessment__sector", "assessment__catalog_version")
            .in_bulk(formal_ids)
            if formal_ids
            else {}
        )

    def formal(self, pk: object) -> str:
        found = self.formals.get(int(str(pk))) if str(pk).isdigit() else None
        if found is None:
            return f"正式评估 #{pk}（已删除）"
        return f"（{found.enterprise.name}）正式评估 #{found.pk}"

    def requirement(self, formal_pk: object, requirement_id: str) -> str:
        found = self.formals.get(int(str(formal_pk))) if str(formal_pk).isdigit() else None
        if found is None:
            return requirement_id
        view = sector_view(found.assessment.catalog_version, found.assessment.sector)
        if requirement_id not in view.requirements:
            return requirement_id
        return requirement_label(view, requirement_id)

    def subject(self, event: AuditEvent) -> str:
        kind, pk = event.object_type, event.object_id
        label = OBJECT_TYPES[kind]
        if kind == "formal.formalassessment":
            return self.formal(pk)
        data = _json_of(event)
        row = self.rows.get(kind, {}).get(int(pk)) if pk.isdigit() else None
        formal_pk = data.get("formal_id", getattr(row, "formal_id", None))
        requirement_id = data.get("requirement_id", getattr(row, "requirement_id", None))
        if row is None and formal_pk is None:
            return f"{label} #{pk}（已删除）"
        parts = [label if row is None else f"{label} {self._name(kind, row)}"]
        if row is None:
            parts[0] += f" #{pk}（已删除）"
        if formal_pk is not None:
            parts.append(self.formal(formal_pk))
            if requirement_id:
                parts.append(self.requirement(formal_pk, str(requirement_id)))
        return " · ".join(parts)

    @staticmethod
    def _name(kind: str, row: Any) -> str:
        # The objects whose own __str__ is machine text; the others name themselves in words.
        if kind in ("formal.expertrating", "formal.settlement", "formal.contestpoint", "plans.rectification"):
            return f"#{row.pk}"  # the requirement follows
        if kind == "formal.applicationdocument":
            return f"“{row.original_name}”"
        if kind == "formal.evidence":
            return f"“{row.original_name or row.description[:30]}”"
        if kind in ("reports.reportfile", "reports.indexreportfile"):
            return f"#{row.pk}（{row.get_format_display()}）"
        if kind == "analytics.indicatorreport":
            return f"{row.year} 年度"
        if kind == "assessments.result":
            return f"第 {row.version} 版"
        if kind == "formal.reopening":
            return f"#{row.pk}（原结果编号 {row.result_number}）"
        return f"“{row}”"
