"""score(): checks on the input (one error type per failure kind, listing every id), provisional results,
per-domain and per-row scores and the cumulative maturity figures."""

from __future__ import annotations

from fractions import Fraction

import pytest

from nfmaturity.catalog.model import Level, SectorCatalog
from nfmaturity.scoring import layout
from nfmaturity.scoring.aggregate import check_ratings, score
from nfmaturity.scoring.errors import (
    EmptyLevelError,
    MissingReasonError,
    UnknownRequirementError,
    UnratedRequirementError,
)
from nfmaturity.scoring.model import cumulative_maturity
from nfmaturity.scoring.ratings import Rating

from .factory import build_catalog, fill, table1_spec

F = Fraction


def test_unknown_ids_are_refused_all_at_once(tiny_catalog: SectorCatalog) -> None:
    ratings = fill(tiny_catalog, Rating.FULL) | {"x:1": Rating.FULL, "x:2": Rating.NONE}
    with pytest.raises(UnknownRequirementError) as caught:
        score(tiny_catalog, ratings, na_reasons={"x:3": "理由"})
    assert caught.value.ids == ("x:1", "x:2", "x:3")
    assert str(caught.value) == "目录中没有这些要求编号（共 3 项）：x:1、x:2、x:3"


def test_unrated_requirements_are_listed_in_catalog_order(tiny_catalog: SectorCatalog) -> None:
    ratings = fill(tiny_catalog, Rating.FULL)
    del ratings["组织建设:S1:2"], ratings["信息安全:S5:1"]
    with pytest.raises(UnratedRequirementError) as caught:
        score(tiny_catalog, ratings)
    assert caught.value.ids == ("组织建设:S1:2", "信息安全:S5:1")
    assert "以下要求尚未评分（共 2 项）" in str(caught.value)


def test_not_applicable_needs_a_written_reason(tiny_catalog: SectorCatalog) -> None:
    ratings = fill(tiny_catalog, Rating.FULL)
    ratings["组织建设:S1:1"] = ratings["组织建设:S1:2"] = ratings["信息安全:S1:1"] = Rating.NOT_APPLICABLE
    reasons = {"组织建设:S1:1": "无此业务", "组织建设:S1:2": "   "}
    with pytest.raises(MissingReasonError) as caught:
        score(tiny_catalog, ratings, na_reasons=reasons)
    assert caught.value.ids == ("组织建设:S1:2", "信息安全:S1:1")


def test_check_ratings_reports_every_kind_of_problem(tiny_catalog: SectorCatalog) -> None:
    ratings = fill(tiny_catalog, Rating.FULL)
    del ratings["组织建设:S1:2"]
    ratings["组织建设:S1:1"] = Rating.NOT_APPLICABLE
    ratings["nope"] = Rating.FULL
    kinds = [type(p) for p in check_ratings(tiny_catalog, ratings)]
    assert kinds == [UnknownRequirementError, UnratedRequirementError, MissingReasonError]
    assert check_ratings(tiny_catalog, fill(tiny_catalog, Rating.FULL)) == ()


def test_unrated_count_as_not_met_in_a_provisional_result(tiny_catalog: SectorCatalog) -> None:
    ratings = {"组织建设:S1:1": Rating.FULL}
    result = score(tiny_catalog, ratings, allow_unrated=True)
    assert result.provisional and len(result.unrated) == len(tiny_catalog.requirement_map()) - 1
    assert result.ratings["组织建设:S1:2"] is Rating.NONE
    # 组织 (α 2): C = 1/2; 技术 (α 8): 0 → S1 = (2 · 1/2) / 10
    assert result.level_scores[0] == F(1, 10)
    complete = score(tiny_catalog, fill(tiny_catalog, Rating.FULL))
    assert not complete.provisional and complete.unrated == ()


def test_reasons_are_kept_for_not_applicable_only(tiny_catalog: SectorCatalog) -> None:
    ratings = fill(tiny_catalog, Rating.FULL)
    ratings["组织建设:S1:1"] = Rating.NOT_APPLICABLE
    reasons = {"组织建设:S1:1": "  本企业无此业务 ", "组织建设:S1:2": "评分改过，理由留着"}
    result = score(tiny_catalog, ratings, na_reasons=reasons)
    assert dict(result.na_reasons) == {"组织建设:S1:1": "本企业无此业务"}


def test_a_level_with_nothing_to_score_is_an_error(tiny_catalog: SectorCatalog) -> None:
    ratings = fill(tiny_catalog, {"S1": Rating.FULL, "S3": Rating.NOT_APPLICABLE})
    reasons = {i: "无此业务" for i, r in ratings.items() if r is Rating.NOT_APPLICABLE}
    with pytest.raises(EmptyLevelError, match="S3 级没有可计分的要求") as caught:
        score(tiny_catalog, ratings, na_reasons=reasons)
    assert caught.value.level is Level.S3


def test_domain_and_row_scores(tiny_catalog: SectorCatalog) -> None:
    ratings = fill(
        tiny_catalog,
        Rating.FULL,
        {"技术创新（含研发管理）": {"S2": [Rating.PARTLY, Rating.NONE]}, "信息安全": {"S2": Rating.MOSTLY}},
    )
    result = score(tiny_catalog, ratings)
    rows = result.row_scores()
    merged = rows["r:技术创新（含研发管理）"]
    assert merged.level_scores == (1, F(1, 4), None, 1, 1)  # empty cell at S3
    assert merged.at(Level.S2) == F(1, 4)
    technology = next(d for d in result.domains if d.domain.name == "技术")
    # S2: (5 · 1/4 + 3 · 4/5) / 8;  S3: only 信息安全 takes part
    assert technology.at(Level.S2) == (5 * F(1, 4) + 3 * F(4, 5)) / 8
    assert technology.at(Level.S3) == 1
    assert result.level_scores[1] == (2 * 1 + 8 * technology.at(Level.S2)) / 10


def test_cumulative_maturity_counts_met_levels_as_one_and_scales_over_levels_taken_part_in() -> None:
    assert cumulative_maturity([F(1), F(4, 5), F(1, 2), F(0), F(0)]) == F(5, 2)
    # S3 empty: Σ over four levels (1 + 1 + 1/2 + 0) scaled by 5/4
    assert cumulative_maturity([F(1), F(9, 10), None, F(1, 2), F(0)]) == F(5, 2) * 5 / 4
    assert cumulative_maturity([None] * 5) is None


def test_row_and_domain_maturity(tiny_catalog: SectorCatalog) -> None:
    ratings = fill(tiny_catalog, {"S1": Rating.FULL, "S2": Rating.MOSTLY, "S3": Rating.PARTLY})
    result = score(tiny_catalog, ratings)
    rows = result.row_scores()
    assert rows["r:组织建设"].maturity == F(5, 2)
    assert rows["r:技术创新（含研发管理）"].maturity == F(2) * 5 / 4  # no S3 cell
    assert all(d.maturity == F(5, 2) for d in result.domains)


def test_layouts_are_cached_per_catalog_object_and_the_cache_is_bounded() -> None:
    catalogs = [build_catalog(table1_spec((1, 1, 1, 1, 1))) for _ in range(layout._CACHE_SIZE + 2)]
    first = layout.layout_of(catalogs[0])
    assert layout.layout_of(catalogs[0]) is first
    for catalog in catalogs[1:]:
        layout.layout_of(catalog)
    assert len(layout._cache) <= layout._CACHE_SIZE
    assert id(catalogs[0]) not in layout._cache
