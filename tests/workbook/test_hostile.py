"""Every hostile file ends in one clear ``WorkbookError``, in bounded memory and time, never another exception."""

from __future__ import annotations

import time
import tracemalloc

import pytest

from nfmaturity.workbook.xlsx import WorkbookError, read_workbook
from tests.hostile import WELL_FORMED, hostile_workbooks

HOSTILE = hostile_workbooks()
REFUSED = sorted(set(HOSTILE) - WELL_FORMED)

# Kinds whose problem is in some rows, not in the file: each bad row is named as people read it.
ROW_KINDS = {
    "wrong_types": [
        "第2行（组织建设 S1 第1条）：评分不能是逻辑值“TRUE”",
        "第3行（组织建设 S1 第2条）：评分不能是错误值“#N/A”",
        "第4行（组织建设 S1 第3条）：评分不能是日期",
        "第5行（组织建设 S2 第1条）：无法识别的评分“3.0”",
        "第6行（组织建设 S2 第2条）：无法识别的评分“很好”",
        "第7行（组织建设 S2 第3条）：备注不能是错误值",
    ],
    "formula_without_value": [
        "第2行（组织建设 S1 第1条）：评分是没有计算结果的公式",
        "第3行（组织建设 S1 第2条）：评分是没有计算结果的公式",
        "第4行（组织建设 S1 第3条）：备注不能是没有计算结果的公式",
    ],
    "non_finite_ratings": [
        "第2行（组织建设 S1 第1条）：评分“1e999”不是有效的数值",
        "第3行（组织建设 S1 第2条）：评分“inf”不是有效的数值",
        "第4行（组织建设 S1 第3条）：评分“nan”不是有效的数值",
        "第5行（组织建设 S2 第1条）：评分“-1e999”不是有效的数值",
        "第6行（组织建设 S2 第2条）：无法识别的评分“inf”",
    ],
    "text_too_long": [
        "第2行（组织建设 S1 第1条）：备注有 4001 个字，超过 4000 字的上限",
        "第3行（组织建设 S1 第2条）：不适用理由有 2001 个字，超过 2000 字的上限",
    ],
    "not_applicable_without_reason": ["第2行（组织建设 S1 第1条）：选择“不适用”必须填写不适用理由"],
    # A reader that builds the sheet's full rectangle allocates 17 billion cells for this one (calamine aborts).
    "far_away_cell": ["第1048576行：缺少要求编号"],
}

# What a file-level refusal must say, in a word or two.
FILE_KINDS = {
    "entity_expansion_sheet": "实体声明",
    "entity_expansion_shared_strings": "实体声明",
    "xxe_file": "实体声明",
    "xxe_http": "实体声明",
    "xxe_parameter_entity": "实体声明",
    "broken_xml": "不是有效的 XML",
    "truncated_zip": "已损坏或不完整",
    "broken_zip": "已损坏或不完整",
    "corrupt_member": "已损坏",
    "empty": "文件是空的",
    "zip_bomb": "压缩炸弹",
    "zip_bomb_lying_size": "无法解压",
    "zip_many_members": "部件",
    "too_many_rows": "超过 5001 行",
    "slow_to_parse": "60000 个单元格",
    "element_flood": "XML 元素",
    "png_as_xlsx": "图片文件",
    "pdf_as_xlsx": "PDF 文件",
    "text_as_xlsx": "不是有效的 Excel（.xlsx）工作簿",
    "xls": "文件 → 另存为",
    "et": "Excel 工作簿（*.xlsx）",
    "ods": "OpenDocument",
    "encrypted_xlsx": "打开密码",
}


def test_every_kind_is_classified() -> None:
    assert set(ROW_KINDS) | set(FILE_KINDS) | WELL_FORMED == set(HOSTILE)


@pytest.mark.parametrize("kind", REFUSED)
def test_a_hostile_file_is_refused_with_a_clear_message(kind: str) -> None:
    name, data = HOSTILE[kind]
    started = time.perf_counter()
    with pytest.raises(WorkbookError) as caught:
        read_workbook(data, name=name)
    elapsed = time.perf_counter() - started
    problems = caught.value.problems
    assert caught.value.file == name
    if kind in FILE_KINDS:
        # One sentence for the whole file, never a list of row errors.
        assert len(problems) == 1 and FILE_KINDS[kind] in problems[0], problems
    else:
        assert problems == [p for p in problems if p.startswith("第")]
        for expected in ROW_KINDS[kind]:
            assert any(p.startswith(expected) for p in problems), (expected, problems)
        assert len(problems) == len(ROW_KINDS[kind])
    # Generous for a slow CI machine; the reader takes well under 0.5 s for each (see the report figures).
    assert elapsed < 3, elapsed


@pytest.mark.parametrize(
    "kind", ["zip_bomb_lying_size", "slow_to_parse", "too_many_rows", "entity_expansion_shared_strings"]
)
def test_memory_stays_bounded_for_the_worst_files(kind: str) -> None:
    name, data = HOSTILE[kind]
    tracemalloc.start()
    try:
        with pytest.raises(WorkbookError):
            read_workbook(data, name=name)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    # The file itself is held once; beyond it the reader keeps a few MB of cells at most.
    assert peak < len(data) + 12 * 1024 * 1024, peak


@pytest.mark.parametrize("kind", sorted(WELL_FORMED))
def test_well_formed_workbooks_read_as_what_they_are(kind: str) -> None:
    name, data = HOSTILE[kind]
    filled = read_workbook(data, name=name)
    expected = {
        "other_sector": ("mining", None, "2024"),
        "other_assessment": ("smelting", 999_999, "2024"),
        "other_catalog_version": ("smelting", None, "2099"),
    }[kind]
    assert (filled.sector.value, filled.assessment_id, filled.version) == expected


def test_the_xxe_target_never_reaches_the_result() -> None:
    for kind in ("xxe_file", "xxe_http", "xxe_parameter_entity"):
        name, data = HOSTILE[kind]
        with pytest.raises(WorkbookError) as caught:
            read_workbook(data, name=name)
        assert "root:" not in str(caught.value)
