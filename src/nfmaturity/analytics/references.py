"""Reference values for the techno-economic indicators, each quoted from the seed documents with its source.

Only figures that the seeds state are here, with the sentence they come from (the wording is the seed's, cut at
the sentence the figure belongs to; "2023年，" before the first one is cut off in the seed by a page break) and the source the seed itself gives (its footnote). A figure whose scope
differs from an enterprise's own indicator says so in ``scope``: a provincial share of 规上 enterprises' equipment,
a single listed company's ratio, a target for a whole province's manufacturing. The page shows them beside the
enterprise's figure as context, never as a pass/fail line.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

SEED_001 = "seeds/001《我区有色金属产业数字化转型关键问题及对策建议》（广西）"
SEED_003 = "seeds/003《河北省数字技术赋能制造业高质量发展实施方案》（冀政办字〔2025〕1号）"
SEED_004 = "seeds/004《有色金属工业发展规划（2016-2020年）》"


@dataclass(frozen=True)
class Reference:
    indicator: str  # the key of indicators.DEFINITIONS it stands beside
    label: str  # what the figure is, in a few words
    value: Decimal
    unit: str
    scope: str  # whose figure it is, and for when
    document: str  # the seed file and its title
    quote: str  # the sentence of the seed, verbatim
    origin: str  # the source the seed cites for it (its footnote), or "" when it is the document's own


REFERENCES: tuple[Reference, ...] = (
    Reference(
        indicator="equipment_networked",
        label="广西规上有色金属企业生产设备联网率",
        value=Decimal("38"),
        unit="%",
        scope="2023 年，广西规上有色金属企业",
        document=SEED_001,
        quote="区内规上有色金属企业中，仅 38% 的生产设备实现联网，低于全国平均 52%",
        origin="中国工业互联网研究院《有色金属行业数字化转型白皮书（2023）》",
    ),
    Reference(
        indicator="equipment_networked",
        label="全国平均生产设备联网率",
        value=Decimal("52"),
        unit="%",
        scope="2023 年，全国平均（同一句中与广西对比的数字）",
        document=SEED_001,
        quote="区内规上有色金属企业中，仅 38% 的生产设备实现联网，低于全国平均 52%",
        origin="中国工业互联网研究院《有色金属行业数字化转型白皮书（2023）》",
    ),
    Reference(
        indicator="sensor_coverage",
        label="广西关键工艺环节传感器覆盖率（不足）",
        value=Decimal("20"),
        unit="%",
        scope="广西有色金属关键工艺环节（如铝电解槽控、铜冶炼烟气处理）；原文为“不足 20%”，即上限",
        document=SEED_001,
        quote="关键工艺环节（如铝电解槽控、铜冶炼烟气处理）的传感器覆盖率不足 20%",
        origin="贾原.广西有色金属产业转型瓶颈与对策[J].有色金属科学与工程 2023(2).",
    ),
    Reference(
        indicator="key_process_nc",
        label="选冶、加工环节关键工艺数控化率目标（超过）",
        value=Decimal("80"),
        unit="%",
        scope="全国有色金属工业“十三五”（2016—2020 年）发展目标，选冶、加工环节",
        document=SEED_004,
        quote="选冶、加工环节关键工艺数控化率超过80%",
        origin="",
    ),
    Reference(
        indicator="key_process_nc",
        label="河北省工业企业关键工序数控化率目标",
        value=Decimal("78"),
        unit="%",
        scope="河北省制造业整体，到 2027 年的目标（非有色金属行业专项）",
        document=SEED_003,
        quote="到 2027年,……工业企业关键工序数控化率达到 78%",
        origin="",
    ),
    Reference(
        indicator="platform_connected",
        label="广西接入铝业工业互联网平台的企业占比",
        value=Decimal("11.6"),
        unit="%（企业占比）",
        scope="广西：接入铝业平台的企业 73 家占企业总数的比例",
        document=SEED_001,
        quote="接入铝业平台的企业 73 家，占企业总数的 11.6%",
        origin="广西工业互联网平台官网、自治区统计局",
    ),
    Reference(
        indicator="digital_investment",
        label="华锡有色数字化累计投入占营收比",
        value=Decimal("1.2"),
        unit="%",
        scope="一家上市公司（华锡有色）2023—2024 年累计",
        document=SEED_001,
        quote="其 2023—2024 年数字化累计投入仅占营收 1.2%，低于同行业平均 1.5%",
        origin="广西华锡有色金属股份有限公司 2024 年年度报告、中国上市公司数字化转型报告 2024",
    ),
    Reference(
        indicator="digital_investment",
        label="同行业平均数字化投入占营收比",
        value=Decimal("1.5"),
        unit="%",
        scope="同行业平均（同一句中与华锡有色对比的数字）",
        document=SEED_001,
        quote="其 2023—2024 年数字化累计投入仅占营收 1.2%，低于同行业平均 1.5%",
        origin="广西华锡有色金属股份有限公司 2024 年年度报告、中国上市公司数字化转型报告 2024",
    ),
    Reference(
        indicator="energy_per_unit",
        label="氧化铝综合能耗（2015 年全国）",
        value=Decimal("426"),
        unit="kgce/t",
        scope="2015 年全国，仅对氧化铝可比",
        document=SEED_004,
        quote="氧化铝、铜冶炼、电锌综合能耗分别为426、256、885千克标煤/吨",
        origin="",
    ),
    Reference(
        indicator="energy_per_unit",
        label="铜冶炼综合能耗（2015 年全国）",
        value=Decimal("256"),
        unit="kgce/t",
        scope="2015 年全国，仅对铜冶炼可比",
        document=SEED_004,
        quote="氧化铝、铜冶炼、电锌综合能耗分别为426、256、885千克标煤/吨",
        origin="",
    ),
    Reference(
        indicator="energy_per_unit",
        label="电锌综合能耗（2015 年全国）",
        value=Decimal("885"),
        unit="kgce/t",
        scope="2015 年全国，仅对电锌可比",
        document=SEED_004,
        quote="氧化铝、铜冶炼、电锌综合能耗分别为426、256、885千克标煤/吨",
        origin="",
    ),
)


def references_for(indicator: str) -> list[Reference]:
    return [r for r in REFERENCES if r.indicator == indicator]
