from __future__ import annotations

from django import forms

from nfmaturity.plans.models import ActionStatus


class SavePlanForm(forms.Form):
    target = forms.IntegerField(min_value=1, max_value=5)
    path = forms.ChoiceField(choices=(("consecutive", "逐级达标"), ("literal", "最低代价")))


class ActionForm(forms.Form):
    version = forms.IntegerField(min_value=1, widget=forms.HiddenInput)
    effort = forms.IntegerField(
        label="工作量（人周）",
        min_value=1,
        max_value=100000,
        error_messages={"min_value": "工作量须为正整数（人周）", "required": "请填写工作量"},
    )
    owner = forms.CharField(label="负责人", max_length=100, required=False)
    due_date = forms.DateField(
        label="完成期限",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": "请填写有效日期，如 2026-06-30"},
    )
    budget = forms.DecimalField(
        label="预算（万元）",
        required=False,
        min_value=0,
        max_digits=12,
        decimal_places=2,
        error_messages={"invalid": "请填写数字（万元）", "min_value": "预算不能为负数"},
    )
    notes = forms.CharField(
        label="备注", required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class StatusForm(forms.Form):
    version = forms.IntegerField(min_value=1, widget=forms.HiddenInput)
    status = forms.ChoiceField(label="状态", choices=ActionStatus.choices)
    evidence_text = forms.CharField(
        label="完成证明",
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="标记为已完成时必填：做了什么、在哪里可以查验。",
    )
    file = forms.FileField(label="证明文件（可选）", required=False)


class RectificationForm(forms.Form):
    requirement_id = forms.CharField(max_length=200, widget=forms.HiddenInput)
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)
    measure = forms.CharField(
        label="整改措施",
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "请填写整改措施"},
    )
    due_date = forms.DateField(
        label="完成期限",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": "请填写有效日期，如 2026-06-30"},
    )


class DecisionForm(forms.Form):
    version = forms.IntegerField(min_value=1, widget=forms.HiddenInput)
    decision = forms.ChoiceField(choices=(("confirm", "确认"), ("return", "退回")))
    reason = forms.CharField(label="退回理由", required=False, max_length=2000)
