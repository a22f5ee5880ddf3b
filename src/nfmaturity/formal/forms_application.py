"""Forms of the application, acceptance, roster, team and planning pages (labels and errors in Chinese)."""

from __future__ import annotations

from typing import Any

from django import forms

from nfmaturity.accounts.models import Organisation, OrganisationKind
from nfmaturity.assessments.models import Assessment, AssessmentKind, AssessmentState, GradeLevel
from nfmaturity.enterprises.models import Enterprise, SectorChoice, Unit
from nfmaturity.enterprises.uscc import UsccError, validate_uscc
from nfmaturity.formal.models import Discipline, DocumentKind, RelationKind

LONG_TEXT = 4000


class ApplicationForm(forms.Form):
    body = forms.ModelChoiceField(
        label="评估机构", queryset=Organisation.objects.none(), empty_label="请选择评估机构"
    )
    unit = forms.ModelChoiceField(
        label="评估对象", queryset=Unit.objects.none(), required=False, empty_label="企业整体"
    )
    sector = forms.ChoiceField(label="评估环节", choices=SectorChoice.choices)
    target_grade = forms.TypedChoiceField(
        label="申请等级", choices=GradeLevel.choices, coerce=int, initial=GradeLevel.TWO
    )
    lawful_declared = forms.BooleanField(
        label="本企业依法依规经营，申请材料真实、准确、完整",
        required=False,
        help_text="提交申请时必须声明",
    )
    safety_accident = forms.BooleanField(
        label="本年度或上一年度发生过重大及以上生产安全事故",
        required=False,
        help_text="如实申报；发生过的企业按评估方法第 4.2.1 条不能申请正式评估",
    )
    environment_incident = forms.BooleanField(
        label="本年度或上一年度发生过重大及以上环境事件",
        required=False,
        help_text="如实申报；发生过的企业按评估方法第 4.2.1 条不能申请正式评估",
    )
    starting_self_assessment = forms.ModelChoiceField(
        label="作为起点的自评估（可选）",
        queryset=Assessment.objects.none(),
        required=False,
        empty_label="不提供",
        help_text="提交后评估组可看到该次自评估的总分、等级和各子域成熟度（不含附件），供预评估参考",
    )
    application_note = forms.CharField(
        label="申请说明（可选）",
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=LONG_TEXT,
    )

    def __init__(self, *args: Any, enterprise: Enterprise, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        body = self.fields["body"]
        assert isinstance(body, forms.ModelChoiceField)
        body.queryset = Organisation.objects.filter(kind=OrganisationKind.BODY).order_by("name")
        unit = self.fields["unit"]
        assert isinstance(unit, forms.ModelChoiceField)
        unit.queryset = enterprise.units.all()
        start = self.fields["starting_self_assessment"]
        assert isinstance(start, forms.ModelChoiceField)
        start.queryset = Assessment.objects.filter(
            enterprise=enterprise, kind=AssessmentKind.SELF, state=AssessmentState.SUBMITTED
        ).select_related("unit", "enterprise")
        start.label_from_instance = _self_assessment_label  # type: ignore[assignment,method-assign]
        if enterprise.sectors and not self.is_bound:
            self.fields["sector"].initial = enterprise.sectors[0]
        if editing:  # the unit and sector are fixed with the assessment when the draft is created
            del self.fields["unit"]
            del self.fields["sector"]


def _self_assessment_label(a: Assessment) -> str:
    when = f" · 提交于 {a.submitted_at:%Y-%m-%d}" if a.submitted_at else ""
    return f"#{a.pk} {a.get_sector_display()} · {a.subject}{when}"


class DocumentForm(forms.Form):
    kind = forms.ChoiceField(label="材料类型", choices=DocumentKind.choices)
    file = forms.FileField(label="文件", error_messages={"required": "请选择要上传的文件"})


class WithdrawForm(forms.Form):
    reason = forms.CharField(label="撤回原因（可选）", required=False, max_length=LONG_TEXT)


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[("accept", "受理"), ("refuse", "不予受理")])
    reason = forms.CharField(
        label="受理意见 / 不予受理理由",
        required=False,
        max_length=LONG_TEXT,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="不予受理时必须填写理由，企业管理员会看到",
    )


class ExpertProfileForm(forms.Form):
    full_name = forms.CharField(label="姓名", max_length=100)
    disciplines = forms.MultipleChoiceField(
        label="专业领域", choices=Discipline.choices, widget=forms.CheckboxSelectMultiple
    )
    title = forms.CharField(label="职称", max_length=100, required=False)
    qualifications = forms.CharField(
        label="资质与经历", required=False, max_length=LONG_TEXT, widget=forms.Textarea(attrs={"rows": 3})
    )


class RelationForm(forms.Form):
    counterparty_name = forms.CharField(label="单位名称", max_length=200, help_text="企业或集团的全称")
    counterparty_uscc = forms.CharField(
        label="统一社会信用代码（可选）", max_length=20, required=False, help_text="填写后按代码比对，更准确"
    )
    kind = forms.ChoiceField(label="关系类型", choices=RelationKind.choices)
    started_on = forms.DateField(
        label="开始日期（可选）", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    ended_on = forms.DateField(
        label="结束日期（仍在持续请留空）", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    description = forms.CharField(label="说明（可选）", required=False, max_length=LONG_TEXT)

    def clean_counterparty_uscc(self) -> str:
        code: str = self.cleaned_data["counterparty_uscc"].strip()
        if not code:
            return ""
        try:
            return validate_uscc(code)
        except UsccError as exc:
            raise forms.ValidationError(str(exc)) from None

    def clean(self) -> dict[str, Any] | None:
        data = super().clean() or {}
        if data.get("started_on") and data.get("ended_on") and data["ended_on"] < data["started_on"]:
            self.add_error("ended_on", "结束日期不能早于开始日期")
        return data


class PlanForm(forms.Form):
    purpose = forms.CharField(
        label="评估目的", max_length=LONG_TEXT, widget=forms.Textarea(attrs={"rows": 2})
    )
    scope = forms.CharField(label="评估范围", max_length=LONG_TEXT, widget=forms.Textarea(attrs={"rows": 2}))
    tasks = forms.CharField(
        label="评估任务", max_length=LONG_TEXT, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    methods = forms.CharField(
        label="评估方法", max_length=LONG_TEXT, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    start_date = forms.DateField(label="开始日期", widget=forms.DateInput(attrs={"type": "date"}))
    end_date = forms.DateField(label="结束日期", widget=forms.DateInput(attrs={"type": "date"}))
    people = forms.CharField(
        label="人员安排", max_length=LONG_TEXT, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    agenda = forms.CharField(
        label="日程安排", max_length=LONG_TEXT, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def clean(self) -> dict[str, Any] | None:
        data = super().clean() or {}
        if data.get("start_date") and data.get("end_date") and data["end_date"] < data["start_date"]:
            self.add_error("end_date", "结束日期不能早于开始日期")
        return data


class MeetingForm(forms.Form):
    held_at = forms.DateTimeField(
        label="召开时间",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
    )
    place = forms.CharField(label="地点", max_length=200, required=False)
    attendees = forms.CharField(
        label="参会人员", max_length=LONG_TEXT, widget=forms.Textarea(attrs={"rows": 2})
    )
    minutes = forms.CharField(
        label="会议纪要", max_length=LONG_TEXT, widget=forms.Textarea(attrs={"rows": 4})
    )
