"""Raters' agreement (quality control for the assessment body and the 组长).

From the experts' independent ratings and the settled ratings: the share of flagged requirements (experts
differing by 0.5 or more, or split on 不适用) overall and per domain; each expert's mean absolute deviation
from the settled rating (over the requirements where both are scores), his count of deviations ≥ 0.5 and
his 不适用 disagreements with the settlement. All exact (``Fraction``); shown truncated to two decimals.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from nfmaturity.formal.models import FormalAssessment, TeamMember
from nfmaturity.formal.services_consensus import ConsensusItem, consensus_data
from nfmaturity.formal.services_rating import view_of
from nfmaturity.scoring.consensus import FLAG_SPREAD
from nfmaturity.scoring.display import format_percent, format_truncated
from nfmaturity.scoring.ratings import Rating


@dataclass(frozen=True)
class Share:
    name: str
    flagged: int
    rated: int  # requirements with at least one vote

    @property
    def value(self) -> Fraction | None:
        return Fraction(self.flagged, self.rated) if self.rated else None

    @property
    def shown(self) -> str:
        return format_percent(self.value) if self.value is not None else "—"


@dataclass(frozen=True)
class ExpertAgreement:
    member: TeamMember
    compared: int  # requirements where his score and the settled score are both scores
    total_deviation: Fraction
    large: int  # deviations ≥ 0.5
    na_disagreements: int  # he said 不适用 and the team did not, or the other way round

    @property
    def mean(self) -> Fraction | None:
        return self.total_deviation / self.compared if self.compared else None

    @property
    def mean_shown(self) -> str:
        return format_truncated(self.mean) if self.mean is not None else "—"


@dataclass(frozen=True)
class Agreement:
    overall: Share
    domains: list[Share]
    experts: list[ExpertAgreement]
    na_split: int  # requirements whose experts split between 不适用 and a score
    settled: int


def _score(value: str) -> Fraction | None:
    return Rating(value).score


def agreement_of(
    items: list[ConsensusItem],
    members: list[TeamMember],
    domain_of: dict[str, str],
    domain_order: tuple[str, ...],
) -> Agreement:
    """The figures from the consensus items (``domain_of``: row id → domain name)."""
    rated = [i for i in items if i.consensus is not None]
    per: dict[str, list[ConsensusItem]] = {}
    for item in rated:
        per.setdefault(domain_of[item.requirement.row], []).append(item)
    totals: dict[int, list[Fraction]] = {m.pk: [] for m in members}
    large = dict.fromkeys(totals, 0)
    na = dict.fromkeys(totals, 0)
    for item in items:
        if item.settled_value is None:
            continue
        settled = _score(item.settled_value)
        for vote in item.votes:
            if vote.value is None:
                continue
            mine = _score(vote.value)
            if mine is None or settled is None:
                if (mine is None) != (settled is None):
                    na[vote.member.pk] += 1
                continue
            deviation = abs(mine - settled)
            totals[vote.member.pk].append(deviation)
            if deviation >= FLAG_SPREAD:
                large[vote.member.pk] += 1
    return Agreement(
        overall=Share("全部", sum(1 for i in rated if i.flagged), len(rated)),
        domains=[
            Share(name, sum(1 for i in per[name] if i.flagged), len(per[name]))
            for name in domain_order
            if name in per
        ],
        experts=[
            ExpertAgreement(m, len(totals[m.pk]), sum(totals[m.pk], Fraction(0)), large[m.pk], na[m.pk])
            for m in members
        ],
        na_split=sum(
            1
            for i in rated
            if i.consensus is not None
            and Rating.NOT_APPLICABLE in i.consensus.votes
            and not all(v is Rating.NOT_APPLICABLE for v in i.consensus.votes)
        ),
        settled=sum(1 for i in items if i.is_settled),
    )


def agreement_for(formal: FormalAssessment) -> Agreement:
    view = view_of(formal)
    data = consensus_data(formal, view=view, full=False)
    return agreement_of(
        data.items, data.members, {row.id: row.domain for row in view.rows}, view.domain_order
    )
