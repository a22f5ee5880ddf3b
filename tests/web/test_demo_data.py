"""Demo data (nfm demo) carries the demo flags, shows the access rules, and never mixes with real data."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

import pytest
from django.contrib.auth.models import User
from django.test import Client

from nfmaturity.accounts.models import NATIONAL_JURISDICTION, Membership, Organisation, OrganisationKind, Role
from nfmaturity.accounts.services import create_organisation, remove_member
from nfmaturity.assessments.models import Assessment, AssessmentState, RatingRecord, Result
from nfmaturity.audit.models import AuditAction, AuditEvent
from nfmaturity.enterprises.models import Enterprise, VerificationState
from nfmaturity.enterprises.services import register_enterprise
from nfmaturity.web.demo import (
    BODY_NAME,
    CITY_REGULATOR_NAME,
    EARLIER_GRADES,
    ENTERPRISES,
    NATIONAL_REGULATOR_NAME,
    REGULATOR_NAME,
    DemoRefused,
    enterprise_logins_note,
    enterprise_name,
    load_demo,
    real_data,
)
from tests.web.conftest import PASSWORD, profile
from tests.web.test_stored_scores import assert_latest_tied


def _counts() -> dict[str, int]:
    return {
        "organisations": Organisation.objects.count(),
        "enterprises": Enterprise.objects.count(),
        "users": User.objects.count(),
        "assessments": Assessment.objects.count(),
        "results": Result.objects.count(),
        "ratings": RatingRecord.objects.count(),
    }


def test_demo_data_is_flagged_verified_and_reloads_idempotently(db: None) -> None:
    logins = load_demo(PASSWORD)
    # Every pointer and its copies (date, year, sector, figures) agree with the newest result, backdated or not.
    assert_latest_tied()

    usernames = [login.username for login in logins]
    assert {"demo-admin", "demo-regulator", "demo-national-regulator", "demo-enterprise-admin"} <= set(
        usernames
    )
    assert not Organisation.objects.filter(is_demo=False).exists()
    assert not Enterprise.objects.filter(is_demo=False).exists()
    jurisdictions = dict(
        Organisation.objects.exclude(kind=OrganisationKind.ENTERPRISE).values_list("name", "jurisdiction")
    )
    assert jurisdictions == {
        REGULATOR_NAME: "450000",
        NATIONAL_REGULATOR_NAME: NATIONAL_JURISDICTION,
        BODY_NAME: "",
        CITY_REGULATOR_NAME: "451200",
    }

    enterprises = list(Enterprise.objects.all())
    assert len(enterprises) == len(ENTERPRISES)
    pending = [e for e in enterprises if e.verification == VerificationState.PENDING]
    verified = [e for e in enterprises if e.verification == VerificationState.VERIFIED]
    assert len(pending) == 1 and len(verified) == len(ENTERPRISES) - 1
    assert {e.verification_note for e in verified} == {"演示数据"}
    assert all(e.verified_by is not None and e.verified_by.username == "demo-admin" for e in verified)
    assert sorted(e.region_code for e in enterprises if not e.region_code.startswith("45")) == [
        "430000",
        "530000",
    ]
    # Every enterprise, the pending one too, has a submitted self-assessment for the statistics to count or not.
    submitted = Assessment.objects.filter(state=AssessmentState.SUBMITTED)
    assert set(submitted.values_list("enterprise_id", flat=True)) == {e.pk for e in enterprises}
    # The inverted pyramid the module's table comment states (the engine decides the grades).
    latest = [submitted.filter(enterprise=e).latest("submitted_at") for e in enterprises]
    grades = Counter(Result.objects.filter(assessment=a).latest("version").grade for a in latest)
    assert grades == {0: 2, 1: 20, 2: 11, 3: 4, 4: 2}
    verifications = AuditEvent.objects.filter(action=AuditAction.ENTERPRISE_VERIFIED)
    assert verifications.count() == len(verified) and set(verifications.values_list("reason", flat=True)) == {
        "演示数据"
    }
    assert f"{pending[0].name}（待核验）" in [login.organisation for login in logins]
    _the_demo_answers_the_regulators_questions()

    # A database made before organisations carried the flag: its regulator and body were plain rows,
    # the regulator migrated to national. A rerun adopts them rather than refusing its own data.
    Organisation.objects.filter(name__in=[REGULATOR_NAME, BODY_NAME]).update(is_demo=False)
    Organisation.objects.filter(name=REGULATOR_NAME).update(jurisdiction=NATIONAL_JURISDICTION)
    # Someone trying the member pages removed a printed login: the rerun neither refuses the database for
    # that deactivated account nor leaves the login broken.
    member = Membership.objects.get(user__username="demo-enterprise-member")
    remove_member(actor=User.objects.get(username="demo-enterprise-admin"), membership=member)
    assert real_data() == ""
    before = _counts()
    load_demo("another-pass-2024")
    restored = User.objects.get(username="demo-enterprise-member")
    assert restored.is_active and restored.membership.role == Role.ENTERPRISE_MEMBER
    assert _counts() == before
    assert not Organisation.objects.filter(is_demo=False).exists()
    assert Organisation.objects.get(name=REGULATOR_NAME).jurisdiction == "450000"
    # Every demo account takes the new password, the enterprise admins (demo-e01 …) included.
    for username in (
        "demo-admin",
        "demo-national-regulator",
        "demo-enterprise-member",
        "demo-e01",
        "demo-e39",
    ):
        assert User.objects.get(username=username).check_password("another-pass-2024")


def _the_demo_answers_the_regulators_questions() -> None:
    """ "Who rose a grade since last year among small enterprises" has an answer in the demo, and a city's
    office sees its own counties only."""
    rose = [enterprise_name(stem) for stem, before in EARLIER_GRADES.items() if before < 0]
    regulator = Client()
    regulator.force_login(User.objects.get(username="demo-regulator"))
    listed = regulator.get("/analytics/rules/examples/reward-small-rise/").content.decode()
    assert all(name in listed for name in rose), listed
    assert enterprise_name("钟山钨业") not in listed  # assessed again, did not rise
    for stem in EARLIER_GRADES:  # each within the year before its latest result
        pair = Result.objects.filter(assessment__enterprise__name=enterprise_name(stem)).order_by(
            "created_at"
        )
        first, last = list(pair)
        assert 240 <= (last.created_at - first.created_at).days < 365, stem
    city = Client()
    city.force_login(User.objects.get(username="demo-city-regulator"))
    board = city.get("/analytics/").content.decode()
    assert "南丹县" in board and "百色市" not in board and "右江区" not in board


def test_the_console_note_names_the_accounts_outside_guangxi_and_the_pending_one() -> None:
    note = enterprise_logins_note()
    assert "demo-e37（湖南省）、demo-e38（云南省）在广西区外" in note and "demo-e39 尚待核验" in note


RealData = Callable[[], object]
REAL_DATA: dict[str, RealData] = {
    "enterprise": lambda: register_enterprise(
        profile=profile("真实铝业有限公司", "R1"), admin_username="real", admin_password=PASSWORD
    ),
    "regulator": lambda: create_organisation(name="某市工信局", kind=OrganisationKind.REGULATOR),
    "body": lambda: create_organisation(name="某评估机构", kind=OrganisationKind.BODY),
    "user without organisation": lambda: User.objects.create_user("someone", password=PASSWORD),
    # The demo's own names do not make an organisation demo data when no demo enterprise exists.
    "regulator with the demo's name": lambda: create_organisation(
        name=REGULATOR_NAME, kind=OrganisationKind.REGULATOR
    ),
}


@pytest.mark.parametrize("kind", REAL_DATA)
def test_demo_refuses_a_database_with_real_data_and_writes_nothing(db: None, kind: str) -> None:
    REAL_DATA[kind]()
    before = _counts()
    with pytest.raises(DemoRefused) as refused:
        load_demo(PASSWORD)
    assert "拒绝载入演示数据" in str(refused.value) and "NFM_DATA_DIR" in str(refused.value)
    assert _counts() == before


def test_the_refusal_names_what_it_found(db: None) -> None:
    register_enterprise(
        profile=profile("真实铝业有限公司", "R1"), admin_username="real", admin_password=PASSWORD
    )
    assert real_data() == "1 个非演示机构（如 “真实铝业有限公司”）、1 个非演示用户"


def test_an_operators_own_superuser_does_not_count_as_real_data(db: None) -> None:
    User.objects.create_superuser("operator", password=PASSWORD)
    assert real_data() == ""


def test_an_unusable_password_is_refused_before_anything_is_written(db: None) -> None:
    with pytest.raises(DemoRefused) as refused:
        load_demo("123")
    assert str(refused.value).startswith("演示账户密码不可用：")
    assert _counts()["users"] == 0
