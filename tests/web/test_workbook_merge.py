"""The merge rules both offline workbooks share (``assessments.workbook_merge``), without a database: blank cells
never erase, conflicts against the workbook's version (or, without one, the export time), stale rows, the
split into new and changed ratings."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from nfmaturity.assessments import workbook_merge as merging
from nfmaturity.assessments.catalogs import sector_view
from nfmaturity.catalog.loader import DEFAULT_VERSION
from nfmaturity.catalog.model import Sector
from nfmaturity.scoring.ratings import Rating
from nfmaturity.workbook.xlsx import FilledRow, FilledWorkbook

VIEW = sector_view(DEFAULT_VERSION, "smelting")
A, B, C, D = list(VIEW.requirements)[:4]
NOON = datetime(2026, 5, 1, 12, tzinfo=UTC)


@dataclass
class Stored:
    requirement_id: str
    value: str
    reason: str = ""
    note: str = ""
    version: int = 1
    updated_at: datetime = NOON
    pk: int = 0
    made: dict[str, object] = field(default_factory=dict)


def row(n: int, rid: str, rating: Rating | None, *, note: str = "", version: int | None = 1) -> FilledRow:
    return FilledRow(
        row_number=n, requirement_id=rid, rating=rating, na_reason="", note=note, version=version
    )


def workbook(*rows: FilledRow, exported_at: datetime | None = None) -> FilledWorkbook:
    return FilledWorkbook(
        file="w.xlsx",
        code=VIEW.catalog.code,
        version=DEFAULT_VERSION,
        sector=Sector.SMELTING,
        rows=rows,
        exported_at=exported_at,
    )


def test_a_blank_cell_never_erases_and_the_counts_add_up() -> None:
    current = {A: Stored(A, "0.8", note="旧说明"), B: Stored(B, "0.5")}
    filled = workbook(
        row(2, A, None),  # blank over a rating: kept, counted blank
        row(3, B, Rating("0.5")),  # the same rating again: unchanged
        row(4, C, None, version=0),  # blank, never rated: blank
        row(5, D, Rating("1"), version=0),  # new
    )
    diff = merging.compare(VIEW, filled, current, since=None)
    assert (diff.unchanged, diff.blank, diff.conflicts) == (1, 2, [])
    assert [(c["requirement_id"], c["value"], c["old_value"]) for c in diff.changes] == [(D, "1", None)]
    # Only a note typed over a rating: the rating and its old note stay as they were, the note changes.
    noted = merging.compare(VIEW, workbook(row(2, A, None, note="新说明")), current, since=None)
    assert [(c["value"], c["note"], c["old_note"]) for c in noted.changes] == [("0.8", "新说明", "旧说明")]


def test_a_row_whose_version_moved_on_is_a_conflict_named_by_who_changed_it() -> None:
    current = {A: Stored(A, "0.8", version=3), B: Stored(B, "0.8", version=1)}
    filled = workbook(row(2, A, Rating("1"), version=2), row(3, B, Rating("1"), version=1))
    plain = merging.compare(VIEW, filled, current, since=None)
    assert [c["requirement_id"] for c in plain.conflicts] == [A] and "updated_by" not in plain.conflicts[0]
    assert [c["requirement_id"] for c in plain.changes] == [B]
    named = merging.compare(VIEW, filled, current, since=None, who=lambda r: "张工")
    assert named.conflicts[0]["updated_by"] == "张工" and named.conflicts[0]["workbook_version"] == 2


def test_a_row_without_a_version_trusts_the_export_time_only_when_given() -> None:
    current = {A: Stored(A, "0.8")}
    filled = workbook(row(2, A, Rating("1"), version=None), row(3, B, Rating("1"), version=None))
    untrusted = merging.compare(VIEW, filled, current, since=None)
    assert [c["requirement_id"] for c in untrusted.conflicts] == [A]
    assert [c["requirement_id"] for c in untrusted.changes] == [B]  # nothing rated there: no conflict
    after = merging.compare(VIEW, filled, current, since=NOON + timedelta(minutes=1))
    assert after.conflicts == [] and len(after.changes) == 2
    before = merging.compare(VIEW, filled, current, since=NOON - timedelta(minutes=1))
    assert [c["requirement_id"] for c in before.conflicts] == [A]


def test_stale_rows_and_the_split_into_new_and_changed_ratings() -> None:
    current = {A: Stored(A, "0.8", version=2)}
    writes = [
        {
            "row_number": 2,
            "requirement_id": A,
            "label": "甲",
            "old_version": 1,
            "value": "1",
            "reason": "",
            "note": "",
        },
        {
            "row_number": 3,
            "requirement_id": B,
            "label": "乙",
            "old_version": 0,
            "value": "0",
            "reason": "",
            "note": "n",
        },
    ]
    stale = merging.stale(writes, current)
    assert [w["requirement_id"] for w in stale] == [A]
    assert merging.stale_message(stale, "已被 张工 ") == (
        "导入未执行：甲（工作簿第2行）的评分在预览之后已被 张工 修改，未写入任何评分。请重新上传工作簿，核对后再导入。"
    )
    assert "等 2 项要求" in merging.stale_message(writes, "已被")
    merged = merging.merge(
        writes, current, VIEW, lambda **made: Stored(made["requirement_id"], "", made=made)
    )  # type: ignore[arg-type]
    assert [r.requirement_id for r in merged.created] == [B] and merged.updated == [current[A]]
    assert merged.created[0].made == {
        "requirement_id": B,
        "row_id": VIEW.requirements[B].row,
        "level": int(VIEW.requirements[B].level),
    }
    assert (current[A].value, merged.created[0].note) == ("1", "n")
    assert merged.olds == {A: {"value": "0.8", "reason": "", "note": ""}, B: None}
