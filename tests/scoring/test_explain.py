"""The explanation trace: each requirement's share, the row's effective weight, contributions that add up."""

from __future__ import annotations

from fractions import Fraction

from nfmaturity.catalog.model import SectorCatalog
from nfmaturity.scoring.aggregate import score
from nfmaturity.scoring.explain import explain, marginal_weights, render_explanation, row_weights
from nfmaturity.scoring.ratings import Rating

from .factory import fill

F = Fraction


def _result(catalog: SectorCatalog):  # type: ignore[no-untyped-def]
    ratings = fill(
        catalog,
        {"S1": Rating.FULL, "S2": Rating.MOSTLY},
        {
            "组织建设": {"S1": [Rating.FULL, Rating.NOT_APPLICABLE]},
            "技术创新（含研发管理）": {"S2": [Rating.PARTLY, Rating.NONE]},
            "信息安全": {"S3": [Rating.NOT_APPLICABLE, Rating.NOT_APPLICABLE]},
        },
    )
    del ratings["组织建设:S5:1"]
    return score(
        catalog,
        ratings,
        na_reasons={"组织建设:S1:2": "无此业务", "信息安全:S3:1": "无冶炼", "信息安全:S3:2": "无冶炼"},
        allow_unrated=True,
    )


def test_each_requirement_carries_its_share_weight_and_contribution(tiny_catalog: SectorCatalog) -> None:
    trace = explain(_result(tiny_catalog))
    s2 = trace.levels[1]
    merged = next(r for r in s2.rows if r.row.name == "技术创新（含研发管理）")
    # β = 5/8 inside 技术, α/Σα = 8/10; C = 1/4
    assert (merged.beta, merged.alpha, merged.weight, merged.score) == (F(5, 8), F(4, 5), F(1, 2), F(1, 4))
    first, second = merged.requirements
    assert (first.share, first.contribution) == (F(1, 2), F(1, 2) * F(1, 2) * F(1, 2))
    assert (second.share, second.contribution) == (F(1, 2), 0)
    assert merged.contribution == merged.score * merged.weight


def test_not_applicable_leaves_the_mean_and_a_row_of_only_not_applicable_takes_no_part(
    tiny_catalog: SectorCatalog,
) -> None:
    trace = explain(_result(tiny_catalog))
    organisation = trace.levels[0].rows[0]
    assert [t.share for t in organisation.requirements] == [F(1), None]
    assert organisation.requirements[1].contribution == 0
    security = next(r for r in trace.levels[2].rows if r.row.name == "信息安全")
    assert (security.score, security.beta, security.alpha, security.weight) == (None, None, None, None)
    assert security.contribution == 0
    # The merged row has no S3 cell, so 技术 does not take part at S3 and 组织 carries the whole level.
    assert [r.row.name for r in trace.levels[2].rows] == ["组织建设", "信息安全"]
    assert trace.levels[2].rows[0].alpha == 1


def test_level_contributions_equal_level_scores(tiny_catalog: SectorCatalog) -> None:
    result = _result(tiny_catalog)
    trace = explain(result)
    assert [lv.contribution for lv in trace.levels] == list(result.level_scores)
    assert sum(1 for _ in trace.requirements()) == len(tiny_catalog.requirement_map())


def test_marginal_weights_are_effective_weight_over_n(tiny_catalog: SectorCatalog) -> None:
    result = _result(tiny_catalog)
    units = marginal_weights(result)
    assert units["技术创新（含研发管理）:S2:1"] == F(1, 2) / 2
    assert "组织建设:S1:2" not in units  # 不适用
    assert "信息安全:S3:1" not in units  # row taking no part
    weights = row_weights(result)
    assert weights[2] == {"r:组织建设": (F(1), F(1))}


def test_text_rendering_in_chinese(tiny_catalog: SectorCatalog) -> None:
    text = render_explanation(explain(_result(tiny_catalog)))
    assert text.startswith("计分说明：")
    assert "S1 等级得分 1.0000（满足，计 1 分）" in text
    assert "能力域：技术" in text
    assert (
        "技术创新（含研发管理）：C = 0.2500，β = 62.50%，α/Σα = 80.00%，有效权重 50.00%，贡献 0.1250" in text
    )
    assert "不适用（理由：无此业务），不计入均值" in text
    assert "信息安全：不参与本级（要求均为不适用）" in text
    assert "（未评分，按不满足计）" in text
    assert "S2 各要求贡献合计 0.5250" in text


def test_long_requirement_text_is_shortened(tiny_catalog: SectorCatalog) -> None:
    from nfmaturity.scoring.explain import _short

    assert _short("短文本") == "短文本"
    assert _short("长" * 50) == "长" * 39 + "…"
