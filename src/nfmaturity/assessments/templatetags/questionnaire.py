"""Splitting assessment lists: withdrawn self-assessments are kept but shown apart from work in progress."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import template

from nfmaturity.assessments.models import AssessmentState

register = template.Library()


@register.filter
def not_withdrawn(rows: Iterable[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """Rows of ``assessments_with_results`` (assessment first) except withdrawn assessments."""
    return [row for row in rows if row[0].state != AssessmentState.WITHDRAWN]


@register.filter
def withdrawn(rows: Iterable[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    return [row for row in rows if row[0].state == AssessmentState.WITHDRAWN]
