"""Loading a report's table: the week's responses in a unit's subtree, one row each, with the
weekly counts for the trend. Queries only; the figures are computed in `collector.reports.report`.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.orm import Session

from collector.accounts.scope import subtree_ids
from collector.models import Response, Unit
from collector.reports.counts import SUSPECT_FLAG, load_counts, refresh_counts
from collector.reports.weeks import ZONE, Week

TREND_WEEKS = 12

RESPONSE_COLUMNS = [
    "id",
    "unit_id",
    "kind",
    "version",
    "channel",
    "counter",
    "submitted_at",
    "complete",
    "answers",
    "reasons",
    "comment",
    "flags",
    "chain_ok",
]


@dataclass
class WeekData:
    """Everything a weekly report is computed from."""

    week: Week
    root_id: int
    #: id, code, name, kind, parent_id of the root and every unit below it.
    units: pd.DataFrame
    #: The week's responses in the subtree (official and not), RESPONSE_COLUMNS plus
    #: `local_time`, `suspect`, `broken` and `unofficial`.
    responses: pd.DataFrame
    #: Weekly counts of the subtree for the trend weeks (see `collector.reports.counts`).
    counts: pd.DataFrame


def load_units(session: Session, root_id: int) -> pd.DataFrame:
    ids = subtree_ids(session, [root_id])
    rows = session.execute(
        sa.select(Unit.id, Unit.code, Unit.name, Unit.kind, Unit.parent_id).where(Unit.id.in_(ids))
    ).all()
    frame = pd.DataFrame(rows, columns=["id", "code", "name", "kind", "parent_id"])
    return frame.sort_values("code", kind="stable").reset_index(drop=True)


def load_responses(session: Session, unit_ids: list[int], week: Week) -> pd.DataFrame:
    """The responses of `unit_ids` submitted during `week` (local time), one row each."""
    r = Response
    rows = session.execute(
        sa.select(
            r.id,
            r.unit_id,
            r.questionnaire,
            r.questionnaire_version,
            r.channel,
            r.counter,
            r.submitted_at,
            r.complete,
            r.answers,
            r.reasons,
            r.comment,
            r.flags,
            r.chain_ok,
        ).where(
            r.unit_id.in_(unit_ids),
            r.submitted_at >= week.start_utc(),
            r.submitted_at < week.end_utc(),
        )
    ).all()
    frame = pd.DataFrame(rows, columns=RESPONSE_COLUMNS)
    frame["submitted_at"] = pd.to_datetime(frame["submitted_at"], utc=True)
    frame["local_time"] = frame["submitted_at"].dt.tz_convert(ZONE.key)
    frame["suspect"] = [SUSPECT_FLAG in (flags or ()) for flags in frame["flags"]]
    frame["broken"] = [ok is False for ok in frame["chain_ok"]]
    frame["unofficial"] = frame["suspect"] | frame["broken"]
    return frame


def load_week(
    session: Session, root_id: int, week: Week, trend_weeks: int = TREND_WEEKS
) -> WeekData:
    """The data of a weekly report for the unit `root_id` and everything below it.

    Brings the weekly counts up to date first (a write, committed by the caller).
    """
    refresh_counts(session)
    units = load_units(session, root_id)
    ids = [int(i) for i in units["id"]]
    return WeekData(
        week=week,
        root_id=root_id,
        units=units,
        responses=load_responses(session, ids, week),
        counts=load_counts(session, ids, week.last(trend_weeks)),
    )
