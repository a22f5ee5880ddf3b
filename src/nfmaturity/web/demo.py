"""Synthetic, clearly labelled demo data (演示数据): enterprises across Guangxi, self-assessments, logins.

Every demo enterprise is marked ``is_demo`` and named “（演示）…”. Grades are not typed in: each assessment
gets real ratings, drawn so that most enterprises land in 一级/二级 and few in 四级+ (the inverted pyramid
the Guangxi analysis describes), and is then submitted through the normal service, so the engine scores it.
Loading is idempotent: a second run only resets the demo passwords.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import timedelta

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from nfmaturity.accounts.models import Membership, Organisation, OrganisationKind, Role
from nfmaturity.accounts.services import create_member, create_organisation
from nfmaturity.assessments.catalogs import sector_view
from nfmaturity.assessments.models import Assessment, RatingRecord, RatingValue
from nfmaturity.assessments.services import start_self_assessment, submit_assessment
from nfmaturity.audit.models import AuditAction
from nfmaturity.audit.services import record_event
from nfmaturity.enterprises.models import Enterprise, SectorChoice, SizeClass, UnitKind
from nfmaturity.enterprises.services import add_contact, add_unit, register_enterprise
from nfmaturity.enterprises.uscc import ALPHABET, check_character

SEED = 20241123
REGULATOR_NAME = "广西壮族自治区工业和信息化厅（演示）"
BODY_NAME = "广西有色金属数字化转型促进中心（演示）"

# (city code, county code or "", name stem, sectors, metals, size, 规上, grade wanted)
# The grade wanted steers the rating draws (inverted pyramid); the engine decides the real grade. With SEED
# the latest results are: 2 未达到一级, 19 一级, 9 二级, 4 三级, 2 四级.
ENTERPRISES: tuple[tuple[str, str, tuple[str, ...], tuple[str, ...], str, bool, int], ...] = (
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
)


@dataclass(frozen=True)
class DemoLogin:
    username: str
    role: str
    organisation: str


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


def _ensure_user(
    username: str, password: str, organisation: Organisation | None, role: Role | None, name: str
) -> User:
    user = User.objects.filter(username=username).first()
    if user is None:
        if organisation is None:
            user = User.objects.create_superuser(username=username, password=password, first_name=name)
        else:
            assert role is not None
            user = create_member(
                organisation=organisation, username=username, password=password, role=role, full_name=name
            )
    else:
        user.set_password(password)
        user.save(update_fields=["password"])
    return user


@transaction.atomic
def load_demo(password: str) -> list[DemoLogin]:
    """Create the demo data once; (re)set the demo logins' password every time. Returns the logins."""
    regulator = Organisation.objects.filter(name=REGULATOR_NAME).first() or create_organisation(
        name=REGULATOR_NAME, kind=OrganisationKind.REGULATOR
    )
    body = Organisation.objects.filter(name=BODY_NAME).first() or create_organisation(
        name=BODY_NAME, kind=OrganisationKind.BODY
    )
    if not Enterprise.objects.filter(is_demo=True).exists():
        _create_enterprises(password)
    first = Enterprise.objects.filter(is_demo=True).order_by("pk").first()
    assert first is not None
    logins = [
        ("demo-admin", None, None, "平台管理员（演示）"),
        ("demo-regulator", regulator, Role.REGULATOR_VIEWER, "监管查看员（演示）"),
        ("demo-body-admin", body, Role.BODY_ADMIN, "评估机构管理员（演示）"),
        ("demo-expert", body, Role.EXPERT, "评估专家（演示）"),
        ("demo-enterprise-admin", first.organisation, Role.ENTERPRISE_ADMIN, "企业管理员（演示）"),
        ("demo-enterprise-member", first.organisation, Role.ENTERPRISE_MEMBER, "企业成员（演示）"),
    ]
    out = []
    for username, organisation, role, name in logins:
        _ensure_user(username, password, organisation, role, name)
        membership = Membership.objects.filter(user__username=username).select_related("organisation").first()
        out.append(
            DemoLogin(
                username,
                membership.get_role_display() if membership else "平台管理员",
                membership.organisation.name if membership else "—",
            )
        )
    return out


def _create_enterprises(password: str) -> None:
    rng = random.Random(SEED)
    now = timezone.now()
    for number, (region, stem, sectors, metals, size, above, grade) in enumerate(ENTERPRISES, start=1):
        name = f"（演示）{stem}有限公司"
        registration = register_enterprise(
            profile={
                "name": name,
                "uscc": _uscc(rng, region),
                "region_code": region,
                "sectors": list(sectors),
                "metals": list(metals),
                "size": SizeClass(size),
                "above_scale": above,
                "address": "演示地址",
            },
            admin_username=f"demo-e{number:02d}",
            admin_password=password,
            admin_name=f"{stem}管理员",
            is_demo=True,
        )
        enterprise, admin = registration.enterprise, registration.admin
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
            Assessment.objects.filter(pk=earlier.pk).update(
                created_at=now - timedelta(days=380), submitted_at=now - timedelta(days=365)
            )
        current = start_self_assessment(enterprise=enterprise, actor=admin, sector=sector, unit=unit)
        _fill(current, grade, rng, admin)
        submit_assessment(assessment=current, actor=admin)
        Assessment.objects.filter(pk=current.pk).update(submitted_at=now - timedelta(days=rng.randint(1, 60)))
        if number == 1:
            draft = start_self_assessment(enterprise=enterprise, actor=admin, sector=sector, unit=unit)
            _fill(draft, grade + 1, rng, admin, fraction=0.3)
