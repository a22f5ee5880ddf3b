"""Who may see or change a self-assessment, its ratings and its evidence (docs/access.md has the policy).

- The enterprise's own people read and fill its self-assessments, in every state (withdrawn ones stay
  readable to them).
- While in progress (draft) or withdrawn, a self-assessment is private to the enterprise: nobody else sees it.
- Once submitted, it is readable (result, answers, evidence) by the regulators whose jurisdiction covers the
  enterprise's region and by the platform admin; neither may change it.
- Formal assessments (kind FORMAL) are never reached through these helpers: ``nfmaturity.formal.access``
  decides who sees them (the team, the body, the enterprise; regulators once published).
- Assessment bodies and their experts see no self-assessment: they will see an enterprise's data only for
  the formal assessments that enterprise applies to them for.

The same 404 is returned for "missing" and "not yours"; 403 only for people who may read but not write.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404

from nfmaturity.accounts.access import AnyUser, membership_of
from nfmaturity.accounts.models import OrganisationKind
from nfmaturity.assessments.models import Assessment, AssessmentKind, AssessmentState, Attachment
from nfmaturity.enterprises import regions
from nfmaturity.enterprises.access import get_enterprise_for_user, in_jurisdiction, jurisdiction_of
from nfmaturity.enterprises.models import Enterprise


def visible_assessments(user: AnyUser) -> QuerySet[Assessment]:
    jurisdiction = jurisdiction_of(user)
    if jurisdiction is not None:  # a regulator or the platform admin: the submitted ones they oversee
        submitted = Assessment.objects.filter(kind=AssessmentKind.SELF, state=AssessmentState.SUBMITTED)
        return in_jurisdiction(submitted, jurisdiction, "enterprise__region_code")
    return fillable_assessments(user)


def fillable_assessments(user: AnyUser) -> QuerySet[Assessment]:
    """Assessments ``user`` may write to, whatever their state: his own enterprise's (services then check
    that the one they lock is still a draft)."""
    membership = membership_of(user)
    if membership is None or membership.organisation.kind != OrganisationKind.ENTERPRISE:
        return Assessment.objects.none()
    # Only self-assessments: a formal assessment's ratings are the team's, reached through nfmaturity.formal.
    return Assessment.objects.filter(
        kind=AssessmentKind.SELF, enterprise__organisation_id=membership.organisation_id
    )


def can_fill(user: AnyUser, assessment: Assessment) -> bool:
    """Members of the owning enterprise fill its self-assessments (admins and members alike)."""
    membership = membership_of(user)
    if membership is None:
        return False
    return membership.organisation_id == assessment.enterprise.organisation_id


def sees_self_assessments_of(user: AnyUser, enterprise: Enterprise) -> bool:
    """Whether ``user`` may list an enterprise's self-assessments at all (its own people, the regulators
    covering it, the platform admin). An assessment body reads the profile but never this list."""
    jurisdiction = jurisdiction_of(user)
    if jurisdiction is not None:
        return regions.covers(jurisdiction, enterprise.region_code)
    membership = membership_of(user)
    return membership is not None and membership.organisation_id == enterprise.organisation_id


def get_enterprise_assessments_for_user(user: AnyUser, enterprise_pk: int) -> Enterprise:
    """The enterprise whose history and comparisons ``user`` may open; 404 for those who may not list its
    self-assessments (an assessment body), exactly as for a missing enterprise."""
    enterprise = get_enterprise_for_user(user, enterprise_pk)
    if not sees_self_assessments_of(user, enterprise):
        raise Http404
    return enterprise


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
