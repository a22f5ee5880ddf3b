"""Writes to the enterprise registry; one function per action, each in a transaction with an audit event."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from nfmaturity.accounts.models import OrganisationKind, Role
from nfmaturity.accounts.services import create_member, create_organisation
from nfmaturity.audit.models import AuditAction
from nfmaturity.audit.services import record_event
from nfmaturity.enterprises.access import can_verify
from nfmaturity.enterprises.models import (
    ClaimState,
    CodeClaim,
    Contact,
    Enterprise,
    Unit,
    VerificationState,
)
from nfmaturity.enterprises.registration import ADDRESS_KEY, REGISTRATIONS_PER_HOUR, recent_registrations

PROFILE_FIELDS = (
    "name",
    "uscc",
    "region_code",
    "sectors",
    "metals",
    "size",
    "above_scale",
    "address",
    "group_name",
    "group_uscc",
)
# Fixed once verified: only the verifier changes them.
IDENTITY_FIELDS = frozenset({"name", "uscc"})


class RegistrationThrottled(Exception):
    """Too many registrations from one client address in the past hour (see registration.py)."""

    message = (
        f"同一网络地址一小时内最多注册 {REGISTRATIONS_PER_HOUR} 家企业，请稍后再试；"
        "如需批量登记，请联系所在地主管部门或平台管理员。"
    )


@dataclass(frozen=True)
class Registration:
    enterprise: Enterprise
    admin: User
    claim: CodeClaim | None = None


CODE_TAKEN = "该统一社会信用代码已注册"


@transaction.atomic
def register_enterprise(
    *,
    profile: dict[str, Any],
    admin_username: str,
    admin_password: str,
    admin_name: str = "",
    admin_email: str = "",
    is_demo: bool = False,
    claim_statement: str = "",
    client_address: str | None = None,
) -> Registration:
    """Create the organisation, its profile (pending verification) and its first administrator in one go.

    A code someone else already registered is refused, unless the registrant claims it
    (``claim_statement``): the enterprise is then created without a code and the claim waits for the
    verifier. ``client_address`` is given for self-registrations, which it limits (registration.py).
    """
    if client_address is not None and recent_registrations(client_address) >= REGISTRATIONS_PER_HOUR:
        raise RegistrationThrottled
    values = {k: profile[k] for k in PROFILE_FIELDS if k in profile}
    code: str | None = values.get("uscc")
    # Locked so the holder cannot lose the code to a claim decision while this claim is being made.
    holder = Enterprise.objects.select_for_update().filter(uscc=code).first() if code else None
    if holder is not None:
        if not claim_statement.strip():
            raise ValidationError({"uscc": CODE_TAKEN})
        values["uscc"] = None
    organisation = create_organisation(name=values["name"], kind=OrganisationKind.ENTERPRISE)
    if is_demo:
        organisation.is_demo = True
        organisation.save(update_fields=["is_demo"])
    try:
        with transaction.atomic():  # a savepoint: the same code registered a moment ago is a form error
            enterprise = Enterprise.objects.create(organisation=organisation, is_demo=is_demo, **values)
    except IntegrityError:
        raise ValidationError({"uscc": CODE_TAKEN}) from None
    admin = create_member(
        organisation=organisation,
        username=admin_username,
        password=admin_password,
        role=Role.ENTERPRISE_ADMIN,
        full_name=admin_name,
        email=admin_email,
    )
    new = _snapshot(enterprise)
    if client_address is not None:
        new[ADDRESS_KEY] = client_address
    record_event(
        actor=admin,
        action=AuditAction.ENTERPRISE_REGISTERED,
        obj=enterprise,
        organisation_id=organisation.pk,
        new=new,
    )
    claim = None
    if holder is not None and code is not None:
        claim = CodeClaim.objects.create(
            uscc=code, holder=holder, claimant=enterprise, statement=claim_statement.strip(), created_by=admin
        )
        record_event(
            actor=admin,
            action=AuditAction.CODE_CLAIMED,
            obj=claim,
            organisation_id=organisation.pk,
            new={"uscc": code, "holder": holder.name, "claimant": enterprise.name},
            reason=claim.statement,
        )
    return Registration(enterprise=enterprise, admin=admin, claim=claim)


def _snapshot(enterprise: Enterprise) -> dict[str, Any]:
    return {k: getattr(enterprise, k) for k in PROFILE_FIELDS}


def shown_profile(enterprise: Enterprise) -> str:
    """The profile as an edit form shows it (JSON, carried in the form): what the user's save is based on."""
    return json.dumps(_snapshot(enterprise), ensure_ascii=False, sort_keys=True)


def _same(a: object, b: object) -> bool:
    """Profile values compared as the form sends them: lists in any order, no code and an empty one alike."""
    if isinstance(a, list) and isinstance(b, list):
        return sorted(map(str, a)) == sorted(map(str, b))
    return ("" if a is None else a) == ("" if b is None else b)


class StaleProfile(Exception):
    """Someone changed fields of the profile since the form was shown that this save changes differently.

    ``conflicts`` maps each such field to its value now; ``current`` is the profile as it is now; ``merged``
    is this save's profile with the others' changes taken in (what to show the user again)."""

    def __init__(self, current: Enterprise, conflicts: dict[str, Any], merged: dict[str, Any]) -> None:
        super().__init__("企业信息在您打开此页后已被修改")
        self.current = current
        self.conflicts = conflicts
        self.merged = merged


def _merge(locked: Enterprise, profile: dict[str, Any], shown: dict[str, Any]) -> dict[str, Any]:
    """Two people editing the profile at once: a field only the other one changed keeps the other's value
    (this form still carries the old one), a field only this one changed takes this value, and a field both
    changed differently is refused (StaleProfile) so that neither edit is lost without anyone seeing it."""
    merged, conflicts = dict(profile), {}
    for key, value in profile.items():
        if key not in shown or _same(getattr(locked, key), shown[key]):
            continue  # unchanged since the form was shown
        if _same(value, shown[key]):
            merged[key] = getattr(locked, key)  # left as shown: the newer value stands
        elif not _same(value, getattr(locked, key)):
            conflicts[key] = getattr(locked, key)
    if conflicts:
        raise StaleProfile(locked, conflicts, merged)
    return merged


def _lock(enterprise: Enterprise) -> Enterprise:
    return Enterprise.objects.select_for_update().select_related("organisation").get(pk=enterprise.pk)


def has_pending_claim(enterprise: Enterprise) -> bool:
    return enterprise.claims_made.filter(state=ClaimState.PENDING).exists()


@transaction.atomic
def update_enterprise(
    *, enterprise: Enterprise, actor: User, profile: dict[str, Any], shown: dict[str, Any] | None = None
) -> Enterprise:
    """The enterprise edits its own profile; ``shown`` is the profile the form was based on (see ``_merge``).

    Name and code are fixed once verified (only the verifier changes them, see ``correct_identity``), and
    a code under claim waits for the verifier's decision. A rejected enterprise that changes its profile,
    and a verified one that changes its region, go back to the queue.
    """
    locked = _lock(enterprise)
    if shown is not None:
        profile = _merge(locked, profile, shown)
    old = _snapshot(locked)
    for key in PROFILE_FIELDS:
        if key in profile:
            setattr(locked, key, profile[key])
    new = _snapshot(locked)
    changed = {k for k in PROFILE_FIELDS if old[k] != new[k]}
    if changed & IDENTITY_FIELDS:
        if locked.verification == VerificationState.VERIFIED:
            raise ValidationError("企业已通过核验：名称和统一社会信用代码只能由核验人员修改")
        if "uscc" in changed and has_pending_claim(locked):
            raise ValidationError("本企业的信用代码认领正在处理，处理完成前不能修改代码")
    if not changed:
        return locked
    # The region decides which regulator verifies and counts the enterprise: a verified enterprise that moves
    # itself must be verified again by the regulator of its new region, not stay counted where it chose.
    moved = "region_code" in changed and locked.verification == VerificationState.VERIFIED
    if locked.verification == VerificationState.REJECTED or moved:
        previous = locked.verification
        locked.verification = VerificationState.PENDING
        old["verification"], new["verification"] = previous, VerificationState.PENDING
        changed.add("verification")
    _save_profile(locked, changed)
    record_event(
        actor=actor,
        action=AuditAction.ENTERPRISE_UPDATED,
        obj=locked,
        organisation_id=locked.organisation_id,
        old={k: old[k] for k in sorted(changed)},
        new={k: new[k] for k in sorted(changed)},
    )
    return locked


def _save_profile(enterprise: Enterprise, changed: set[str]) -> None:
    try:
        with transaction.atomic():
            enterprise.save()
    except IntegrityError:  # the code was registered by someone else after the form checked it
        raise ValidationError({"uscc": CODE_TAKEN}) from None
    if "name" in changed:
        enterprise.organisation.name = enterprise.name
        enterprise.organisation.save(update_fields=["name"])


# --- Verification: a regulator of the enterprise's jurisdiction, or the platform admin ------------------


def _require_reviewer(actor: User, enterprise: Enterprise) -> None:
    # The views answer 404 before getting here; the service refuses too, so no other caller can skip it.
    if not can_verify(actor, enterprise):
        raise PermissionDenied


def _required(text: str, message: str) -> str:
    text = text.strip()
    if not text:
        raise ValidationError(message)
    return text


def _decide(locked: Enterprise, actor: User, state: VerificationState, note: str) -> dict[str, str]:
    old = {"verification": locked.verification}
    # verified_by / verified_at record who decided and when, whichever way the decision went.
    locked.verification = state
    locked.verified_by = actor
    locked.verified_at = timezone.now()
    locked.verification_note = note
    locked.save(
        update_fields=["verification", "verified_by", "verified_at", "verification_note", "updated_at"]
    )
    return old


@transaction.atomic
def verify_enterprise(*, actor: User, enterprise: Enterprise, note: str = "") -> Enterprise:
    locked = _lock(enterprise)
    _require_reviewer(actor, locked)
    if locked.verification == VerificationState.VERIFIED:
        raise ValidationError("该企业已通过核验")
    if locked.uscc is None:
        raise ValidationError("该企业尚无统一社会信用代码（认领待处理或已改配），请先处理代码再核验")
    old = _decide(locked, actor, VerificationState.VERIFIED, note.strip())
    record_event(
        actor=actor,
        action=AuditAction.ENTERPRISE_VERIFIED,
        obj=locked,
        organisation_id=locked.organisation_id,
        old=old,
        new={"verification": VerificationState.VERIFIED, "name": locked.name, "uscc": locked.uscc},
        reason=note.strip(),
    )
    return locked


@transaction.atomic
def reject_enterprise(*, actor: User, enterprise: Enterprise, reason: str) -> Enterprise:
    reason = _required(reason, "请填写不通过的理由（企业会看到）")
    locked = _lock(enterprise)
    _require_reviewer(actor, locked)
    if locked.verification == VerificationState.REJECTED:
        raise ValidationError("该企业已是未通过核验状态")
    old = _decide(locked, actor, VerificationState.REJECTED, reason)
    record_event(
        actor=actor,
        action=AuditAction.ENTERPRISE_REJECTED,
        obj=locked,
        organisation_id=locked.organisation_id,
        old=old,
        new={"verification": VerificationState.REJECTED},
        reason=reason,
    )
    return locked


@transaction.atomic
def correct_identity(*, actor: User, enterprise: Enterprise, name: str, uscc: str, reason: str) -> Enterprise:
    """The verifier corrects the registered name or code (fixed for the enterprise itself once verified)."""
    reason = _required(reason, "请填写修改理由")
    locked = _lock(enterprise)
    _require_reviewer(actor, locked)
    old = {"name": locked.name, "uscc": locked.uscc}
    new = {"name": name, "uscc": uscc}
    changed = {k for k in old if old[k] != new[k]}
    if not changed:
        raise ValidationError("名称和代码都没有变化")
    if "uscc" in changed and Enterprise.objects.filter(uscc=uscc).exclude(pk=locked.pk).exists():
        raise ValidationError({"uscc": CODE_TAKEN + "：如属代码争议，请通过认领处理"})
    locked.name, locked.uscc = name, uscc
    _save_profile(locked, changed)
    record_event(
        actor=actor,
        action=AuditAction.ENTERPRISE_UPDATED,
        obj=locked,
        organisation_id=locked.organisation_id,
        old={k: old[k] for k in sorted(changed)},
        new={k: new[k] for k in sorted(changed)},
        reason=reason,
    )
    return locked


def _lock_claim(claim: CodeClaim, actor: User) -> tuple[CodeClaim, Enterprise, Enterprise | None]:
    """Lock the claim, the claimant and whoever holds the code now (in primary-key order: no deadlock)."""
    locked_claim = CodeClaim.objects.select_for_update().get(pk=claim.pk)
    if locked_claim.state != ClaimState.PENDING:
        raise ValidationError("该认领已处理")
    rows = {
        e.pk: e
        for e in Enterprise.objects.select_for_update()
        .select_related("organisation")
        .filter(Q(pk=locked_claim.claimant_id) | Q(uscc=locked_claim.uscc))
        .order_by("pk")
    }
    claimant = rows.pop(locked_claim.claimant_id)
    holder = next(iter(rows.values()), None)
    # Taking a code from one enterprise and giving it to another needs authority over both.
    if not can_verify(actor, claimant) or (holder is not None and not can_verify(actor, holder)):
        raise PermissionDenied
    return locked_claim, claimant, holder


def _close_claim(claim: CodeClaim, actor: User, state: ClaimState, reason: str) -> None:
    claim.state = state
    claim.decided_by = actor
    claim.decided_at = timezone.now()
    claim.decision_reason = reason
    claim.save(update_fields=["state", "decided_by", "decided_at", "decision_reason"])


@transaction.atomic
def grant_claim(*, actor: User, claim: CodeClaim, reason: str) -> CodeClaim:
    """The code goes to the claimant; the holder loses it and returns to the queue. Both trails record it."""
    reason = _required(reason, "请填写改配理由")
    locked, claimant, holder = _lock_claim(claim, actor)
    if claimant.uscc is not None:
        raise ValidationError("认领方已有统一社会信用代码，不能再改配")
    if holder is not None:
        old_state = holder.verification
        holder.uscc = None
        holder.verification = VerificationState.PENDING
        holder.save(update_fields=["uscc", "verification", "updated_at"])
        record_event(
            actor=actor,
            action=AuditAction.CODE_REASSIGNED,
            obj=holder,
            organisation_id=holder.organisation_id,
            old={"uscc": locked.uscc, "verification": old_state},
            new={"uscc": None, "verification": VerificationState.PENDING, "to": claimant.name},
            reason=reason,
        )
    claimant.uscc = locked.uscc
    claimant.save(update_fields=["uscc", "updated_at"])
    record_event(
        actor=actor,
        action=AuditAction.CODE_REASSIGNED,
        obj=claimant,
        organisation_id=claimant.organisation_id,
        old={"uscc": None},
        new={"uscc": locked.uscc, "from": holder.name if holder is not None else None},
        reason=reason,
    )
    _close_claim(locked, actor, ClaimState.GRANTED, reason)
    return locked


@transaction.atomic
def refuse_claim(*, actor: User, claim: CodeClaim, reason: str) -> CodeClaim:
    reason = _required(reason, "请填写驳回理由")
    locked, claimant, _holder = _lock_claim(claim, actor)
    _close_claim(locked, actor, ClaimState.REFUSED, reason)
    record_event(
        actor=actor,
        action=AuditAction.CODE_CLAIM_REFUSED,
        obj=locked,
        organisation_id=claimant.organisation_id,
        old={"state": ClaimState.PENDING},
        new={"state": ClaimState.REFUSED, "uscc": locked.uscc},
        reason=reason,
    )
    return locked


@transaction.atomic
def add_unit(*, enterprise: Enterprise, actor: User, name: str, kind: str, sector: str = "") -> Unit:
    unit = Unit.objects.create(enterprise=enterprise, name=name, kind=kind, sector=sector)
    record_event(
        actor=actor,
        action=AuditAction.UNIT_ADDED,
        obj=unit,
        organisation_id=enterprise.organisation_id,
        new={"name": name, "kind": kind, "sector": sector},
    )
    return unit


@transaction.atomic
def add_contact(
    *,
    enterprise: Enterprise,
    actor: User,
    name: str,
    title: str = "",
    phone: str = "",
    email: str = "",
) -> Contact:
    contact = Contact.objects.create(enterprise=enterprise, name=name, title=title, phone=phone, email=email)
    record_event(
        actor=actor,
        action=AuditAction.CONTACT_ADDED,
        obj=contact,
        organisation_id=enterprise.organisation_id,
        new={"name": name, "title": title},
    )
    return contact
