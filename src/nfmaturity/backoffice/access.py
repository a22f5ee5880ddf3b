"""Who may use the back office, and how far each one sees.

- The platform admin (superuser) sees and manages every organisation, member and invitation, and reads
  the whole audit log.
- A regulator reads, without changing anything, the organisations of the enterprises inside its
  jurisdiction and its own organisation, with their members, and the audit events of those organisations,
  except what is not theirs to read (see visible_events).
- An organisation admin (enterprise or assessment body) reads its own organisation's audit events, and a
  body's admin also the events of the formal assessments its body carries out; its members are managed on
  the members page (accounts:members).

A page the user's role has no part in is a 403; an object outside what the user sees is the same 404 as a
missing one.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from django.apps import apps
from django.core.exceptions import PermissionDenied
from django.db.models import CharField, Q, QuerySet
from django.db.models.functions import Cast
from django.http import Http404

from nfmaturity.accounts.access import AnyUser, membership_of
from nfmaturity.accounts.models import Invitation, Membership, Organisation, OrganisationKind
from nfmaturity.audit.models import AuditAction, AuditEvent
from nfmaturity.enterprises.access import in_jurisdiction
from nfmaturity.enterprises.models import Enterprise
from nfmaturity.formal.models import FormalAssessment, FormalState


class Desk(StrEnum):
    PLATFORM = "platform"
    REGULATOR = "regulator"
    ORGANISATION_ADMIN = "organisation_admin"


@dataclass(frozen=True)
class Seat:
    """The back-office role of the current user and the organisation it belongs to (if any)."""

    desk: Desk
    organisation: Organisation | None

    @property
    def manages(self) -> bool:
        return self.desk is Desk.PLATFORM


def seat_of(user: AnyUser) -> Seat | None:
    if not user.is_authenticated:
        return None
    membership = membership_of(user)
    organisation = membership.organisation if membership else None
    if user.is_superuser:
        return Seat(Desk.PLATFORM, organisation)
    if membership is None or organisation is None:
        return None
    if organisation.kind == OrganisationKind.REGULATOR:
        return Seat(Desk.REGULATOR, organisation)
    if membership.is_admin:
        return Seat(Desk.ORGANISATION_ADMIN, organisation)
    return None


def require_seat(user: AnyUser, *desks: Desk) -> Seat:
    seat = seat_of(user)
    if seat is None or seat.desk not in desks:
        raise PermissionDenied
    return seat


def _own_id(seat: Seat) -> int:
    assert seat.organisation is not None  # regulator and organisation-admin seats always have one
    return seat.organisation.pk


def visible_organisations(seat: Seat) -> QuerySet[Organisation]:
    if seat.desk is Desk.PLATFORM:
        return Organisation.objects.all()
    if seat.desk is Desk.REGULATOR:
        assert seat.organisation is not None  # a regulator seat always has its organisation
        inside = in_jurisdiction(Enterprise.objects.all(), seat.organisation.jurisdiction).values(
            "organisation_id"
        )
        return Organisation.objects.filter(Q(pk=seat.organisation.pk) | Q(pk__in=inside))
    return Organisation.objects.filter(pk=_own_id(seat))


def get_organisation(seat: Seat, pk: int) -> Organisation:
    organisation = visible_organisations(seat).filter(pk=pk).first()
    if organisation is None:
        raise Http404
    return organisation


def get_membership_to_manage(seat: Seat, pk: int) -> Membership:
    """A membership the platform admin changes; others get 404 for one they cannot see, else 403."""
    membership = (
        Membership.objects.select_related("user", "organisation")
        .filter(pk=pk, organisation__in=visible_organisations(seat))
        .first()
    )
    if membership is None:
        raise Http404
    if not seat.manages:
        raise PermissionDenied
    return membership


def get_invitation_to_manage(seat: Seat, pk: int) -> Invitation:
    invitation = (
        Invitation.objects.select_related("organisation")
        .filter(pk=pk, organisation__in=visible_organisations(seat))
        .first()
    )
    if invitation is None:
        raise Http404
    if not seat.manages:
        raise PermissionDenied
    return invitation


# The formal services tag every event with the enterprise's organisation, so the enterprise's admin and the
# regulators over it would read the team's own work in the log: each expert's rating (docs/access.md: only the
# team and the body admin), settlements and the draft conclusion before the result is sent.
TEAM_ONLY_TYPES = ("formal.expertrating", "formal.settlement")
TEAM_ONLY_ACTIONS = (
    AuditAction.EXPERT_RATING_CHANGED,
    AuditAction.NOT_APPLICABLE_CONFIRMED,
    AuditAction.REQUIREMENT_SETTLED,
    AuditAction.CONCLUSION_SAVED,
)


def _without_team_work(events: QuerySet[AuditEvent]) -> QuerySet[AuditEvent]:
    return events.exclude(object_type__in=TEAM_ONLY_TYPES).exclude(action__in=TEAM_ONLY_ACTIONS)


# A self-assessment being filled in belongs to the enterprise alone: "谁能看到我的自评估？" promises that no
# regulator, body or platform admin sees it. Its editing history (each rating, attachment, import) is
# therefore read by the enterprise only; others read that it was started, submitted or withdrawn, and
# the submitted result on the results pages.
DRAFT_CONTENT_ACTIONS = (
    AuditAction.RATING_CHANGED,
    AuditAction.ATTACHMENT_ADDED,
    AuditAction.ATTACHMENT_REMOVED,
    AuditAction.WORKBOOK_IMPORTED,
    AuditAction.DEMO_RATINGS_LOADED,
)


def _published_formal_only(events: QuerySet[AuditEvent]) -> QuerySet[AuditEvent]:
    """A regulator sees a formal assessment once it is published (docs/access.md), and then its main events."""
    published = (
        FormalAssessment.objects.filter(state=FormalState.PUBLISHED)
        .annotate(key=Cast("pk", CharField()))
        .values("key")
    )
    return events.exclude(
        Q(object_type__startswith="formal.")
        & ~Q(object_type=FormalAssessment._meta.label_lower, object_id__in=published)
    )


def _keys(queryset: QuerySet[Any]) -> QuerySet[Any]:
    """The primary keys as the log stores them (text), for an IN over AuditEvent.object_id."""
    keys: QuerySet[Any] = queryset.annotate(key=Cast("pk", CharField())).values("key")
    return keys


def _formal_work_of(body_id: int) -> Q:
    """Events on a body's formal assessments and on every row of theirs (plan, team, evidence, ratings…).

    The formal services tag these events with the enterprise's organisation, so the body's admin would
    otherwise see none of its own assessments in the log. Matched by object, so another body's formal
    assessment of the same enterprise stays out."""
    formal_model = FormalAssessment
    match = Q(
        object_type=formal_model._meta.label_lower,
        object_id__in=_keys(formal_model.objects.filter(body_id=body_id)),
    )
    for model in apps.get_app_config("formal").get_models():
        if any(
            field.name == "formal" and field.related_model is formal_model for field in model._meta.fields
        ):
            match |= Q(
                object_type=model._meta.label_lower,
                object_id__in=_keys(model._default_manager.filter(formal__body_id=body_id)),
            )
    return match


def visible_events(seat: Seat) -> QuerySet[AuditEvent]:
    """The audit events a seat reads: all; those of the organisations a regulator sees; one's own.

    Outside the platform admin, none of a formal assessment team's own work (see TEAM_ONLY_TYPES), except
    for the admin of the body doing it; outside the enterprise, none of a self-assessment's editing."""
    if seat.desk is Desk.PLATFORM:
        return AuditEvent.objects.exclude(action__in=DRAFT_CONTENT_ACTIONS)
    own = _own_id(seat)
    if seat.desk is Desk.ORGANISATION_ADMIN:
        assert seat.organisation is not None  # an organisation-admin seat always has its organisation
        if seat.organisation.kind == OrganisationKind.BODY:
            return AuditEvent.objects.filter(Q(organisation_id=own) | _formal_work_of(own))
        return _without_team_work(AuditEvent.objects.filter(organisation_id=own))
    return _published_formal_only(
        _without_team_work(
            AuditEvent.objects.filter(organisation_id__in=visible_organisations(seat).values("pk"))
        )
    ).exclude(action__in=DRAFT_CONTENT_ACTIONS)
