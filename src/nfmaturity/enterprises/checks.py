"""What a verifier should check about a registration, worked out for them.

The platform cannot ask the national registry (it runs offline), so it reads what the code itself says
(GB 32100: registering authority, kind of organisation, the registering office's division) and sets it
beside what the registrant typed, and it looks for traces of bulk or repeated registration: the same
name, the same e-mail, the same client address. Everything here is a hint for a person, never a verdict.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from django.contrib.auth.models import User
from django.db.models import Q
from django.db.models.functions import Lower

from nfmaturity.accounts.models import Membership, OrganisationKind, Role
from nfmaturity.audit.models import AuditAction, AuditEvent
from nfmaturity.enterprises import regions
from nfmaturity.enterprises.models import ClaimState, CodeClaim, Enterprise
from nfmaturity.enterprises.names import same_names
from nfmaturity.enterprises.registration import ADDRESS_KEY
from nfmaturity.enterprises.uscc import UsccError, describe, validate_uscc

# A busy address (a shared office, an agent) may have registered hundreds: the most recent few show the pattern.
SHOWN_PER_ADDRESS = 20


class Level(Enum):
    OK = "ok"
    WARN = "warn"
    INFO = "info"


@dataclass(frozen=True)
class Finding:
    level: Level
    title: str
    detail: str = ""

    @property
    def flagged(self) -> bool:
        return self.level is Level.WARN


@dataclass
class Review:
    """One enterprise as the verifier sees it."""

    enterprise: Enterprise
    registrant: User | None = None
    registered_from: str = ""
    findings: list[Finding] = field(default_factory=list)
    same_name: list[Enterprise] = field(default_factory=list)
    same_email: list[Enterprise] = field(default_factory=list)
    same_address: list[Enterprise] = field(default_factory=list)
    claims_made: list[CodeClaim] = field(default_factory=list)
    claims_against: list[CodeClaim] = field(default_factory=list)

    @property
    def flags(self) -> list[Finding]:
        return [f for f in self.findings if f.flagged]


def region_label(code: str) -> str:
    """The name of a division, or of the nearest enclosing one the table knows ("湖南省（430100）")."""
    table = regions.regions()
    for candidate in (code, code[:4] + "00", code[:2] + "0000"):
        if candidate in table:
            name = regions.full_name(candidate)
            return name if candidate == code else f"{name}（{code}）"
    return f"未知区划（{code}）"


def code_findings(code: str, region_code: str) -> list[Finding]:
    """What the code says, and whether it fits the registered region."""
    try:
        validate_uscc(code)
    except UsccError as exc:
        return [Finding(Level.WARN, "代码格式", str(exc))]
    parts = describe(code)
    findings = [
        Finding(Level.OK, "校验位正确", "代码按 GB 32100-2015 校验通过（只说明没有输错，不说明属于谁）")
    ]
    kind = f"登记管理部门：{parts.authority}；机构类别：{parts.category}"
    if parts.is_enterprise:
        findings.append(Finding(Level.OK, "企业代码（91 开头）", kind))
    else:
        findings.append(Finding(Level.WARN, "不是市场监管部门登记的企业", kind))
    office, registered = parts.region_code, region_code
    where = f"代码中的登记机关：{region_label(office)}；注册填写：{region_label(registered)}"
    office_prefix = regions.jurisdiction_prefix(office)
    registered_prefix = regions.jurisdiction_prefix(registered) or registered
    if not office_prefix:
        findings.append(Finding(Level.WARN, "代码中的行政区划码无效", where))
    elif registered.startswith(office_prefix) or office.startswith(registered_prefix):
        findings.append(Finding(Level.OK, "登记机关与所在地区一致", where))
    elif office[:4] == registered[:4]:
        findings.append(Finding(Level.OK, "登记机关在同一设区市", where))
    elif office[:2] == registered[:2]:
        findings.append(Finding(Level.INFO, "同省不同市", where + "（企业可能迁址或由省级机关登记，请核对）"))
    else:
        findings.append(Finding(Level.WARN, "登记机关与所在地区不在同一省份", where))
    return findings


def _enterprise_ids(object_ids: list[str]) -> list[int]:
    return [int(i) for i in object_ids if i.isdigit()]


def reviews(enterprises: list[Enterprise]) -> list[Review]:
    """Reviews for a page of enterprises, in a fixed number of queries whatever the page length."""
    if not enterprises:
        return []
    pks = [e.pk for e in enterprises]
    by_pk = {e.pk: Review(enterprise=e) for e in enterprises}

    events = AuditEvent.objects.filter(
        action=AuditAction.ENTERPRISE_REGISTERED,
        object_type=Enterprise._meta.label_lower,
        object_id__in=[str(pk) for pk in pks],
    ).select_related("actor")
    for event in events:
        review = by_pk[int(event.object_id)]
        review.registrant = event.actor
        review.registered_from = str((event.new or {}).get(ADDRESS_KEY, ""))

    # Other registrations by the same person: the first admin's e-mail, case-insensitively.
    emails = {r.registrant.email.lower() for r in by_pk.values() if r.registrant and r.registrant.email}
    if emails:
        org_by_email: dict[str, set[int]] = {}
        rows = (
            Membership.objects.annotate(email=Lower("user__email"))
            .filter(
                email__in=emails, organisation__kind=OrganisationKind.ENTERPRISE, role=Role.ENTERPRISE_ADMIN
            )
            .values_list("email", "organisation_id")
        )
        for email, organisation_id in rows:
            org_by_email.setdefault(email, set()).add(organisation_id)
        organisations = set().union(*org_by_email.values())
        by_org = {e.organisation_id: e for e in Enterprise.objects.filter(organisation_id__in=organisations)}
        for review in by_pk.values():
            if review.registrant and review.registrant.email:
                review.same_email = [
                    by_org[o]
                    for o in sorted(org_by_email.get(review.registrant.email.lower(), ()))
                    if o in by_org and o != review.enterprise.organisation_id
                ]

    # Other registrations from the same client address (self-registrations record it).
    addresses = {r.registered_from for r in by_pk.values() if r.registered_from}
    if addresses:
        # object_type first: the (object_type, object_id) index narrows the scan to enterprise events,
        # never the millions of rating events beside them.
        same_address = AuditEvent.objects.filter(
            object_type=Enterprise._meta.label_lower,
            action=AuditAction.ENTERPRISE_REGISTERED,
            **{f"new__{ADDRESS_KEY}__in": sorted(addresses)},
        ).values_list("object_id", f"new__{ADDRESS_KEY}")
        ids_by_address: dict[str, list[int]] = {}
        for object_id, address in same_address.order_by("-at"):
            ids = ids_by_address.setdefault(str(address), [])
            if len(ids) < SHOWN_PER_ADDRESS:  # the most recent are enough to show a pattern
                ids.extend(_enterprise_ids([object_id]))
        found = Enterprise.objects.in_bulk(sorted({i for ids in ids_by_address.values() for i in ids}))
        for review in by_pk.values():
            review.same_address = [
                found[i]
                for i in ids_by_address.get(review.registered_from, [])
                if i in found and i != review.enterprise.pk
            ]

    for pk, others in same_names(pks).items():
        by_pk[pk].same_name = others

    codes = [e.uscc for e in enterprises if e.uscc]
    claims = CodeClaim.objects.filter(
        Q(claimant_id__in=pks) | Q(uscc__in=codes), state=ClaimState.PENDING
    ).select_related("claimant", "holder")
    for claim in claims:
        if claim.claimant_id in by_pk:
            by_pk[claim.claimant_id].claims_made.append(claim)
        for review in by_pk.values():
            if review.enterprise.uscc == claim.uscc:
                review.claims_against.append(claim)

    for review in by_pk.values():
        review.findings = _findings(review)
    return [by_pk[pk] for pk in pks]


def _findings(review: Review) -> list[Finding]:
    enterprise = review.enterprise
    findings: list[Finding] = []
    if enterprise.uscc:
        findings.extend(code_findings(enterprise.uscc, enterprise.region_code))
    elif review.claims_made:
        claimed = review.claims_made[0].uscc
        findings.append(Finding(Level.WARN, "无代码：正在认领", f"认领代码 {claimed}，请先处理认领"))
        findings.extend(code_findings(claimed, enterprise.region_code))
    else:
        findings.append(Finding(Level.WARN, "无统一社会信用代码", "代码已改配给他人，或认领被驳回"))
    if review.claims_against:
        findings.append(
            Finding(Level.WARN, "有人认领本企业的代码", f"{len(review.claims_against)} 项认领待处理")
        )
    if review.same_name:
        names = "、".join(f"{e.name}（{e.get_verification_display()}）" for e in review.same_name[:5])
        findings.append(
            Finding(
                Level.WARN, "有同名企业", names + "。同名可以成立（如同一商号的不同工厂），请核对是否冒名"
            )
        )
    if review.same_email:
        findings.append(
            Finding(
                Level.WARN,
                "同一邮箱注册了其他企业",
                "、".join(e.name for e in review.same_email[:5]),
            )
        )
    if review.same_address:
        findings.append(
            Finding(
                Level.INFO,
                "同一网络地址注册了其他企业",
                "、".join(e.name for e in review.same_address[:5]) + "（同一单位或代办机构也会如此）",
            )
        )
    return findings
