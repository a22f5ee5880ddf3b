"""Small synthetic sector catalogs built straight from the pydantic models, from a readable spec.

A spec maps each domain to its rows::

    {"组织": {"weight": 8,                       # α (optional: defaults to the sum of its rows)
              "rows": {"组织建设": {"weight": 2, "requirements": [2, 2, 1, 0, 3]}}}}

``requirements`` gives how many requirements the row has at S1..S5 (0 = an empty cell). A row may also say
``covers: [研发管理, 技术创新]`` (a merged row). Requirement ids are ``<row>:S<level>:<number>``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from nfmaturity.catalog.model import (
    LEVELS,
    Domain,
    Grade,
    Requirement,
    Row,
    Section,
    Sector,
    SectorCatalog,
    SubdomainType,
)
from nfmaturity.scoring.grading import STANDARD_GRADES
from nfmaturity.scoring.ratings import Rating, parse_rating

# Table 1 of the standard: domain → sub-domain → weight (percent).
TABLE1: dict[str, dict[str, int]] = {
    "组织": {"组织建设": 2, "转型战略": 2, "流程管理": 2, "变革管理": 2},
    "技术": {"研发管理": 2, "技术创新": 3, "信息安全": 3},
    "数据": {"业务数据化": 2, "数据管理": 1, "数据资产": 1, "数据业务化": 2},
    "资源": {"基础设施": 2, "应用支撑资源": 2, "资金": 1, "知识": 1},
    "数字化运营": {"数字化营销": 5, "数字化财务": 3, "数字化供应链": 6},
    "数字化生产": {
        "产品设计": 1,
        "工艺设计": 3,
        "中试验证": 4,
        "计划调度": 3,
        "生产作业": 8,
        "质量管控": 5,
        "设备管理": 5,
        "仓储配送": 4,
        "安全生产": 2,
        "环保管理": 2,
        "能源管理": 2,
        "生产协同": 5,
    },
    "数字化服务": {"服务产品": 1, "服务能力": 2, "服务交付": 2, "服务运行": 1},
    "数字化成效": {"产品质量": 2, "生产效率": 2, "价值效益": 2, "服务质量": 2},
}


def table1_spec(counts: Sequence[int] = (2, 2, 2, 2, 2)) -> dict[str, Any]:
    """Every Table 1 sub-domain as its own row, with ``counts`` requirements at S1..S5."""
    return {
        domain: {"rows": {name: {"weight": w, "requirements": list(counts)} for name, w in subs.items()}}
        for domain, subs in TABLE1.items()
    }


def standard_grades() -> tuple[Grade, ...]:
    return tuple(
        Grade(
            level=b.level,
            name=b.name,
            lower=Decimal(b.lower.numerator) / b.lower.denominator,
            upper=Decimal(b.upper.numerator) / b.upper.denominator,
            upper_closed=b.upper_closed,
            description="",
        )
        for b in STANDARD_GRADES
    )


def build_catalog(spec: Mapping[str, Any], *, grades: bool = True) -> SectorCatalog:
    domains = []
    rows = []
    for d_order, (domain, d_spec) in enumerate(spec.items(), start=1):
        row_weights = []
        for r_order, (name, r_spec) in enumerate(d_spec["rows"].items(), start=1):
            row_id = f"r:{name}"
            weight = Decimal(str(r_spec["weight"]))
            row_weights.append(weight)
            requirements = tuple(
                Requirement(
                    id=f"{name}:{level.label}:{number}",
                    row=row_id,
                    level=level,
                    number=number,
                    text=f"{name}{level.label}第{number}条要求",
                    line=1,
                )
                for level, count in zip(LEVELS, r_spec["requirements"], strict=True)
                for number in range(1, count + 1)
            )
            rows.append(
                Row(
                    id=row_id,
                    key=name,
                    name=name,
                    section=Section.COMMON,
                    domain=domain,
                    type=SubdomainType.COMMON,
                    covers=tuple(r_spec.get("covers", [name])),
                    weight=weight,
                    order=d_order * 100 + r_order,
                    line=1,
                    requirements=requirements,
                )
            )
        weight = Decimal(str(d_spec.get("weight", sum(row_weights))))
        domains.append(Domain(name=domain, order=d_order, weight=weight))
    return SectorCatalog(
        code="test",
        version="test-1",
        title="测试目录",
        sector=Sector.SMELTING,
        domains=tuple(domains),
        rows=tuple(rows),
        absences=(),
        notes=(),
        grades=standard_grades() if grades else (),
    )


def fill(
    catalog: SectorCatalog,
    default: Rating | str | Mapping[str, Rating | str] = Rating.NONE,
    overrides: Mapping[str, Mapping[str, Any]] | None = None,
) -> dict[str, Rating]:
    """Ratings for every requirement: ``default`` (one rating, or one per level "S1".."S5"), then per-row
    ``overrides`` {row name: {"S2": rating or [rating per requirement]}}."""
    overrides = overrides or {}
    ratings = {}
    for row in catalog.rows:
        for level in LEVELS:
            cell = [r for r in row.requirements if r.level == level]
            given = overrides.get(row.name, {}).get(level.label)
            if given is None:
                given = default.get(level.label, Rating.NONE) if isinstance(default, Mapping) else default
            values = given if isinstance(given, list) else [given] * len(cell)
            assert len(values) == len(cell), f"{row.name} {level.label}: {len(cell)} requirements"
            for requirement, value in zip(cell, values, strict=True):
                ratings[requirement.id] = parse_rating(value)
    return ratings


def na_reasons_for(ratings: Mapping[str, Rating]) -> dict[str, str]:
    return {i: "本企业无此业务" for i, r in ratings.items() if r is Rating.NOT_APPLICABLE}
