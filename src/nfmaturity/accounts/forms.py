from __future__ import annotations

from django import forms
from django.contrib.auth.password_validation import validate_password

from nfmaturity.accounts.models import ROLES_BY_KIND, Organisation, Role


class InvitationForm(forms.Form):
    full_name = forms.CharField(label="姓名", max_length=100)
    email = forms.EmailField(label="邮箱")
    role = forms.ChoiceField(label="角色")

    def __init__(self, *args: object, organisation: Organisation, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["role"].choices = [(r.value, r.label) for r in ROLES_BY_KIND[organisation.kind]]


class AcceptInvitationForm(forms.Form):
    username = forms.RegexField(
        label="用户名",
        max_length=150,
        regex=r"^[\w.@+-]+$",
        help_text="字母、数字或 @ . + - _",
        error_messages={"invalid": "用户名只能包含字母、数字和 @ . + - _"},
    )
    password1 = forms.CharField(label="设置密码", widget=forms.PasswordInput, strip=False)
    password2 = forms.CharField(label="确认密码", widget=forms.PasswordInput, strip=False)

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        if data.get("password1") and data.get("password1") != data.get("password2"):
            self.add_error("password2", "两次输入的密码不一致")
        elif data.get("password1"):
            try:
                validate_password(str(data["password1"]))
            except forms.ValidationError as exc:
                self.add_error("password1", exc)
        return data


def role_label(role: str) -> str:
    return Role(role).label
