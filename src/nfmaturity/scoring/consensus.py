"""A proposed team rating from several experts' independent ratings of one requirement (standard-notes §2 rule 8).

* The proposal is the median of the scored votes; with an even number the lower of the two middle votes
  (ties go to the lower value), so the proposal is always a rating of Table 2, never an average.
* 不适用 is a claim about the requirement, not a point on the scale. It is proposed only when a strict majority
  of all experts voted it; otherwise the 不适用 votes are left out and the median of the scored votes is
  proposed. Either way a split between 不适用 and scored votes is flagged: someone must settle it (and a
  不适用 still needs its written reason and the team lead's confirmation).
* The requirement is flagged when scored votes differ by 0.5 or more (e.g. 部分满足 against 全部满足,
  or 不满足 against 部分满足).

The platform only proposes; the team records who settled each requirement and how (一致 / 多数 / 组长裁定).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from fractions import Fraction

from nfmaturity.scoring.display import format_truncated
from nfmaturity.scoring.errors import NoVotesError
from nfmaturity.scoring.ratings import SCORED_ASCENDING, Rating

FLAG_SPREAD = Fraction(1, 2)


@dataclass(frozen=True)
class Consensus:
    votes: tuple[Rating, ...]
    proposal: Rating
    spread: Fraction  # highest − lowest scored vote (0 with fewer than two scored votes)
    flagged: bool  # spread ≥ 0.5, or experts split between 不适用 and a score
    unanimous: bool
    majority: Rating | None  # the rating held by more than half of the votes, if any

    @property
    def reason(self) -> str:
        """Why the requirement is flagged, in Chinese ("" when it is not)."""
        parts = []
        if self.spread >= FLAG_SPREAD:
            parts.append(f"专家评分相差 {format_truncated(self.spread, 1)}（≥ 0.5）")
        if Rating.NOT_APPLICABLE in self.votes and not all(v is Rating.NOT_APPLICABLE for v in self.votes):
            parts.append("专家对是否适用意见不一")
        return "；".join(parts)


def propose(votes: Iterable[Rating]) -> Consensus:
    """The proposed rating, spread and flag for one requirement's votes (one per expert)."""
    all_votes = tuple(votes)
    if not all_votes:
        raise NoVotesError()
    scored = sorted((v for v in all_votes if v is not Rating.NOT_APPLICABLE), key=SCORED_ASCENDING.index)
    not_applicable = len(all_votes) - len(scored)
    if not_applicable * 2 > len(all_votes):
        proposal = Rating.NOT_APPLICABLE
    else:
        proposal = scored[(len(scored) - 1) // 2]
    spread = _value(scored[-1]) - _value(scored[0]) if scored else Fraction(0)
    split = 0 < not_applicable < len(all_votes)
    counts = Counter(all_votes)
    top, top_count = counts.most_common(1)[0]
    return Consensus(
        votes=all_votes,
        proposal=proposal,
        spread=spread,
        flagged=spread >= FLAG_SPREAD or split,
        unanimous=len(counts) == 1,
        majority=top if top_count * 2 > len(all_votes) else None,
    )


def _value(rating: Rating) -> Fraction:
    value = rating.score
    assert value is not None  # only scored votes are passed here
    return value
