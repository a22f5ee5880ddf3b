"""Forms of the rules and indicators pages. A rule form is a fixed set of optional conditions that ``clean`` turns
into a validated ``RuleDefinition`` (and ``initial_for`` turns back); the indicators form checks each figure
against its definition's range, with the message naming the indicator and its unit."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms

from nfmaturity.analytics.indicators import DEFINITIONS, IndicatorDefinition, IndicatorValues
from nfmaturity.analytics.rules import (
    SCORE_LEVELS,
    AboveScale,
    DomainScoreBelow,
    FormalGradeAtLeast,
    GradeRise,
    LatestGradeAtLeast,
    MetalIn,
    RegionIn,
    RuleDefinition,
    RuleDefinitionError,
    SectorIn,
    SizeIn,
    domain_names,
    grade_name,
    parse_definition,
)
from nfmaturity.enterprises import regions
from nfmaturity.enterprises.models import Metal, SectorChoice, SizeClass

DOMAIN_ROWS = (1, 2)
GRADE_CHOICES = [("", "不限")] + [(str(g), f"{grade_name(g)}及以上") for g in range(1, 6)]
YES_NO = [("", "不限"), ("yes", "是（规模以上）"), ("no", "否（规模以下）")]
DESCRIPTION_MAX = 2000


def _choice_errors(what: str) -> dict[str, str]:
    """Messages of a list field whose value did not come from its list (a tampered or outdated form): Django's
    own name the raw value, which is of no use to the person reading the page."""
    return {
        "invalid_choice": f"{what}不是可选的值，请从列表中重新选择",
        "invalid_list": f"{what}不是可选的值，请从列表中重新选择",
        "required": f"请选择{what}",
    }


def region_choices(jurisdiction: str) -> list[tuple[str, str]]:
    """The divisions one level below the jurisdiction (provinces for national, cities for a province, counties for
    a city); a county has none to choose from."""
    prefix = regions.jurisdiction_prefix(jurisdiction)
    if prefix is None or len(prefix) == 6:
        return []
    level = {0: "province", 2: "city", 4: "county"}[len(prefix)]
    return [
        (r.code, r.name)
        for r in sorted(regions.regions().values(), key=lambda r: r.code)
        if r.level == level and r.code.startswith(prefix) and r.code != jurisdiction
    ]


def _int_choice(value: str) -> int | None:
    return int(value) if value else None


class RuleForm(forms.Form):
    name = forms.CharField(
        label="规则名称",
        max_length=100,
        error_messages={
            "required": "请填写规则名称",
            "max_length": "名称不超过 100 字",
            "null_characters_not_allowed": "规则名称含有不可见的空字符（NUL），请删除后再保存",
        },
    )
    description = forms.CharField(
        label="用途说明",
        required=False,
        max_length=DESCRIPTION_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={
            "max_length": f"用途说明不超过 {DESCRIPTION_MAX} 字",
            "null_characters_not_allowed": "用途说明含有不可见的空字符（NUL），请删除后再保存",
        },
    )
    rise_enabled = forms.BooleanField(label="等级提升", required=False)
    rise_levels = forms.IntegerField(
        label="提升至少（级）",
        min_value=1,
        max_value=5,
        initial=1,
        required=False,
        error_messages={
            "min_value": "提升级数在 1–5 之间",
            "max_value": "提升级数在 1–5 之间",
            "invalid": "请填写整数",
        },
    )
    rise_years = forms.IntegerField(
        label="时间范围（年内）",
        min_value=1,
        max_value=10,
        initial=2,
        required=False,
        error_messages={
            "min_value": "年数在 1–10 之间",
            "max_value": "年数在 1–10 之间",
            "invalid": "请填写整数",
        },
    )
    sizes = forms.MultipleChoiceField(
        label="企业规模",
        choices=SizeClass.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages=_choice_errors("所选的企业规模"),
    )
    formal_grade = forms.ChoiceField(
        label="正式评估结果",
        choices=GRADE_CHOICES,
        required=False,
        error_messages=_choice_errors("所选的正式评估结果等级"),
    )
    latest_grade = forms.ChoiceField(
        label="最近一次评估等级",
        choices=GRADE_CHOICES,
        required=False,
        error_messages=_choice_errors("所选的最近一次评估等级"),
    )
    sectors = forms.MultipleChoiceField(
        label="所属环节",
        choices=SectorChoice.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages=_choice_errors("所选的环节"),
    )
    metals = forms.MultipleChoiceField(
        label="主要金属",
        choices=Metal.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages=_choice_errors("所选的金属"),
    )
    above_scale = forms.ChoiceField(
        label="规模以上工业企业",
        choices=YES_NO,
        required=False,
        error_messages=_choice_errors("所选的规上条件"),
    )
    region_codes = forms.MultipleChoiceField(
        label="所在地区",
        choices=[],
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages=_choice_errors("所选的地区"),
    )
    # Hidden: its error is shown with the form's own errors at the top (it has no place of its own on the page).
    version = forms.IntegerField(
        widget=forms.HiddenInput,
        required=False,
        error_messages={"invalid": "表单的版本号无效，请重新打开本页后再修改"},
    )

    def __init__(self, *args: Any, jurisdiction: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        region_field = self.fields["region_codes"]
        assert isinstance(region_field, forms.MultipleChoiceField)
        region_field.choices = region_choices(jurisdiction)
        domain_choices = [("", "能力域：不设")] + [(d, d) for d in domain_names()]
        for i in DOMAIN_ROWS:
            self.fields[f"domain_{i}"] = forms.ChoiceField(
                label="能力域",
                choices=domain_choices,
                required=False,
                error_messages=_choice_errors(f"第 {i} 项的能力域"),
            )
            self.fields[f"level_{i}"] = forms.ChoiceField(
                label="等级",
                choices=list(SCORE_LEVELS.items()),
                required=False,
                initial="s2",
                error_messages=_choice_errors(f"第 {i} 项的成熟度或等级"),
            )
            self.fields[f"below_{i}"] = forms.DecimalField(
                label="低于",
                min_value=Decimal(0),
                max_value=Decimal(5),
                max_digits=7,
                decimal_places=6,
                required=False,
                widget=forms.NumberInput(attrs={"placeholder": "低于，如 0.5", "step": "any"}),
                error_messages={
                    "min_value": "阈值不能小于 0",
                    "max_value": "阈值不能大于 5",
                    "invalid": "请填写数字，如 0.5",
                    "max_decimal_places": "阈值最多 6 位小数",
                    "max_digits": "阈值位数过多",
                },
            )
        self.definition: RuleDefinition | None = None

    @property
    def domain_rows(self) -> list[tuple[forms.BoundField, forms.BoundField, forms.BoundField]]:
        return [(self[f"domain_{i}"], self[f"level_{i}"], self[f"below_{i}"]) for i in DOMAIN_ROWS]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.errors:
            return data
        conditions: list[Any] = []
        if data.get("rise_enabled"):
            if not data.get("rise_levels") or not data.get("rise_years"):
                self.add_error("rise_levels", "请填写提升级数和年数")
                return data
            conditions.append(GradeRise(min_levels=data["rise_levels"], within_years=data["rise_years"]))
        if data.get("sizes"):
            conditions.append(SizeIn(sizes=data["sizes"]))
        if data.get("formal_grade"):
            conditions.append(FormalGradeAtLeast(grade=int(data["formal_grade"])))
        if data.get("latest_grade"):
            conditions.append(LatestGradeAtLeast(grade=int(data["latest_grade"])))
        for i in DOMAIN_ROWS:
            domain, level, below = data.get(f"domain_{i}"), data.get(f"level_{i}"), data.get(f"below_{i}")
            if not domain:
                continue
            if below is None:
                self.add_error(f"below_{i}", "请填写阈值")
                return data
            if level != "maturity" and below > 1:
                self.add_error(f"below_{i}", "S1–S5 得分在 0–1 之间，阈值不能大于 1")
                return data
            conditions.append(DomainScoreBelow(domain=domain, level=level or "s2", below=below))
        if data.get("sectors"):
            conditions.append(SectorIn(sectors=data["sectors"]))
        if data.get("metals"):
            conditions.append(MetalIn(metals=data["metals"]))
        if data.get("above_scale"):
            conditions.append(AboveScale(value=data["above_scale"] == "yes"))
        if data.get("region_codes"):
            conditions.append(RegionIn(codes=data["region_codes"]))
        if not conditions:
            raise forms.ValidationError("请至少设置一个条件")
        try:
            self.definition = parse_definition(
                {"conditions": [c.model_dump(mode="json") for c in conditions]}
            )
        except RuleDefinitionError as exc:
            raise forms.ValidationError(exc.messages) from None
        return data


def initial_for(definition: RuleDefinition) -> dict[str, Any]:
    """The form's initial values for a stored definition (the inverse of ``RuleForm.clean``)."""
    initial: dict[str, Any] = {}
    row = 0
    for c in definition.conditions:
        if isinstance(c, GradeRise):
            initial.update(rise_enabled=True, rise_levels=c.min_levels, rise_years=c.within_years)
        elif isinstance(c, SizeIn):
            initial["sizes"] = [str(s) for s in c.sizes]
        elif isinstance(c, FormalGradeAtLeast):
            initial["formal_grade"] = str(c.grade)
        elif isinstance(c, LatestGradeAtLeast):
            initial["latest_grade"] = str(c.grade)
        elif isinstance(c, DomainScoreBelow) and row < len(DOMAIN_ROWS):
            i = DOMAIN_ROWS[row]
            initial.update({f"domain_{i}": c.domain, f"level_{i}": c.level, f"below_{i}": c.below})
            row += 1
        elif isinstance(c, SectorIn):
            initial["sectors"] = [str(s) for s in c.sectors]
        elif isinstance(c, MetalIn):
            initial["metals"] = [str(m) for m in c.metals]
        elif isinstance(c, AboveScale):
            initial["above_scale"] = "yes" if c.value else "no"
        elif isinstance(c, RegionIn):
            initial["region_codes"] = list(c.codes)
    return initial


def _indicator_field(d: IndicatorDefinition) -> forms.Field:
    if d.kind == "boolean":
        return forms.ChoiceField(
            label=d.label,
            choices=[("", "未填报"), ("yes", "是"), ("no", "否")],
            required=False,
            help_text=d.help,
        )
    places = d.decimals
    # Django fills these messages with "%" formatting: a literal "%" (the unit) is written "%%".
    range_text = f"{d.label}应在 {d.minimum}–{d.maximum} {d.unit} 之间".replace("%", "%%")
    return forms.DecimalField(
        label=f"{d.label}（{d.unit}）",
        min_value=d.minimum,
        max_value=d.maximum,
        decimal_places=places,
        max_digits=12,
        required=False,
        help_text=d.help,
        error_messages={
            "invalid": f"{d.label}请填写数字",
            "min_value": range_text,
            "max_value": range_text,
            "max_decimal_places": f"{d.label}最多保留 {places} 位小数",
            "max_digits": f"{d.label}数字位数过多",
            "max_whole_digits": f"{d.label}数字位数过多",
        },
    )


class IndicatorForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for d in DEFINITIONS:
            self.fields[d.key] = _indicator_field(d)
            if d.key == "energy_per_unit":
                self.fields["energy_product"] = forms.CharField(
                    label="能耗对应的产品",
                    max_length=50,
                    required=False,
                    help_text="如：氧化铝、电解铝、阴极铜、电锌。不同产品的能耗不可比较，同组比较只在同一产品之间进行。",
                    error_messages={"max_length": "产品名称不超过 50 字"},
                )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("energy_per_unit") is not None and not (data.get("energy_product") or "").strip():
            self.add_error("energy_product", "填报单位产品综合能耗时，请注明对应的产品")
        # Only when nothing was refused: a single mistyped figure is not "nothing reported".
        if not self.errors and all(data.get(d.key) in (None, "") for d in DEFINITIONS):
            raise forms.ValidationError("请至少填报一项指标")
        return data

    def values(self) -> IndicatorValues:
        out: IndicatorValues = {}
        for d in DEFINITIONS:
            raw = self.cleaned_data.get(d.key)
            if d.kind == "boolean":
                out[d.key] = None if not raw else raw == "yes"
            else:
                out[d.key] = raw
        out["energy_product"] = (self.cleaned_data.get("energy_product") or "").strip()
        return out


def indicator_initial(report: Any) -> dict[str, Any]:
    initial: dict[str, Any] = {"version": report.version, "energy_product": report.energy_product}
    for d in DEFINITIONS:
        value = getattr(report, d.key)
        if d.kind == "boolean":
            initial[d.key] = "" if value is None else ("yes" if value else "no")
        else:
            initial[d.key] = value
    return initial
