"""One source for each enum: the database choices are the core's enums and the catalog's Table 3.

If someone edits a label in one place only (a grade name in the YAML, a rating label in the scoring
core), these fail; ``makemigrations --check`` in CI then asks for the migration that records it.
"""

from __future__ import annotations

from typing import Any

import pytest

from nfmaturity.assessments.models import Assessment, GradeLevel, RatingRecord, RatingValue, Result
from nfmaturity.catalog.loader import grade_table, load_catalog
from nfmaturity.catalog.model import Sector
from nfmaturity.enterprises.models import SectorChoice, Unit
from nfmaturity.scoring.grading import NO_GRADE, grade_bands
from nfmaturity.scoring.ratings import Rating


def test_sector_choices_are_the_catalog_sectors() -> None:
    assert [(s.value, s.label) for s in Sector] == [(c.value, c.label) for c in SectorChoice]


def test_rating_choices_are_the_scoring_ratings() -> None:
    assert [(r.value, r.label) for r in Rating] == [(c.value, c.label) for c in RatingValue]


@pytest.mark.parametrize("sector", list(Sector))
def test_grade_labels_are_table3_of_the_catalog(sector: Sector) -> None:
    """Grade labels equal Table 3 as the engine grades with it, for every sector table."""
    bands = grade_bands(load_catalog().for_sector(sector))
    assert [(b.level, b.label) for b in (NO_GRADE, *bands)] == list(GradeLevel.choices)


def test_grade_labels_carry_the_catalog_names() -> None:
    grades = load_catalog().grades
    assert grade_table() == grades  # read alone (for the choices) = read with the whole catalog
    assert GradeLevel.NONE.label == "未达到一级"
    for grade in grades:
        numeral, name = GradeLevel(grade.level).label.split(" ")
        assert name == grade.name
        assert numeral == "零一二三四五"[grade.level] + "级"


def test_model_fields_use_these_choices() -> None:
    def choices(model: Any, field: str) -> list[tuple[object, str]]:
        return list(model._meta.get_field(field).choices)

    assert choices(Assessment, "sector") == list(SectorChoice.choices)
    assert choices(Unit, "sector") == list(SectorChoice.choices)
    assert choices(RatingRecord, "value") == list(RatingValue.choices)
    assert choices(Result, "grade") == list(GradeLevel.choices)
