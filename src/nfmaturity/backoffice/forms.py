from __future__ import annotations

from typing import Any

from django import forms

from nfmaturity.accounts.models import NATIONAL_JURISDICTION, ROLES_BY_KIND, Organisation, OrganisationKind
from nfmaturity.audit.models import AuditAction
from nfmaturity.backoffice.describe import OBJECT_TYPES
from nfmaturity.enterprises import regions

CREATABLE_KINDS = [
    (OrganisationKind.REGULATOR.value, OrganisationKind.REGULATOR.label),
    (OrganisationKind.BODY.value, OrganisationKind.BODY.label),
]


def jurisdiction_choices() -> list[Any]:
    # The region list is what the platform knows; choosing from it is what checks a code exists.
    return [("", "请选择"), (NATIONAL_JURISDICTION, "全国"), *regions.choices()]


class ReasonField(forms.CharField):
    def __init__(self, *, required: bool = False, label: str = "理由") -> None:
        super().__init__(
            label=label,
            required=required,
            max_length=500,
            widget=forms.TextInput,
            help_text="记入审计日志" if not required else "必填，记入审计日志",
        )


class OrganisationCreateForm(forms.Form):
    kind = forms.ChoiceField(label="类型", choices=CREATABLE_KINDS)
    name = forms.CharField(label="机构名称", max_length=200)
    jurisdiction = forms.ChoiceField(
        label="管辖范围（仅主管部门）",
        required=False,
        help_text="主管部门只看到并统计管辖范围内的企业",
    )
    admin_name = forms.CharField(label="首位管理员姓名", max_length=100)
    admin_email = forms.EmailField(label="首位管理员邮箱")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["jurisdiction"]
        assert isinstance(field, forms.ChoiceField)  # declared above; narrows the type for mypy
        field.choices = jurisdiction_choices()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        kind, jurisdiction = data.get("kind"), data.get("jurisdiction", "")
        if kind == OrganisationKind.REGULATOR and not jurisdiction:
            self.add_error("jurisdiction", "请选择主管部门的管辖范围")
        if kind == OrganisationKind.BODY and jurisdiction:
            self.add_error("jurisdiction", "评估机构没有管辖范围，请留空")
        return data


class RenameForm(forms.Form):
    name = forms.CharField(label="新名称", max_length=200)
    reason = ReasonField()


class JurisdictionForm(forms.Form):
    jurisdiction = forms.ChoiceField(label="管辖范围")
    reason = ReasonField()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["jurisdiction"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = jurisdiction_choices()


class RoleForm(forms.Form):
    role = forms.ChoiceField(label="角色")
    reason = ReasonField()

    def __init__(self, *args: Any, organisation: Organisation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["role"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [(r.value, r.label) for r in ROLES_BY_KIND[organisation.kind]]


class RemoveMemberForm(forms.Form):
    reason = ReasonField(required=True, label="移除理由")


class AuditFilterForm(forms.Form):
    organisation = forms.CharField(label="机构", required=False, max_length=200)
    actor = forms.CharField(label="操作人", required=False, max_length=150)
    object_type = forms.ChoiceField(
        label="对象类型", required=False, choices=[("", "全部"), *OBJECT_TYPES.items()]
    )
    action = forms.ChoiceField(label="事项", required=False, choices=[("", "全部"), *AuditAction.choices])
    date_from = forms.DateField(
        label="起始日期", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label="截止日期", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    # Set by links on the page (an organisation's or a person's events); shown as a removable chip.
    org = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)
    user = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)
    object_id = forms.CharField(required=False, max_length=64, widget=forms.HiddenInput)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", "截止日期不能早于起始日期")
        if data.get("object_id") and not data.get("object_type"):
            self.add_error("object_type", "请选择对象类型")
        return data
