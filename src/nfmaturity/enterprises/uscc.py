"""统一社会信用代码 (unified social credit code) per GB 32100-2015.

18 characters from a 31-character alphabet (digits and upper-case letters without I, O, Z, S, V):
登记管理部门代码 (1) · 机构类别代码 (1) · 登记管理机关行政区划码 (6 digits) · 主体标识码 (9) · 校验码 (1).
The check character makes the weighted sum of all 18 characters ≡ 0 (mod 31).
"""

from __future__ import annotations

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
