"""Which scenario (场景) each sub-domain's capabilities serve, for the scenario-level advice of §4.6.4.

The standard asks for improvement advice at two levels: the enterprise as a whole, and particular scenarios
("生产、管理 …"). It does not list the scenarios, so the platform groups the Table 1 sub-domains into the
scenarios a nonferrous enterprise organises its work by. The mapping is by Table 1 sub-domain name (a merged
sector row such as 技术创新（含研发管理） is placed by the first sub-domain it covers), then by domain for
anything not named here (a later catalog version may add sub-domains), then 其他.

| 场景 | Table 1 sub-domains | why |
|---|---|---|
| 生产 | 产品设计、工艺设计、中试验证、计划调度、生产作业、质量管控、设备管理、仓储配送、生产协同 | the plant's own operations: 数字化生产 less safety, environment and energy |
| 安全环保与能耗 | 安全生产、环保管理、能源管理 | the sector's hard constraints (§4.2.1 accident and incident rules, 能碳管理 policy): advised on their own |
| 管理 | 组织建设、转型战略、流程管理、变革管理、数字化财务 | how the enterprise governs and finances the transformation |
| 运营 | 数字化营销、数字化供应链 | the market and supply side |
| 服务 | 服务产品、服务能力、服务交付、服务运行 | 数字化服务 |
| 研发创新 | 研发管理、技术创新 | R&D and innovation |
| 数据与基础支撑 | 信息安全、数据管理、数据资产、业务数据化、数据业务化、基础设施、应用支撑资源、资金、知识 | what every scenario stands on |
| 成效 | 产品质量、生产效率、价值效益、服务质量 | outcomes, reached through the others |
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from nfmaturity.catalog.model import Row

PRODUCTION = "生产"
SAFETY = "安全环保与能耗"
MANAGEMENT = "管理"
OPERATIONS = "运营"
SERVICE = "服务"
INNOVATION = "研发创新"
FOUNDATION = "数据与基础支撑"
OUTCOMES = "成效"
OTHER = "其他"

# Display order: the foundations and the governance first (they come first in a roadmap), outcomes last.
SCENARIOS: tuple[str, ...] = (
    MANAGEMENT,
    FOUNDATION,
    PRODUCTION,
    SAFETY,
    OPERATIONS,
    SERVICE,
    INNOVATION,
    OUTCOMES,
    OTHER,
)

BY_SUBDOMAIN: Mapping[str, str] = MappingProxyType(
    {
        **dict.fromkeys(
            (
                "产品设计",
                "工艺设计",
                "中试验证",
                "计划调度",
                "生产作业",
                "质量管控",
                "设备管理",
                "仓储配送",
                "生产协同",
            ),
            PRODUCTION,
        ),
        **dict.fromkeys(("安全生产", "环保管理", "能源管理"), SAFETY),
        **dict.fromkeys(("组织建设", "转型战略", "流程管理", "变革管理", "数字化财务"), MANAGEMENT),
        **dict.fromkeys(("数字化营销", "数字化供应链"), OPERATIONS),
        **dict.fromkeys(("服务产品", "服务能力", "服务交付", "服务运行"), SERVICE),
        **dict.fromkeys(("研发管理", "技术创新"), INNOVATION),
        **dict.fromkeys(
            (
                "信息安全",
                "数据管理",
                "数据资产",
                "业务数据化",
                "数据业务化",
                "基础设施",
                "应用支撑资源",
                "资金",
                "知识",
            ),
            FOUNDATION,
        ),
        **dict.fromkeys(("产品质量", "生产效率", "价值效益", "服务质量"), OUTCOMES),
    }
)

BY_DOMAIN: Mapping[str, str] = MappingProxyType(
    {
        "组织": MANAGEMENT,
        "技术": INNOVATION,
        "数据": FOUNDATION,
        "资源": FOUNDATION,
        "数字化运营": OPERATIONS,
        "数字化生产": PRODUCTION,
        "数字化服务": SERVICE,
        "数字化成效": OUTCOMES,
    }
)


def scenario_of(row: Row) -> str:
    for name in row.covers:
        if name in BY_SUBDOMAIN:
            return BY_SUBDOMAIN[name]
    return BY_DOMAIN.get(row.domain, OTHER)
