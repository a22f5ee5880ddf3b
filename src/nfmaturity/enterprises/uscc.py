"""统一社会信用代码 (unified social credit code) per GB 32100-2015.

18 characters from a 31-character alphabet (digits and upper-case letters without I, O, Z, S, V):
登记管理部门代码 (1) · 机构类别代码 (1) · 登记管理机关行政区划码 (6 digits) · 主体标识码 (9) · 校验码 (1).
The check character makes the weighted sum of all 18 characters ≡ 0 (mod 31).
"""

from __future__ import annotations

from dataclasses import dataclass

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_VALUE = {c: i for i, c in enumerate(ALPHABET)}


class UsccError(ValueError):
    """The code is malformed; the message is Chinese and names what is wrong."""


def check_character(first17: str) -> str:
    """The 18th character for the first 17. ``check_character("91350100M000100Y4") == "3"``."""
    total = sum(_VALUE[c] * w for c, w in zip(first17, WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def normalise(raw: str) -> str:
    return raw.strip().upper().replace(" ", "")


def validate_uscc(raw: str) -> str:
    """Return the normalised code or raise UsccError."""
    code = normalise(raw)
    if len(code) != 18:
        raise UsccError(f"统一社会信用代码应为 18 位，当前为 {len(code)} 位")
    bad = sorted({c for c in code if c not in _VALUE})
    if bad:
        raise UsccError(f"统一社会信用代码含非法字符：{'、'.join(bad)}（不使用 I、O、Z、S、V）")
    if not code[2:8].isdigit():
        raise UsccError("统一社会信用代码第 3–8 位应为行政区划码（6 位数字）")
    expected = check_character(code[:17])
    if code[17] != expected:
        raise UsccError("统一社会信用代码校验位不正确，请核对是否输入有误")
    return code


# GB 32100-2015 Appendix A: the first character names the registering authority, the second the kind
# of organisation within it. Only those a verifier needs to read are spelled out.
AUTHORITIES = {
    "1": "机构编制部门",
    "2": "外交部门",
    "3": "司法行政部门",
    "4": "文化部门",
    "5": "民政部门",
    "6": "旅游部门",
    "7": "宗教事务部门",
    "8": "工会",
    "9": "市场监督管理部门（原工商）",
    "A": "中央军委改革和编制办公室",
    "N": "农业部门",
    "Y": "其他登记管理部门",
}
MARKET_REGULATOR_CATEGORIES = {"1": "企业", "2": "个体工商户", "3": "农民专业合作社"}


@dataclass(frozen=True)
class UsccParts:
    """A valid code read back: what a verifier compares with the registered profile."""

    code: str
    authority: str  # registering authority, in words
    category: str  # kind of organisation, in words
    region_code: str  # 登记管理机关行政区划码 (digits 3–8)

    @property
    def is_enterprise(self) -> bool:
        """Registered by the market regulator as an enterprise (91…), as a company on this platform is."""
        return self.code[:2] == "91"


def describe(code: str) -> UsccParts:
    """Read a code that ``validate_uscc`` accepted."""
    authority = AUTHORITIES.get(code[0], f"未知登记管理部门（{code[0]}）")
    if code[0] == "9":
        category = MARKET_REGULATOR_CATEGORIES.get(code[1], f"未知机构类别（{code[1]}）")
    else:
        category = f"机构类别 {code[1]}"
    return UsccParts(code=code, authority=authority, category=category, region_code=code[2:8])
