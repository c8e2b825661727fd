"""Loading a report's table: the week's responses in a unit's subtree, one row each, with the
weekly counts for the trend. Queries only; the figures are computed in `collector.reports.report`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.orm import Session

from collector.accounts.scope import subtree_ids
from collector.models import Response, Unit
from collector.receipts.report import load_receipts
from collector.reports.counts import count_versions, suspect_sql, unit_week_indices
from collector.reports.stats import layout_for
from collector.reports.weeks import ZONE, Week
from shared.questionnaires import KINDS
from shared.text import normalise_text

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
    "suspect",
    "chain_ok",
    "procedure",
    "officer",
]


@dataclass
class WeekData:
    """Everything a weekly report is computed from."""

    week: Week
    root_id: int
    #: id, code, name, kind, parent_id of the root and every unit below it.
    units: pd.DataFrame
    #: The week's responses in the subtree (official and not), RESPONSE_COLUMNS plus
    #: `local_time`, `broken` and `unofficial`.
    responses: pd.DataFrame
    #: kind -> questionnaire versions seen in the trend weeks.
    versions: dict[str, list[str]]
    #: kind -> (each unit's index per week, its responses per week), indexed by
    #: (Monday as YYYY-MM-DD, unit id), from the weekly counts.
    trend: dict[str, tuple[pd.Series, pd.Series]]
    #: Receipts issued in the week per unit, with how many were opened and answered.
    receipts: pd.DataFrame | None = None


def load_units(session: Session, root_id: int) -> pd.DataFrame:
    ids = subtree_ids(session, [root_id])
    rows = session.execute(
        sa.select(Unit.id, Unit.code, Unit.name, Unit.kind, Unit.parent_id).where(Unit.id.in_(ids))
    ).all()
    frame = pd.DataFrame(rows, columns=["id", "code", "name", "kind", "parent_id"])
    return frame.sort_values("code", kind="stable").reset_index(drop=True)


def _json(value: Any) -> Any:
    """A JSON column's value: SQLite hands over text, psycopg already-decoded JSONB."""
    return json.loads(value) if isinstance(value, str) else value


def answers_of(value: Any) -> dict[str, int]:
    """The answers of a stored row as question code -> 0..5; anything else a row might hold (it
    is checked on arrival, but a database can be written to directly) is left out."""
    try:
        value = _json(value)
    except ValueError:
        return {}
    if not isinstance(value, dict):
        return {}
    return {
        k: v
        for k, v in value.items()
        if isinstance(k, str) and type(v) is int and 0 <= v <= 5  # noqa: E721 - not bool
    }


def reasons_of(value: Any) -> list[str]:
    if value in ("[]", None):
        return []
    try:
        value = _json(value)
    except ValueError:
        return []
    if not isinstance(value, list):
        return []
    return [text for r in value if isinstance(r, str) and (text := normalise_text(r))]


def comment_of(value: Any) -> str | None:
    """A stored comment as every report shows it: normalised like on arrival (a row written
    straight into the database may hold control characters)."""
    return normalise_text(value) if isinstance(value, str) else None


def load_responses(session: Session, unit_ids: list[int], week: Week) -> pd.DataFrame:
    """The responses of `unit_ids` submitted during `week` (local time), one row each."""
    r = Response.__table__.c
    dialect = session.get_bind().dialect.name
    rows = (
        session.connection()
        .execute(
            sa.select(
                r.id,
                r.unit_id,
                r.questionnaire,
                r.questionnaire_version,
                r.channel,
                r.counter,
                r.submitted_at,
                r.complete,
                # Decoded here rather than by the JSON type, which costs more than the query.
                sa.type_coerce(r.answers, sa.Text),
                sa.type_coerce(r.reasons, sa.Text),
                r.comment,
                sa.literal_column(suspect_sql(dialect, "responses"), sa.Boolean),
                r.chain_ok,
                r.procedure,
                r.officer,
            ).where(
                r.unit_id.in_(unit_ids),
                r.submitted_at >= week.start_utc(),
                r.submitted_at < week.end_utc(),
            )
        )
        .all()
    )
    columns = list(zip(*rows, strict=True)) if rows else []
    if columns:
        columns[8] = [answers_of(v) for v in columns[8]]
        columns[9] = [reasons_of(v) for v in columns[9]]
        columns[10] = [comment_of(v) for v in columns[10]]
    frame = pd.DataFrame(
        {name: list(values) for name, values in zip(RESPONSE_COLUMNS, columns, strict=False)},
        columns=RESPONSE_COLUMNS,
    )
    frame["submitted_at"] = pd.to_datetime(frame["submitted_at"], utc=True)
    frame["local_time"] = frame["submitted_at"].dt.tz_convert(ZONE.key)
    frame["suspect"] = frame["suspect"].astype(bool)
    frame["broken"] = [ok is False or ok == 0 for ok in frame["chain_ok"]]
    frame["unofficial"] = frame["suspect"] | frame["broken"]
    return frame


def load_week(
    session: Session,
    root_id: int,
    week: Week,
    include_unofficial: bool = False,
    trend_weeks: int = TREND_WEEKS,
) -> WeekData:
    """The data of a weekly report for the unit `root_id` and everything below it.

    The weekly counts must be up to date (`refresh_counts`) for the trend to be.
    """
    units = load_units(session, root_id)
    ids = [int(i) for i in units["id"]]
    weeks = week.last(trend_weeks)
    responses = load_responses(session, ids, week)
    versions = count_versions(session, ids, weeks)
    pairs = responses[["kind", "version"]].drop_duplicates().itertuples(index=False)
    for kind, version in pairs:
        versions.setdefault(kind, [])
        if version not in versions[kind]:
            versions[kind].append(version)
    trend = {}
    for kind in KINDS:
        layout, _ = layout_for(kind, versions.get(kind, []))
        trend[kind] = unit_week_indices(session, ids, weeks, kind, layout, include_unofficial)
    return WeekData(
        week=week,
        root_id=root_id,
        units=units,
        responses=responses,
        versions=versions,
        trend=trend,
        receipts=load_receipts(session, ids, week),
    )
