"""Synthetic, clearly labelled demo data (演示数据): enterprises, self-assessments, logins.

Demo data never mixes with real data: ``load_demo`` refuses a database that holds any organisation or
user that is not demo data (an operator's own superuser excepted). Every demo organisation and enterprise
is marked ``is_demo`` and named “（演示）…”; the enterprises are verified (note 演示数据) except one left
pending for the verification queue; the Guangxi regulator's jurisdiction is 450000 and two enterprises lie
outside it, so its view and the national regulator's differ.

Grades are not typed in: each assessment gets real ratings, drawn so that most enterprises land in
一级/二级 and few in 四级+ (the inverted pyramid the Guangxi analysis describes), and is then submitted
through the normal service, so the engine scores it. Each enterprise has its own seeded draws, so loading
is idempotent piece by piece: a rerun creates only what is missing (a demo database made by an older
version gains the new pieces), puts the demo regulators' and body's flags back and resets every demo
account's password.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import User
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import BigIntegerField, Q
from django.db.models.functions import Cast
from django.utils import timezone

from nfmaturity.accounts.models import (
    NATIONAL_JURISDICTION,
    Membership,
    Organisation,
    OrganisationKind,
    Role,
)
from nfmaturity.accounts.services import create_member, create_organisation
from nfmaturity.assessments.catalogs import sector_view
from nfmaturity.assessments.models import Assessment, LatestResult, RatingRecord, RatingValue, Result
from nfmaturity.assessments.results import latest_pointer, point_latest
from nfmaturity.assessments.services import start_self_assessment, submit_assessment
from nfmaturity.audit.models import AuditAction, AuditEvent
from nfmaturity.audit.services import record_event
from nfmaturity.enterprises.models import Enterprise, SectorChoice, SizeClass, UnitKind, VerificationState
from nfmaturity.enterprises.regions import regions
from nfmaturity.enterprises.services import add_contact, add_unit, register_enterprise, verify_enterprise
from nfmaturity.enterprises.uscc import ALPHABET, check_character
from nfmaturity.formal import demo as formal_demo

SEED = 20241123
DEMO_NOTE = "演示数据"
GUANGXI = "450000"
ADMIN_USERNAME = "demo-admin"
REGULATOR_NAME = "广西壮族自治区工业和信息化厅（演示）"
HECHI = "451200"
CITY_REGULATOR_NAME = "河池市工业和信息化局（演示）"
NATIONAL_REGULATOR_NAME = "工业和信息化部原材料工业司（演示）"
BODY_NAME = "广西有色金属数字化转型促进中心（演示）"
# The demo's organisations other than enterprises, with each one's jurisdiction ("" for the body).
ORGANISATIONS: tuple[tuple[str, OrganisationKind, str], ...] = (
    (REGULATOR_NAME, OrganisationKind.REGULATOR, GUANGXI),
    (NATIONAL_REGULATOR_NAME, OrganisationKind.REGULATOR, NATIONAL_JURISDICTION),
    (BODY_NAME, OrganisationKind.BODY, ""),
    # A city's office: the dashboard one level down (河池's counties), for "which cities lag" seen from below.
    (CITY_REGULATOR_NAME, OrganisationKind.REGULATOR, HECHI),
)

# (region code, name stem, sectors, metals, size, 规上, grade wanted)
# The grade wanted steers the rating draws (inverted pyramid); the engine decides the real grade. With SEED
# the latest results of the 39 are: 2 未达到一级, 20 一级, 11 二级, 4 三级, 2 四级.
EnterpriseSpec = tuple[str, str, tuple[str, ...], tuple[str, ...], str, bool, int]
ENTERPRISES: tuple[EnterpriseSpec, ...] = (
    ("451221", "南丹锡业", ("smelting",), ("sn", "pbzn"), "large", True, 2),
    ("451221", "南丹铟锌冶炼", ("smelting",), ("in", "pbzn"), "medium", True, 1),
    ("451202", "金城江铅锌矿业", ("mining",), ("pbzn",), "medium", True, 1),
    ("451226", "环江锑业", ("smelting",), ("sb",), "small", False, 0),
    ("451228", "都安锰材", ("processing",), ("mn",), "small", False, 1),
    ("451082", "平果铝业", ("smelting", "processing"), ("al",), "large", True, 4),
    ("451002", "百色右江铝材", ("processing",), ("al",), "medium", True, 2),
    ("451022", "田东氧化铝", ("smelting",), ("al",), "large", True, 3),
    ("451081", "靖西铝土矿业", ("mining",), ("al",), "medium", True, 1),
    ("451029", "田林稀土", ("mining",), ("re",), "small", False, 0),
    ("451031", "隆林铜业", ("smelting",), ("cu",), "small", True, 1),
    ("450603", "防城港铜冶炼", ("smelting",), ("cu", "ni"), "large", True, 3),
    ("450602", "港口镍业", ("smelting",), ("ni",), "medium", True, 2),
    ("450681", "东兴有色加工", ("processing",), ("cu",), "micro", False, 0),
    ("451302", "来宾冶炼", ("smelting",), ("pbzn", "sb"), "medium", True, 1),
    ("451322", "象州铝型材", ("processing",), ("al",), "small", False, 1),
    ("451381", "合山金属材料", ("processing",), ("al", "mg"), "micro", False, 0),
    ("451103", "贺州平桂稀土", ("smelting",), ("re",), "medium", True, 2),
    ("451122", "钟山钨业", ("mining",), ("w",), "small", False, 1),
    ("451402", "崇左锰业", ("smelting",), ("mn",), "medium", True, 1),
    ("451424", "大新锰矿", ("mining",), ("mn",), "medium", True, 2),
    ("450205", "柳州铝材加工", ("processing",), ("al",), "large", True, 3),
    ("450206", "柳江铜材", ("processing",), ("cu",), "small", True, 1),
    ("450110", "武鸣有色", ("processing",), ("al", "cu"), "small", False, 0),
    ("450103", "南宁铝业", ("processing",), ("al",), "large", True, 4),
    ("450481", "岑溪稀土", ("mining",), ("re",), "small", False, 1),
    ("450422", "藤县金属", ("processing",), ("ti",), "micro", False, 1),
    ("450300", "桂林有色材料", ("processing",), ("cu", "al"), "medium", True, 2),
    ("450500", "北海铝箔", ("processing",), ("al",), "medium", True, 2),
    ("450700", "钦州铜业", ("smelting",), ("cu",), "large", True, 3),
    ("450800", "贵港锑品", ("processing",), ("sb",), "small", False, 1),
    ("450900", "玉林有色", ("processing",), ("cu",), "small", False, 0),
    ("451202", "河池锡业", ("smelting",), ("sn",), "medium", True, 2),
    ("451224", "东兰锑矿", ("mining",), ("sb",), "micro", False, 1),
    ("451003", "田阳铝业", ("smelting",), ("al",), "medium", True, 2),
    ("451102", "八步钨锡", ("mining",), ("w", "sn"), "small", False, 1),
    # Outside Guangxi: the national demo regulator sees these two, the Guangxi one does not.
    ("430000", "湘南铅锌冶炼", ("smelting",), ("pbzn",), "medium", True, 2),
    ("530000", "滇东锡材", ("processing",), ("sn",), "small", False, 1),
    # Registered but not verified yet: it waits in the verification queue and counts in no statistic.
    ("450109", "邕宁新材料", ("processing",), ("al",), "small", False, 1),
)
PENDING = frozenset({"邕宁新材料"})
# Small and micro enterprises that also assessed 10–11 months before their latest result, so "who rose a grade
# within a year among small enterprises" (以奖代补) has an answer in the demo: the grade wanted then, by stem.
# -1 draws every level as not begun (a wanted 0 still rates S1 partly, and lands on 一级 about half the time);
# 钟山钨业 stayed where it was, so a rule must tell rising from merely reassessing.
EARLIER_GRADES: dict[str, int] = {
    "都安锰材": -1,
    "隆林铜业": -1,
    "柳江铜材": -1,
    "藤县金属": -1,
    "钟山钨业": 1,
}


@dataclass(frozen=True)
class DemoLogin:
    username: str
    role: str
    organisation: str


class DemoRefused(Exception):
    """Nothing was loaded: the database holds real data, or the password cannot be used. Message in Chinese."""


def enterprise_name(stem: str) -> str:
    return f"（演示）{stem}有限公司"


def enterprise_username(number: int) -> str:
    return f"demo-e{number:02d}"


def enterprise_logins_note() -> str:
    """One line for the console: the enterprise admin accounts, and which of them show the access rules."""
    numbers = range(1, len(ENTERPRISES) + 1)
    outside = [
        f"{enterprise_username(n)}（{regions()[region].name}）"
        for n, (region, *_rest) in zip(numbers, ENTERPRISES, strict=True)
        if not region.startswith(GUANGXI[:2])
    ]
    pending = [
        enterprise_username(n) for n, spec in zip(numbers, ENTERPRISES, strict=True) if spec[1] in PENDING
    ]
    return (
        f"演示企业的管理员账户为 {enterprise_username(1)} … {enterprise_username(len(ENTERPRISES))}（同一密码）；"
        f"其中 {'、'.join(outside)}在广西区外，{'、'.join(pending)} 尚待核验。"
    )


def _legacy_organisations() -> Q:
    """Demo databases made before organisations carried ``is_demo``: their regulator and body are known by
    name (only the enterprises were flagged). Matched only when demo enterprises exist, so the demo names
    alone never make a real database look like a demo one."""
    if not Enterprise.objects.filter(is_demo=True).exists():
        return Q(pk__in=[])
    return Q(is_demo=False, name=REGULATOR_NAME, kind=OrganisationKind.REGULATOR) | Q(
        is_demo=False, name=BODY_NAME, kind=OrganisationKind.BODY
    )


def real_data() -> str:
    """What in the database is not demo data, in Chinese words; "" when there is none.

    Every organisation (enterprise, body, regulator) that is not demo data counts, and so does every user
    outside the demo organisations, except superusers (an operator's own admin account in an otherwise
    empty database does not make it a real one) and people removed from a demo organisation (their
    account stays, deactivated, without an organisation: the audit trail says where they were).
    """
    real_organisations = Organisation.objects.filter(Q(is_demo=False) | Q(enterprise__is_demo=False)).exclude(
        _legacy_organisations()
    )
    demo_organisations = Organisation.objects.exclude(pk__in=real_organisations.values("pk"))
    removed_from_demo = (
        AuditEvent.objects.filter(
            action=AuditAction.MEMBER_REMOVED,
            object_type=User._meta.label_lower,
            organisation_id__in=demo_organisations.values("pk"),
        )
        .annotate(user_pk=Cast("object_id", BigIntegerField()))
        .values("user_pk")
    )
    real_users = (
        User.objects.filter(is_superuser=False)
        .exclude(membership__organisation__in=demo_organisations)
        .exclude(pk__in=removed_from_demo)
    )
    organisation_count, user_count = real_organisations.count(), real_users.count()
    if not organisation_count and not user_count:
        return ""
    found = []
    if organisation_count:
        names = "、".join(f"“{name}”" for name in real_organisations.values_list("name", flat=True)[:3])
        found.append(f"{organisation_count} 个非演示机构（如 {names}）")
    if user_count:
        found.append(f"{user_count} 个非演示用户")
    return "、".join(found)


def _check_password(password: str) -> None:
    try:
        validate_password(password)
    except ValidationError as exc:
        raise DemoRefused("演示账户密码不可用：" + "；".join(exc.messages)) from None


@transaction.atomic
def load_demo(password: str) -> list[DemoLogin]:
    """Create what is missing of the demo data, put its flags back and (re)set every demo account's
    password. Raises DemoRefused, having written nothing, if the database holds real data."""
    found = real_data()
    if found:
        raise DemoRefused(
            f"拒绝载入演示数据：数据库中已有 {found}。演示数据不能与真实数据混在一起；"
            "请换一个空的数据目录（NFM_DATA_DIR，如使用 DATABASE_URL 则换一个空数据库）再运行 nfm demo。"
        )
    _check_password(password)
    admin = _ensure_user(ADMIN_USERNAME, password, None, None, "平台管理员（演示）")
    organisations = {
        name: _demo_organisation(name, kind, jurisdiction, admin)
        for name, kind, jurisdiction in ORGANISATIONS
    }
    # An enterprise exists once its admin account does (usernames cannot be changed; names can).
    present = set(
        Membership.objects.filter(user__username__startswith="demo-e").values_list(
            "user__username", flat=True
        )
    )
    now = timezone.now()
    for number, spec in enumerate(ENTERPRISES, start=1):
        if enterprise_username(number) not in present:
            _create_enterprise(number, spec, password, admin, now)
    first = Organisation.objects.get(memberships__user__username=enterprise_username(1))
    regulator, national, body, city = (organisations[name] for name, _, _ in ORGANISATIONS)
    for username, organisation, role, name in (
        ("demo-regulator", regulator, Role.REGULATOR_VIEWER, "监管查看员（演示）"),
        ("demo-national-regulator", national, Role.REGULATOR_VIEWER, "国家主管部门查看员（演示）"),
        ("demo-city-regulator", city, Role.REGULATOR_VIEWER, "河池市监管查看员（演示）"),
        ("demo-body-admin", body, Role.BODY_ADMIN, "评估机构管理员（演示）"),
        ("demo-expert", body, Role.EXPERT, "评估专家（演示）"),
        ("demo-enterprise-admin", first, Role.ENTERPRISE_ADMIN, "企业管理员（演示）"),
        ("demo-enterprise-member", first, Role.ENTERPRISE_MEMBER, "企业成员（演示）"),
    ):
        _ensure_user(username, password, organisation, role, name)
    formal_demo.load(body=body, password=password)
    _reset_passwords(password)
    return _logins()


def _logins() -> list[DemoLogin]:
    """The accounts to print: one per kind of view, plus the pending enterprise's admin."""
    pending = next(number for number, spec in enumerate(ENTERPRISES, start=1) if spec[1] in PENDING)
    usernames = (
        ADMIN_USERNAME,
        "demo-regulator",
        "demo-national-regulator",
        "demo-city-regulator",
        "demo-body-admin",
        "demo-expert",
        "demo-enterprise-admin",
        "demo-enterprise-member",
        enterprise_username(pending),
        *formal_demo.LOGINS,
    )
    memberships = {
        m.user.username: m
        for m in Membership.objects.filter(user__username__in=usernames).select_related(
            "user", "organisation__enterprise"
        )
    }
    out = []
    for username in usernames:
        membership = memberships.get(username)
        if membership is None:
            out.append(DemoLogin(username, "平台管理员", "—"))
            continue
        organisation = membership.organisation
        enterprise = getattr(organisation, "enterprise", None)
        waiting = enterprise is not None and enterprise.verification == VerificationState.PENDING
        out.append(
            DemoLogin(
                username, membership.get_role_display(), organisation.name + ("（待核验）" if waiting else "")
            )
        )
    return out


def _reset_passwords(password: str) -> None:
    # One hash for every demo account: the demo password is printed on the console anyway, and hashing it
    # once (about 0.4 s) rather than once per account (about 45) keeps a rerun quick.
    User.objects.filter(Q(membership__organisation__is_demo=True) | Q(username=ADMIN_USERNAME)).update(
        password=make_password(password)
    )


def _ensure_user(
    username: str, password: str, organisation: Organisation | None, role: Role | None, name: str
) -> User:
    user = User.objects.filter(username=username).first()
    if user is not None:
        if organisation is not None:
            assert role is not None
            _restore_login(user, organisation, role)
        return user
    if organisation is None:
        return User.objects.create_superuser(username=username, password=password, first_name=name)
    assert role is not None
    return create_member(
        organisation=organisation, username=username, password=password, role=role, full_name=name
    )


def _restore_login(user: User, organisation: Organisation, role: Role) -> None:
    """Trying the member pages, someone may have removed a printed demo login or changed its role: a
    rerun makes it work as printed again (audited, like any change of membership)."""
    membership = Membership.objects.filter(user=user).first()
    if membership is None:
        Membership.objects.create(user=user, organisation=organisation, role=role)
        record_event(
            actor=None,
            action=AuditAction.MEMBER_JOINED,
            obj=user,
            organisation_id=organisation.pk,
            new={"username": user.username, "role": role},
            reason=DEMO_NOTE,
        )
    elif membership.organisation_id == organisation.pk and membership.role != role:
        old_role, membership.role = membership.role, role
        membership.save(update_fields=["role"])
        record_event(
            actor=None,
            action=AuditAction.ROLE_CHANGED,
            obj=user,
            organisation_id=organisation.pk,
            old={"role": old_role},
            new={"role": role},
            reason=DEMO_NOTE,
        )
    if not user.is_active:
        user.is_active = True
        user.save(update_fields=["is_active"])


def _demo_organisation(name: str, kind: OrganisationKind, jurisdiction: str, actor: User) -> Organisation:
    """The demo organisation of that name, created if missing, with its demo flag and jurisdiction."""
    # Any organisation of this name is demo data here: real_data() has refused every other database.
    organisation = Organisation.objects.filter(name=name, kind=kind).first()
    if organisation is None:
        organisation = create_organisation(name=name, kind=kind, actor=actor)
    wanted = {"is_demo": True, "jurisdiction": jurisdiction}
    old = {"is_demo": organisation.is_demo, "jurisdiction": organisation.jurisdiction}
    if old != wanted:
        Organisation.objects.filter(pk=organisation.pk).update(**wanted)
        record_event(
            actor=actor,
            action=AuditAction.ORGANISATION_UPDATED,
            obj=organisation,
            organisation_id=organisation.pk,
            old=old,
            new=wanted,
            reason=DEMO_NOTE,
        )
        organisation.refresh_from_db()
    return organisation


def _uscc(rng: random.Random, region: str) -> str:
    body = "".join(rng.choice(ALPHABET) for _ in range(9))
    first17 = "91" + region + body
    return first17 + check_character(first17)


# Rating draws per level relative to the grade wanted: met levels are rated high, the next one partly,
# the rest mostly 不满足. The engine then decides the real total and grade.
MET = ((RatingValue.FULL, 50), (RatingValue.MOSTLY, 47), (RatingValue.PARTLY, 3))
NEXT = ((RatingValue.MOSTLY, 25), (RatingValue.PARTLY, 45), (RatingValue.NONE, 30))
ABOVE = ((RatingValue.PARTLY, 20), (RatingValue.NONE, 80))


def _draw(rng: random.Random, table: tuple[tuple[RatingValue, int], ...]) -> RatingValue:
    values = [value for value, _ in table]
    weights = [weight for _, weight in table]
    return rng.choices(values, weights=weights)[0]


def _backdate(assessment: Assessment, *, submitted: datetime) -> None:
    """Demo history: a submission date in the past on every row that carries it (the assessment, its result,
    the dashboard's pointer), started two weeks before. Only the assessment's dates were moved once, so the
    report read "评估开始 2026-11-26 · 提交日期 2026-11-09" and "上次评估为 2026-11-26" for last year's result."""
    Assessment.objects.filter(pk=assessment.pk).update(
        created_at=submitted - timedelta(days=14), submitted_at=submitted
    )
    Result.objects.filter(assessment=assessment).update(created_at=submitted)
    started = submitted - timedelta(days=14)
    RatingRecord.objects.filter(assessment=assessment).update(updated_at=started + timedelta(days=1))
    # The audit log tells the same story: started, rated the next day, submitted (it read the load time).
    events = AuditEvent.objects.filter(object_type=Assessment._meta.label_lower, object_id=str(assessment.pk))
    events.filter(action=AuditAction.ASSESSMENT_STARTED).update(at=started)
    events.filter(action=AuditAction.ASSESSMENT_SUBMITTED).update(at=submitted)
    events.exclude(action__in=[AuditAction.ASSESSMENT_STARTED, AuditAction.ASSESSMENT_SUBMITTED]).update(
        at=started + timedelta(days=1)
    )
    pointer = LatestResult.objects.filter(result__assessment=assessment).select_related("result").first()
    if pointer is not None:  # its copies (date, year) rewritten the one way every pointer is written
        assessment.refresh_from_db()
        point_latest([latest_pointer(pointer.result, assessment)])


def _fill(assessment: Assessment, grade: int, rng: random.Random, user: User, fraction: float = 1.0) -> None:
    view = sector_view(assessment.catalog_version, assessment.sector)
    records = []
    for requirement in view.requirements.values():
        if fraction < 1.0 and rng.random() > fraction:
            continue
        level = int(requirement.level)
        table = MET if level <= grade else NEXT if level == grade + 1 else ABOVE
        value = _draw(rng, table)
        reason = ""
        if rng.random() < 0.01:
            value, reason = RatingValue.NOT_APPLICABLE, "本企业无该业务环节（演示数据）"
        records.append(
            RatingRecord(
                assessment=assessment,
                requirement_id=requirement.id,
                row_id=requirement.row,
                level=level,
                value=value,
                reason=reason,
                updated_by=user,
            )
        )
    RatingRecord.objects.bulk_create(records, batch_size=500)
    record_event(
        actor=user,
        action=AuditAction.DEMO_RATINGS_LOADED,
        obj=assessment,
        organisation_id=assessment.enterprise.organisation_id,
        new={"ratings": len(records), "note": "演示数据：合成评分"},
    )


def _create_enterprise(
    number: int,
    spec: EnterpriseSpec,
    password: str,
    verifier: User,
    now: datetime,
) -> None:
    region, stem, sectors, metals, size, above, grade = spec
    # Seeded per enterprise, so one missing enterprise is recreated exactly as a fresh load makes it.
    rng = random.Random(f"{SEED}-{number}")
    registration = register_enterprise(
        profile={
            "name": enterprise_name(stem),
            "uscc": _uscc(rng, region),
            "region_code": region,
            "sectors": list(sectors),
            "metals": list(metals),
            "size": SizeClass(size),
            "above_scale": above,
            "address": "演示地址",
        },
        admin_username=enterprise_username(number),
        admin_password=password,
        admin_name=f"{stem}管理员",
        is_demo=True,
    )
    enterprise, admin = registration.enterprise, registration.admin
    # Verified through the normal service (audited), so the demo statistics count them; one stays pending.
    if stem not in PENDING:
        verify_enterprise(actor=verifier, enterprise=enterprise, note=DEMO_NOTE)
    add_contact(enterprise=enterprise, actor=admin, name=f"{stem}联系人", title="数字化部门负责人")
    unit = None
    if size in ("large", "medium"):
        unit = add_unit(
            enterprise=enterprise,
            actor=admin,
            name=f"{stem}一厂",
            kind=UnitKind.PLANT,
            sector=SectorChoice(sectors[0]),
        )
    sector = SectorChoice(sectors[0])
    # The first enterprise (the demo enterprise logins) also has last year's result, lower by one grade,
    # and an assessment in progress, so history, comparison and "continue filling" can be tried.
    if number == 1:
        earlier = start_self_assessment(enterprise=enterprise, actor=admin, sector=sector, unit=None)
        _fill(earlier, max(grade - 1, 0), rng, admin)
        submit_assessment(assessment=earlier, actor=admin)
        _backdate(earlier, submitted=now - timedelta(days=365))
    if stem in EARLIER_GRADES:
        # Its own draws, so the latest result (and the demo's pyramid) is the same as without it.
        draws = random.Random(f"{SEED}-{number}-earlier")
        earlier = start_self_assessment(enterprise=enterprise, actor=admin, sector=sector, unit=None)
        _fill(earlier, EARLIER_GRADES[stem], draws, admin)
        submit_assessment(assessment=earlier, actor=admin)
        _backdate(earlier, submitted=now - timedelta(days=draws.randint(300, 340)))
    current = start_self_assessment(enterprise=enterprise, actor=admin, sector=sector, unit=unit)
    _fill(current, grade, rng, admin)
    submit_assessment(assessment=current, actor=admin)
    _backdate(current, submitted=now - timedelta(days=rng.randint(1, 60)))
    if number == 1:
        draft = start_self_assessment(enterprise=enterprise, actor=admin, sector=sector, unit=unit)
        _fill(draft, grade + 1, rng, admin, fraction=0.3)
