"""Capability wording for plan lists rendered outside this app (the results page's roadmap summary)."""

from __future__ import annotations

from django import template

from nfmaturity.plans.roadmap import BUILD, HAVE, capability
from nfmaturity.scoring.ratings import Rating

register = template.Library()

_BY_LABEL = {rating.label: rating for rating in Rating}


@register.filter
def capability_title(text: str) -> str:
    """The capability a requirement describes ("建立…"), without the requirement form."""
    return capability(text)[0]


@register.filter
def have_word(label: str) -> str:
    """What the enterprise has now, from a rating label: 部分满足 → 部分具备."""
    rating = _BY_LABEL.get(label)
    return HAVE.get(rating, label) if rating is not None else label


@register.filter
def build_word(label: str) -> str:
    """What the action builds, from the target rating's label: 全部满足 → 全面建成."""
    rating = _BY_LABEL.get(label)
    return BUILD.get(rating, label) if rating is not None else label
