"""Formal assessments for tests, built directly with the ORM in any workflow state (the services that move
an assessment through the states are tested on their own; other tests need a given state quickly)."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.utils import timezone

from nfmaturity.accounts.models import Organisation, Role
from nfmaturity.accounts.services import create_member
from nfmaturity.assessments.catalogs import current_version, sector_view
from nfmaturity.assessments.models import Assessment, AssessmentKind, GradeLevel, RatingValue
from nfmaturity.catalog.loader import content_hash
from nfmaturity.enterprises.models import Enterprise, SectorChoice
from nfmaturity.formal.models import (
    Discipline,
    ExpertProfile,
    FormalAssessment,
    FormalState,
    SubdomainAssignment,
    TeamMember,
)

PASSWORD = "Ceshi-mima-2024"
DISCIPLINES = list(Discipline)


def make_experts(body: Organisation, n: int = 9, prefix: str = "zj") -> list[ExpertProfile]:
    """``n`` experts of ``body`` (users ``zj1``…), disciplines in turn so any 6 consecutive cover all six."""
    experts = []
    for i in range(1, n + 1):
        user = create_member(
            organisation=body,
            username=f"{prefix}{i}",
            password=PASSWORD,
            role=Role.EXPERT,
            full_name=f"专家{i}",
            email=f"{prefix}{i}@example.cn",
        )
        experts.append(
            ExpertProfile.objects.create(
                user=user,
                body=body,
                full_name=f"专家{i}",
                disciplines=[DISCIPLINES[(i - 1) % len(DISCIPLINES)].value],
                qualifications="高级工程师，从事有色金属行业信息化十年",
            )
        )
    return experts


def make_formal(
    enterprise: Enterprise,
    body: Organisation,
    actor: User,
    *,
    state: FormalState = FormalState.APPLIED,
    sector: SectorChoice = SectorChoice.SMELTING,
) -> FormalAssessment:
    version = current_version()
    view = sector_view(version, sector)
    assessment = Assessment.objects.create(
        enterprise=enterprise,
        sector=sector,
        kind=AssessmentKind.FORMAL,
        catalog_version=version,
        catalog_hash=content_hash(),
        requirement_count=len(view.requirements),
        created_by=actor,
    )
    now = timezone.now()
    return FormalAssessment.objects.create(
        assessment=assessment,
        enterprise=enterprise,
        body=body,
        state=state,
        target_grade=GradeLevel.TWO,
        lawful_declared=True,
        declaration_year=now.year,
        applied_by=actor if state != FormalState.DRAFT else None,
        applied_at=now if state != FormalState.DRAFT else None,
        created_by=actor,
    )


def seat_team(
    formal: FormalAssessment, experts: list[ExpertProfile], *, signed: bool = True, assign: bool = True
) -> list[TeamMember]:
    """Put ``experts`` on the team, the first as 组长; sign both declarations; deal the sub-domains out
    in turn so each row has one rater (and with 7 experts, each expert several rows)."""
    now = timezone.now() if signed else None
    members = [
        TeamMember.objects.create(
            formal=formal,
            expert=expert,
            is_leader=i == 0,
            conflict_declared_at=now,
            confidentiality_signed_at=now,
        )
        for i, expert in enumerate(experts)
    ]
    if assign:
        view = sector_view(formal.assessment.catalog_version, formal.assessment.sector)
        SubdomainAssignment.objects.bulk_create(
            SubdomainAssignment(member=members[i % len(members)], formal=formal, row_id=row_id)
            for i, row_id in enumerate(row.id for row in view.rows)
        )
    return members


def settle_all(formal: FormalAssessment, by_level: dict[int, RatingValue], actor: User) -> None:
    """The team's settled ratings for every requirement (RatingRecord + matching Settlement), in bulk."""
    from nfmaturity.assessments.models import RatingRecord
    from nfmaturity.formal.models import Settlement, SettlementMethod

    view = sector_view(formal.assessment.catalog_version, formal.assessment.sector)
    requirements = list(view.requirements.values())
    RatingRecord.objects.bulk_create(
        RatingRecord(
            assessment=formal.assessment,
            requirement_id=r.id,
            row_id=r.row,
            level=int(r.level),
            value=by_level[int(r.level)],
            updated_by=actor,
        )
        for r in requirements
    )
    Settlement.objects.bulk_create(
        Settlement(
            formal=formal,
            requirement_id=r.id,
            row_id=r.row,
            level=int(r.level),
            value=by_level[int(r.level)],
            method=SettlementMethod.UNANIMOUS,
            settled_by=actor,
        )
        for r in requirements
    )


def make_concluded(
    enterprise: Enterprise,
    body: Organisation,
    actor: User,
    experts: list[ExpertProfile],
    by_level: dict[int, RatingValue],
) -> tuple[FormalAssessment, list[TeamMember]]:
    """A formal assessment in 形成评估结论 with a seated team of ``experts`` and every requirement settled."""
    formal = make_formal(enterprise, body, actor, state=FormalState.CONCLUSION)
    members = seat_team(formal, experts)
    settle_all(formal, by_level, members[0].expert.user)
    return formal, members


# ---- helpers for the rating and consensus tests (h2)


def share_row(formal: FormalAssessment, members: list[TeamMember], row_id: str) -> None:
    """Assign one row to every member in ``members`` too, so several experts rate the same requirements."""
    have = set(
        SubdomainAssignment.objects.filter(formal=formal, row_id=row_id).values_list("member_id", flat=True)
    )
    SubdomainAssignment.objects.bulk_create(
        SubdomainAssignment(member=m, formal=formal, row_id=row_id) for m in members if m.pk not in have
    )


def rate_assigned(
    formal: FormalAssessment,
    member: TeamMember,
    value: str = "1",
    *,
    overrides: dict[str, str] | None = None,
    submit: bool = False,
) -> int:
    """Give ``member`` an ExpertRating of ``value`` on every requirement of his rows (``overrides`` by
    requirement id; 不适用 gets a reason), directly with the ORM. Returns how many were written."""
    from nfmaturity.formal.models import ExpertRating

    view = sector_view(formal.assessment.catalog_version, formal.assessment.sector)
    mine = set(SubdomainAssignment.objects.filter(member=member).values_list("row_id", flat=True))
    ratings = []
    for row in view.rows:
        if row.id not in mine:
            continue
        for req in row.requirements:
            v = (overrides or {}).get(req.id, value)
            ratings.append(
                ExpertRating(
                    formal=formal,
                    member=member,
                    requirement_id=req.id,
                    row_id=row.id,
                    level=int(req.level),
                    value=v,
                    reason="本企业没有该工序" if v == "na" else "",
                )
            )
    ExpertRating.objects.bulk_create(ratings, batch_size=500)
    if submit:
        member.ratings_submitted_at = timezone.now()
        member.save(update_fields=["ratings_submitted_at"])
    return len(ratings)


def smallest_row(formal: FormalAssessment) -> tuple[int, str]:
    """(index, id) of the sector view's row with the fewest requirements (at least two)."""
    view = sector_view(formal.assessment.catalog_version, formal.assessment.sector)
    index = min(
        (i for i, r in enumerate(view.rows) if len(r.requirements) >= 2),
        key=lambda i: len(view.rows[i].requirements),
    )
    return index, view.rows[index].id
