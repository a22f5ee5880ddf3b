from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.models import User

from nfmaturity.accounts.forms import NewPasswordField, clean_new_password_pair
from nfmaturity.enterprises import regions
from nfmaturity.enterprises.models import Contact, Enterprise, Metal, SectorChoice, SizeClass, Unit
from nfmaturity.enterprises.uscc import UsccError, validate_uscc


class EnterpriseForm(forms.Form):
    name = forms.CharField(label="企业名称", max_length=200)
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

    def __init__(self, *args: Any, instance: Enterprise | None = None, **kwargs: Any) -> None:
        if instance is not None and "initial" not in kwargs:
            kwargs["initial"] = {f: getattr(instance, f) for f in self.base_fields if hasattr(instance, f)}
        super().__init__(*args, **kwargs)
        self.instance = instance
        region = self.fields["region_code"]
        assert isinstance(region, forms.ChoiceField)  # declared above; narrows the field's type
        region.choices = [("", "请选择"), *regions.choices()]

    def clean_uscc(self) -> str:
        try:
            code = validate_uscc(self.cleaned_data["uscc"])
        except UsccError as exc:
            raise forms.ValidationError(str(exc)) from None
        others = Enterprise.objects.filter(uscc=code)
        if self.instance is not None:
            others = others.exclude(pk=self.instance.pk)
        if others.exists():
            raise forms.ValidationError("该统一社会信用代码已注册")
        return code


class RegistrationForm(EnterpriseForm):
    admin_name = forms.CharField(label="管理员姓名", max_length=100)
    admin_email = forms.EmailField(label="管理员邮箱", required=False)
    admin_username = forms.RegexField(
        label="管理员用户名",
        max_length=150,
        regex=r"^[\w.@+-]+$",
        error_messages={"invalid": "用户名只能包含字母、数字和 @ . + - _"},
    )
    password1 = NewPasswordField(label="密码")
    password2 = forms.CharField(label="确认密码", widget=forms.PasswordInput, strip=False)

    def clean_admin_username(self) -> str:
        username: str = self.cleaned_data["admin_username"]
        if User.objects.filter(username=username).exists():
            raise forms.ValidationError("该用户名已被使用")
        return username

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        clean_new_password_pair(
            self,
            data,
            username=data.get("admin_username", ""),
            full_name=data.get("admin_name", ""),
            email=data.get("admin_email", ""),
        )
        return data


class UnitForm(forms.ModelForm[Unit]):
    class Meta:
        model = Unit
        fields = ["name", "kind", "sector"]


class ContactForm(forms.ModelForm[Contact]):
    class Meta:
        model = Contact
        fields = ["name", "title", "phone", "email"]
