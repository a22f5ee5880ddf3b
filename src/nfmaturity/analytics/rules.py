"""Policy rules: conditions over stored results and the enterprise profile, combined with AND, evaluated by the
database, with the values that made each enterprise match.

A rule's definition is JSON validated by ``RuleDefinition`` (pydantic): a list of typed conditions. Each condition
adds its figures to the query as annotations named ``c<i>_…`` and filters on them, so a rule over 50 000
enterprises is one SQL statement (plus a count for paging) and only the page shown comes back to Python; the
same annotations then say *why* each enterprise matched (``why``). A rule always runs inside the jurisdiction
it is given, over the enterprises the statistics count (verified; real ones, or demo ones in a demo database).

Reading of the conditions (shown on the rule's page in the same words):

- 等级提升: the latest submitted result's grade minus the grade of the *earliest* result submitted within the last
  Y years before it, for the same sector (环节); an enterprise with one result in the window has no rise.
- 正式评估结果: the grade of the enterprise's latest *published* formal assessment result.
- 能力域得分低于: the figure of the latest submitted result (``ResultScore``); a level the domain takes no part in
  has no figure and does not match.
- Profile conditions (规模, 环节, 金属, 规上, 地区) read the enterprise's current profile.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import IO, TYPE_CHECKING, Annotated, Any, Literal

from django.db.models import (
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)
from django.http import Http404
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from nfmaturity.accounts.access import AnyUser, membership_of
from nfmaturity.accounts.models import Organisation, OrganisationKind
from nfmaturity.analytics.models import PolicyRule
from nfmaturity.analytics.references import GUANGXI_ADVICE, HEBEI_SMART_FACTORY
from nfmaturity.analytics.selectors import counted, is_demo_database
from nfmaturity.assessments.catalogs import current_version, sector_view
from nfmaturity.assessments.models import AssessmentState, GradeLevel, Result, ResultScore, ScoreKind
from nfmaturity.enterprises import regions
from nfmaturity.enterprises.access import in_jurisdiction
from nfmaturity.enterprises.models import Enterprise, Metal, SectorChoice, SizeClass
from nfmaturity.formal.models import FormalAssessment, FormalState
from nfmaturity.workbook.xlsx import FORMULA_STARTS

if TYPE_CHECKING:
    from openpyxl.worksheet._write_only import WriteOnlyWorksheet

SCORE_LEVELS: dict[str, str] = {
    "maturity": "成熟度",
    "s1": "S1",
    "s2": "S2",
    "s3": "S3",
    "s4": "S4",
    "s5": "S5",
}
MAX_CONDITIONS = 12


def domain_names() -> tuple[str, ...]:
    """The capability domains of the current catalog (the same eight for every sector)."""
    return sector_view(current_version(), SectorChoice.SMELTING).domain_order


def grade_name(level: int | None) -> str:
    if level is None:
        return "无"
    return GradeLevel(level).label.split(" ")[0]


def _day(value: datetime | None) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d") if value is not None else "—"


def _years_before(now: datetime, years: int) -> datetime:
    try:
        return now.replace(year=now.year - years)
    except ValueError:  # 29 February in a year that has none
        return now.replace(year=now.year - years, day=28)


def _labels(values: list[str], choices: type[SectorChoice] | type[Metal] | type[SizeClass]) -> str:
    return "、".join(str(choices(v).label) for v in values if v in choices.values)


def _json_list_any(field: str, values: list[str]) -> Q:
    condition = Q()
    for value in values:
        # JSON list membership written so it works on SQLite and PostgreSQL alike (as the registry filter).
        condition |= Q(**{f"{field}__icontains": f'"{value}"'})
    return condition


class _Condition(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    def describe(self) -> str:
        raise NotImplementedError

    def apply(self, rows: QuerySet[Enterprise], p: str, now: datetime) -> QuerySet[Enterprise]:
        raise NotImplementedError

    def why(self, row: Enterprise, p: str) -> str:
        raise NotImplementedError


class GradeRise(_Condition):
    type: Literal["grade_rise"] = "grade_rise"
    min_levels: int = Field(ge=1, le=5)
    within_years: int = Field(ge=1, le=10)

    def describe(self) -> str:
        return f"{self.within_years} 年内等级提升 ≥ {self.min_levels} 级"

    def apply(self, rows: QuerySet[Enterprise], p: str, now: datetime) -> QuerySet[Enterprise]:
        cutoff = _years_before(now, self.within_years)
        # Each assessment by its current result: a re-scored (formal) assessment's earlier versions no longer
        # stand, so a rise never starts from one of them (as the trends and the movers read results).
        replaced = Result.objects.filter(assessment=OuterRef("assessment"), version__gt=OuterRef("version"))
        earliest = (
            Result.objects.filter(
                assessment__enterprise=OuterRef("pk"),
                assessment__state=AssessmentState.SUBMITTED,
                assessment__sector=OuterRef("latest_sector"),
                assessment__submitted_at__gte=cutoff,
                assessment__submitted_at__lt=OuterRef("latest_at"),
            )
            .exclude(Exists(replaced))
            .order_by("assessment__submitted_at")
        )
        return (
            # A latest result older than the window cannot end a rise in it: this cheap test on the joined row
            # spares the per-enterprise lookup below for those enterprises.
            rows.filter(**{"latest_at__gt": cutoff})
            .annotate(
                **{
                    f"{p}_from": Subquery(earliest.values("grade")[:1]),
                    f"{p}_from_at": Subquery(earliest.values("assessment__submitted_at")[:1]),
                }
            )
            .annotate(
                **{
                    f"{p}_rise": ExpressionWrapper(
                        F("latest_grade") - F(f"{p}_from"), output_field=IntegerField()
                    )
                }
            )
            .filter(**{f"{p}_rise__gte": self.min_levels})
        )

    def why(self, row: Enterprise, p: str) -> str:
        return (
            f"等级提升 {getattr(row, f'{p}_rise')} 级：{_day(getattr(row, f'{p}_from_at'))} "
            f"{grade_name(getattr(row, f'{p}_from'))} → {_day(row.latest_at)} {grade_name(row.latest_grade)}"  # type: ignore[attr-defined]
        )


class SizeIn(_Condition):
    type: Literal["size_in"] = "size_in"
    sizes: list[SizeClass] = Field(min_length=1)

    def describe(self) -> str:
        return f"企业规模为{_labels(list(self.sizes), SizeClass)}"

    def apply(self, rows: QuerySet[Enterprise], p: str, now: datetime) -> QuerySet[Enterprise]:
        return rows.filter(size__in=list(self.sizes))

    def why(self, row: Enterprise, p: str) -> str:
        return f"企业规模：{SizeClass(row.size).label}"


class FormalGradeAtLeast(_Condition):
    type: Literal["formal_grade_at_least"] = "formal_grade_at_least"
    grade: int = Field(ge=1, le=5)

    def describe(self) -> str:
        return f"正式评估结果 ≥ {grade_name(self.grade)}"

    def apply(self, rows: QuerySet[Enterprise], p: str, now: datetime) -> QuerySet[Enterprise]:
        published = FormalAssessment.objects.filter(
            enterprise=OuterRef("pk"), state=FormalState.PUBLISHED, published_result__isnull=False
        ).order_by("-published_at", "-pk")
        return rows.annotate(
            **{
                f"{p}_grade": Subquery(published.values("published_result__grade")[:1]),
                f"{p}_number": Subquery(published.values("result_number")[:1]),
                f"{p}_at": Subquery(published.values("published_at")[:1]),
            }
        ).filter(**{f"{p}_grade__gte": self.grade})

    def why(self, row: Enterprise, p: str) -> str:
        number = getattr(row, f"{p}_number") or "无编号"
        return f"正式评估结果：{grade_name(getattr(row, f'{p}_grade'))}（{_day(getattr(row, f'{p}_at'))} 发布，{number}）"


class LatestGradeAtLeast(_Condition):
    type: Literal["latest_grade_at_least"] = "latest_grade_at_least"
    grade: int = Field(ge=0, le=5)

    def describe(self) -> str:
        return f"最近一次评估等级 ≥ {grade_name(self.grade)}"

    def apply(self, rows: QuerySet[Enterprise], p: str, now: datetime) -> QuerySet[Enterprise]:
        return rows.filter(**{"latest_grade__gte": self.grade})

    def why(self, row: Enterprise, p: str) -> str:
        return (
            f"最近一次评估：{grade_name(row.latest_grade)}（总分 {row.latest_total}，{_day(row.latest_at)}）"  # type: ignore[attr-defined]
        )


class DomainScoreBelow(_Condition):
    type: Literal["domain_score_below"] = "domain_score_below"
    domain: str
    level: Literal["maturity", "s1", "s2", "s3", "s4", "s5"]
    below: Decimal = Field(ge=0, le=5, max_digits=7, decimal_places=6)

    @field_validator("domain")
    @classmethod
    def _known_domain(cls, value: str) -> str:
        if value not in domain_names():
            raise ValueError(f"没有名为“{value}”的能力域")
        return value

    @model_validator(mode="after")
    def _threshold_in_range(self) -> DomainScoreBelow:
        if self.level != "maturity" and self.below > 1:
            raise ValueError("S1–S5 得分在 0–1 之间，阈值不能大于 1")
        return self

    def describe(self) -> str:
        return f"{self.domain}域 {SCORE_LEVELS[self.level]} 低于 {self.below}"

    def apply(self, rows: QuerySet[Enterprise], p: str, now: datetime) -> QuerySet[Enterprise]:
        figure = ResultScore.objects.filter(
            result_id=OuterRef("latest_result_id"), kind=ScoreKind.DOMAIN, key=self.domain
        ).values(self.level)[:1]
        return rows.annotate(**{f"{p}_value": Subquery(figure)}).filter(**{f"{p}_value__lt": self.below})

    def why(self, row: Enterprise, p: str) -> str:
        value = getattr(row, f"{p}_value")
        shown = _truncate2(value)
        return f"{self.domain}域 {SCORE_LEVELS[self.level]}：{shown}（最近一次评估，{_day(row.latest_at)}）"  # type: ignore[attr-defined]


class SectorIn(_Condition):
    type: Literal["sector_in"] = "sector_in"
    sectors: list[SectorChoice] = Field(min_length=1)

    def describe(self) -> str:
        return f"所属环节含{_labels(list(self.sectors), SectorChoice)}"

    def apply(self, rows: QuerySet[Enterprise], p: str, now: datetime) -> QuerySet[Enterprise]:
        return rows.filter(_json_list_any("sectors", list(self.sectors)))

    def why(self, row: Enterprise, p: str) -> str:
        return f"所属环节：{_labels([s for s in row.sectors if s in self.sectors], SectorChoice)}"


class MetalIn(_Condition):
    type: Literal["metal_in"] = "metal_in"
    metals: list[Metal] = Field(min_length=1)

    def describe(self) -> str:
        return f"主要金属含{_labels(list(self.metals), Metal)}"

    def apply(self, rows: QuerySet[Enterprise], p: str, now: datetime) -> QuerySet[Enterprise]:
        return rows.filter(_json_list_any("metals", list(self.metals)))

    def why(self, row: Enterprise, p: str) -> str:
        return f"主要金属：{_labels([m for m in row.metals if m in self.metals], Metal)}"


class AboveScale(_Condition):
    type: Literal["above_scale"] = "above_scale"
    value: bool

    def describe(self) -> str:
        return "规模以上工业企业" if self.value else "规模以下企业"

    def apply(self, rows: QuerySet[Enterprise], p: str, now: datetime) -> QuerySet[Enterprise]:
        return rows.filter(above_scale=self.value)

    def why(self, row: Enterprise, p: str) -> str:
        return f"规上企业：{'是' if row.above_scale else '否'}"


class RegionIn(_Condition):
    type: Literal["region_in"] = "region_in"
    codes: list[str] = Field(min_length=1, max_length=50)

    @field_validator("codes")
    @classmethod
    def _known_codes(cls, value: list[str]) -> list[str]:
        unknown = [c for c in value if c not in regions.regions() or regions.jurisdiction_prefix(c) is None]
        if unknown:
            raise ValueError(f"未知的行政区划代码：{'、'.join(unknown)}")
        return value

    def describe(self) -> str:
        return f"所在地区为{'、'.join(regions.full_name(c) for c in self.codes)}"

    def apply(self, rows: QuerySet[Enterprise], p: str, now: datetime) -> QuerySet[Enterprise]:
        condition = Q()
        for code in self.codes:
            condition |= Q(region_code__startswith=regions.jurisdiction_prefix(code))
        return rows.filter(condition)

    def why(self, row: Enterprise, p: str) -> str:
        return f"所在地区：{regions.full_name(row.region_code)}"


def _truncate2(value: Decimal | None) -> str:
    if value is None:
        return "—"
    return str(value.quantize(Decimal("0.01"), rounding="ROUND_DOWN"))


Condition = Annotated[
    GradeRise
    | SizeIn
    | FormalGradeAtLeast
    | LatestGradeAtLeast
    | DomainScoreBelow
    | SectorIn
    | MetalIn
    | AboveScale
    | RegionIn,
    Field(discriminator="type"),
]


class RuleDefinition(BaseModel):
    """What a saved rule stores in ``PolicyRule.definition``: conditions, all of which must hold."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    conditions: list[Condition] = Field(min_length=1, max_length=MAX_CONDITIONS)

    def describe(self) -> str:
        return "，且".join(c.describe() for c in self.conditions)


class RuleDefinitionError(ValueError):
    """A definition that does not validate, with its problems in Chinese."""

    def __init__(self, messages: list[str]) -> None:
        super().__init__("；".join(messages))
        self.messages = messages


def parse_definition(data: Any) -> RuleDefinition:
    try:
        return RuleDefinition.model_validate(data)
    except ValidationError as exc:
        messages = []
        for error in exc.errors():
            message = str(error.get("msg", ""))
            # pydantic's own wording is English; ours (raised as ValueError) starts with "Value error, ".
            messages.append(
                message.removeprefix("Value error, ") if "Value error" in message else "条件格式不正确"
            )
        raise RuleDefinitionError(messages) from None


@dataclass(frozen=True)
class Example:
    """A rule shipped with the platform to show what rules can do: an example, not policy."""

    key: str
    name: str
    description: str
    definition: RuleDefinition


EXAMPLES: tuple[Example, ...] = (
    Example(
        key="reward-small-rise",
        name="两年内等级提升≥1级的小微企业（以奖代补参考）",
        description=(
            f"{GUANGXI_ADVICE.citation}建议探索“以奖代补”模式，对完成数字化转型阶段性目标的中小企业按成果等级"
            "给予奖励。本示例列出两年内自评估等级提升至少一级的小型、微型企业，供制定名单时参考。"
        ),
        definition=RuleDefinition(
            conditions=[
                GradeRise(min_levels=1, within_years=2),
                SizeIn(sizes=[SizeClass.SMALL, SizeClass.MICRO]),
            ]
        ),
    ),
    Example(
        key="formal-grade-two",
        name="正式评估结果≥二级（梯度培育参考）",
        description=(
            f"{HEBEI_SMART_FACTORY.citation}要求基础级和先进级智能工厂的智能制造能力成熟度评估水平达到"
            "GB/T 39116-2020《智能制造能力成熟度模型》二级及以上。本平台评估的是另一标准（有色金属行业数字化转型"
            "成熟度），本示例只借用“二级及以上”这一门槛，列出已发布的正式评估结果达到二级及以上的企业。"
        ),
        definition=RuleDefinition(conditions=[FormalGradeAtLeast(grade=2)]),
    ),
    Example(
        key="data-s2-below",
        name="数据域 S2 低于 0.5",
        description="最近一次评估中“数据”能力域在 S2 的得分低于 0.5 的企业：数据管理短板明显，可作为诊断服务的对象。",
        definition=RuleDefinition(
            conditions=[DomainScoreBelow(domain="数据", level="s2", below=Decimal("0.5"))]
        ),
    ),
)


def example(key: str) -> Example | None:
    return next((e for e in EXAMPLES if e.key == key), None)


def evaluate(
    definition: RuleDefinition, jurisdiction: str, *, demo: bool | None = None, now: datetime | None = None
) -> QuerySet[Enterprise]:
    """The enterprises inside ``jurisdiction`` that the statistics count and that meet every condition, with
    the annotations ``why`` reads. Ordered by name; nothing is fetched until the caller pages or iterates."""
    now = now or timezone.now()
    demo = is_demo_database() if demo is None else demo
    scope = counted(in_jurisdiction(Enterprise.objects.all(), jurisdiction), demo=demo)
    rows: QuerySet[Enterprise] = scope.annotate(
        latest_grade=F("latest_result__grade"),
        latest_result_id=F("latest_result__result_id"),
        latest_total=F("latest_result__total_shown"),
        latest_at=F("latest_result__submitted_at"),
        latest_sector=F("latest_result__sector"),
    )
    for i, condition in enumerate(definition.conditions):
        rows = condition.apply(rows, f"c{i}", now)
    return rows.order_by("name", "pk")


def why(definition: RuleDefinition, row: Enterprise) -> list[str]:
    """For an enterprise ``evaluate`` returned: the values that satisfied each condition, in order."""
    return [condition.why(row, f"c{i}") for i, condition in enumerate(definition.conditions)]


def matches(definition: RuleDefinition, rows: list[Enterprise]) -> list[tuple[Enterprise, list[str]]]:
    return [(row, why(definition, row)) for row in rows]


# ---- Excel export (bounded memory: write-only sheet, rows read from the database in chunks)

EXPORT_COLUMNS: tuple[tuple[str, float], ...] = (
    ("企业名称", 32),
    ("统一社会信用代码", 22),
    ("所在地区", 30),
    ("企业规模", 10),
    ("所属环节", 14),
    ("主要金属", 14),
    ("规上企业", 9),
    ("最近等级", 10),
    ("最近总分", 10),
)


def _text(ws: WriteOnlyWorksheet, value: str) -> Cell | str | None:
    """Text as a text cell whatever it starts with: a name starting with "=" never becomes a formula."""
    value = ILLEGAL_CHARACTERS_RE.sub("", value)
    if not value:
        return None
    if not value.startswith(FORMULA_STARTS):
        return value
    cell = WriteOnlyCell(ws, value=value)
    cell.data_type = "s"
    cell.quotePrefix = True
    return cell


def _rows(rows: QuerySet[Enterprise], chunk: int) -> Iterator[Enterprise]:
    yield from rows.iterator(chunk_size=chunk)


def write_matches(
    definition: RuleDefinition,
    rows: QuerySet[Enterprise],
    target: IO[bytes],
    *,
    heading: str,
    chunk: int = 2000,
) -> int:
    """Every match with its reasons (one column per condition) to ``target``; returns how many."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("匹配企业")
    columns = [
        *EXPORT_COLUMNS,
        *((f"条件{i + 1}：{c.describe()}", 40.0) for i, c in enumerate(definition.conditions)),
    ]
    for i, (_, width) in enumerate(columns):
        ws.column_dimensions[get_column_letter(i + 1)].width = width
    ws.append([_text(ws, heading)])
    header = []
    for name, _ in columns:
        cell = WriteOnlyCell(ws, value=name)
        cell.font = Font(bold=True)
        header.append(cell)
    ws.append(header)
    written = 0
    for row in _rows(rows, chunk):
        ws.append(
            [
                _text(ws, row.name),
                _text(ws, row.uscc or ""),
                _text(ws, regions.full_name(row.region_code)),
                SizeClass(row.size).label,
                "、".join(row.sector_labels),
                "、".join(row.metal_labels),
                "是" if row.above_scale else "否",
                grade_name(row.latest_grade),  # type: ignore[attr-defined]
                row.latest_total,  # type: ignore[attr-defined]
                *(_text(ws, text) for text in why(definition, row)),
            ]
        )
        written += 1
    ws.append([_text(ws, f"共 {written} 家企业。示例规则与自定规则均为筛选工具，不代表政策结论。")])
    wb.save(target)
    return written


def matches_workbook(
    definition: RuleDefinition, rows: QuerySet[Enterprise], *, heading: str
) -> tuple[IO[bytes], int]:
    """The workbook in a temporary file (on disk beyond a few MB), rewound for the response to stream, and how
    many enterprises it lists."""
    target = tempfile.SpooledTemporaryFile(max_size=4 * 1024 * 1024)  # noqa: SIM115 - the response closes it
    written = write_matches(definition, rows, target, heading=heading)
    target.seek(0)
    return target, written


# ---- Who may use rules: the people of a regulator organisation with a valid jurisdiction. Rules belong to the
# organisation (colleagues share them); anyone else, the platform admin included, finds no such pages (404).


def rules_organisation(user: AnyUser) -> Organisation:
    membership = membership_of(user)
    if (
        membership is None
        or membership.organisation.kind != OrganisationKind.REGULATOR
        or regions.jurisdiction_prefix(membership.organisation.jurisdiction) is None
    ):
        raise Http404
    return membership.organisation


def get_rule_for_user(user: AnyUser, pk: int) -> PolicyRule:
    """One of the user's organisation's rules; the same 404 for a missing rule and another organisation's."""
    rule = PolicyRule.objects.filter(pk=pk, organisation=rules_organisation(user)).first()
    if rule is None:
        raise Http404
    return rule
