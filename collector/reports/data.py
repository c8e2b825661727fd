"""What a report is computed from: counts fetched by SQL (`collector.reports.loader`), never raw
answers. `collector.reports.build` turns it into the typed report (`collector.reports.model`).

Every count frame is long-form, one row per group and question code; the pseudo code RESPONDENTS
counts respondents of the kind instead of answers:

- `answered`: responses with at least one valid (1-5) answer to the kind's factor items (the
  overall question does not count), the index's n;
- `satisfied`: of those, the responses whose every valid factor-item answer is 4 or 5;
- `no_opinion`: responses with no valid factor-item answer (empty, all "no opinion", or only the
  overall question), so that all responses of the kind = answered + no_opinion;
- `value_sum`: 0.

For a question code: `answered` answers 1-5, `satisfied` answers 4-5, `no_opinion` answers 0,
`value_sum` the sum of the answers 1-5 (for the mean score).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pandas as pd

if TYPE_CHECKING:
    from collector.periods import Period

COUNT_COLUMNS = ["answered", "satisfied", "no_opinion", "value_sum"]
#: Dimensions of `ReportData.groups`.
DIMENSIONS = (
    "channel",
    "counter",
    "procedure",
    "officer",
    "hour",
    "reason",
    "voice",
    "voice-listened",
)


@dataclass
class OutcomeData:
    """What the outcomes section (`collector.reports.outcomes`) is computed from, for the
    report's units and period."""

    #: (kind, version, outcome, answers) of each official receipt rating sent in the period.
    ratings: list[tuple[str, str, str, dict[str, int]]] = field(default_factory=list)
    #: outcome -> (receipts issued in the period, of them answered).
    rates: dict[str, tuple[int, int]] = field(default_factory=dict)
    #: receiving unit id -> [on time, late, refused, disliked] of the dossiers settled or
    #: refused in the period.
    settled: dict[int, list[int]] = field(default_factory=dict)
    #: Whether any dossier of these units has a status event at all.
    reported: bool = False


@dataclass
class ReportData:
    period: Period
    root_id: int
    #: id, code, name, kind, parent_id of the root and every unit below it (active or not).
    units: pd.DataFrame
    #: kind -> questionnaire versions counted in any of the buckets below.
    versions: dict[str, list[str]]
    #: kind -> questionnaire versions of the period's own responses.
    period_versions: dict[str, list[str]]
    #: The buckets of `counts`: 0 is the period, 1 the previous period, 2... the trend buckets.
    buckets: list[Period]
    #: bucket, kind, unit_id, code, answered, satisfied, no_opinion, value_sum (versions summed).
    counts: pd.DataFrame
    #: channel, kind, unit_id, code + COUNT_COLUMNS, for the period only, official responses
    #: only (the channel comparison leaves the left-out responses out even when included).
    channel_counts: pd.DataFrame
    #: The respondents' cross-products, one row per stored row and bucket it serves (every
    #: bucket but the previous period's): bucket, kind, version, channel, unit_id, unofficial,
    #: codes, data (packed: `collector.counts.cross`). Official rows only unless included.
    cross: pd.DataFrame
    #: kind, dimension, value, unit_id, responses, answered, satisfied, low, satisfied_sq,
    #: satisfied_answered, answered_sq (sums over the responses) for the period: per
    #: DIMENSIONS value (hour: "D-HH", D = 0 for Monday, HH the local hour; reason: responses
    #: giving that reason, and "*" those giving any). answered/satisfied/low (1-2) count every
    #: valid answer of the response (all its questions). Responses without a counter, procedure
    #: or officer have no such row.
    #: The hour and reason rows are the whole scope's, with unit_id 0.
    groups: pd.DataFrame
    #: Responses left out of the official figures: local_time, unit_id, kind, channel, counter,
    #: suspect, broken; the first `limit`, oldest first.
    left_out: pd.DataFrame
    left_out_suspect: int = 0
    left_out_broken: int = 0
    left_out_total: int = 0
    #: (kind, channel) -> suspicious responses left out.
    suspect_by_channel: dict[tuple[str, str], int] = field(default_factory=dict)
    #: local_time, unit_id, kind, comment: the newest `limit` with a comment (official only,
    #: unless the report includes the unofficial ones).
    comments: pd.DataFrame = field(default_factory=pd.DataFrame)
    comments_total: int = 0
    #: unit_id, issued, opened, answered, expired, revoked: receipts issued in the period.
    receipts: pd.DataFrame = field(default_factory=pd.DataFrame)
    #: How units that ceased are counted (collector.reports.lineage.Lineage); None: no change.
    lineage: Any = None
    #: Dossiers, their outcomes and their ratings (`collector.reports.outcomes`); None: not read.
    outcomes: OutcomeData | None = None
