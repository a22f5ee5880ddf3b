"""Who may sit on an applicant's team: the eligibility rule of standard §4.4.2.

An expert is ineligible for an enterprise's formal assessment when he declared a relation (consulting,
design, production, sales) with the applicant or with its parent group that lasted into the last
``RELATION_YEARS`` years (still going on, or ended on or after the same day ``RELATION_YEARS`` years ago).
A declared relation matches on the unified social credit code when both sides have one, or else on the
name, compared the way ``enterprises.names`` compares names (spaces, brackets, width and case ignored).
The reason is given in Chinese, naming the relation, so the body admin sees why beside the expert's name.
"""

from __future__ import annotations

import datetime
import unicodedata
from collections.abc import Iterable

from django.utils import timezone

from nfmaturity.enterprises.models import Enterprise
from nfmaturity.enterprises.names import IGNORED
from nfmaturity.formal.models import RELATION_YEARS, ExpertProfile, ExpertRelation


def normalised(name: str) -> str:
    """The form two names are compared in: NFKC (full-width letters and digits become ASCII), without
    spaces or brackets, upper case."""
    text = unicodedata.normalize("NFKC", name or "")
    for character in IGNORED:
        text = text.replace(character, "")
    return text.upper()


def window_start(today: datetime.date | None = None) -> datetime.date:
    """The first day of the last ``RELATION_YEARS`` years (a relation that ended before it no longer counts)."""
    today = today or timezone.localdate()
    try:
        return today.replace(year=today.year - RELATION_YEARS)
    except ValueError:  # 29 February
        return today.replace(year=today.year - RELATION_YEARS, day=28)


def _counterparties(enterprise: Enterprise) -> list[tuple[str, str, str]]:
    """(what, code, normalised name) for the applicant and, when given, its group."""
    out = [("申请企业", (enterprise.uscc or "").upper(), normalised(enterprise.name))]
    if enterprise.group_name or enterprise.group_uscc:
        out.append(("其所属集团", enterprise.group_uscc.upper(), normalised(enterprise.group_name)))
    return out


def relation_conflict(
    relation: ExpertRelation, enterprise: Enterprise, today: datetime.date | None = None
) -> str | None:
    """Why ``relation`` bars its expert from ``enterprise``'s team, or None when it does not."""
    if relation.ended_on is not None and relation.ended_on < window_start(today):
        return None
    code = relation.counterparty_uscc.strip().upper()
    name = normalised(relation.counterparty_name)
    for what, their_code, their_name in _counterparties(enterprise):
        same_code = bool(code) and bool(their_code) and code == their_code
        same_name = bool(name) and bool(their_name) and name == their_name
        if same_code or same_name:
            since = f"{relation.started_on:%Y-%m-%d}" if relation.started_on else "未填"
            until = f"{relation.ended_on:%Y-%m-%d}" if relation.ended_on else "至今"
            matched = "统一社会信用代码" if same_code else "单位名称"
            return (
                f"申报了与{what}“{relation.counterparty_name}”的{relation.get_kind_display()}关系"
                f"（{since} 至 {until}，{matched}相同），近 {RELATION_YEARS} 年内有利益关系，须回避"
            )
    return None


def conflicts(expert: ExpertProfile, enterprise: Enterprise, today: datetime.date | None = None) -> list[str]:
    """Every reason ``expert`` may not assess ``enterprise`` (empty: eligible). Uses ``expert.relations``
    as prefetched when it was."""
    reasons = (relation_conflict(r, enterprise, today) for r in expert.relations.all())
    return [r for r in reasons if r]


def ineligible(experts: Iterable[ExpertProfile], enterprise: Enterprise) -> dict[int, list[str]]:
    """Expert id → reasons, for the experts that may not assess ``enterprise`` (prefetch ``relations``)."""
    today = timezone.localdate()
    out: dict[int, list[str]] = {}
    for expert in experts:
        reasons = conflicts(expert, enterprise, today)
        if reasons:
            out[expert.pk] = reasons
    return out
