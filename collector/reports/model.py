"""The report as types: what every renderer (page, CSV, XLSX, JSON, CLI, mail) and the JSON API's
OpenAPI schema read. `collector.reports.build` fills them; nothing else makes a report.

Percentages are floats in 0-100, unrounded (renderers round for display); `None` means "no data".
Intervals are (low, high) in percent. Codes (kinds, verdicts, channels, methods) are the stable
English identifiers; renderers translate them. Times in lists are local (Asia/Ho_Chi_Minh).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field

from collector.dossiers.national import ServiceIndex

# The period a report is about: the frozen view of the one period type (`Period.ref`), and the
# trend grains, defined with it.
from collector.periods import MONTH, WEEK, PeriodRef  # noqa: F401

# The verdict codes (methodology section 7) are defined once, in `shared.scoring`; the report's
# types name them from here.
from shared.scoring import MEETS, MISSES, NO_DATA, TOO_CLOSE, TOO_FEW, VERDICTS  # noqa: F401

#: A 95 % interval in percent.
Interval = tuple[float, float]


@dataclass(frozen=True)
class UnitRef:
    id: int
    code: str
    name: str
    kind: str  #: province, district, commune, facility, school ... (the unit's own kind)


@dataclass(frozen=True)
class Settings:
    min_responses: int
    include_unofficial: bool
    drop_points: float  #: a fall of at least this many points puts a unit on the alert list


@dataclass(frozen=True)
class Summary:
    """The headline figure of a kind over some scope (a unit, or a unit and all below it)."""

    index: float | None  #: by the kind's method; above one unit, the mean of the parts
    ci95: Interval | None
    n: int  #: responses with at least one valid (1-5) answer to the kind's factor items
    responses: int  #: every response of the kind in scope, empty ones included
    answers: int  #: valid answers to factor items
    parts: int  #: how many parts the index is the mean of (1: a single unit's own responses)
    pooled: float | None  #: the index of every answer in scope pooled (= index for one unit)
    verdict: str  #: one of VERDICTS
    target: float
    #: Too close to call: about how many more responses would settle it at the current share
    #: (methodology section 7); None otherwise, or when no number would (share = target).
    more_needed: int | None = None


@dataclass(frozen=True)
class Criterion:
    """One question: pooled over every answer in scope (a single proportion, Wilson interval)."""

    code: str
    factor: str  #: factor code ("" for the overall question)
    text: str  #: message id (English), translated by renderers
    share: float | None  #: answers 4-5 / answers 1-5, percent
    ci95: Interval | None
    satisfied: int
    answers: int  #: answers 1-5
    no_opinion: int  #: answers 0
    mean: float | None  #: mean answer on 1-5


@dataclass(frozen=True)
class Factor:
    """A factor (SIPAS) or section (health)."""

    code: str
    title: str  #: message id
    index: float | None  #: by the method at one unit; the mean of the parts above one unit
    ci95: Interval | None  #: respondent-clustered (methodology section 7)
    #: The factor's own formula over every answer in scope pooled (= index for one unit), as
    #: the summary's pooled figure is the index's.
    pooled: float | None
    mean: float | None  #: mean answer on 1-5 over the factor's items, pooled
    answers: int  #: valid answers to its items in scope
    parts: int  #: parts the index is the mean of
    criteria: tuple[Criterion, ...]  #: worst first


@dataclass(frozen=True)
class Comprehensive:
    """Health: respondents whose every answered item is 4 or 5."""

    share: float | None
    respondents: int
    ci95: Interval | None


@dataclass(frozen=True)
class UnitRow:
    """A unit's figures: a direct child of the report's unit (with all below it), the report's
    unit's own responses (`own`), or any unit's own responses (the alert list)."""

    id: int
    code: str
    name: str
    own: bool  #: the figures are the unit's own responses only
    summary: Summary
    factors: Mapping[str, float | None] = field(hash=False)  #: factor code -> index
    previous_index: float | None = None
    change: float | None = None  #: points since the previous period
    previous_n: int = 0
    #: Fewer responses than the minimum: not a part of its own in the parent's mean, but in
    #: the parent's pooled part (`KindReport.pooled_part`).
    pooled: bool = False


@dataclass(frozen=True)
class PooledPart:
    """The parts of a unit below the minimum of responses, pooled into one part of its mean
    (methodology section 5): their responses scored together."""

    units: tuple[str, ...]  #: codes of the units below whose responses are in it
    own: bool  #: the unit's own responses are in it
    n: int
    index: float | None
    ci95: Interval | None
    #: Its weight in the mean: 1 like any part, n / minimum while it is below the minimum.
    weight: float = 1.0


@dataclass(frozen=True)
class TrendPoint:
    key: str  #: "2026-W48" or "2026-11"
    start: dt.date  #: first day (clipped to the report's period for the period's own buckets)
    end: dt.date
    index: float | None  #: computed exactly as the headline index, over this bucket
    n: int
    ci95: Interval | None = None
    #: The bucket is not a whole week or month: cut by the period's bounds, or not yet over.
    partial: bool = False
    #: Days in this bucket on which units of the report were reorganised (merged, split,
    #: renamed): the trend stays continuous across them (collector.reports.lineage).
    reorganised: tuple[dt.date, ...] = ()


@dataclass(frozen=True)
class KindReport:
    kind: str  #: "admin", "health", "education"
    method: str  #: "sipas" or "pooled"
    title: str  #: questionnaire title, message id
    own_wording: bool
    source: str
    summary: Summary
    previous_index: float | None  #: the same figure for the previous period
    change: float | None
    factors: tuple[Factor, ...]  #: worst first
    criteria: tuple[Criterion, ...]  #: every criterion, worst first, pooled over the scope
    overall: Criterion | None  #: the overall question, apart from the index
    comprehensive: Comprehensive | None  #: health only
    children: tuple[UnitRow, ...]  #: direct children (and the unit's own part), worst first
    trend: tuple[TrendPoint, ...]
    targets: Mapping[str, float] = field(hash=False)  #: year -> target
    versions: tuple[str, ...] = ()  #: questionnaire versions of the period's responses
    pooled_part: PooledPart | None = None  #: the parts below the minimum, as one part

    @property
    def rollup(self) -> bool:
        return self.summary.parts > 1


#: Where a group stands in its funnel plot (methodology section 7): below the 99.8 % control
#: limit around the target, below the 95 % one, within, above the 95 % one.
ALARM, WARNING, WITHIN, ABOVE = "alarm", "warning", "within", "above"


@dataclass(frozen=True)
class Breakdown:
    """Responses and the pooled satisfied share of every answer (all the kind's questions) of one
    group: a counter (unit, counter), a procedure or an officer (unit, officer); a secondary
    figure, not the index. Its interval treats the response as the unit of sampling."""

    kind: str
    group: tuple[str, ...]
    responses: int
    answers: int
    share: float | None
    ci95: Interval | None
    limits95: Interval | None = None  #: the funnel's control limits at this many responses
    limits998: Interval | None = None
    position: str | None = None  #: ALARM, WARNING, WITHIN or ABOVE


@dataclass(frozen=True)
class FunnelLimit:
    responses: int
    limits95: Interval
    limits998: Interval


@dataclass(frozen=True)
class FunnelPlot:
    """A funnel plot of one breakdown and kind: the target, the scope's design effect and
    answers per response, and the control limits at a range of responses (the curve)."""

    dimension: str  #: "officer" or "counter"
    kind: str
    target: float
    design_effect: float
    answers_per_response: float
    curve: tuple[FunnelLimit, ...]


@dataclass(frozen=True)
class ChannelIndex:
    """The headline index computed over one channel's responses only."""

    kind: str
    channel: str  #: "kiosk", "receipt", "poster"
    summary: Summary
    suspect_left_out: int


@dataclass(frozen=True)
class HeatCell:
    ratings: int
    dissatisfied: float | None  #: answers 1-2 / answers 1-5, percent


@dataclass(frozen=True)
class Heatmap:
    hours: tuple[int, ...]  #: local hours shown, first to last with ratings
    grid: tuple[tuple[HeatCell, ...], ...]  #: 7 rows (Monday first) x hours
    peak: int


@dataclass(frozen=True)
class Reason:
    code: str
    count: int
    share: float  #: of the responses that gave a reason


@dataclass(frozen=True)
class Comment:
    time: dt.datetime  #: local
    unit: str  #: unit code
    kind: str
    comment: str


@dataclass(frozen=True)
class LeftOutRow:
    time: dt.datetime  #: local
    unit: str
    kind: str
    channel: str
    counter: str | None
    suspect: bool
    broken: bool


@dataclass(frozen=True)
class LeftOut:
    """Responses left out of the official figures (suspicious bursts, broken hash chains)."""

    suspect: int
    broken: int
    total: int
    included: bool  #: the reader asked for them to be included
    rows: tuple[LeftOutRow, ...]  #: the first MAX_LISTED


@dataclass(frozen=True)
class ReceiptRate:
    code: str  #: unit code ("" for the total)
    name: str
    issued: int
    opened: int
    answered: int
    expired: int
    revoked: int
    answered_share: float | None
    opened_share: float | None


@dataclass(frozen=True)
class ResponseRate:
    units: tuple[ReceiptRate, ...]
    total: ReceiptRate


#: What became of a rated dossier (`collector.models.dossiers.DOSSIER_OUTCOMES`), and
#: "unreported" for a receipt whose dossier has no status event.
OUTCOME_ORDER = ("on-time", "late", "refused", "pending", "withdrawn", "unreported")


@dataclass(frozen=True)
class OutcomeIndex:
    """A kind's index over the receipt ratings of the period whose dossier ended this way,
    pooled over the scope, with its respondent-clustered interval."""

    kind: str
    outcome: str  #: one of OUTCOME_ORDER
    index: float | None
    ci95: Interval | None
    n: int  #: responses with a valid answer to a factor item
    responses: int


@dataclass(frozen=True)
class OutcomeRate:
    """Receipts issued in the period by their dossier's outcome, and how many were answered."""

    outcome: str
    issued: int
    answered: int
    answered_share: float | None


@dataclass(frozen=True)
class NationalRow:
    """The national index's on-time group and item 5.4 of a unit (with all below it; code ""
    for the report's whole scope), beside the SIPAS index of its admin ratings."""

    code: str
    name: str
    national: ServiceIndex
    refused: int  #: dossiers refused in the period (not in the on-time rate)
    sipas_index: float | None


@dataclass(frozen=True)
class Outcomes:
    """Ratings and the national index by what became of the dossiers (methodology section 11)."""

    ratings: tuple[OutcomeIndex, ...]
    response_rates: tuple[OutcomeRate, ...]
    national: tuple[NationalRow, ...]  #: the scope first, then its direct children
    not_computed: tuple[str, ...]  #: codes of what the national index counts and SIPAS cannot


@dataclass(frozen=True)
class Alert:
    kind: str
    unit: UnitRow
    below_target: bool  #: verdict "misses"
    sudden_drop: bool  #: fell by at least drop_points with enough responses in both periods


@dataclass(frozen=True)
class Reorganisation:
    """A reorganisation of the report's units within its period or trend: the units that ceased
    (`before`) and those that follow them (`after`), by code (docs/methodology.md, section on
    units with history)."""

    effective: dt.date  #: the first day of the new units
    change: str  #: "merge", "split" or "rename"
    before: tuple[str, ...]
    after: tuple[str, ...]
    #: A split whose responses could not be given to one of the new units (its kiosks or
    #: integration tokens are not all in one of them): those of the period, counted apart;
    #: None when every response was assigned.
    unassigned: int | None = None


@dataclass(frozen=True)
class VoiceUse:
    """A unit's kiosk responses heard in one language (methodology section 9)."""

    unit_code: str
    unit_name: str
    #: The language heard; None for responses of kiosks that do not record it (older kiosks).
    voice: str | None
    responses: int
    listened: int  #: of them, those whose citizen pressed "listen"


@dataclass(frozen=True)
class Report:
    period: PeriodRef
    unit: UnitRef
    settings: Settings
    kinds: tuple[KindReport, ...]  #: kinds with data in the period or its trend, KINDS order
    units: tuple[tuple[str, UnitRow], ...]  #: (kind, row) for every unit with own responses
    alerts: tuple[Alert, ...]
    left_out: LeftOut
    counters: tuple[Breakdown, ...]  #: worst first
    procedures: tuple[Breakdown, ...]  #: worst first
    #: None when the reader may not see officers (only managers and admins may).
    officers: tuple[Breakdown, ...] | None
    officers_hidden: int | None  #: officers with fewer than officers_min responses, not listed
    officers_min: int
    heatmap: Heatmap
    reasons: tuple[Reason, ...]
    reasons_responses: int
    comments: tuple[Comment, ...]  #: newest first, the first MAX_LISTED
    comments_total: int
    response_rate: ResponseRate
    channel_comparison: tuple[ChannelIndex, ...]
    viewer_role: str = "system"
    #: Officers (managers only, like `officers`) and counters against the target.
    funnels: tuple[FunnelPlot, ...] = ()
    #: True when the reader may not read the comments (collector.reports.service.reader_rights);
    #: `comments` is then empty and `comments_total` still counts them.
    comments_hidden: bool = False
    #: Reorganisations of its units in the period or its trend; their predecessors' responses
    #: are counted in the units that follow them (collector.reports.lineage).
    reorganisations: tuple[Reorganisation, ...] = ()
    #: None when no dossier status event or receipt is in scope.
    outcomes: Outcomes | None = None
    #: Kiosk responses per unit and language heard, with "listen" use (collector.reports.voices).
    voices: tuple[VoiceUse, ...] = ()

    def kind(self, code: str) -> KindReport | None:
        return next((k for k in self.kinds if k.kind == code), None)
