"""The weekly counts behind the trend charts: one SQL GROUP BY per batch of new responses.

`refresh_counts` adds the responses stored since its last run (by response id, which only grows)
to `report_weekly_counts`. A response's chain status can change after it was counted (its missing
predecessor arrives and shows the link was broken), so the weeks of such responses are counted
again from scratch. Flags never change: they are covered by the response's hash.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.orm import Session

from collector.models import CountsState, WeeklyCount
from collector.models.reports import RESPONDENTS
from collector.reports.stats import Layout
from collector.reports.weeks import ZONE, Week, reportable_range, utc_offset_hours

SUSPECT_FLAG = "suspect-burst"
_STATE_ID = 1


def _week_expr(dialect: str) -> str:
    """SQL for the Monday (local date) of the ISO week of responses.submitted_at (kept in UTC)."""
    if dialect == "postgresql":
        return f"CAST(date_trunc('week', r.submitted_at AT TIME ZONE '{ZONE.key}') AS date)"
    hours = utc_offset_hours()
    return f"date(r.submitted_at, '+{hours} hours', '-6 days', 'weekday 1')"


def suspect_sql(dialect: str, table: str = "r") -> str:
    """SQL that is true for a response flagged as suspicious."""
    if dialect == "postgresql":
        return f"({table}.flags @> CAST('[\"{SUSPECT_FLAG}\"]' AS jsonb))"
    return f"({table}.flags LIKE '%\"{SUSPECT_FLAG}\"%')"


def _unofficial_expr(dialect: str) -> str:
    """SQL that is true for a response left out of the official figures."""
    if dialect == "postgresql":
        return f"({suspect_sql(dialect)} OR r.chain_ok IS FALSE)"
    return f"({suspect_sql(dialect)} OR coalesce(r.chain_ok, 1) = 0)"


def _aggregate_sql(dialect: str, where: str) -> tuple[str, str]:
    """Two SELECTs giving count rows for the responses matching `where`: per question, and per
    respondent (code RESPONDENTS)."""
    week, unofficial = _week_expr(dialect), _unofficial_expr(dialect)
    # Only constants and bound parameters go into this SQL, never input.
    per_answer = f"""
        SELECT {week} AS week, r.unit_id, r.questionnaire, r.questionnaire_version, a.code,
               {unofficial} AS unofficial,
               SUM(CASE WHEN a.value BETWEEN 1 AND 5 THEN 1 ELSE 0 END) AS answered,
               SUM(CASE WHEN a.value >= 4 THEN 1 ELSE 0 END) AS satisfied,
               SUM(CASE WHEN a.value = 0 THEN 1 ELSE 0 END) AS no_opinion
        FROM responses r JOIN answers a ON a.response_id = r.id
        WHERE {where}
        GROUP BY 1, 2, 3, 4, 5, 6"""  # noqa: S608
    per_respondent = f"""
        SELECT week, unit_id, questionnaire, questionnaire_version, '{RESPONDENTS}' AS code,
               unofficial, COUNT(*) AS answered,
               SUM(CASE WHEN lowest >= 4 THEN 1 ELSE 0 END) AS satisfied,
               SUM(CASE WHEN lowest IS NULL THEN 1 ELSE 0 END) AS no_opinion
        FROM (
            SELECT {week} AS week, r.unit_id, r.questionnaire, r.questionnaire_version,
                   {unofficial} AS unofficial,
                   (SELECT MIN(a.value) FROM answers a
                     WHERE a.response_id = r.id AND a.value > 0) AS lowest
            FROM responses r
            WHERE {where}
        ) per_response
        GROUP BY 1, 2, 3, 4, 5, 6"""  # noqa: S608
    return per_answer, per_respondent


def _upsert(session: Session, select_sql: str, params: dict) -> None:
    """Add the rows of `select_sql` to the counts, summing into rows that exist."""
    table = WeeklyCount.__tablename__
    keys = "week, unit_id, questionnaire, questionnaire_version, code, unofficial"
    add = ", ".join(
        f"{name} = {table}.{name} + excluded.{name}"
        for name in ("answered", "satisfied", "no_opinion")
    )
    # SQLite needs a WHERE in INSERT ... SELECT ... ON CONFLICT to parse the upsert clause.
    statement = (
        f"INSERT INTO {table} ({keys}, answered, satisfied, no_opinion) "  # noqa: S608
        f"SELECT * FROM ({select_sql}) agg WHERE true "
        f"ON CONFLICT ({keys}) DO UPDATE SET {add}"
    )
    session.execute(sa.text(statement), params)


def refresh_counts(session: Session) -> int:
    """Bring the weekly counts up to date; returns how many new responses were counted."""
    dialect = session.get_bind().dialect.name
    state = session.get(CountsState, _STATE_ID, with_for_update=True)
    if state is None:
        state = CountsState(id=_STATE_ID, last_response_id=0)
        session.add(state)
        session.flush()
    last = state.last_response_id
    newest = session.scalar(sa.text("SELECT MAX(id) FROM responses")) or 0
    if newest <= last:
        return 0
    # Only rows inside the reportable years are counted: one row in year 9999 or 0001 (a broken
    # kiosk clock, or written straight into the database) must not stop the counts for good.
    params = {"last": last, "newest": newest, **_range_params(dialect)}
    # Responses counted before whose link turned out broken when their predecessor arrived now.
    relinked = session.execute(
        sa.text(
            "SELECT DISTINCT later.submitted_at FROM responses r "
            "JOIN responses later ON later.kiosk_id = r.kiosk_id "
            "AND later.kiosk_seq = r.kiosk_seq + 1 "
            "WHERE r.id > :last AND r.id <= :newest AND later.id <= :last "
            "AND later.submitted_at >= :lo AND later.submitted_at < :hi"
        ),
        params,
    ).scalars()
    weeks = set()
    for moment in relinked:
        try:
            weeks.add(Week.of_moment(_aware(moment)))
        except (ValueError, OverflowError, TypeError):
            continue  # an unreadable time (SQLite keeps text): not countable in any week
    where = "r.id > :last AND r.id <= :newest AND r.submitted_at >= :lo AND r.submitted_at < :hi"
    for select_sql in _aggregate_sql(dialect, where):
        _upsert(session, select_sql, params)
    for week in sorted(weeks):
        recount_week(session, week, up_to=newest)
    state.last_response_id = newest
    session.flush()
    return newest - last


def recount_week(session: Session, week: Week, up_to: int) -> None:
    """Count one week again from the responses (those with id <= up_to)."""
    dialect = session.get_bind().dialect.name
    session.execute(sa.delete(WeeklyCount).where(WeeklyCount.week == week.monday))
    start, end = week.start_utc(), week.end_utc()
    if dialect == "sqlite":
        start_p, end_p = (m.replace(tzinfo=None).isoformat(" ") for m in (start, end))
    else:
        start_p, end_p = start, end
    where = "r.id <= :up_to AND r.submitted_at >= :start AND r.submitted_at < :end"
    for select_sql in _aggregate_sql(dialect, where):
        _upsert(session, select_sql, {"up_to": up_to, "start": start_p, "end": end_p})


def _range_params(dialect: str) -> dict[str, object]:
    """:lo and :hi, the reportable range, as the dialect compares them with submitted_at."""
    lo, hi = reportable_range()
    if dialect == "sqlite":
        return {name: m.replace(tzinfo=None).isoformat(" ") for name, m in (("lo", lo), ("hi", hi))}
    return {"lo": lo, "hi": hi}


def _aware(moment) -> dt.datetime:
    if isinstance(moment, str):
        moment = dt.datetime.fromisoformat(moment)
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def _week_text(value) -> str:
    return value if isinstance(value, str) else value.isoformat()


def count_versions(
    session: Session, unit_ids: Iterable[int], weeks: list[Week]
) -> dict[str, list[str]]:
    """kind -> questionnaire versions counted for these units and weeks."""
    c = WeeklyCount.__table__.c
    rows = session.connection().execute(
        sa.select(c.questionnaire, c.questionnaire_version)
        .where(c.week.between(weeks[0].monday, weeks[-1].monday), c.unit_id.in_(list(unit_ids)))
        .distinct()
    )
    found: dict[str, list[str]] = {}
    for kind, version in rows:
        found.setdefault(kind, []).append(version)
    return found


def unit_week_indices(
    session: Session,
    unit_ids: Iterable[int],
    weeks: list[Week],
    kind: str,
    layout: Layout,
    include_unofficial: bool,
) -> tuple[pd.Series, pd.Series]:
    """Each unit's index per week by the kind's method, and its responses per week, computed
    by the database from the weekly counts: (week text, unit id) -> value."""
    c = WeeklyCount.__table__.c
    unit_ids = list(unit_ids)
    where = [
        c.questionnaire == kind,
        c.week.between(weeks[0].monday, weeks[-1].monday),
        c.unit_id.in_(unit_ids),
    ]
    if not include_unofficial:
        where.append(c.unofficial == sa.false())
    answered, satisfied = sa.func.sum(c.answered), sa.func.sum(c.satisfied)
    share = 100.0 * sa.cast(satisfied, sa.Float) / answered
    items = [*where, c.code.in_(layout.criteria)]
    if layout.method == "pooled":
        query = (
            sa.select(c.week, c.unit_id, share)
            .where(*items)
            .group_by(c.week, c.unit_id)
            .having(answered > 0)
        )
    else:
        factor_of = dict(zip(layout.criteria, layout.factor_of, strict=True))
        criteria = (
            sa.select(
                c.week,
                c.unit_id,
                sa.case(factor_of, value=c.code).label("factor"),
                share.label("share"),
            )
            .where(*items)
            .group_by(c.week, c.unit_id, c.code)
            .having(answered > 0)
            .subquery("criteria")
        )
        factors = (
            sa.select(
                criteria.c.week,
                criteria.c.unit_id,
                sa.func.avg(criteria.c.share).label("factor_index"),
            )
            .group_by(criteria.c.week, criteria.c.unit_id, criteria.c.factor)
            .subquery("factors")
        )
        query = sa.select(
            factors.c.week, factors.c.unit_id, sa.func.avg(factors.c.factor_index)
        ).group_by(factors.c.week, factors.c.unit_id)
    connection = session.connection()
    index = {
        (_week_text(week), unit): float(value) for week, unit, value in connection.execute(query)
    }
    responses = {
        (_week_text(week), unit): int(n)
        for week, unit, n in connection.execute(
            sa.select(c.week, c.unit_id, answered)
            .where(*where, c.code == RESPONDENTS)
            .group_by(c.week, c.unit_id)
        )
    }
    names = ["week", "unit_id"]
    return (
        pd.Series(index, dtype=float).rename_axis(names) if index else pd.Series(dtype=float),
        pd.Series(responses, dtype=int).rename_axis(names) if responses else pd.Series(dtype=int),
    )
