from __future__ import annotations

from typing import Any

from django import forms

from nfmaturity.assessments.models import RatingValue
from nfmaturity.enterprises.models import Enterprise, SectorChoice, Unit


class StartForm(forms.Form):
    unit = forms.ModelChoiceField(
        label="评估对象", queryset=Unit.objects.none(), required=False, empty_label="企业整体"
    )
    sector = forms.ChoiceField(label="评估环节（选择与业务相匹配的评分标准）", choices=SectorChoice.choices)

    def __init__(self, *args: Any, enterprise: Enterprise, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = enterprise.units.all()
        if enterprise.sectors:
            self.fields["sector"].initial = enterprise.sectors[0]


class RatingForm(forms.Form):
    requirement_id = forms.CharField(max_length=200)
    value = forms.ChoiceField(choices=RatingValue.choices)
    version = forms.IntegerField(min_value=0)
    reason = forms.CharField(required=False, max_length=2000)
    note = forms.CharField(required=False, max_length=4000)


class AttachmentForm(forms.Form):
    requirement_id = forms.CharField(max_length=200)
    file = forms.FileField(label="证据文件")


class WorkbookForm(forms.Form):
    file = forms.FileField(label="已填写的离线评估表（.xlsx）")
