from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.functional import lazy

from nfmaturity.accounts.models import ROLES_BY_KIND, Invitation, Organisation
from nfmaturity.accounts.passwords import check_new_password, password_rules_text
from nfmaturity.accounts.services import lowest_role

# Lazy: the rules come from settings, which tests may override after this module is imported.
_password_rules_hint = lazy(password_rules_text, str)


class NewPasswordField(forms.CharField):
    """A password being chosen: typed hidden, never stripped, with the rules shown beneath it."""

    def __init__(self, *, label: str = "设置密码", **kwargs: object) -> None:
        kwargs.setdefault("help_text", _password_rules_hint())
        super().__init__(
            label=label,
            strip=False,
            widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
            **kwargs,  # type: ignore[arg-type]
        )


def clean_new_password_pair(
    form: forms.Form, data: dict[str, object], *, username: str, full_name: str = "", email: str = ""
) -> None:
    """Check ``password1``/``password2`` of ``form``: equal, and every rule against the account being made.

    The account's username, name and email go to the similarity rule here, in the form; checking them only
    later, when the service creates the user, turned a too-similar password into a server error.
    """
    password = data.get("password1")
    if not password:
        return
    if password != data.get("password2"):
        form.add_error("password2", "两次输入的密码不一致")
        return
    try:
        check_new_password(str(password), username=username, full_name=full_name, email=email)
    except ValidationError as exc:
        form.add_error("password1", exc)


class InvitationForm(forms.Form):
    full_name = forms.CharField(label="姓名", max_length=100)
    email = forms.EmailField(label="邮箱")
    role = forms.ChoiceField(label="角色")

    def __init__(self, *args: object, organisation: Organisation, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        role = self.fields["role"]
        assert isinstance(role, forms.ChoiceField)  # declared above; narrows the type for mypy
        role.choices = [(r.value, r.label) for r in ROLES_BY_KIND[organisation.kind]]
        # The fewest rights unless the admin deliberately picks more.
        role.initial = lowest_role(organisation.kind)


REASON_HELP = "可选；写入审计日志"


class MemberRoleForm(forms.Form):
    role = forms.ChoiceField(label="新角色")
    reason = forms.CharField(label="原因", max_length=500, required=False, help_text=REASON_HELP)

    def __init__(self, *args: object, organisation: Organisation, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        role = self.fields["role"]
        assert isinstance(role, forms.ChoiceField)  # declared above; narrows the type for mypy
        role.choices = [(r.value, r.label) for r in ROLES_BY_KIND[organisation.kind]]


class RemoveMemberForm(forms.Form):
    reason = forms.CharField(label="原因", max_length=500, required=False, help_text=REASON_HELP)


class AcceptInvitationForm(forms.Form):
    username = forms.RegexField(
        label="用户名",
        max_length=150,
        regex=r"^[\w.@+-]+$",
        help_text="字母、数字或 @ . + - _",
        error_messages={"invalid": "用户名只能包含字母、数字和 @ . + - _"},
    )
    password1 = NewPasswordField()
    password2 = forms.CharField(label="确认密码", widget=forms.PasswordInput, strip=False)

    def __init__(self, *args: object, invitation: Invitation, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.invitation = invitation

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        clean_new_password_pair(
            self,
            data,
            username=str(data.get("username", "")),
            full_name=self.invitation.full_name,
            email=self.invitation.email,
        )
        return data
