"""``{% verification_banner enterprise %}``: where an enterprise stands in verification and what comes next.

Its own people read who verifies it and what happens next; a reviewer gets a link to the verification page.
"""

from __future__ import annotations

from typing import Any

from django import template

from nfmaturity.accounts.access import membership_of
from nfmaturity.enterprises.access import can_verify
from nfmaturity.enterprises.models import ClaimState, Enterprise, VerificationState
from nfmaturity.enterprises.review import covering_regulators

register = template.Library()


@register.inclusion_tag("enterprises/_verification_banner.html", takes_context=True)
def verification_banner(context: template.Context, enterprise: Enterprise) -> dict[str, Any]:
    user = context["user"]
    membership = membership_of(user)
    own = membership is not None and membership.organisation_id == enterprise.organisation_id
    unsettled = enterprise.verification != VerificationState.VERIFIED
    return {
        "enterprise": enterprise,
        "own": own,
        "can_review": not own and unsettled and can_verify(user, enterprise),
        "regulators": list(covering_regulators(enterprise)) if own and unsettled else [],
        "claim": enterprise.claims_made.filter(state=ClaimState.PENDING).first()
        if own and unsettled
        else None,
    }
