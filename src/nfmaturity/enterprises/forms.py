from __future__ import annotations

import json
from typing import Any

from django import forms

from nfmaturity.accounts.forms import NewPasswordField, clean_new_password_pair
from nfmaturity.enterprises import regions
from nfmaturity.enterprises.models import (
    Contact,
    Enterprise,
    Metal,
    SectorChoice,
    SizeClass,
    Unit,
    VerificationState,
)
from nfmaturity.enterprises.names import same_name
from nfmaturity.enterprises.registration import STEM_MAX_LENGTH
from nfmaturity.enterprises.services import CODE_TAKEN, PROFILE_FIELDS, shown_profile
from nfmaturity.enterprises.uscc import UsccError, validate_uscc


class EnterpriseForm(forms.Form):
    """An enterprise's own profile. Its name and code are read-only once verified (and while a claim for
    its code is open): ``profile()`` then leaves them out, and the service refuses them too."""

    name = forms.CharField(label="企业名称", max_length=200, help_text="与营业执照上的名称一致")
    uscc = forms.CharField(label="统一社会信用代码", max_length=20, help_text="18 位，按 GB 32100-2015 校验")
    region_code = forms.ChoiceField(label="所在地区（行政区划）")
    sectors = forms.MultipleChoiceField(
        label="所属环节", choices=SectorChoice.choices, widget=forms.CheckboxSelectMultiple
    )
    metals = forms.MultipleChoiceField(
        label="主要金属", choices=Metal.choices, widget=forms.CheckboxSelectMultiple
    )
    size = forms.ChoiceField(label="企业规模", choices=SizeClass.choices)
    above_scale = forms.BooleanField(label="规模以上工业企业（规上）", required=False)
    address = forms.CharField(label="地址", max_length=200, required=False)
    # The parent group: an expert related to the group may not assess the enterprise (formal/roster.py).
    group_name = forms.CharField(
        label="所属集团（如有）", max_length=200, required=False, help_text="上级集团公司的全称；无则留空"
    )
    group_uscc = forms.CharField(
        label="集团统一社会信用代码（如有）", max_length=20, required=False, help_text="18 位；无则留空"
    )
    # The profile as this form showed it: a save merges with what others changed since (services._merge).
    shown = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(
        self, *args: Any, instance: Enterprise | None = None, claim_open: bool = False, **kwargs: Any
    ) -> None:
        if instance is not None and "initial" not in kwargs:
            kwargs["initial"] = {f: getattr(instance, f) for f in self.base_fields if hasattr(instance, f)}
            kwargs["initial"]["shown"] = shown_profile(instance)
        super().__init__(*args, **kwargs)
        self.instance = instance
        region = self.fields["region_code"]
        assert isinstance(region, forms.ChoiceField)  # declared above; narrows the field's type
        region.choices = [("", "请选择"), *regions.choices()]
        if instance is not None and instance.verification == VerificationState.VERIFIED:
            for key in ("name", "uscc"):
                self._freeze(key, "已通过核验，不能自行修改；如需更正，请联系核验的主管部门")
        elif claim_open:
            self._freeze("uscc", "代码认领正在处理，由核验人员决定")

    def _freeze(self, key: str, why: str) -> None:
        field = self.fields[key]
        field.disabled = True
        field.required = False
        field.help_text = why

    def clean_uscc(self) -> str | None:
        if self.fields["uscc"].disabled:
            return self.instance.uscc if self.instance is not None else None
        try:
            code = validate_uscc(self.cleaned_data["uscc"])
        except UsccError as exc:
            raise forms.ValidationError(str(exc)) from None
        if self._code_taken(code):
            raise forms.ValidationError(f"{CODE_TAKEN}；如属代码争议，请联系所在地主管部门")
        return code

    def clean_group_uscc(self) -> str:
        code: str = self.cleaned_data.get("group_uscc", "").strip()
        if not code:
            return ""
        try:
            return validate_uscc(code)
        except UsccError as exc:
            raise forms.ValidationError(str(exc)) from None

    def clean_shown(self) -> dict[str, Any] | None:
        try:
            shown = json.loads(self.cleaned_data.get("shown") or "null")
        except ValueError:
            return None
        return shown if isinstance(shown, dict) else None

    def _code_taken(self, code: str) -> bool:
        others = Enterprise.objects.filter(uscc=code)
        if self.instance is not None:
            others = others.exclude(pk=self.instance.pk)
        return others.exists()

    def profile(self) -> dict[str, Any]:
        """The changes the enterprise may make itself (read-only fields left out)."""
        return {
            k: self.cleaned_data[k]
            for k in PROFILE_FIELDS
            if k in self.fields and not self.fields[k].disabled
        }


_CHOICE_LABELS: dict[str, dict[str, str]] = {
    "sectors": dict(SectorChoice.choices),
    "metals": dict(Metal.choices),
    "size": dict(SizeClass.choices),
}


def newer_values(form: EnterpriseForm, conflicts: dict[str, Any]) -> list[tuple[str, str]]:
    """The fields someone else changed meanwhile, with their value now, as the form labels them."""
    rows = []
    for key, value in conflicts.items():
        field = form.fields[key]
        if key == "region_code":
            text = regions.full_name(str(value)) if value else "（空）"
        elif isinstance(field, forms.BooleanField):
            text = "是" if value else "否"
        elif key in _CHOICE_LABELS:
            labels = _CHOICE_LABELS[key]
            values = value if isinstance(value, list) else [value]
            text = "、".join(labels.get(str(v), str(v)) for v in values) or "（空）"
        else:
            text = str(value) if value else "（空）"
        rows.append((str(field.label), text))
    return rows


# Shown to the registrant: a claim is how a company gets back a code someone else registered.
CODE_TAKEN_HELP = (
    "该统一社会信用代码已在平台注册。代码是公开信息，任何人都可能填写它："
    "如果这确实是贵企业的代码，请勾选“申请认领”并说明情况（如营业执照信息、联系人），"
    "贵企业将先以无代码的待核验状态注册，核验人员核实后会把代码改配给贵企业。"
)
SAME_NAME_HELP = (
    "平台上已有名称相同的企业。同名是允许的（例如同一商号下的不同工厂），不会被拒绝，"
    "但核验人员会重点核对；确认名称无误请勾选“名称无误”后再次提交。"
)


class RegistrationForm(EnterpriseForm):
    admin_name = forms.CharField(label="管理员姓名", max_length=100)
    admin_email = forms.EmailField(label="管理员邮箱", help_text="核验人员需要时通过它联系您")
    login_stem = forms.RegexField(
        label="登录名前缀",
        max_length=STEM_MAX_LENGTH,
        regex=r"^[A-Za-z0-9_.]+$",
        help_text=(
            "字母、数字、下划线或点。平台会在后面加上 4 位随机字符作为您的登录名（如 zhaoliu-k7mq），"
            "注册成功后显示，请记下：这样注册页不会透露哪些登录名已被别人使用。"
        ),
        error_messages={"invalid": "登录名前缀只能包含字母、数字、下划线和点"},
    )
    password1 = NewPasswordField(label="密码")
    password2 = forms.CharField(label="确认密码", widget=forms.PasswordInput, strip=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The group is filled in later, in the profile, when the enterprise applies for a formal assessment.
        del self.fields["group_name"], self.fields["group_uscc"], self.fields["shown"]
        # The extra questions appear only once the answer needs them: a registered code, a repeated name.
        if self.is_bound and self._submitted_code_taken():
            self.fields["claim"] = forms.BooleanField(
                label="这是本企业的代码，申请认领", required=False, help_text=CODE_TAKEN_HELP
            )
            self.fields["claim_statement"] = forms.CharField(
                label="认领说明",
                required=False,
                max_length=2000,
                widget=forms.Textarea(attrs={"rows": 3}),
                help_text="核验人员据此核实，例如：营业执照上的名称与代码、法定代表人、可以联系核实的电话",
            )
        # The raw name, not yet validated: a NUL character in it would be a 500 on PostgreSQL.
        typed_name = str(self.data.get("name", "")).replace("\x00", "").strip()
        if self.is_bound and typed_name and same_name(typed_name).exists():
            self.fields["same_name_ok"] = forms.BooleanField(
                label="名称无误（已知平台上有同名企业）", required=False, help_text=SAME_NAME_HELP
            )
        order = list(self.fields)
        for extra, after in (("same_name_ok", "name"), ("claim", "uscc"), ("claim_statement", "claim")):
            if extra in order:
                order.remove(extra)
                order.insert(order.index(after) + 1, extra)
        self.order_fields(order)

    def _submitted_code_taken(self) -> bool:
        try:
            code = validate_uscc(str(self.data.get("uscc", "")))
        except UsccError:
            return False
        return self._code_taken(code)

    def clean_uscc(self) -> str | None:
        # A registration may name a taken code and claim it: that is decided in clean(), with the claim.
        try:
            return validate_uscc(self.cleaned_data["uscc"])
        except UsccError as exc:
            raise forms.ValidationError(str(exc)) from None

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        code = data.get("uscc")
        if code and "claim" in self.fields and self._code_taken(code):
            if not data.get("claim"):
                self.add_error("uscc", "该统一社会信用代码已注册；如确属本企业，请勾选下方“申请认领”")
            elif not data.get("claim_statement", "").strip():
                self.add_error("claim_statement", "申请认领时请说明情况，核验人员据此核实")
        if "same_name_ok" in self.fields and not data.get("same_name_ok"):
            self.add_error("same_name_ok", "请确认名称无误（同名不会被拒绝，但会被核验人员重点核对）")
        clean_new_password_pair(
            self,
            data,
            username=data.get("login_stem", ""),
            full_name=data.get("admin_name", ""),
            email=data.get("admin_email", ""),
        )
        return data

    @property
    def claim_statement(self) -> str:
        """The claim, when the registrant claims a registered code ("" otherwise)."""
        if not self.cleaned_data.get("claim"):
            return ""
        return str(self.cleaned_data.get("claim_statement", "")).strip()


class UnitForm(forms.ModelForm[Unit]):
    class Meta:
        model = Unit
        fields = ["name", "kind", "sector"]


class ContactForm(forms.ModelForm[Contact]):
    class Meta:
        model = Contact
        fields = ["name", "title", "phone", "email"]


class DecisionForm(forms.Form):
    """核验通过 or 不通过; a reason is required to refuse (the enterprise reads it)."""

    decision = forms.ChoiceField(
        choices=[("verify", "核验通过"), ("reject", "不通过")], widget=forms.HiddenInput
    )
    note = forms.CharField(
        label="说明",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="通过时可不填；不通过时必填，企业会看到",
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("decision") == "reject" and not data.get("note", "").strip():
            self.add_error("note", "请填写不通过的理由（企业会看到）")
        return data


class IdentityForm(forms.Form):
    """The verifier's correction of the registered name or code."""

    name = forms.CharField(label="企业名称", max_length=200)
    uscc = forms.CharField(label="统一社会信用代码", max_length=20)
    reason = forms.CharField(label="修改理由", max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))

    def clean_uscc(self) -> str:
        try:
            return validate_uscc(self.cleaned_data["uscc"])
        except UsccError as exc:
            raise forms.ValidationError(str(exc)) from None


class ClaimDecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[("grant", "改配给认领方"), ("refuse", "驳回认领")])
    reason = forms.CharField(label="理由", max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))
