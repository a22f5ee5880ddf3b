"""Reference values for the techno-economic indicators, each quoted from a policy or research document with its
source, and the citation of each such document (one definition each; the rules' examples cite them too).

Only figures that the documents state are here, with the sentence they come from (the wording is the document's, cut
at the sentence the figure belongs to; "2023年，" before the first one is cut off in the text by a page break) and
the source the document itself gives (its footnote). A figure whose scope differs from an enterprise's own indicator
says so in ``scope``: a provincial share of 规上 enterprises' equipment, a single listed company's ratio, a target
for a whole province's manufacturing. The page shows them beside the enterprise's figure as context, never as a
pass/fail line.

A citation says what a reader needs to find the document — issuing body or author, title, document number, date,
region — and only what the text we hold states; what it leaves out is said, not guessed (an issuing body the text
does not name is not filled in from memory).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

# 单位产品综合能耗 is stored and shown in this unit, written out as the Chinese documents write it (the 2016 plan's
# "千克标煤/吨" is its short form); the indicator's definition uses it too.
ENERGY_UNIT = "千克标准煤/吨"


@dataclass(frozen=True)
class Source:
    """A document as a reader cites it."""

    title: str  # without the 《》
    by: str = ""  # the issuing body or the author, as the text names them
    details: tuple[str, ...] = ()  # document number, date, region: in that order, those the text gives
    note: str = ""  # what the text leaves out, or where this copy was published

    @property
    def citation(self) -> str:
        inside = "；".join(part for part in ("，".join(self.details), self.note) if part)
        return f"{self.by}《{self.title}》" + (f"（{inside}）" if inside else "")

    def __str__(self) -> str:
        return self.citation


GUANGXI_ADVICE = Source(
    title="我区有色金属产业数字化转型关键问题及对策建议",
    by="黄淮（执笔）",
    details=("广西",),
    note="原文未注明发布单位和日期",
)
# The Hebei texts are read from 秦皇岛市工业和信息化局's compilation, which reprints them whole.
_HEBEI_COMPILATION = (
    "载秦皇岛市工业和信息化局《2025年国家和省政策措施汇编（第3期：重点行业与重点领域）》，2025年4月"
)
HEBEI_DIGITAL_MANUFACTURING = Source(
    title="河北省数字技术赋能制造业高质量发展实施方案",
    by="河北省人民政府办公厅",
    details=("冀政办字〔2025〕1号", "2025年1月14日"),
    note=_HEBEI_COMPILATION,
)
HEBEI_SMART_FACTORY = Source(
    title="河北省智能工厂梯度培育行动工作方案（2025-2027年）",
    by="河北省工业和信息化厅等五部门",
    details=("冀工信软件函〔2025〕149号", "2025年4月3日"),
    note=_HEBEI_COMPILATION,
)
NONFERROUS_PLAN_2016 = Source(
    title="有色金属工业发展规划（2016-2020年）",
    details=("全国，“十三五”时期",),
    note="所收文本未注明发布单位、日期和文号",
)


@dataclass(frozen=True)
class Reference:
    indicator: str  # the key of indicators.DEFINITIONS it stands beside
    label: str  # what the figure is, in a few words
    value: Decimal
    unit: str
    scope: str  # whose figure it is, and for when
    document: Source  # the document the quote is taken from
    quote: str  # the sentence of the document, verbatim
    origin: str  # the source the document cites for it (its footnote), or "" when it is the document's own


REFERENCES: tuple[Reference, ...] = (
    Reference(
        indicator="equipment_networked",
        label="广西规上有色金属企业生产设备联网率",
        value=Decimal("38"),
        unit="%",
        scope="2023 年，广西规上有色金属企业",
        document=GUANGXI_ADVICE,
        quote="区内规上有色金属企业中，仅 38% 的生产设备实现联网，低于全国平均 52%",
        origin="中国工业互联网研究院《有色金属行业数字化转型白皮书（2023）》",
    ),
    Reference(
        indicator="equipment_networked",
        label="全国平均生产设备联网率",
        value=Decimal("52"),
        unit="%",
        scope="2023 年，全国平均（同一句中与广西对比的数字）",
        document=GUANGXI_ADVICE,
        quote="区内规上有色金属企业中，仅 38% 的生产设备实现联网，低于全国平均 52%",
        origin="中国工业互联网研究院《有色金属行业数字化转型白皮书（2023）》",
    ),
    Reference(
        indicator="sensor_coverage",
        label="广西关键工艺环节传感器覆盖率（不足）",
        value=Decimal("20"),
        unit="%",
        scope="广西有色金属关键工艺环节（如铝电解槽控、铜冶炼烟气处理）；原文为“不足 20%”，即上限",
        document=GUANGXI_ADVICE,
        quote="关键工艺环节（如铝电解槽控、铜冶炼烟气处理）的传感器覆盖率不足 20%",
        origin="贾原.广西有色金属产业转型瓶颈与对策[J].有色金属科学与工程 2023(2).",
    ),
    Reference(
        indicator="key_process_nc",
        label="选冶、加工环节关键工艺数控化率目标（超过）",
        value=Decimal("80"),
        unit="%",
        scope="全国有色金属工业“十三五”（2016—2020 年）发展目标，选冶、加工环节",
        document=NONFERROUS_PLAN_2016,
        quote="选冶、加工环节关键工艺数控化率超过80%",
        origin="",
    ),
    Reference(
        indicator="key_process_nc",
        label="河北省工业企业关键工序数控化率目标",
        value=Decimal("78"),
        unit="%",
        scope="河北省制造业整体，到 2027 年的目标（非有色金属行业专项）",
        document=HEBEI_DIGITAL_MANUFACTURING,
        quote="到 2027年,……工业企业关键工序数控化率达到 78%",
        origin="",
    ),
    Reference(
        indicator="platform_connected",
        label="广西接入铝业工业互联网平台的企业占比",
        value=Decimal("11.6"),
        unit="%（企业占比）",
        scope="广西：接入铝业平台的企业 73 家占企业总数的比例",
        document=GUANGXI_ADVICE,
        quote="接入铝业平台的企业 73 家，占企业总数的 11.6%",
        origin="广西工业互联网平台官网、自治区统计局",
    ),
    Reference(
        indicator="digital_investment",
        label="华锡有色数字化累计投入占营收比",
        value=Decimal("1.2"),
        unit="%",
        scope="一家上市公司（华锡有色）2023—2024 年累计",
        document=GUANGXI_ADVICE,
        quote="其 2023—2024 年数字化累计投入仅占营收 1.2%，低于同行业平均 1.5%",
        origin="广西华锡有色金属股份有限公司 2024 年年度报告、中国上市公司数字化转型报告 2024",
    ),
    Reference(
        indicator="digital_investment",
        label="同行业平均数字化投入占营收比",
        value=Decimal("1.5"),
        unit="%",
        scope="同行业平均（同一句中与华锡有色对比的数字）",
        document=GUANGXI_ADVICE,
        quote="其 2023—2024 年数字化累计投入仅占营收 1.2%，低于同行业平均 1.5%",
        origin="广西华锡有色金属股份有限公司 2024 年年度报告、中国上市公司数字化转型报告 2024",
    ),
    Reference(
        indicator="energy_per_unit",
        label="氧化铝综合能耗（2015 年全国）",
        value=Decimal("426"),
        unit=ENERGY_UNIT,
        scope="2015 年全国，仅对氧化铝可比",
        document=NONFERROUS_PLAN_2016,
        quote="氧化铝、铜冶炼、电锌综合能耗分别为426、256、885千克标煤/吨",
        origin="",
    ),
    Reference(
        indicator="energy_per_unit",
        label="铜冶炼综合能耗（2015 年全国）",
        value=Decimal("256"),
        unit=ENERGY_UNIT,
        scope="2015 年全国，仅对铜冶炼可比",
        document=NONFERROUS_PLAN_2016,
        quote="氧化铝、铜冶炼、电锌综合能耗分别为426、256、885千克标煤/吨",
        origin="",
    ),
    Reference(
        indicator="energy_per_unit",
        label="电锌综合能耗（2015 年全国）",
        value=Decimal("885"),
        unit=ENERGY_UNIT,
        scope="2015 年全国，仅对电锌可比",
        document=NONFERROUS_PLAN_2016,
        quote="氧化铝、铜冶炼、电锌综合能耗分别为426、256、885千克标煤/吨",
        origin="",
    ),
)


def references_for(indicator: str) -> list[Reference]:
    return [r for r in REFERENCES if r.indicator == indicator]
