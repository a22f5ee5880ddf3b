"""The body's expert roster and 组建评估组 (standard §4.4.2): one function per action, each in one transaction
with its audit event; team changes lock the formal assessment first (``workflow.lock``).

Default sub-domain assignment (``default_assignment``). Each catalog row (sub-domain) of the assessment's
sector view goes to the members whose disciplines fit it:

==============  =====================================
能力域            专业领域
==============  =====================================
组织              管理科学、有色金属
技术              信息化、计算机科学
数据              计算机科学、信息化
资源              信息化、管理科学
数字化运营        管理科学、信息化
数字化生产        有色金属、信息化
数字化服务        管理科学、有色金属
数字化成效        管理科学、有色金属
==============  =====================================

with these sub-domains taken by name before their domain: 安全生产 → 安全、有色金属; 环保管理 and 能源管理
→ 环保、有色金属; 信息安全 → 计算机科学、安全. A domain the table does not know falls back to 信息化、管理科学.
A row whose fitting members are fewer than ``RATERS_PER_ROW`` is topped up with the members who have the
fewest rows so far (then by name), so each row has at least three raters when the team has three members
and a consensus compares at least three independent ratings. The body admin edits the result freely.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q
from django.http import Http404
from django.utils import timezone

from nfmaturity.accounts.models import Membership, OrganisationKind, Role
from nfmaturity.accounts.notifications import notify
from nfmaturity.assessments.catalogs import sector_view
from nfmaturity.audit.models import AuditAction
from nfmaturity.audit.services import record_event
from nfmaturity.catalog.model import Row
from nfmaturity.formal import roster, workflow
from nfmaturity.formal.access import Party
from nfmaturity.formal.models import (
    MIN_TEAM_SIZE,
    Discipline,
    ExpertProfile,
    ExpertRelation,
    FormalAssessment,
    FormalState,
    RelationKind,
    SubdomainAssignment,
    TeamMember,
)
from nfmaturity.formal.services_application import hub_url, take
from nfmaturity.formal.workflow import FormalError

S = FormalState
D = Discipline
RATERS_PER_ROW = 3
DOMAIN_DISCIPLINES: dict[str, tuple[Discipline, ...]] = {
    "组织": (D.MANAGEMENT_SCIENCE, D.NONFERROUS),
    "技术": (D.INFORMATISATION, D.COMPUTER_SCIENCE),
    "数据": (D.COMPUTER_SCIENCE, D.INFORMATISATION),
    "资源": (D.INFORMATISATION, D.MANAGEMENT_SCIENCE),
    "数字化运营": (D.MANAGEMENT_SCIENCE, D.INFORMATISATION),
    "数字化生产": (D.NONFERROUS, D.INFORMATISATION),
    "数字化服务": (D.MANAGEMENT_SCIENCE, D.NONFERROUS),
    "数字化成效": (D.MANAGEMENT_SCIENCE, D.NONFERROUS),
}
ROW_DISCIPLINES: dict[str, tuple[Discipline, ...]] = {
    "安全生产": (D.SAFETY, D.NONFERROUS),
    "环保管理": (D.ENVIRONMENT, D.NONFERROUS),
    "能源管理": (D.ENVIRONMENT, D.NONFERROUS),
    "信息安全": (D.COMPUTER_SCIENCE, D.SAFETY),
}
FALLBACK_DISCIPLINES = (D.INFORMATISATION, D.MANAGEMENT_SCIENCE)


def disciplines_for(row: Row) -> tuple[Discipline, ...]:
    return ROW_DISCIPLINES.get(row.name) or DOMAIN_DISCIPLINES.get(row.domain) or FALLBACK_DISCIPLINES


# ---- the roster ----------------------------------------------------------------------------------------------


def _body_admin_membership(actor: User) -> Membership:
    membership = Membership.objects.select_related("organisation").filter(user=actor).first()
    if membership is None or membership.organisation.kind != OrganisationKind.BODY:
        raise Http404
    if membership.role != Role.BODY_ADMIN:
        raise PermissionDenied
    return membership


def rosterable(actor: User) -> list[Membership]:
    """The body's members the admin may keep profiles for: its experts, and himself."""
    membership = _body_admin_membership(actor)
    return list(
        Membership.objects.filter(organisation_id=membership.organisation_id)
        .filter(Q(role=Role.EXPERT) | Q(pk=membership.pk))
        .select_related("user")
        .order_by("user__username")
    )


def save_expert_profile(
    *,
    actor: User,
    user: User,
    full_name: str,
    disciplines: Iterable[str],
    title: str = "",
    qualifications: str = "",
) -> ExpertProfile:
    """The body admin creates or edits an expert's profile (one of the body's experts, or himself)."""
    membership = _body_admin_membership(actor)
    target = Membership.objects.filter(user=user, organisation_id=membership.organisation_id).first()
    if target is None or not (target.role == Role.EXPERT or user.pk == actor.pk):
        raise Http404
    chosen = [d.value for d in Discipline if d.value in set(disciplines)]
    if not chosen:
        raise FormalError("请至少选择一个专业领域")
    full_name = full_name.strip()
    if not full_name:
        raise FormalError("请填写专家姓名")
    with transaction.atomic():
        profile = ExpertProfile.objects.select_for_update().filter(user=user).first()
        old = (
            None
            if profile is None
            else {
                "full_name": profile.full_name,
                "disciplines": profile.disciplines,
                "title": profile.title,
                "qualifications": profile.qualifications,
            }
        )
        if profile is None:
            profile = ExpertProfile(user=user, body_id=membership.organisation_id)
        profile.full_name = full_name
        profile.disciplines = chosen
        profile.title = title.strip()
        profile.qualifications = qualifications.strip()
        profile.save()
        new = {
            "full_name": profile.full_name,
            "disciplines": profile.disciplines,
            "title": profile.title,
            "qualifications": profile.qualifications,
        }
        if old != new:
            record_event(
                actor=actor,
                action=AuditAction.EXPERT_PROFILE_UPDATED,
                obj=profile,
                organisation_id=membership.organisation_id,
                old=old,
                new=new,
            )
    return profile


def own_profile(actor: User) -> ExpertProfile:
    profile = ExpertProfile.objects.filter(user=actor).select_related("body").first()
    if profile is None:
        raise Http404
    return profile


def declare_relation(
    *,
    actor: User,
    counterparty_name: str,
    kind: RelationKind,
    counterparty_uscc: str = "",
    started_on: datetime.date | None = None,
    ended_on: datetime.date | None = None,
    description: str = "",
) -> ExpertRelation:
    """The expert himself declares a relation with a company or group."""
    profile = own_profile(actor)
    if started_on and ended_on and ended_on < started_on:
        raise FormalError("结束日期不能早于开始日期")
    if not counterparty_name.strip():
        raise FormalError("请填写单位名称")
    with transaction.atomic():
        relation = ExpertRelation.objects.create(
            expert=profile,
            counterparty_name=counterparty_name.strip(),
            counterparty_uscc=counterparty_uscc.strip().upper(),
            kind=kind,
            started_on=started_on,
            ended_on=ended_on,
            description=description.strip(),
        )
        record_event(
            actor=actor,
            action=AuditAction.EXPERT_RELATION_DECLARED,
            obj=relation,
            organisation_id=profile.body_id,
            new={
                "counterparty_name": relation.counterparty_name,
                "counterparty_uscc": relation.counterparty_uscc,
                "kind": kind,
                "started_on": started_on.isoformat() if started_on else None,
                "ended_on": ended_on.isoformat() if ended_on else None,
            },
        )
    return relation


def remove_relation(*, actor: User, pk: int) -> None:
    profile = own_profile(actor)
    with transaction.atomic():
        relation = ExpertRelation.objects.select_for_update().filter(pk=pk, expert=profile).first()
        if relation is None:
            raise Http404
        record_event(
            actor=actor,
            action=AuditAction.EXPERT_RELATION_REMOVED,
            obj=relation,
            organisation_id=profile.body_id,
            old={
                "counterparty_name": relation.counterparty_name,
                "counterparty_uscc": relation.counterparty_uscc,
                "kind": relation.kind,
            },
        )
        relation.delete()


# ---- the team ------------------------------------------------------------------------------------------------


def _audit(formal: FormalAssessment, actor: User, action: AuditAction, obj: object, **kw: object) -> None:
    record_event(
        actor=actor,
        action=action,
        obj=obj,  # type: ignore[arg-type]
        organisation_id=formal.enterprise.organisation_id,
        **kw,  # type: ignore[arg-type]
    )


def _member(locked: FormalAssessment, member_id: int) -> TeamMember:
    member = TeamMember.objects.select_related("expert").filter(pk=member_id, formal=locked).first()
    if member is None:
        raise FormalError("该专家已不在评估组中")
    return member


def add_member(*, formal: FormalAssessment | int, actor: User, expert_id: int) -> TeamMember:
    pk = formal if isinstance(formal, int) else formal.pk
    with transaction.atomic():
        locked = take(actor, pk, Party.BODY_ADMIN)
        workflow.require(locked, "调整评估组", S.TEAM)
        expert = (
            ExpertProfile.objects.prefetch_related("relations")
            .filter(pk=expert_id, body_id=locked.body_id)
            .first()
        )
        if expert is None:
            raise FormalError("该专家不在本机构的专家库中")
        reasons = roster.conflicts(expert, locked.enterprise)
        if reasons:
            raise FormalError(f"{expert.full_name}不能加入评估组：{'；'.join(reasons)}")
        if TeamMember.objects.filter(formal=locked, expert=expert).exists():
            raise FormalError(f"{expert.full_name}已在评估组中")
        member = TeamMember.objects.create(formal=locked, expert=expert)
        _audit(
            locked,
            actor,
            AuditAction.TEAM_MEMBER_ADDED,
            member,
            new={"expert": expert.full_name, "disciplines": expert.disciplines},
        )
        notify(
            [expert.user],
            f"您已被加入{locked.enterprise.name}正式评估的评估组，请签署利益冲突声明和保密承诺",
            hub_url(locked),
        )
    return member


def remove_member(*, formal: FormalAssessment | int, actor: User, member_id: int) -> None:
    pk = formal if isinstance(formal, int) else formal.pk
    with transaction.atomic():
        locked = take(actor, pk, Party.BODY_ADMIN)
        workflow.require(locked, "调整评估组", S.TEAM)
        member = _member(locked, member_id)
        rows = SubdomainAssignment.objects.filter(member=member).count()
        _audit(
            locked,
            actor,
            AuditAction.TEAM_MEMBER_REMOVED,
            member,
            old={"expert": member.expert.full_name, "is_leader": member.is_leader, "rows": rows},
        )
        member.delete()


def set_leader(*, formal: FormalAssessment | int, actor: User, member_id: int) -> TeamMember:
    """Name the 组长 (the previous one, if any, becomes a member)."""
    pk = formal if isinstance(formal, int) else formal.pk
    with transaction.atomic():
        locked = take(actor, pk, Party.BODY_ADMIN)
        workflow.require(locked, "指定组长", S.TEAM)
        member = _member(locked, member_id)
        previous = TeamMember.objects.filter(formal=locked, is_leader=True).select_related("expert").first()
        if previous is not None and previous.pk == member.pk:
            return member
        if previous is not None:
            previous.is_leader = False
            previous.save(update_fields=["is_leader"])
        member.is_leader = True
        member.save(update_fields=["is_leader"])
        _audit(
            locked,
            actor,
            AuditAction.TEAM_LEADER_SET,
            member,
            old={"leader": previous.expert.full_name if previous else None},
            new={"leader": member.expert.full_name},
        )
    return member


DECLARATIONS = {
    "conflict": ("conflict_declared_at", "利益冲突声明"),
    "confidentiality": ("confidentiality_signed_at", "保密承诺"),
}


def sign_declaration(*, formal: FormalAssessment | int, actor: User, which: str) -> TeamMember:
    """The member himself signs his conflict-of-interest or confidentiality declaration (time stored)."""
    if which not in DECLARATIONS:
        raise FormalError("没有这项声明")
    field, label = DECLARATIONS[which]
    pk = formal if isinstance(formal, int) else formal.pk
    with transaction.atomic():
        locked = take(actor, pk, Party.EXPERT)
        workflow.require(locked, f"签署{label}", S.TEAM, S.PLANNING)
        member = TeamMember.objects.select_related("expert").get(formal=locked, expert__user=actor)
        if getattr(member, field) is not None:
            raise FormalError(f"您已签署{label}")
        setattr(member, field, timezone.now())
        member.save(update_fields=[field])
        _audit(
            locked,
            actor,
            AuditAction.TEAM_DECLARATION_SIGNED,
            member,
            new={"declaration": which, "expert": member.expert.full_name},
        )
    return member


def default_assignment(formal: FormalAssessment, members: list[TeamMember]) -> dict[str, list[int]]:
    """Row id → member ids, following disciplines (module docstring), topped up to ``RATERS_PER_ROW``."""
    view = sector_view(formal.assessment.catalog_version, formal.assessment.sector)
    load = {m.pk: 0 for m in members}
    names = {m.pk: m.expert.full_name for m in members}
    out: dict[str, list[int]] = {}
    for row in view.rows:
        wanted = {d.value for d in disciplines_for(row)}
        chosen = [m.pk for m in members if wanted & set(m.expert.disciplines)]
        others = sorted((pk for pk in load if pk not in chosen), key=lambda pk: (load[pk], names[pk], pk))
        chosen += others[: max(0, RATERS_PER_ROW - len(chosen))]
        for pk in chosen:
            load[pk] += 1
        out[row.id] = chosen
    return out


def _replace_assignments(locked: FormalAssessment, mapping: Mapping[str, Iterable[int]]) -> tuple[int, int]:
    before = SubdomainAssignment.objects.filter(formal=locked).count()
    SubdomainAssignment.objects.filter(formal=locked).delete()
    rows = [
        SubdomainAssignment(formal=locked, member_id=member_id, row_id=row_id)
        for row_id, member_ids in mapping.items()
        for member_id in sorted(set(member_ids))
    ]
    SubdomainAssignment.objects.bulk_create(rows)
    return before, len(rows)


def assign_default(*, formal: FormalAssessment | int, actor: User) -> int:
    """Replace the assignment with the default one; returns how many (member, row) pairs were made."""
    pk = formal if isinstance(formal, int) else formal.pk
    with transaction.atomic():
        locked = take(actor, pk, Party.BODY_ADMIN)
        workflow.require(locked, "分配能力子域", S.TEAM)
        members = list(TeamMember.objects.filter(formal=locked).select_related("expert"))
        if not members:
            raise FormalError("评估组还没有成员，请先添加专家")
        before, after = _replace_assignments(locked, default_assignment(locked, members))
        _audit(
            locked,
            actor,
            AuditAction.SUBDOMAINS_ASSIGNED,
            locked,
            old={"pairs": before},
            new={"pairs": after, "how": "default"},
        )
    return after


def set_assignments(
    *, formal: FormalAssessment | int, actor: User, mapping: Mapping[str, Iterable[int]]
) -> int:
    """Replace the assignment with ``mapping`` (row id → member ids) as edited by the body admin."""
    pk = formal if isinstance(formal, int) else formal.pk
    with transaction.atomic():
        locked = take(actor, pk, Party.BODY_ADMIN)
        workflow.require(locked, "分配能力子域", S.TEAM)
        view = sector_view(locked.assessment.catalog_version, locked.assessment.sector)
        member_ids = set(TeamMember.objects.filter(formal=locked).values_list("pk", flat=True))
        clean: dict[str, set[int]] = {}
        for row_id, ids in mapping.items():
            if row_id not in view.row_index:
                raise FormalError("评估标准中没有该能力子域")
            chosen = set(ids)
            if chosen - member_ids:
                raise FormalError("所选专家已不在评估组中，请刷新页面后重试")
            clean[row_id] = chosen
        before, after = _replace_assignments(locked, clean)
        _audit(
            locked,
            actor,
            AuditAction.SUBDOMAINS_ASSIGNED,
            locked,
            old={"pairs": before},
            new={"pairs": after, "how": "edited"},
        )
    return after


def team_problems(formal: FormalAssessment) -> list[str]:
    """Every rule of §4.4.2 the team breaks now, in Chinese (empty: the team may be confirmed)."""
    members = list(
        TeamMember.objects.filter(formal=formal)
        .select_related("expert")
        .prefetch_related("expert__relations")
    )
    problems: list[str] = []
    n = len(members)
    if n < MIN_TEAM_SIZE:
        problems.append(f"评估组须至少 {MIN_TEAM_SIZE} 人，现有 {n} 人")
    if n % 2 == 0:
        problems.append(f"评估组人数须为奇数，现有 {n} 人")
    leaders = [m for m in members if m.is_leader]
    if not leaders:
        problems.append("尚未指定组长（须恰好一名组长）")
    elif len(leaders) > 1:
        problems.append(f"评估组有 {len(leaders)} 名组长，须恰好一名")
    covered = {d for m in members for d in m.expert.disciplines}
    missing = [d.label for d in Discipline if d.value not in covered]
    if missing:
        problems.append(f"评估组未覆盖以下专业领域：{'、'.join(missing)}")
    unsigned = [m.expert.full_name for m in members if m.conflict_declared_at is None]
    if unsigned:
        problems.append(f"以下成员尚未签署利益冲突声明：{'、'.join(unsigned)}")
    unsigned = [m.expert.full_name for m in members if m.confidentiality_signed_at is None]
    if unsigned:
        problems.append(f"以下成员尚未签署保密承诺：{'、'.join(unsigned)}")
    barred = roster.ineligible([m.expert for m in members], formal.enterprise)
    for m in members:
        if m.expert_id in barred:
            problems.append(f"{m.expert.full_name}须回避：{'；'.join(barred[m.expert_id])}")
    view = sector_view(formal.assessment.catalog_version, formal.assessment.sector)
    assigned = set(SubdomainAssignment.objects.filter(formal=formal).values_list("row_id", flat=True))
    unassigned = [row.name for row in view.rows if row.id not in assigned]
    if unassigned:
        problems.append(f"以下能力子域尚未分配给评估组成员：{'、'.join(unassigned)}")
    return problems


def confirm_team(*, formal: FormalAssessment | int, actor: User) -> FormalAssessment:
    """组建评估组 done (→ PLANNING), refused with every broken rule listed."""
    pk = formal if isinstance(formal, int) else formal.pk
    with transaction.atomic():
        locked = take(actor, pk, Party.BODY_ADMIN)
        workflow.require(locked, "确认评估组", S.TEAM)
        problems = team_problems(locked)
        if problems:
            raise FormalError("评估组还不能确认：" + "；".join(problems))
        members = list(TeamMember.objects.filter(formal=locked).select_related("expert__user"))
        locked.team_confirmed_at = timezone.now()
        workflow.move(
            locked,
            S.PLANNING,
            actor=actor,
            action=AuditAction.TEAM_CONFIRMED,
            fields=("team_confirmed_at",),
            details={"members": [m.expert.full_name for m in members]},
        )
        leader = next(m.expert.full_name for m in members if m.is_leader)
        notify(
            [m.expert.user for m in members],
            f"{locked.enterprise.name}正式评估的评估组已确认（组长：{leader}），请编制评估计划",
            hub_url(locked),
        )
    return locked
