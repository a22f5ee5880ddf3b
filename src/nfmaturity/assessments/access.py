"""Who may see or change a self-assessment, its ratings and its evidence.

Self-assessments belong to the enterprise: its members read and fill them (withdrawn ones stay readable to
them); regulators read submitted ones and the platform admin reads all; assessment bodies see none (they get formal assessments only). The same 404
is returned for "missing" and "not yours"; 403 only for people who may read but not write.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404

from nfmaturity.accounts.access import AnyUser, membership_of
from nfmaturity.accounts.models import OrganisationKind
from nfmaturity.assessments.models import Assessment, AssessmentState, Attachment


def visible_assessments(user: AnyUser) -> QuerySet[Assessment]:
    if not user.is_authenticated:
        return Assessment.objects.none()
    if user.is_superuser:
        return Assessment.objects.all()
    membership = membership_of(user)
    if membership is None:
        return Assessment.objects.none()
    kind = membership.organisation.kind
    if kind == OrganisationKind.ENTERPRISE:
        return Assessment.objects.filter(enterprise__organisation_id=membership.organisation_id)
    if kind == OrganisationKind.REGULATOR:
        return Assessment.objects.filter(state=AssessmentState.SUBMITTED)
    return Assessment.objects.none()


def fillable_assessments(user: AnyUser) -> QuerySet[Assessment]:
    """Assessments ``user`` may write to, whatever their state: his own enterprise's (services then check
    that the one they lock is still a draft)."""
    membership = membership_of(user)
    if membership is None or membership.organisation.kind != OrganisationKind.ENTERPRISE:
        return Assessment.objects.none()
    return Assessment.objects.filter(enterprise__organisation_id=membership.organisation_id)


def can_fill(user: AnyUser, assessment: Assessment) -> bool:
    """Members of the owning enterprise fill its self-assessments (admins and members alike)."""
    membership = membership_of(user)
    if membership is None:
        return False
    return membership.organisation_id == assessment.enterprise.organisation_id


def get_assessment_for_user(user: AnyUser, pk: int, *, write: bool = False) -> Assessment:
    assessment = visible_assessments(user).select_related("enterprise", "unit").filter(pk=pk).first()
    if assessment is None:
        raise Http404
    if write and not can_fill(user, assessment):
        raise PermissionDenied
    return assessment


def get_attachment_for_user(user: AnyUser, pk: int) -> Attachment:
    attachment = Attachment.objects.filter(pk=pk).select_related("assessment").first()
    if attachment is None:
        raise Http404
    if not visible_assessments(user).filter(pk=attachment.assessment_id).exists():
        raise Http404
    return attachment
