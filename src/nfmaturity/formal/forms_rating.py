"""Forms of the rating, evidence and consensus pages (the limits are the offline workbook's)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone

from nfmaturity.assessments.forms import RatingForm
from nfmaturity.assessments.models import RatingValue
from nfmaturity.formal.models import CollectionMethod, SettlementMethod
from nfmaturity.workbook.limits import NOTE_MAX_CHARS, REASON_MAX_CHARS

ExpertRatingForm = RatingForm  # the same fields and limits as a self-assessment rating save


class SettleForm(forms.Form):
    TAMPER_FIELDS = ("requirement_id", "value", "method", "version")

    requirement_id = forms.CharField(max_length=200)
    value = forms.ChoiceField(label="合议评分", choices=RatingValue.choices)
    method = forms.ChoiceField(label="确定方式", choices=SettlementMethod.choices)
    version = forms.IntegerField(min_value=0)
    reason = forms.CharField(label="不适用理由", required=False, max_length=REASON_MAX_CHARS)
    rationale = forms.CharField(label="理由", required=False, max_length=NOTE_MAX_CHARS)


class EvidenceForm(forms.Form):
    description = forms.CharField(
        label="证据记录",
        max_length=NOTE_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "请填写证据记录"},
    )
    method = forms.ChoiceField(
        label="采集方式",
        choices=CollectionMethod.choices,
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    collected_on = forms.DateField(
        label="采集日期",
        widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date", "class": "form-control"}),
        error_messages={"invalid": "日期格式不正确"},
    )
    requirements = forms.MultipleChoiceField(
        label="支持的要求",
        widget=forms.SelectMultiple(attrs={"class": "form-select"}),
        error_messages={"required": "请至少选择一条证据所支持的要求"},
    )
    file = forms.FileField(label="文件（可选）", required=False)

    def __init__(self, *args: Any, choices: list[tuple[str, list[tuple[str, str]]]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["requirements"]
        assert isinstance(field, forms.MultipleChoiceField)
        field.choices = choices
        self.fields["collected_on"].initial = timezone.localdate()


class ReopenForm(forms.Form):
    reason = forms.CharField(label="重新开放原因", max_length=500, error_messages={"required": "请填写原因"})


class WorkbookUploadForm(forms.Form):
    file = forms.FileField(
        label="已填写的现场评估表（.xlsx）", error_messages={"required": "请选择已填写的现场评估表文件"}
    )
