"""Stored responses as every report and export shows them: answers, reasons and comments read
defensively (a row may have been written straight into the database), and the few responses a
report lists (the newest comments, the first left-out responses of a period), read in windows.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.orm import Session

from collector.counts.refresh import broken_sql, suspect_sql, unofficial_sql
from collector.models import Response
from collector.periods import ZONE, Period
from shared.text import clean_comment, normalise_text

#: The first window of the newest-first and oldest-first lists (comments, left-out responses),
#: doubled until the list is full: a year's responses are never all read for 300 of them.
_FIRST_WINDOW_DAYS = 7


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
    """A stored comment as every report and export shows it: cleaned like on arrival (a row
    written straight into the database, or stored before a redaction rule was added, may hold
    control characters or personal data)."""
    return clean_comment(value) if isinstance(value, str) else None


# -- any period, from the counts -------------------------------------------------------------


LEFT_OUT_COLUMNS = ["local_time", "unit_id", "kind", "channel", "counter", "suspect", "broken"]
COMMENT_COLUMNS = ["local_time", "unit_id", "kind", "comment"]


def _windows(period: Period, newest_first: bool):
    """UTC windows covering the period, from one end, each twice as long as the one before."""
    start, end = period.start_utc(), period.end_utc()
    length = dt.timedelta(days=_FIRST_WINDOW_DAYS)
    if newest_first:
        hi = end
        while hi > start:
            lo = max(start, hi - length)
            yield lo, hi
            hi, length = lo, length * 2
    else:
        lo = start
        while lo < end:
            hi = min(end, lo + length)
            yield lo, hi
            lo, length = hi, length * 2


def _local_times(values) -> pd.Series:
    return pd.to_datetime(pd.Series(list(values), dtype=object), utc=True).dt.tz_convert(ZONE.key)


def left_out_rows(session: Session, ids: list[int], period: Period, limit: int) -> pd.DataFrame:
    """The first `limit` responses of the period left out of the official figures, oldest first."""
    r = Response.__table__.c
    dialect = session.get_bind().dialect.name
    suspect = sa.literal_column(suspect_sql(dialect, "responses"), sa.Boolean)
    broken = sa.literal_column(broken_sql(dialect, "responses"), sa.Boolean)
    # Written as the partial index ix_responses_left_out's condition, so that it serves.
    left_out = sa.text(
        f"({suspect_sql(dialect, 'responses')} OR {broken_sql(dialect, 'responses')})"
    )
    rows: list[tuple] = []
    for lo, hi in _windows(period, newest_first=False):
        rows += (
            session.connection()
            .execute(
                sa.select(
                    r.submitted_at,
                    r.unit_id,
                    r.questionnaire,
                    r.channel,
                    r.counter,
                    suspect,
                    broken,
                )
                .where(
                    r.unit_id.in_(ids),
                    r.submitted_at >= lo,
                    r.submitted_at < hi,
                    left_out,
                )
                .order_by(r.submitted_at, r.id)
                .limit(limit - len(rows))
            )
            .all()
        )
        if len(rows) >= limit:
            break
    frame = pd.DataFrame([tuple(row) for row in rows], columns=LEFT_OUT_COLUMNS)
    frame["local_time"] = _local_times(frame["local_time"])
    frame["suspect"] = frame["suspect"].astype(bool)
    frame["broken"] = frame["broken"].astype(bool)
    frame["counter"] = [c or None for c in frame["counter"]]
    return frame


def comment_rows(
    session: Session, ids: list[int], period: Period, limit: int, include_unofficial: bool
) -> pd.DataFrame:
    """The newest `limit` comments of the period (official only, unless included)."""
    r = Response.__table__.c
    dialect = session.get_bind().dialect.name
    where = [r.unit_id.in_(ids), r.comment.is_not(None), sa.func.trim(r.comment) != ""]
    if not include_unofficial:
        where.append(sa.not_(sa.literal_column(unofficial_sql(dialect, "responses"), sa.Boolean)))
    rows: list[tuple] = []
    for lo, hi in _windows(period, newest_first=True):
        rows += (
            session.connection()
            .execute(
                sa.select(r.submitted_at, r.unit_id, r.questionnaire, r.comment)
                .where(*where, r.submitted_at >= lo, r.submitted_at < hi)
                .order_by(r.submitted_at.desc(), r.id.desc())
                .limit(limit - len(rows))
            )
            .all()
        )
        if len(rows) >= limit:
            break
    frame = pd.DataFrame([(t, u, k, comment_of(c)) for t, u, k, c in rows], columns=COMMENT_COLUMNS)
    frame["local_time"] = _local_times(frame["local_time"])
    return frame
