"""Two items of the national index of service to citizens and businesses (Decision 766/QĐ-TTg,
2022, as the national public-service portal scores it), computed from the product's own dossier
events and ratings (docs/methodology.md, section 11). Pure: numbers in, numbers out.

- On-time settlement group (20 points) = 20 x on-time rate, the rate being dossiers settled on
  or before their due date / dossiers settled (on time + late).
- Satisfaction item 5.4 (6 points): rate = 100 % - (share of the settled dossiers settled late +
  share with a complaint or a "dislike"), points = min(6, 6 x rate / 90 %). A dossier both late
  and disliked is subtracted twice, as the formula reads; the rate is not taken below 0.
- No dossier settled: both score 0 and their rates are None (nothing to measure).

What the portal also counts and the product cannot know is named, not computed: complaints
handled on the portal, online payment, digitisation (`NOT_COMPUTED`). "Dislike" is a stated
proxy: the citizen's overall answer 1 or 2 on the receipt survey of that dossier.
"""

from __future__ import annotations

from dataclasses import dataclass

ON_TIME_POINTS = 20.0
ITEM_54_POINTS = 6.0
#: The rate at which item 5.4 reaches its full points.
ITEM_54_FULL_RATE = 0.90
#: Overall answers that count as a "dislike" (the stated proxy).
DISLIKE_ANSWERS = frozenset({1, 2})
#: What the national index counts that the product does not know.
NOT_COMPUTED = ("portal-complaints", "online-payment", "digitisation")


@dataclass(frozen=True)
class ServiceIndex:
    """A unit's (or scope's) two items for one period. Rates and shares in percent."""

    settled: int  #: dossiers settled in the period (on time + late)
    on_time: int
    late: int
    #: Of the settled dossiers, those whose receipt survey's overall answer was 1 or 2.
    disliked: int
    on_time_rate: float | None
    on_time_points: float  #: of ON_TIME_POINTS
    late_share: float | None
    disliked_share: float | None
    item_54_rate: float | None
    item_54_points: float  #: of ITEM_54_POINTS


def service_index(on_time: int, late: int, disliked: int) -> ServiceIndex:
    """The on-time group and item 5.4 from counts of settled dossiers."""
    if min(on_time, late, disliked) < 0:
        raise ValueError("counts cannot be negative")
    settled = on_time + late
    if disliked > settled:
        raise ValueError("more disliked dossiers than settled ones")
    if settled == 0:
        return ServiceIndex(0, 0, 0, 0, None, 0.0, None, None, None, 0.0)
    on_time_rate = on_time / settled
    late_share, disliked_share = late / settled, disliked / settled
    rate = max(0.0, 1.0 - late_share - disliked_share)
    return ServiceIndex(
        settled=settled,
        on_time=on_time,
        late=late,
        disliked=disliked,
        on_time_rate=100.0 * on_time_rate,
        on_time_points=ON_TIME_POINTS * on_time_rate,
        late_share=100.0 * late_share,
        disliked_share=100.0 * disliked_share,
        item_54_rate=100.0 * rate,
        item_54_points=min(ITEM_54_POINTS, ITEM_54_POINTS * rate / ITEM_54_FULL_RATE),
    )
