"""The standard as typed, frozen data.

Two views of the same catalog:

* ``Catalog`` is the whole standard version: Table 1, the common rows of Appendix A, the three sector
  tables of Appendix B, the grade table and the anomaly notes.
* ``SectorCatalog`` is what one enterprise is assessed on (Appendix A plus one sector table, §4.4); the
  scoring core only ever sees this view.

Weights are ``Decimal`` percentages exactly as Table 1 prints them ("2", "3", ...); the scoring core turns
them into ``Fraction``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from decimal import Decimal
from enum import IntEnum, StrEnum
from types import MappingProxyType

from pydantic import BaseModel, ConfigDict


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Sector(StrEnum):
    """The three sector tables of Appendix B."""

    MINING = "mining"
    SMELTING = "smelting"
    PROCESSING = "processing"

    @property
    def label(self) -> str:
        return SECTOR_LABELS[self]


SECTOR_LABELS: Mapping[Sector, str] = MappingProxyType(
    {Sector.MINING: "采选", Sector.SMELTING: "冶炼", Sector.PROCESSING: "加工"}
)


class Section(StrEnum):
    """A part of the catalog: Appendix A (common) or one sector table of Appendix B."""

    COMMON = "common"
    MINING = "mining"
    SMELTING = "smelting"
    PROCESSING = "processing"

    @property
    def label(self) -> str:
        return (
            "基础共性（附录A）" if self is Section.COMMON else f"{SECTOR_LABELS[Sector(self.value)]}（附录B）"
        )


class SubdomainType(StrEnum):
    COMMON = "基础共性"
    SECTOR = "行业特性"


class Level(IntEnum):
    S1 = 1
    S2 = 2
    S3 = 3
    S4 = 4
    S5 = 5

    @property
    def label(self) -> str:
        return f"S{self.value}"


LEVELS: tuple[Level, ...] = tuple(Level)


class NoteKind(StrEnum):
    """What kind of anomaly a note records (原文疑点)."""

    DROPPED = "dropped"  # conversion debris that is not a requirement
    TYPO = "typo"  # a typo, kept as written
    JOINED = "joined"  # lines or cells joined back together
    SPLIT = "split"  # one line holding several items, split into them
    NUMBERING = "numbering"  # item numbers missing, restarted, skipped or repeated
    DUPLICATE = "duplicate"  # the same or nearly the same requirement twice
    MISPLACED = "misplaced"  # text that seems to belong elsewhere (kept where it stands)
    EMPTY = "empty"  # an empty cell
    MERGED = "merged"  # a row covering several Table 1 sub-domains
    ABSENT = "absent"  # a Table 1 sub-domain the sector table does not contain
    STRUCTURE = "structure"  # headings, repeated header rows and other layout facts

    @property
    def label(self) -> str:
        return NOTE_KIND_LABELS[self]


NOTE_KIND_LABELS: Mapping[NoteKind, str] = MappingProxyType(
    {
        NoteKind.DROPPED: "删除的转换残片",
        NoteKind.TYPO: "疑似错字（照录）",
        NoteKind.JOINED: "断行合并",
        NoteKind.SPLIT: "同行多条拆分",
        NoteKind.NUMBERING: "编号异常",
        NoteKind.DUPLICATE: "重复要求",
        NoteKind.MISPLACED: "疑似错位内容",
        NoteKind.EMPTY: "空单元格",
        NoteKind.MERGED: "合并能力子域",
        NoteKind.ABSENT: "缺失能力子域",
        NoteKind.STRUCTURE: "表格结构",
    }
)


class Domain(Frozen):
    """A capability domain (能力域); its weight α is the sum of its Table 1 sub-domains."""

    name: str
    order: int
    weight: Decimal


class Table1Entry(Frozen):
    """One row of Table 1: a sub-domain of the model with its type and weight (percent)."""

    name: str
    domain: str
    type: SubdomainType
    weight: Decimal
    order: int
    line: int


class Grade(Frozen):
    """One band of Table 3."""

    level: int
    name: str
    lower: Decimal
    upper: Decimal
    upper_closed: bool
    description: str


class Requirement(Frozen):
    """One numbered requirement inside one cell (sub-domain × level)."""

    id: str
    row: str  # Row.id
    level: Level
    number: int  # position inside the cell, 1-based
    text: str
    line: int  # first line of the requirement in the seed
    notes: tuple[str, ...] = ()  # Note.id values that concern this requirement


class Row(Frozen):
    """A row of Appendix A or of a sector table: one assessed sub-domain (possibly several merged)."""

    id: str
    key: str
    name: str  # as the seed writes it
    section: Section
    domain: str
    type: SubdomainType
    covers: tuple[str, ...]  # Table 1 sub-domain names
    weight: Decimal  # sum of the covered Table 1 weights
    order: int
    line: int
    requirements: tuple[Requirement, ...]
    notes: tuple[str, ...] = ()

    def at_level(self, level: Level) -> tuple[Requirement, ...]:
        return tuple(r for r in self.requirements if r.level == level)


class Absence(Frozen):
    """A Table 1 sub-domain that a sector table does not contain (takes no part, rule 3)."""

    section: Section
    subdomain: str
    note: str


class Note(Frozen):
    """An anomaly met in the seed, with what the catalog decided."""

    id: str
    section: Section
    kind: NoteKind
    lines: tuple[int, ...]
    text: str  # Chinese: what is in the seed, and what we decided
    row: str | None = None  # Row.id
    level: Level | None = None


class SectorCatalog(Frozen):
    """Everything an enterprise of one sector is assessed on: Appendix A plus its sector table."""

    code: str
    version: str
    title: str
    sector: Sector
    domains: tuple[Domain, ...]
    rows: tuple[Row, ...]
    absences: tuple[Absence, ...]
    notes: tuple[Note, ...]
    grades: tuple[Grade, ...]

    def requirements(self) -> Iterator[Requirement]:
        for row in self.rows:
            yield from row.requirements

    def requirement_map(self) -> dict[str, Requirement]:
        return {r.id: r for r in self.requirements()}


class Catalog(Frozen):
    """One version of the standard, as data."""

    code: str
    version: str
    title: str
    source: str
    domains: tuple[Domain, ...]
    table1: tuple[Table1Entry, ...]
    grades: tuple[Grade, ...]
    rows: tuple[Row, ...]
    absences: tuple[Absence, ...]
    notes: tuple[Note, ...]

    def rows_of(self, section: Section) -> tuple[Row, ...]:
        return tuple(r for r in self.rows if r.section == section)

    def requirements(self) -> Iterator[Requirement]:
        for row in self.rows:
            yield from row.requirements

    def notes_of(self, section: Section) -> tuple[Note, ...]:
        return tuple(n for n in self.notes if n.section == section)

    def for_sector(self, sector: Sector) -> SectorCatalog:
        section = Section(sector.value)
        return SectorCatalog(
            code=self.code,
            version=self.version,
            title=self.title,
            sector=sector,
            domains=self.domains,
            rows=self.rows_of(Section.COMMON) + self.rows_of(section),
            absences=tuple(a for a in self.absences if a.section == section),
            notes=self.notes_of(Section.COMMON) + self.notes_of(section),
            grades=self.grades,
        )
