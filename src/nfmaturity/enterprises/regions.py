"""Administrative divisions (GB/T 2260 codes) read from data/regions.json."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

_DATA = Path(__file__).with_name("data") / "regions.json"


@dataclass(frozen=True)
class Region:
    code: str
    name: str
    parent: str | None  # code of the enclosing division

    @property
    def level(self) -> str:
        if self.code.endswith("0000"):
            return "province"
        if self.code.endswith("00"):
            return "city"
        return "county"


@cache
def regions() -> dict[str, Region]:
    out: dict[str, Region] = {}

    def walk(nodes: list[dict[str, object]], parent: str | None) -> None:
        for node in nodes:
            code, name = str(node["code"]), str(node["name"])
            out[code] = Region(code=code, name=name, parent=parent)
            walk(node.get("children", []), code)  # type: ignore[arg-type]

    walk(json.loads(_DATA.read_text(encoding="utf-8"))["regions"], None)
    return out


def full_name(code: str) -> str:
    """ "广西壮族自治区 河池市 南丹县" for 451221; the code itself if unknown."""
    table = regions()
    parts: list[str] = []
    current = table.get(code)
    while current is not None:
        parts.append(current.name)
        current = table.get(current.parent) if current.parent else None
    return " ".join(reversed(parts)) or code


def city_of(code: str) -> Region | None:
    """The prefecture-level city containing ``code`` (or the city itself)."""
    region = regions().get(code)
    while region is not None and region.level == "county":
        region = regions().get(region.parent or "")
    return region if region is not None and region.level == "city" else None


def choices() -> list[tuple[str, list[tuple[str, str]]]]:
    """Grouped choices for a <select>: one group per province, cities and their counties indented."""
    table = regions()
    groups: list[tuple[str, list[tuple[str, str]]]] = []
    for province in (r for r in table.values() if r.parent is None):
        options = [(province.code, f"{province.name}（全省）")]
        for city in (r for r in table.values() if r.parent == province.code):
            options.append((city.code, city.name))
            for county in (r for r in table.values() if r.parent == city.code):
                options.append((county.code, f"{city.name} · {county.name}"))
        groups.append((province.name, options))
    return groups


# ---- jurisdiction: which enterprises a regulator's division code covers --------------------------------------

# The code of a national regulator's jurisdiction (the same value as accounts.models.NATIONAL_JURISDICTION,
# repeated here so that this module keeps reading only its own data file).
NATIONAL = "000000"


def jurisdiction_prefix(jurisdiction: str) -> str | None:
    """The prefix of the region codes a jurisdiction covers: "" for national, "45" for 450000 (a province),
    "4512" for 451200 (a city), the whole code for a county. None when the value is no division code at all
    (a regulator whose jurisdiction was never set): it covers nothing, so a mistake hides data, never shows it.
    """
    if jurisdiction == NATIONAL:
        return ""
    if len(jurisdiction) != 6 or not jurisdiction.isdigit() or jurisdiction.startswith("0"):
        return None
    if jurisdiction.endswith("0000"):
        return jurisdiction[:2]
    if jurisdiction.endswith("00"):
        return jurisdiction[:4]
    return jurisdiction


def covers(jurisdiction: str, region_code: str) -> bool:
    prefix = jurisdiction_prefix(jurisdiction)
    return prefix is not None and region_code.startswith(prefix)


def jurisdiction_name(jurisdiction: str) -> str:
    if jurisdiction == NATIONAL:
        return "全国"
    if jurisdiction_prefix(jurisdiction) is None:
        return "未设置"
    return full_name(jurisdiction)


def subdivision(jurisdiction: str, region_code: str) -> str:
    """The division one level below the jurisdiction that holds ``region_code`` (the rows of a regulator's
    by-region table): a province for national, a city for a province, a county for a city or a county."""
    prefix = jurisdiction_prefix(jurisdiction) or ""
    if len(prefix) == 0:
        return region_code[:2] + "0000"
    if len(prefix) == 2:
        return region_code[:4] + "00"
    return region_code


SUBDIVISION_HEADING = {0: "按省份", 2: "按设区市", 4: "按区县", 6: "按区县"}


def subdivision_heading(jurisdiction: str) -> str:
    return SUBDIVISION_HEADING[len(jurisdiction_prefix(jurisdiction) or "")]


def cities_within(jurisdiction: str) -> list[Region]:
    """The prefecture-level cities a jurisdiction covers wholly or in part (the registry's city filter)."""
    prefix = jurisdiction_prefix(jurisdiction)
    if prefix is None:
        return []
    return [
        r
        for r in regions().values()
        if r.level == "city" and (r.code.startswith(prefix) or prefix.startswith(r.code[:4]))
    ]
