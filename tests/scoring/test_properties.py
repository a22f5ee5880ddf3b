"""Properties that must hold for every catalog and every rating (hypothesis)."""

from __future__ import annotations

from fractions import Fraction

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from nfmaturity.catalog.model import SectorCatalog
from nfmaturity.scoring.aggregate import score
from nfmaturity.scoring.explain import explain
from nfmaturity.scoring.grading import STANDARD_GRADES, grade_of
from nfmaturity.scoring.ratings import SCORED_ASCENDING, Rating

from .factory import na_reasons_for
from .strategies import SCORED, assessments

Assessment = tuple[SectorCatalog, dict[str, Rating]]


def _score(catalog: SectorCatalog, ratings: dict[str, Rating]):  # type: ignore[no-untyped-def]
    return score(catalog, ratings, na_reasons=na_reasons_for(ratings))


@given(assessments())
def test_scores_stay_in_range(case: Assessment) -> None:
    result = _score(*case)
    assert 0 <= result.total <= 5
    assert all(0 <= s <= 1 for s in result.level_scores)
    assert all(s is None or 0 <= s <= 1 for d in result.domains for s in d.level_scores)
    assert all(r.maturity is None or 0 <= r.maturity <= 5 for r in result.rows)


@given(assessments(), st.data())
def test_raising_a_rating_never_lowers_any_score(case: Assessment, data: st.DataObject) -> None:
    catalog, ratings = case
    raisable = [i for i, r in ratings.items() if r in SCORED and r is not Rating.FULL]
    assume(raisable)
    chosen = data.draw(st.sampled_from(raisable))
    higher = data.draw(st.sampled_from(SCORED_ASCENDING[SCORED_ASCENDING.index(ratings[chosen]) + 1 :]))
    before = _score(catalog, ratings)
    after = _score(catalog, ratings | {chosen: higher})
    assert all(a >= b for a, b in zip(after.level_scores, before.level_scores, strict=True))
    assert after.total >= before.total
    assert after.grade.level >= before.grade.level
    for row_before, row_after in zip(before.rows, after.rows, strict=True):
        for b, a in zip(row_before.level_scores, row_after.level_scores, strict=True):
            assert a is None or b is None or a >= b


@given(st.fractions(0, 5), st.fractions(0, 5))
def test_grade_is_monotone_in_the_total(a: Fraction, b: Fraction) -> None:
    low, high = sorted((a, b))
    assert grade_of(low, STANDARD_GRADES).level <= grade_of(high, STANDARD_GRADES).level


@given(assessments(not_applicable=False), st.data())
def test_not_applicable_on_a_requirement_at_its_row_mean_changes_nothing(
    case: Assessment, data: st.DataObject
) -> None:
    catalog, ratings = case
    cells = [
        [r.id for r in row.requirements if r.level == level] for row in catalog.rows for level in range(1, 6)
    ]
    cells = [c for c in cells if len(c) >= 2]
    assume(cells)
    cell = data.draw(st.sampled_from(cells))
    # Make the last requirement equal to the mean of the others, when that mean is a rating of Table 2.
    others = [ratings[i].score for i in cell[:-1]]
    mean = sum(others, Fraction(0)) / len(others)  # type: ignore[arg-type]
    at_mean = [r for r in SCORED if r.score == mean]
    assume(at_mean)
    ratings[cell[-1]] = at_mean[0]
    before = _score(catalog, ratings)
    after = _score(catalog, ratings | {cell[-1]: Rating.NOT_APPLICABLE})
    assert after.level_scores == before.level_scores
    assert after.total == before.total
    assert [r.level_scores for r in after.rows] == [r.level_scores for r in before.rows]


@given(assessments())
@settings(max_examples=60)
def test_explanation_contributions_add_up_to_each_level_score_exactly(case: Assessment) -> None:
    result = _score(*case)
    trace = explain(result)
    for level, s in zip(trace.levels, result.level_scores, strict=True):
        assert level.contribution == s
        assert sum((t.contribution for r in level.rows for t in r.requirements), Fraction(0)) == s
