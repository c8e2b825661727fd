"""The report counts: one SQL GROUP BY per batch of new responses, per local day and per local
month (`collector.models.reports`).

`refresh_counts` adds the responses stored since its last run (by response id, which only grows)
to `report_counts` (answers per question, respondents per kind) and `report_group_counts`
(responses and answers per channel, counter, procedure, officer, weekday and hour, reason; and the
responses with a comment, and those left out per channel and cause, for the report's totals), both
grains from the same SQL with one bucket expression per grain. A response's chain status can change
after it was counted (its missing predecessor arrives and shows the link was broken), so the days
of such responses are counted again from scratch, and their months summed again from the days.
Flags never change: they are covered by the response's hash.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Session

from collector.models import CountsState, ReportCount, ReportGroupCount
from collector.models.reports import GRAINS, RESPONDENTS
from collector.reports.weeks import ZONE, reportable_range, utc_offset_hours
from shared.questionnaires import registry

SUSPECT_FLAG = "suspect-burst"
_STATE_ID = 1
#: The columns a count row is keyed by, and the ones summed.
COUNT_KEYS = (
    "grain, unit_id, bucket, questionnaire, questionnaire_version, channel, code, unofficial"
)
COUNT_VALUES = ("answered", "satisfied", "no_opinion", "value_sum")
GROUP_KEYS = "grain, unit_id, bucket, questionnaire, dimension, value, unofficial"
GROUP_VALUES = ("responses", "answered", "satisfied", "low")


def overall_codes() -> tuple[str, ...]:
    """The codes of the overall questions of every questionnaire: not factor items."""
    return tuple(sorted({q.overall.code for q in registry().values() if q.overall}))


def _local(dialect: str) -> str:
    """SQL for responses.submitted_at (kept in UTC) as a local timestamp."""
    if dialect == "postgresql":
        return f"(r.submitted_at AT TIME ZONE '{ZONE.key}')"
    return f"datetime(r.submitted_at, '+{utc_offset_hours()} hours')"


def bucket_sql(dialect: str, grain: str) -> str:
    """SQL for the local day, or the first day of the local month, of responses.submitted_at."""
    local = _local(dialect)
    if dialect == "postgresql":
        if grain == "day":
            return f"CAST({local} AS date)"
        return f"CAST(date_trunc('month', {local}) AS date)"
    if grain == "day":
        return f"date({local})"
    return f"date({local}, 'start of month')"


def _hour_sql(dialect: str) -> str:
    """SQL for "D-HH": the local weekday (0 for Monday) and hour of responses.submitted_at."""
    local = _local(dialect)
    if dialect == "postgresql":
        return (
            f"CAST(EXTRACT(ISODOW FROM {local}) - 1 AS integer) || '-' || to_char({local}, 'HH24')"
        )
    return f"((CAST(strftime('%w', {local}) AS integer) + 6) % 7) || '-' || strftime('%H', {local})"


def suspect_sql(dialect: str, table: str = "r") -> str:
    """SQL that is true for a response flagged as suspicious."""
    if dialect == "postgresql":
        return f"({table}.flags @> CAST('[\"{SUSPECT_FLAG}\"]' AS jsonb))"
    return f"({table}.flags LIKE '%\"{SUSPECT_FLAG}\"%')"


def broken_sql(dialect: str, table: str = "r") -> str:
    """SQL that is true for a response whose hash chain link is broken."""
    if dialect == "postgresql":
        return f"({table}.chain_ok IS FALSE)"
    return f"(coalesce({table}.chain_ok, 1) = 0)"


def unofficial_sql(dialect: str, table: str = "r") -> str:
    """SQL that is true for a response left out of the official figures."""
    return f"({suspect_sql(dialect, table)} OR {broken_sql(dialect, table)})"


#: The reason value that counts the responses giving at least one reason.
ANY_REASON = "*"


def _reasons_sql(dialect: str) -> tuple[str, str]:
    """(FROM addition, value) giving one row per reason text of each per_response row p."""
    if dialect == "postgresql":
        return (
            "CROSS JOIN LATERAL jsonb_array_elements(CASE WHEN jsonb_typeof(p.reasons) = 'array'"
            " THEN p.reasons ELSE CAST('[]' AS jsonb) END) AS j(e)"
            " WHERE jsonb_typeof(j.e) = 'string' AND trim(j.e #>> '{}') <> ''",
            "substr(trim(j.e #>> '{}'), 1, 64)",
        )
    return (
        ", json_each(CASE WHEN json_valid(p.reasons) THEN CASE WHEN json_type(p.reasons) = 'array'"
        " THEN p.reasons ELSE '[]' END ELSE '[]' END) AS j"
        " WHERE j.type = 'text' AND trim(j.value) <> ''",
        "substr(trim(j.value), 1, 64)",
    )


def aggregate_sql(dialect: str, grain: str, where: str) -> tuple[str, str, str]:
    """Three SELECTs giving the `grain` count rows of the responses matching `where`: answers
    per question and respondents (code RESPONDENTS), for `report_counts`, and the group rows for
    `report_group_counts`. Only constants and bound parameters go into this SQL, never input."""
    bucket, unofficial = bucket_sql(dialect, grain), unofficial_sql(dialect)
    overall = ", ".join(f"'{code}'" for code in overall_codes()) or "''"
    # The bucket is worked out once per response, not once per answer.
    per_answer = f"""
        WITH counted AS MATERIALIZED (
            SELECT r.id, r.unit_id, {bucket} AS bucket, r.questionnaire, r.questionnaire_version,
                   r.channel, {unofficial} AS unofficial
            FROM responses r
            WHERE {where}
        )
        SELECT '{grain}' AS grain, r.unit_id, r.bucket, r.questionnaire, r.questionnaire_version,
               r.channel, a.code, r.unofficial,
               SUM(CASE WHEN a.value BETWEEN 1 AND 5 THEN 1 ELSE 0 END) AS answered,
               SUM(CASE WHEN a.value BETWEEN 4 AND 5 THEN 1 ELSE 0 END) AS satisfied,
               SUM(CASE WHEN a.value = 0 THEN 1 ELSE 0 END) AS no_opinion,
               SUM(CASE WHEN a.value BETWEEN 1 AND 5 THEN a.value ELSE 0 END) AS value_sum
        FROM counted r JOIN answers a ON a.response_id = r.id
        GROUP BY 1, 2, 3, 4, 5, 6, 7, 8"""  # noqa: S608
    per_respondent = f"""
        SELECT grain, unit_id, bucket, questionnaire, questionnaire_version, channel,
               '{RESPONDENTS}' AS code, unofficial,
               SUM(CASE WHEN lowest IS NULL THEN 0 ELSE 1 END) AS answered,
               SUM(CASE WHEN lowest >= 4 THEN 1 ELSE 0 END) AS satisfied,
               SUM(CASE WHEN lowest IS NULL THEN 1 ELSE 0 END) AS no_opinion,
               0 AS value_sum
        FROM (
            SELECT '{grain}' AS grain, r.unit_id, {bucket} AS bucket, r.questionnaire,
                   r.questionnaire_version, r.channel, {unofficial} AS unofficial,
                   (SELECT MIN(a.value) FROM answers a
                     WHERE a.response_id = r.id AND a.value BETWEEN 1 AND 5
                       AND a.code NOT IN ({overall})) AS lowest
            FROM responses r
            WHERE {where}
        ) per_response
        GROUP BY 1, 2, 3, 4, 5, 6, 7, 8"""  # noqa: S608
    reasons_from, reason = _reasons_sql(dialect)
    common = "unit_id, bucket, questionnaire, unofficial"
    measures = "answered, satisfied, low"

    def answers(condition: str) -> str:
        return f"(SELECT COUNT(*) FROM answers a WHERE a.response_id = r.id AND {condition})"  # noqa: S608

    groups = f"""
        WITH per_response AS MATERIALIZED (
            SELECT r.id, r.unit_id, {bucket} AS bucket, r.questionnaire,
                   {unofficial} AS unofficial, r.channel, r.counter, r.procedure, r.officer,
                   {_hour_sql(dialect)} AS hour, r.reasons,
                   CASE WHEN r.comment IS NOT NULL AND trim(r.comment) <> '' THEN 1 ELSE 0 END
                       AS commented,
                   CASE WHEN {suspect_sql(dialect)} THEN 1 ELSE 0 END AS suspect,
                   CASE WHEN {broken_sql(dialect)} THEN 1 ELSE 0 END AS broken,
                   {answers("a.value BETWEEN 1 AND 5")} AS answered,
                   {answers("a.value BETWEEN 4 AND 5")} AS satisfied,
                   {answers("a.value BETWEEN 1 AND 2")} AS low
            FROM responses r
            WHERE {where}
        )
        SELECT '{grain}' AS grain, unit_id, bucket, questionnaire, dimension, value, unofficial,
               COUNT(*) AS responses,
               SUM(answered) AS answered, SUM(satisfied) AS satisfied, SUM(low) AS low
        FROM (
            SELECT {common}, 'channel' AS dimension, channel AS value, {measures}
            FROM per_response
            UNION ALL
            SELECT {common}, 'counter', counter, {measures} FROM per_response
            WHERE counter IS NOT NULL AND counter <> ''
            UNION ALL
            SELECT {common}, 'procedure', procedure, {measures} FROM per_response
            WHERE procedure IS NOT NULL AND procedure <> ''
            UNION ALL
            SELECT {common}, 'officer', officer, {measures} FROM per_response
            WHERE officer IS NOT NULL AND officer <> ''
            UNION ALL
            SELECT {common}, 'hour', hour, {measures} FROM per_response
            UNION ALL
            SELECT {common}, 'comment', '', {measures} FROM per_response WHERE commented = 1
            UNION ALL
            SELECT {common}, 'left-out', channel || '/suspect', {measures} FROM per_response
            WHERE suspect = 1
            UNION ALL
            SELECT {common}, 'left-out', channel || '/broken', {measures} FROM per_response
            WHERE broken = 1
            UNION ALL
            SELECT {common}, 'reason', reason, {measures} FROM (
                SELECT DISTINCT p.id, p.unit_id, p.bucket, p.questionnaire, p.unofficial,
                       p.answered, p.satisfied, p.low, {reason} AS reason
                FROM per_response p {reasons_from}
            ) given
            UNION ALL
            SELECT {common}, 'reason', '{ANY_REASON}', {measures} FROM (
                SELECT DISTINCT p.id, p.unit_id, p.bucket, p.questionnaire, p.unofficial,
                       p.answered, p.satisfied, p.low
                FROM per_response p {reasons_from}
            ) any_given
        ) grouped
        GROUP BY 1, 2, 3, 4, 5, 6, 7"""  # noqa: S608
    return per_answer, per_respondent, groups


def _upsert(session: Session, model, select_sql: str, params: dict) -> None:
    """Add the rows of `select_sql` to the table of `model`, summing into rows that exist."""
    table = model.__tablename__
    keys, values = (
        (COUNT_KEYS, COUNT_VALUES) if model is ReportCount else (GROUP_KEYS, GROUP_VALUES)
    )
    add = ", ".join(f"{name} = {table}.{name} + excluded.{name}" for name in values)
    # SQLite needs a WHERE in INSERT ... SELECT ... ON CONFLICT to parse the upsert clause.
    statement = (
        f"INSERT INTO {table} ({keys}, {', '.join(values)}) "  # noqa: S608
        f"SELECT * FROM ({select_sql}) agg WHERE true "
        f"ON CONFLICT ({keys}) DO UPDATE SET {add}"
    )
    session.execute(sa.text(statement), params)


def _count(session: Session, where: str, params: dict) -> None:
    """Add the responses matching `where` to both tables, in both grains."""
    dialect = session.get_bind().dialect.name
    for grain in GRAINS:
        per_answer, per_respondent, groups = aggregate_sql(dialect, grain, where)
        _upsert(session, ReportCount, per_answer, params)
        _upsert(session, ReportCount, per_respondent, params)
        _upsert(session, ReportGroupCount, groups, params)


def refresh_counts(session: Session) -> int:
    """Bring the report counts up to date; returns how many new responses were counted."""
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
    days = set()
    for moment in relinked:
        try:
            days.add(_aware(moment).astimezone(ZONE).date())
        except (ValueError, OverflowError, TypeError):
            continue  # an unreadable time (SQLite keeps text): not countable in any day
    _count(
        session,
        "r.id > :last AND r.id <= :newest AND r.submitted_at >= :lo AND r.submitted_at < :hi",
        params,
    )
    for day in sorted(days):
        recount_day(session, day, up_to=newest)
    for month in sorted({day.replace(day=1) for day in days}):
        resum_month(session, month)
    state.last_response_id = newest
    session.flush()
    return newest - last


def _moment_param(dialect: str, moment: dt.datetime):
    return (
        moment.astimezone(dt.UTC).replace(tzinfo=None).isoformat(" ")
        if dialect == "sqlite"
        else moment
    )


def recount_day(session: Session, day: dt.date, up_to: int) -> None:
    """Count one local day again from the responses (those with id <= up_to), day grain only."""
    dialect = session.get_bind().dialect.name
    for model in (ReportCount, ReportGroupCount):
        session.execute(sa.delete(model).where(model.grain == "day", model.bucket == day))
    start = dt.datetime.combine(day, dt.time(), ZONE)
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), ZONE)
    params = {
        "up_to": up_to,
        "start": _moment_param(dialect, start),
        "end": _moment_param(dialect, end),
    }
    where = "r.id <= :up_to AND r.submitted_at >= :start AND r.submitted_at < :end"
    per_answer, per_respondent, groups = aggregate_sql(dialect, "day", where)
    _upsert(session, ReportCount, per_answer, params)
    _upsert(session, ReportCount, per_respondent, params)
    _upsert(session, ReportGroupCount, groups, params)


def resum_month(session: Session, month: dt.date) -> None:
    """Make one month's rows again as the sum of its days' rows."""
    following = (month + dt.timedelta(days=32)).replace(day=1)
    for model, keys, values in (
        (ReportCount, COUNT_KEYS, COUNT_VALUES),
        (ReportGroupCount, GROUP_KEYS, GROUP_VALUES),
    ):
        table = model.__tablename__
        session.execute(sa.delete(model).where(model.grain == "month", model.bucket == month))
        rest = [k.strip() for k in keys.split(",")][3:]  # after grain, unit_id, bucket
        sums = ", ".join(f"SUM({v})" for v in values)
        session.execute(
            sa.text(
                f"INSERT INTO {table} ({keys}, {', '.join(values)}) "  # noqa: S608
                f"SELECT 'month', unit_id, :month, {', '.join(rest)}, {sums} FROM {table} "
                f"WHERE grain = 'day' AND bucket >= :month AND bucket < :following "
                f"GROUP BY unit_id, {', '.join(rest)}"
            ).bindparams(
                sa.bindparam("month", type_=sa.Date), sa.bindparam("following", type_=sa.Date)
            ),
            {"month": month, "following": following},
        )


def _range_params(dialect: str) -> dict[str, object]:
    """:lo and :hi, the reportable range, as the dialect compares them with submitted_at."""
    lo, hi = reportable_range()
    return {"lo": _moment_param(dialect, lo), "hi": _moment_param(dialect, hi)}


def _aware(moment) -> dt.datetime:
    if isinstance(moment, str):
        moment = dt.datetime.fromisoformat(moment)
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
