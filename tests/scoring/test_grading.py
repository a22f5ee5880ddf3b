"""Met levels, total, grade bands of Table 3, consecutive level and the 等级跳跃 warning."""

from __future__ import annotations

from fractions import Fraction

import pytest

from nfmaturity.scoring.errors import TargetGradeError
from nfmaturity.scoring.grading import (
    MET_THRESHOLD,
    NO_GRADE,
    STANDARD_GRADES,
    counted,
    grade_bands,
    grade_of,
    standing,
    target_band,
)

from .factory import build_catalog, table1_spec

F = Fraction


def test_threshold_is_four_fifths_and_closed() -> None:
    assert F(4, 5) == MET_THRESHOLD
    assert counted(F(4, 5)) == 1
    assert counted(F(79, 100)) == F(79, 100)


@pytest.mark.parametrize(
    ("total", "level", "label"),
    [
        (F(0), 0, "未达到一级"),
        (F(79, 100), 0, "未达到一级"),
        (F(4, 5), 1, "一级 规范级"),
        (F(179, 100), 1, "一级 规范级"),
        (F(9, 5), 2, "二级 场景级"),
        (F(14, 5), 3, "三级 领域级"),
        (F(19, 5), 4, "四级 平台级"),
        (F(479, 100), 4, "四级 平台级"),
        (F(24, 5), 5, "五级 生态级"),
        (F(5), 5, "五级 生态级"),
    ],
)
def test_grade_bands_of_table_3(total: Fraction, level: int, label: str) -> None:
    band = grade_of(total, STANDARD_GRADES)
    assert (band.level, band.label) == (level, label)


def test_a_total_above_every_band_has_no_grade() -> None:
    assert grade_of(F(6), STANDARD_GRADES) is NO_GRADE


def test_the_catalog_grade_table_is_used_when_present() -> None:
    with_table = build_catalog(table1_spec(), grades=True)
    assert grade_bands(with_table) == STANDARD_GRADES
    assert grade_bands(build_catalog(table1_spec(), grades=False)) is STANDARD_GRADES


def test_the_real_catalog_grades_equal_table_3() -> None:
    from nfmaturity.catalog.loader import load_catalog
    from nfmaturity.catalog.model import Sector

    assert grade_bands(load_catalog().for_sector(Sector.MINING)) == STANDARD_GRADES


def test_standing_literal_total_and_warning() -> None:
    s = standing([F(1, 2), F(4, 5), F(1, 2), F(0), F(0)], STANDARD_GRADES)
    assert s.level_met == (False, True, False, False, False)
    assert s.total == 2 and s.grade.level == 2 and s.consecutive_level == 0
    assert s.grade_jump and s.warning is not None
    assert (
        s.warning.startswith("等级跳跃")
        and "S1 未达到 0.8" in s.warning
        and "没有连续满足的等级" in s.warning
    )


def test_warning_names_the_highest_consecutive_level() -> None:
    s = standing([F(1), F(1), F(1, 2), F(1, 2), F(3, 10)], STANDARD_GRADES)
    assert (s.total, s.grade.level, s.consecutive_level) == (F(33, 10), 3, 2)
    assert s.warning is not None and "连续满足的最高等级为 S2" in s.warning and "S3 未达到 0.8" in s.warning


def test_no_warning_when_the_grade_rests_on_consecutive_levels() -> None:
    s = standing([F(1)] * 5, STANDARD_GRADES)
    assert (s.consecutive_level, s.warning, s.grade_jump) == (5, None, False)


def test_target_band() -> None:
    assert target_band(STANDARD_GRADES, NO_GRADE) == STANDARD_GRADES[0]
    assert target_band(STANDARD_GRADES, STANDARD_GRADES[1], 5) == STANDARD_GRADES[4]
    assert target_band(STANDARD_GRADES, STANDARD_GRADES[4]) is None
    with pytest.raises(TargetGradeError, match="目标等级“6”无效"):
        target_band(STANDARD_GRADES, NO_GRADE, 6)
