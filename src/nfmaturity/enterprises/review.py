"""Who may verify an enterprise and decide code claims: the access helper of the verification pages.

A regulator verifies the enterprises inside its jurisdiction (a GB/T 2260 division code: a province
covers every code sharing its first two digits, a city its first four, a county only itself; national
covers all); the platform admin (superuser) verifies everywhere. Nobody else reviews. An enterprise the
user may not review answers 404, as a missing one does.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.http import Http404

from nfmaturity.accounts.access import AnyUser
from nfmaturity.accounts.models import NATIONAL_JURISDICTION, Organisation, OrganisationKind
from nfmaturity.enterprises import regions
from nfmaturity.enterprises.access import can_verify, jurisdiction_of, overseen_enterprises
from nfmaturity.enterprises.models import ClaimState, CodeClaim, Enterprise, VerificationState


def is_reviewer(user: AnyUser) -> bool:
    return jurisdiction_of(user) is not None


def get_enterprise_for_review(user: AnyUser, pk: int) -> Enterprise:
    enterprise = overseen_enterprises(user).filter(pk=pk).first()
    if enterprise is None:
        raise Http404
    return enterprise


def queue(user: AnyUser, state: VerificationState) -> QuerySet[Enterprise]:
    """The enterprises in ``state`` the user reviews, oldest registration first (first come, first served)."""
    return overseen_enterprises(user).filter(verification=state).order_by("created_at", "pk")


def claims_for_review(user: AnyUser) -> QuerySet[CodeClaim]:
    """Pending claims that concern an enterprise inside the user's scope, claimant or holder."""
    jurisdiction = jurisdiction_of(user)
    prefix = regions.jurisdiction_prefix(jurisdiction) if jurisdiction is not None else None
    if prefix is None:
        return CodeClaim.objects.none()
    return CodeClaim.objects.filter(
        Q(claimant__region_code__startswith=prefix) | Q(holder__region_code__startswith=prefix),
        state=ClaimState.PENDING,
    ).select_related("claimant", "holder")


def current_holder(claim: CodeClaim) -> Enterprise | None:
    """Who holds the claimed code now (it may have moved since the claim was made)."""
    return Enterprise.objects.filter(uscc=claim.uscc).exclude(pk=claim.claimant_id).first()


def can_decide_claim(user: AnyUser, claim: CodeClaim, holder: Enterprise | None) -> bool:
    """Taking a code from one enterprise and giving it to another needs authority over both (the service
    checks the same again under its locks)."""
    return can_verify(user, claim.claimant) and (holder is None or can_verify(user, holder))


def claim_page(user: AnyUser, claim: CodeClaim) -> Enterprise:
    """Where the user handles a claim: the claimant's verification page, or the holder's when only the
    holder is inside the user's jurisdiction."""
    if can_verify(user, claim.claimant):
        return claim.claimant
    holder = current_holder(claim) or claim.holder
    if holder is None or not can_verify(user, holder):
        raise Http404
    return holder


def get_claim_for_review(user: AnyUser, pk: int) -> CodeClaim:
    claim = claims_for_review(user).filter(pk=pk).first()
    if claim is None:
        raise Http404
    return claim


def covering_regulators(enterprise: Enterprise) -> QuerySet[Organisation]:
    """The regulators who may verify ``enterprise``: its county's, city's, province's and national ones."""
    code = enterprise.region_code
    codes = {NATIONAL_JURISDICTION, code[:2] + "0000", code[:4] + "00", code}
    return Organisation.objects.filter(
        kind=OrganisationKind.REGULATOR, jurisdiction__in=codes, is_demo=enterprise.is_demo
    ).order_by("-jurisdiction")
