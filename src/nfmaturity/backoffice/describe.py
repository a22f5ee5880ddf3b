"""Audit events as people read them: the object in words, old → new in Chinese.

An event names its object as "app.model" + primary key, and keeps old/new as JSON written by the
service that acted. ``describe_events`` turns a page of events into rows with a fixed number of queries
(one per kind of object on the page, whatever the page size), so the list and the export never run one
query per row. The JSON is preferred over the live rows where it says enough: the log outlives deleted
objects (a removed attachment, a removed member).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction
from typing import Any

from django.contrib.auth.models import User
from django.utils import timezone

from nfmaturity.accounts.models import (
    Invitation,
    InvitationState,
    Membership,
    Organisation,
    OrganisationKind,
    Role,
)
from nfmaturity.assessments.catalogs import sector_view
from nfmaturity.assessments.models import (
    Assessment,
    AssessmentState,
    Attachment,
    GradeLevel,
    RatingRecord,
    RatingValue,
)
from nfmaturity.assessments.selectors import requirement_label
from nfmaturity.audit.models import AuditAction, AuditEvent
from nfmaturity.backoffice import describe_formal
from nfmaturity.enterprises import regions
from nfmaturity.enterprises.models import (
    ClaimState,
    CodeClaim,
    Contact,
    Enterprise,
    Metal,
    SectorChoice,
    SizeClass,
    Unit,
    UnitKind,
    VerificationState,
)
from nfmaturity.scoring.display import format_truncated

# Plain dicts: Django's get_FOO_display rebuilds its lookup on every call, a third of an export's time.
ACTION_LABELS: dict[str, str] = dict(AuditAction.choices)
SECTOR_LABELS: dict[str, str] = dict(SectorChoice.choices)

# The object types events name, as the filter offers them.
OBJECT_TYPES: dict[str, str] = {
    "enterprises.enterprise": "企业",
    "assessments.assessment": "自评估",
    "assessments.ratingrecord": "评分",
    "assessments.attachment": "附件",
    "accounts.organisation": "机构",
    "auth.user": "用户",
    "accounts.invitation": "邀请",
    "accounts.membership": "成员",
    "enterprises.unit": "评估单元",
    "enterprises.contact": "联系人",
    "enterprises.codeclaim": "信用代码认领",
    **describe_formal.OBJECT_TYPES,
}

FIELD_LABELS: dict[str, str] = {
    "name": "名称",
    "kind": "类型",
    "jurisdiction": "管辖范围",
    "email": "邮箱",
    "username": "用户名",
    "role": "角色",
    "state": "状态",
    "value": "评分",
    "reason": "不适用理由",
    "note": "说明",
    "uscc": "统一社会信用代码",
    "region_code": "所在地区",
    "sectors": "所属环节",
    "metals": "主要金属",
    "size": "规模",
    "above_scale": "规模以上工业企业",
    "address": "地址",
    "title": "职务",
    "phone": "电话",
    "sector": "评估环节",
    "unit": "评估单元",
    "catalog_version": "标准版本",
    "total": "总分",
    "grade": "等级",
    "file": "文件",
    "sha256": "SHA-256",
    "changed": "变更条数",
    "conflicts_from_workbook": "冲突中采用工作簿的条数",
    "conflicts_kept_platform": "冲突中保留平台的条数",
    "ratings": "评分条数",
    "requirement": "要求",
    "uploaded_by": "上传人",
    "uploaded_at": "上传时间",
    "verification": "核验状态",
    "verification_note": "核验说明",
    "statement": "认领说明",
    "holder": "原持有企业",
    "claimant": "认领企业",
    "group_name": "所属集团",
    "group_uscc": "集团信用代码",
    "is_demo": "演示数据",
}
# Where one key means something else on another kind of object.
FIELD_LABELS_BY_TYPE: dict[str, dict[str, str]] = {
    "assessments.attachment": {"name": "文件名", "size": "大小"},
    "assessments.assessment": {"file": "工作簿文件"},
}
# Keys the object column already says (the rating's requirement and assessment), or machine detail.
HIDDEN_FIELDS = frozenset({"requirement_id", "assessment_id", "same_file_at"})

_STATE_LABELS: dict[str, Mapping[str, str]] = {
    "assessments.assessment": dict(AssessmentState.choices),
    "accounts.invitation": dict(InvitationState.choices),
    "enterprises.codeclaim": dict(ClaimState.choices),
    "enterprises.enterprise": dict(VerificationState.choices),
}


def _labels(choices: Mapping[str, str], values: object) -> str:
    if not isinstance(values, list):
        return str(values)
    return "、".join(choices.get(str(v), str(v)) for v in values) or "（无）"


def _bytes(size: int) -> str:
    if size < 1024:
        return f"{size} 字节"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KB"
    return f"{size / 1024 / 1024:.1f} MB"


def _moment(text: str) -> str:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return text
    if timezone.is_aware(moment):
        moment = timezone.localtime(moment)
    return moment.strftime("%Y-%m-%d %H:%M")


def _total(text: str) -> str:
    try:
        return format_truncated(Fraction(text))
    except (ValueError, ZeroDivisionError):
        return text


def _choice(choices: Iterable[tuple[Any, str]]) -> Callable[[object], str]:
    table = {str(k): v for k, v in choices}
    return lambda v: table.get(str(v), str(v))


_VALUE_FORMATS: dict[str, Callable[[object], str]] = {
    "value": _choice(RatingValue.choices),
    "role": _choice(Role.choices),
    "kind": _choice([*OrganisationKind.choices, *UnitKind.choices]),
    "verification": _choice(VerificationState.choices),
    "jurisdiction": lambda v: regions.jurisdiction_name(str(v)) if v else "—",
    "region_code": lambda v: regions.full_name(str(v)),
    "sectors": lambda v: _labels(dict(SectorChoice.choices), v),
    "sector": lambda v: _choice(SectorChoice.choices)(v) if v else "（无）",
    "metals": lambda v: _labels(dict(Metal.choices), v),
    "grade": _choice((str(k), v) for k, v in GradeLevel.choices),
    "total": lambda v: _total(str(v)),
    "sha256": lambda v: f"{str(v)[:12]}…",
    "uploaded_at": lambda v: _moment(str(v)),
    "unit": lambda v: str(v) if v else "企业整体",
}


def format_value(object_type: str, key: str, value: object) -> str:
    if value is None:
        return "（无）"
    if isinstance(value, bool):
        return "是" if value else "否"
    if key == "size":  # an attachment's size in bytes, or an enterprise's size class
        return _bytes(value) if isinstance(value, int) else _choice(SizeClass.choices)(value)
    formatter = describe_formal.value_formatter(object_type, key)
    if formatter is not None:
        return formatter(value)
    if isinstance(value, str) and key.endswith("_at"):
        return _moment(value)
    if key == "state":
        return _STATE_LABELS.get(object_type, {}).get(str(value), str(value))
    formatter = _VALUE_FORMATS.get(key)
    if formatter is not None:
        return formatter(value)
    if isinstance(value, list):
        return "、".join(str(v) for v in value) or "（无）"
    if value == "":
        return "（空）"
    return str(value)


@dataclass(frozen=True)
class Change:
    """One field of an event: old → new, each already in words (None where that side has no value)."""

    label: str
    old: str | None
    new: str | None

    def __str__(self) -> str:
        if self.old is not None and self.new is not None:
            return f"{self.label}：{self.old} → {self.new}"
        if self.new is not None:
            return f"{self.label}：{self.new}"
        return f"{self.label}：原为 {self.old}"


def changes_of(event: AuditEvent) -> list[Change]:
    old, new = event.old, event.new
    odd = [side for side in (old, new) if side is not None and not isinstance(side, dict)]
    if odd:
        # Not the usual {field: value} shape: show it as it is, rather than lose it.
        return [Change("内容", None if old is None else str(old), None if new is None else str(new))]
    old_map: dict[str, Any] = old or {}
    new_map: dict[str, Any] = new or {}
    out: list[Change] = []
    for key in [*old_map, *(k for k in new_map if k not in old_map)]:
        if describe_formal.hidden(event.object_type, key) or (
            key in HIDDEN_FIELDS and event.object_type not in describe_formal.OBJECT_TYPES
        ):
            continue
        in_old, in_new = key in old_map, key in new_map
        if in_old and in_new and old_map[key] == new_map[key]:
            continue  # a rating's unchanged note, say: noise
        if event.action == AuditAction.RATING_CHANGED and not in_old and new_map[key] in ("", None):
            continue  # a first rating with no reason or note
        out.append(
            Change(
                FIELD_LABELS_BY_TYPE.get(event.object_type, {}).get(key)
                or describe_formal.field_label(event.object_type, key)
                or FIELD_LABELS.get(key, key),
                format_value(event.object_type, key, old_map[key]) if in_old and old is not None else None,
                format_value(event.object_type, key, new_map[key]) if in_new else None,
            )
        )
    return out


@dataclass(frozen=True)
class EventRow:
    event: AuditEvent
    at: datetime  # local time
    actor: str
    actor_organisation: str
    action: str
    subject: str
    organisation: str  # the organisation the event concerns
    changes: list[Change]
    reason: str


def _ints(values: Iterable[str]) -> set[int]:
    return {int(v) for v in values if v.isdigit()}


def _json_of(event: AuditEvent) -> dict[str, Any]:
    """The event's new side, else its old side, as a dict (the services put ids and names there)."""
    for side in (event.new, event.old):
        if isinstance(side, dict):
            return side
    return {}


def person(user: User | None) -> str:
    if user is None:
        return "系统"
    full = user.get_full_name()
    return f"{full}（{user.username}）" if full else user.username


def _gone(object_type: str, object_id: str) -> str:
    return f"{OBJECT_TYPES.get(object_type, object_type)} #{object_id}（已删除）"


class _Resolver:
    """Loads every object a page of events names, one query per type, then writes each in words."""

    def __init__(self, events: Sequence[AuditEvent]) -> None:
        ids: dict[str, set[str]] = defaultdict(set)
        for e in events:
            ids[e.object_type].add(e.object_id)
        self.ids = ids

        # Ratings and attachments: the requirement and assessment from the event's JSON, else the row.
        self.rating_refs: dict[str, tuple[int, str]] = {}
        attachment_ids = _ints(ids.get("assessments.attachment", ()))
        missing_ratings: set[int] = set()
        for e in events:
            data = _json_of(e)
            if e.object_type == "assessments.ratingrecord":
                if "assessment_id" in data and "requirement_id" in data:
                    self.rating_refs[e.object_id] = (int(data["assessment_id"]), str(data["requirement_id"]))
                elif e.object_id.isdigit():
                    missing_ratings.add(int(e.object_id))
        if missing_ratings:
            for pk, assessment_id, requirement_id in RatingRecord.objects.filter(
                pk__in=missing_ratings
            ).values_list("pk", "assessment_id", "requirement_id"):
                self.rating_refs[str(pk)] = (assessment_id, requirement_id)
        self.attachments: dict[str, tuple[int, str, str]] = {}
        if attachment_ids:
            for pk, assessment_id, requirement_id, name in Attachment.objects.filter(
                pk__in=attachment_ids
            ).values_list("pk", "assessment_id", "requirement_id", "original_name"):
                self.attachments[str(pk)] = (assessment_id, requirement_id, name)

        assessment_ids = _ints(ids.get("assessments.assessment", ()))
        assessment_ids |= {a for a, _ in self.rating_refs.values()}
        assessment_ids |= {a for a, _, _ in self.attachments.values()}
        self.assessments = self._load(
            Assessment.objects.select_related("enterprise").only(
                "pk", "sector", "catalog_version", "enterprise__name"
            ),
            assessment_ids,
        )
        organisation_ids = _ints(ids.get("accounts.organisation", ()))
        organisation_ids |= {e.organisation_id for e in events if e.organisation_id is not None}
        self.organisations = self._load(Organisation.objects.all(), organisation_ids)
        self.enterprises = self._load(
            Enterprise.objects.only("pk", "name"), ids.get("enterprises.enterprise")
        )
        # The actors (a page has few distinct ones) with their organisation, and the users events are about.
        people = {str(e.actor_id) for e in events if e.actor_id is not None} | ids.get("auth.user", set())
        self.users = self._load(User.objects.select_related("membership__organisation"), people)
        self.invitations = self._load(
            Invitation.objects.select_related("organisation"), ids.get("accounts.invitation")
        )
        self.memberships = self._load(
            Membership.objects.select_related("user", "organisation"), ids.get("accounts.membership")
        )
        self.units = self._load(Unit.objects.select_related("enterprise"), ids.get("enterprises.unit"))
        self.contacts = self._load(
            Contact.objects.select_related("enterprise"), ids.get("enterprises.contact")
        )
        self.claims = self._load(
            CodeClaim.objects.select_related("claimant"), ids.get("enterprises.codeclaim")
        )
        self.later_apps = describe_formal.FormalSubjects(events)

    @staticmethod
    def _load(queryset: Any, wanted: Iterable[str] | Iterable[int] | None) -> dict[str, Any]:
        keys = {int(v) for v in wanted or () if isinstance(v, int) or str(v).isdigit()}
        if not keys:
            return {}
        return {str(pk): obj for pk, obj in queryset.in_bulk(keys).items()}

    def assessment(self, pk: int | str) -> str | None:
        found = self.assessments.get(str(pk))
        if found is None:
            return None
        return f"（{found.enterprise.name}）{SECTOR_LABELS.get(found.sector, found.sector)}自评估 #{found.pk}"

    def requirement(self, assessment_pk: int, requirement_id: str) -> str:
        found = self.assessments.get(str(assessment_pk))
        if found is None:
            return requirement_id
        view = sector_view(found.catalog_version, found.sector)
        if requirement_id not in view.requirements:
            return requirement_id
        return requirement_label(view, requirement_id)

    def subject(self, event: AuditEvent) -> str:
        kind, pk = event.object_type, event.object_id
        if kind in describe_formal.OBJECT_TYPES:
            return self.later_apps.subject(event)
        data = _json_of(event)
        if kind == "assessments.assessment":
            return self.assessment(pk) or _gone(kind, pk)
        if kind == "assessments.ratingrecord":
            ref = self.rating_refs.get(pk)
            if ref is None:
                return _gone(kind, pk)
            assessment_pk, requirement_id = ref
            where = self.assessment(assessment_pk) or f"自评估 #{assessment_pk}"
            return f"{where} · {self.requirement(assessment_pk, requirement_id)}"
        if kind == "assessments.attachment":
            return self._attachment(pk, data)
        if kind == "enterprises.enterprise":
            enterprise = self.enterprises.get(pk)
            return f"企业 {enterprise.name}" if enterprise else _gone(kind, pk)
        if kind == "accounts.organisation":
            organisation = self.organisations.get(pk)
            return (
                f"{organisation.get_kind_display()} {organisation.name}" if organisation else _gone(kind, pk)
            )
        if kind == "auth.user":
            user = self.users.get(pk)
            if user is not None:
                return f"用户 {person(user)}"
            return f"用户 {data['username']}" if "username" in data else _gone(kind, pk)
        if kind == "accounts.invitation":
            invitation = self.invitations.get(pk)
            if invitation is None:
                return _gone(kind, pk)
            return f"给 {invitation.full_name}（{invitation.email}）的邀请 · {invitation.organisation.name}"
        if kind == "accounts.membership":
            membership = self.memberships.get(pk)
            if membership is None:
                return _gone(kind, pk)
            return f"成员 {person(membership.user)} · {membership.organisation.name}"
        if kind == "enterprises.unit":
            unit = self.units.get(pk)
            return f"评估单元 {unit.name}（{unit.enterprise.name}）" if unit else _gone(kind, pk)
        if kind == "enterprises.contact":
            contact = self.contacts.get(pk)
            return f"联系人 {contact.name}（{contact.enterprise.name}）" if contact else _gone(kind, pk)
        if kind == "enterprises.codeclaim":
            claim = self.claims.get(pk)
            return f"信用代码 {claim.uscc} 的认领（{claim.claimant.name}）" if claim else _gone(kind, pk)
        return _gone(kind, pk)

    def _attachment(self, pk: str, data: Mapping[str, Any]) -> str:
        live = self.attachments.get(pk)
        name = live[2] if live else data.get("name")
        if name is None:
            return _gone("assessments.attachment", pk)
        text = f"附件“{name}”"
        if live is not None:
            assessment_pk, requirement_id, _ = live
            where = self.assessment(assessment_pk) or f"自评估 #{assessment_pk}"
            return f"{text} · {where} · {self.requirement(assessment_pk, requirement_id)}"
        if "requirement" in data:  # a removed file: its event kept the requirement in words
            return f"{text}（已删除）· {data['requirement']}"
        return f"{text}（已删除）"

    def organisation(self, pk: int | None) -> str:
        if pk is None:
            return ""
        found = self.organisations.get(str(pk))
        return found.name if found is not None else f"机构 #{pk}（已删除）"


def actor_organisation(user: User | None) -> str:
    """The actor's organisation (selected with the user: ``membership__organisation``)."""
    if user is None:
        return ""
    if user.is_superuser:
        return "平台管理员"
    membership = getattr(user, "membership", None)
    return membership.organisation.name if membership is not None else "（已离开机构）"


def describe_events(events: Sequence[AuditEvent]) -> list[EventRow]:
    """Rows for a page of events: a fixed number of queries, whatever the number of events."""
    resolver = _Resolver(events)
    actors = {e.pk: resolver.users.get(str(e.actor_id)) for e in events}
    return [
        EventRow(
            event=e,
            at=timezone.localtime(e.at),
            actor=person(actors[e.pk]),
            actor_organisation=actor_organisation(actors[e.pk]),
            action=ACTION_LABELS.get(e.action, e.action),
            subject=resolver.subject(e),
            organisation=resolver.organisation(e.organisation_id),
            changes=changes_of(e),
            reason=e.reason,
        )
        for e in events
    ]
