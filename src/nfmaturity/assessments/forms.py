from __future__ import annotations

from typing import Any

from django import forms

from nfmaturity.assessments.models import RatingValue
from nfmaturity.enterprises.models import Enterprise, SectorChoice, Unit
from nfmaturity.workbook.limits import NOTE_MAX_CHARS, REASON_MAX_CHARS


class StartForm(forms.Form):
    unit = forms.ModelChoiceField(
        label="评估对象", queryset=Unit.objects.none(), required=False, empty_label="企业整体"
    )
    sector = forms.ChoiceField(label="评估环节（选择与业务相匹配的评分标准）", choices=SectorChoice.choices)

    def __init__(self, *args: Any, enterprise: Enterprise, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        unit = self.fields["unit"]
        assert isinstance(unit, forms.ModelChoiceField)
        unit.queryset = enterprise.units.all()
        if enterprise.sectors:
            self.fields["sector"].initial = enterprise.sectors[0]


def _too_long(what: str, limit: int) -> dict[str, str]:
    return {"max_length": f"{what}不能超过 {limit} 字（现为 %(show_value)d 字），请精简后再保存"}


class RatingForm(forms.Form):
    """One rating save. The same limits as the offline workbook (``nfmaturity.workbook.limits``)."""

    # A page never sends a bad requirement, value or version: only these three are "tampered" (404).
    TAMPER_FIELDS = ("requirement_id", "value", "version")

    requirement_id = forms.CharField(max_length=200)
    value = forms.ChoiceField(choices=RatingValue.choices)
    version = forms.IntegerField(min_value=0)
    reason = forms.CharField(
        required=False,
        max_length=REASON_MAX_CHARS,
        strip=False,
        error_messages=_too_long("不适用理由", REASON_MAX_CHARS),
    )
    note = forms.CharField(
        required=False,
        max_length=NOTE_MAX_CHARS,
        strip=False,
        error_messages=_too_long("说明", NOTE_MAX_CHARS),
    )


class AttachmentForm(forms.Form):
    requirement_id = forms.CharField(max_length=200)
    file = forms.FileField(
        label="证据文件",
        error_messages={"required": "请选择要上传的文件", "empty": "文件为空（0 字节），请检查后重新选择"},
    )


class WithdrawForm(forms.Form):
    reason = forms.CharField(
        label="撤回原因（可选，记入操作记录）",
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class WorkbookForm(forms.Form):
    file = forms.FileField(label="已填写的离线评估表（.xlsx）")
