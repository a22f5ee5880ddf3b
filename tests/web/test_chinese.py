"""Every password rule speaks Chinese through every form that sets a password, and none ends in a 500.

Each rule is driven through the registration form and the password-change form with a password that breaks
exactly that rule; the page must show our Chinese sentence beside the field and no English sentence anywhere.
"""

from __future__ import annotations

import re
from html import unescape

import pytest
from django.test import Client

from nfmaturity.accounts.models import Membership, OrganisationKind, Role
from nfmaturity.accounts.services import create_member, create_organisation, invite_colleague
from nfmaturity.enterprises.models import Enterprise

from .conftest import PASSWORD, uscc

# One account whose username, name and email differ enough that each similarity case trips one attribute only.
ACCOUNT = {"username": "zhaoliu", "name": "Xiaoming Qin", "email": "chengang@nfsn.com.cn"}

RULE_CASES = [
    pytest.param("Ab1-x", "密码太短：至少需要 8 个字符。", id="too-short"),
    pytest.param("password123", "这个密码太常见，容易被猜到。", id="too-common"),
    pytest.param("73914628305", "密码不能全是数字。", id="all-numeric"),
    pytest.param("zhaoliu2024", "密码与用户名太相似，容易被猜到。", id="like-username"),
    pytest.param("xiaoming-qin", "密码与姓名太相似，容易被猜到。", id="like-name"),
    pytest.param("chengang@nfsn", "密码与邮箱太相似，容易被猜到。", id="like-email"),
]

_TAG = re.compile(r"<(script|style)\b.*?</\1>|<[^>]+>", re.S)
# Four or more Latin words in a row is a sentence a user would have to read in English.
_ENGLISH = re.compile(r"[A-Za-z]+(?:[ ,'’]+[A-Za-z]+){3,}")


def visible_text(html: str) -> str:
    return unescape(_TAG.sub(" ", html))


def english_sentences(html: str) -> list[str]:
    return _ENGLISH.findall(visible_text(html))


def field_errors(html: str) -> list[str]:
    return [unescape(e).strip() for e in re.findall(r'class="invalid-feedback[^"]*">(.*?)</div>', html, re.S)]


def register(client: Client, password: str) -> str:
    response = client.post(
        "/enterprises/register/",
        {
            "name": "来宾冶炼有限公司",
            "uscc": uscc("C3"),
            "region_code": "451302",
            "sectors": ["smelting"],
            "metals": ["sb"],
            "size": "small",
            "admin_name": ACCOUNT["name"],
            "admin_email": ACCOUNT["email"],
            "login_stem": ACCOUNT["username"],
            "password1": password,
            "password2": password,
        },
        HTTP_ACCEPT_LANGUAGE="en",  # an English browser still gets Chinese
    )
    assert response.status_code == 200, "a refused password gives the form back, never a redirect or a 500"
    return response.content.decode()


@pytest.fixture
def account_client(db: None) -> Client:
    organisation = create_organisation(name="来宾冶炼有限公司", kind=OrganisationKind.ENTERPRISE)
    user = create_member(
        organisation=organisation,
        username=ACCOUNT["username"],
        password=PASSWORD,
        role=Role.ENTERPRISE_ADMIN,
        full_name=ACCOUNT["name"],
        email=ACCOUNT["email"],
    )
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


@pytest.mark.parametrize(("password", "message"), RULE_CASES)
def test_registration_explains_each_password_rule_in_chinese(db: None, password: str, message: str) -> None:
    html = register(Client(raise_request_exception=False), password)
    assert field_errors(html) == [message]
    assert english_sentences(html) == []
    assert not Enterprise.objects.exists() and not Membership.objects.exists()


@pytest.mark.parametrize(("password", "message"), RULE_CASES)
def test_password_change_explains_each_password_rule_in_chinese(
    account_client: Client, password: str, message: str
) -> None:
    response = account_client.post(
        "/accounts/password/",
        {"old_password": PASSWORD, "new_password1": password, "new_password2": password},
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert field_errors(html) == [message]
    assert english_sentences(html) == []


def test_the_invitation_form_compares_the_password_with_the_invited_email(db: None) -> None:
    organisation = create_organisation(name="南丹锡业有限公司", kind=OrganisationKind.ENTERPRISE)
    admin = create_member(
        organisation=organisation, username="ent_admin", password=PASSWORD, role=Role.ENTERPRISE_ADMIN
    )
    issued = invite_colleague(
        organisation=organisation,
        actor=admin,
        email=ACCOUNT["email"],
        full_name="李四",
        role=Role.ENTERPRISE_MEMBER,
    )
    password = "chengang@nfsn"
    response = Client(HTTP_ACCEPT_LANGUAGE="en").post(
        f"/accounts/invitation/{issued.token}/",
        {"username": "lisi", "password1": password, "password2": password},
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert field_errors(html) == ["密码与邮箱太相似，容易被猜到。"]
    assert not Membership.objects.filter(user__username="lisi").exists()


def test_password_pages_state_the_rules_in_chinese(account_client: Client) -> None:
    registration = Client(HTTP_ACCEPT_LANGUAGE="en").get("/enterprises/register/").content.decode()
    change = account_client.get("/accounts/password/").content.decode()
    assert (
        "密码要求：不能与用户名、姓名或邮箱相似；至少 8 个字符；不能是常见密码；不能全是数字。"
        in registration
    )
    assert "至少 8 个字符" in change and "不能全是数字" in change
    assert english_sentences(registration) == english_sentences(change) == []


def test_django_form_and_login_messages_are_chinese(account_client: Client) -> None:
    wrong_old = account_client.post(
        "/accounts/password/",
        {"old_password": "not-the-password", "new_password1": "Ab-9x7y5z3", "new_password2": "Ab-9x7y5z3-"},
    ).content.decode()
    assert field_errors(wrong_old) == ["你的旧密码不正确。请重新输入。", "输入的两个密码不一致。"]
    anonymous = Client(HTTP_ACCEPT_LANGUAGE="en")
    required = anonymous.post("/enterprises/register/", {"name": "来宾"}).content.decode()
    assert "这个字段是必填项。" in field_errors(required)
    login = anonymous.post(
        "/accounts/login/", {"username": ACCOUNT["username"], "password": "wrong"}
    ).content.decode()
    assert "用户名或密码不正确。" in login
    for html in (wrong_old, required, login):
        assert english_sentences(html) == []
