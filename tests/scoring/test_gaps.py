"""Gap analysis: unmet levels, and the rows and requirements whose raise to 全部满足 adds most to the total."""

from __future__ import annotations

from fractions import Fraction

import pytest

from nfmaturity.catalog.model import Level, SectorCatalog
from nfmaturity.scoring.aggregate import score
from nfmaturity.scoring.gaps import find_gaps
from nfmaturity.scoring.ratings import Rating

from .factory import build_catalog, fill

F = Fraction


@pytest.fixture
def ten() -> SectorCatalog:
    """One domain; row A (weight 1) and row B (weight 1), five requirements each per level."""
    return build_catalog(
        {
            "组织": {
                "rows": {
                    "A": {"weight": 1, "requirements": [5] * 5},
                    "B": {"weight": 1, "requirements": [5] * 5},
                }
            }
        }
    )


def test_gains_count_up_to_the_threshold_and_a_met_level_counts_one(ten: SectorCatalog) -> None:
    # S1: A all 全部满足 (1), B = [0.8, 0.8, 0.5, 0, 不适用] → C_B = 2.1/4; S1 = (1 + 0.525) / 2 = 0.7625
    ratings = fill(
        ten,
        {"S1": Rating.FULL},
        {"B": {"S1": [Rating.MOSTLY, Rating.MOSTLY, Rating.PARTLY, Rating.NONE, Rating.NOT_APPLICABLE]}},
    )
    result = score(ten, ratings, na_reasons={"B:S1:5": "无此业务"})
    assert result.level_scores[0] == F(61, 80)
    gaps = find_gaps(result)
    assert gaps.grade.level == 0 and gaps.target is not None and gaps.target.level == 1
    assert gaps.needed == F(4, 5) - result.total
    assert [lv.level for lv in gaps.levels] == list(Level)
    s1 = gaps.levels[0]
    assert (s1.shortfall, s1.gain) == (F(4, 5) - F(61, 80), 1 - F(61, 80))
    # Raising B:S1:3 (0.5 → 1, +1/16) or B:S1:4 (0 → 1, +1/8) crosses 0.8, so the total gains 1 − S1;
    # equal gains keep catalog order.
    top = [(g.requirement.id, g.rating, g.gain) for g in gaps.requirements[:2]]
    assert top == [("B:S1:3", Rating.PARTLY, 1 - F(61, 80)), ("B:S1:4", Rating.NONE, 1 - F(61, 80))]
    # Raising a 大部分满足 adds 0.2/8 = 1/40: S1 stays under 0.8 (0.7875), the gain is the rise itself.
    mostly = next(g for g in gaps.requirements if g.requirement.id == "B:S1:1")
    assert mostly.gain == F(1, 40)
    assert all(g.requirement.id != "B:S1:5" for g in gaps.requirements)  # 不适用 is not a gap
    assert all(not g.requirement.id.startswith("A:S1") for g in gaps.requirements)  # already 全部满足
    row_b = next(g for g in gaps.rows if g.row.name == "B" and g.level is Level.S1)
    assert (row_b.score, row_b.gain) == (F(21, 40), 1 - F(61, 80))
    assert all(g.row.name != "A" or g.level is not Level.S1 for g in gaps.rows)
    gains = [g.gain for g in gaps.requirements]
    assert gains == sorted(gains, reverse=True)


def test_met_levels_have_no_gaps(ten: SectorCatalog) -> None:
    result = score(ten, fill(ten, {"S1": Rating.FULL, "S2": Rating.MOSTLY, "S3": Rating.PARTLY}))
    gaps = find_gaps(result)
    assert [lv.level for lv in gaps.levels] == [Level.S3, Level.S4, Level.S5]
    assert {g.requirement.level for g in gaps.requirements} == {Level.S3, Level.S4, Level.S5}
    assert gaps.target is not None and gaps.target.level == 3 and gaps.needed == F(3, 10)


def test_at_the_top_grade_there_is_nothing_to_close(ten: SectorCatalog) -> None:
    gaps = find_gaps(score(ten, fill(ten, Rating.FULL)))
    assert (gaps.target, gaps.needed, gaps.levels, gaps.rows, gaps.requirements) == (None, 0, (), (), ())


def test_a_target_already_reached_needs_nothing(ten: SectorCatalog) -> None:
    gaps = find_gaps(score(ten, fill(ten, {"S1": Rating.FULL, "S2": Rating.FULL})), target=1)
    assert gaps.target is not None and gaps.target.level == 1 and gaps.needed == 0
