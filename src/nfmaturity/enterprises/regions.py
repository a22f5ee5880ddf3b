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
