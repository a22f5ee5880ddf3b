"""Forms of the results part. Each write form carries the version the user saw (optimistic locking)."""

from __future__ import annotations

from django import forms

from nfmaturity.assessments.models import RatingValue


class ConclusionForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    overall_assessment = forms.CharField(
        label="总体评估", required=False, widget=forms.Textarea(attrs={"rows": 5})
    )
    strengths = forms.CharField(label="优秀经验", required=False, widget=forms.Textarea(attrs={"rows": 4}))
    weaknesses = forms.CharField(label="短板不足", required=False, widget=forms.Textarea(attrs={"rows": 4}))
    recommendations = forms.CharField(
        label="改造建议", required=False, widget=forms.Textarea(attrs={"rows": 4})
    )


class SendForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    deadline = forms.DateField(
        label="异议截止日期",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text="默认发送之日起 10 天，企业在此日期（含）前可以提出异议",
    )


class ContestForm(forms.Form):
    requirement_id = forms.ChoiceField(label="有异议的要求")
    argument = forms.CharField(label="异议理由", widget=forms.Textarea(attrs={"rows": 4}))

    def __init__(self, *args: object, choices: list[tuple[str, object]], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["requirement_id"].choices = choices  # type: ignore[attr-defined]


ANSWER_CHOICES = [("refuse", "不采纳（说明理由）"), ("accept", "采纳，重新确定评分")]


class AnswerForm(forms.Form):
    decision = forms.ChoiceField(label="答复", choices=ANSWER_CHOICES, widget=forms.RadioSelect)
    value = forms.ChoiceField(
        label="重新确定的评分", choices=[("", "—"), *RatingValue.choices], required=False
    )
    reason = forms.CharField(label="不适用理由", required=False)
    answer = forms.CharField(label="答复意见", widget=forms.Textarea(attrs={"rows": 3}))


class FinalMeetingForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    held_at = forms.DateTimeField(
        label="召开时间",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    place = forms.CharField(label="地点", required=False, max_length=200)
    attendees = forms.CharField(label="参会人员", widget=forms.Textarea(attrs={"rows": 2}))
    minutes = forms.CharField(label="会议纪要", widget=forms.Textarea(attrs={"rows": 4}))
    final_conclusion = forms.CharField(label="最终结论", widget=forms.Textarea(attrs={"rows": 4}))


class ReasonForm(forms.Form):
    reason = forms.CharField(label="重新开启原因", widget=forms.Textarea(attrs={"rows": 3}))


class VerifyForm(forms.Form):
    result_number = forms.CharField(label="结果编号", max_length=32)
    check_code = forms.CharField(label="校验码", max_length=16)
