"""The report counts: one SQL GROUP BY per batch of new responses, per local day, ISO week and
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

from collector.counts import cross
from collector.models import CountsState, ReportCount, ReportGroupCount
from collector.models.reports import GRAINS, RESPONDENTS
from collector.periods import ZONE, reportable_range, utc_offset_hours
from shared.questionnaires import LOW, NO_OPINION, SATISFIED, registry
from shared.responses import SUSPECT_FLAG
from shared.scoring import SCALE

_STATE_ID = 1
#: The columns a count row is keyed by, and the ones summed.
COUNT_KEYS = (
    "grain, unit_id, bucket, questionnaire, questionnaire_version, channel, code, unofficial"
)
COUNT_VALUES = ("answered", "satisfied", "no_opinion", "value_sum")
GROUP_KEYS = "grain, unit_id, bucket, questionnaire, dimension, value, unofficial"
GROUP_VALUES = (
    "responses",
    "answered",
    "satisfied",
    "low",
    "satisfied_sq",
    "satisfied_answered",
    "answered_sq",
)


def overall_codes() -> tuple[str, ...]:
    """The codes of the overall questions of every questionnaire: not factor items."""
    return tuple(sorted({q.overall.code for q in registry().values() if q.overall}))


def _local(dialect: str) -> str:
    """SQL for responses.submitted_at (kept in UTC) as a local timestamp."""
    if dialect == "postgresql":
        return f"(r.submitted_at AT TIME ZONE '{ZONE.key}')"
    return f"datetime(r.submitted_at, '+{utc_offset_hours()} hours')"


def bucket_sql(dialect: str, grain: str) -> str:
    """SQL for the local day, or the first day of the local ISO week or month, of
    responses.submitted_at."""
    return roll_sql(dialect, grain, _day_sql(dialect))


def _day_sql(dialect: str) -> str:
    local = _local(dialect)
    return f"CAST({local} AS date)" if dialect == "postgresql" else f"date({local})"


def roll_sql(dialect: str, grain: str, day: str) -> str:
    """SQL for the bucket of `grain` holding the local day `day` (SQL giving a date): the day
    itself, the Monday of its ISO week, or the first day of its month."""
    if grain == "day":
        return day
    if dialect == "postgresql":
        return f"CAST(date_trunc('{grain}', CAST({day} AS timestamp)) AS date)"
    if grain == "week":
        return f"date({day}, 'weekday 0', '-6 days')"  # the Sunday on or after, less six days
    return f"date({day}, 'start of month')"


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
#: The dimensions that count kiosk responses by the language they were heard in (value: the
#: voice pack's language, "" when none was recorded), all of them and those where "listen" was
#: pressed (`collector.reports.voices`).
VOICE, LISTENED = "voice", "voice-listened"


def _reasons_sql(dialect: str) -> tuple[str, str]:
    """(FROM addition, value) giving one row per reason text of each batch response row p."""
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


#: Temporary tables of one batch: its responses with their answers' tallies, and its count rows
#: and group rows per local day, from which every grain is summed.
_BATCH = "report_batch_responses"
_BATCH_COUNTS = "report_batch_counts"
_BATCH_GROUPS = "report_batch_groups"


def _among(column: str, values) -> str:
    """SQL that is true when `column` holds one of `values` (a run of integers: BETWEEN)."""
    low, high = min(values), max(values)
    if set(values) != set(range(low, high + 1)):
        raise ValueError(f"not a run of integers: {sorted(values)}")
    return f"{column} BETWEEN {low} AND {high}"


#: The scale as SQL, from its one definition (`shared.questionnaires`): a valid answer (1-5),
#: a satisfied one (4-5), a low one (1-2).
_VALID = _among("a.value", SCALE)
_SATISFIED = _among("a.value", SATISFIED)
_LOW = _among("a.value", LOW)


def batch_sql(dialect: str, where: str) -> tuple[str, str, str]:
    """Three SELECTs for one batch of responses (those matching `where`): one row per response
    with its local day and its answers' tallies (one pass over the answers); from it (as
    _BATCH) and the answers, the day count rows (answers per question and respondents, code
    RESPONDENTS) and the day group rows. Only constants and bound parameters go into this SQL,
    never input."""
    return _responses_sql(dialect, where), _counts_sql(), _groups_sql(dialect)


def _responses_sql(dialect: str, where: str) -> str:
    """One row per response of the batch, with its answers' tallies."""
    overall = ", ".join(f"'{code}'" for code in overall_codes()) or "''"
    return f"""
        SELECT r.id, r.unit_id, {_day_sql(dialect)} AS bucket, r.questionnaire,
               r.questionnaire_version, r.channel, {unofficial_sql(dialect)} AS unofficial,
               r.counter, r.procedure, r.officer, {_hour_sql(dialect)} AS hour, r.reasons,
               CASE WHEN r.comment IS NOT NULL AND trim(r.comment) <> '' THEN 1 ELSE 0 END
                   AS commented,
               CASE WHEN {suspect_sql(dialect)} THEN 1 ELSE 0 END AS suspect,
               CASE WHEN {broken_sql(dialect)} THEN 1 ELSE 0 END AS broken,
               r.voice, CASE WHEN r.listened THEN 1 ELSE 0 END AS listened,
               COALESCE(SUM(CASE WHEN {_VALID} THEN 1 ELSE 0 END), 0) AS answered,
               COALESCE(SUM(CASE WHEN {_SATISFIED} THEN 1 ELSE 0 END), 0) AS satisfied,
               COALESCE(SUM(CASE WHEN {_LOW} THEN 1 ELSE 0 END), 0) AS low,
               MIN(CASE WHEN {_VALID} AND a.code NOT IN ({overall}) THEN a.value END) AS lowest
        FROM responses r LEFT JOIN answers a ON a.response_id = r.id
        WHERE {where}
        GROUP BY r.id"""  # noqa: S608


def _counts_sql() -> str:
    """The batch's count rows: answers per question, and respondents (code RESPONDENTS: with
    at least one valid answer, and satisfied with every criterion)."""
    return f"""
        SELECT r.unit_id, r.bucket, r.questionnaire, r.questionnaire_version, r.channel, a.code,
               r.unofficial,
               SUM(CASE WHEN {_VALID} THEN 1 ELSE 0 END) AS answered,
               SUM(CASE WHEN {_SATISFIED} THEN 1 ELSE 0 END) AS satisfied,
               SUM(CASE WHEN a.value = {NO_OPINION} THEN 1 ELSE 0 END) AS no_opinion,
               SUM(CASE WHEN {_VALID} THEN a.value ELSE 0 END) AS value_sum
        FROM {_BATCH} r JOIN answers a ON a.response_id = r.id
        GROUP BY 1, 2, 3, 4, 5, 6, 7
        UNION ALL
        SELECT unit_id, bucket, questionnaire, questionnaire_version, channel,
               '{RESPONDENTS}', unofficial,
               SUM(CASE WHEN lowest IS NULL THEN 0 ELSE 1 END),
               SUM(CASE WHEN lowest >= {min(SATISFIED)} THEN 1 ELSE 0 END),
               SUM(CASE WHEN lowest IS NULL THEN 1 ELSE 0 END),
               0
        FROM {_BATCH}
        GROUP BY 1, 2, 3, 4, 5, 6, 7"""  # noqa: S608


def _groups_sql(dialect: str) -> str:
    """The batch's group rows: responses and answers per channel, counter, procedure, officer,
    weekday and hour, reason; and those with a comment or left out."""
    reasons_from, reason = _reasons_sql(dialect)
    common = "unit_id, bucket, questionnaire, unofficial"
    measures = "answered, satisfied, low"
    return f"""
        SELECT unit_id, bucket, questionnaire, dimension, value, unofficial,
               COUNT(*) AS responses,
               SUM(answered) AS answered, SUM(satisfied) AS satisfied, SUM(low) AS low,
               SUM(satisfied * satisfied) AS satisfied_sq,
               SUM(satisfied * answered) AS satisfied_answered,
               SUM(answered * answered) AS answered_sq
        FROM (
            SELECT {common}, 'channel' AS dimension, channel AS value, {measures}
            FROM {_BATCH}
            UNION ALL
            SELECT {common}, 'counter', counter, {measures} FROM {_BATCH}
            WHERE counter IS NOT NULL AND counter <> ''
            UNION ALL
            SELECT {common}, 'procedure', procedure, {measures} FROM {_BATCH}
            WHERE procedure IS NOT NULL AND procedure <> ''
            UNION ALL
            SELECT {common}, 'officer', officer, {measures} FROM {_BATCH}
            WHERE officer IS NOT NULL AND officer <> ''
            UNION ALL
            SELECT {common}, 'hour', hour, {measures} FROM {_BATCH}
            UNION ALL
            SELECT {common}, 'comment', '', {measures} FROM {_BATCH} WHERE commented = 1
            UNION ALL
            SELECT {common}, '{VOICE}', COALESCE(voice, ''), {measures} FROM {_BATCH}
            WHERE channel = 'kiosk'
            UNION ALL
            SELECT {common}, '{LISTENED}', COALESCE(voice, ''), {measures} FROM {_BATCH}
            WHERE channel = 'kiosk' AND listened = 1
            UNION ALL
            SELECT {common}, 'left-out', channel || '/suspect', {measures} FROM {_BATCH}
            WHERE suspect = 1
            UNION ALL
            SELECT {common}, 'left-out', channel || '/broken', {measures} FROM {_BATCH}
            WHERE broken = 1
            UNION ALL
            SELECT {common}, 'reason', reason, {measures} FROM (
                SELECT DISTINCT p.id, p.unit_id, p.bucket, p.questionnaire, p.unofficial,
                       p.answered, p.satisfied, p.low, {reason} AS reason
                FROM {_BATCH} p {reasons_from}
            ) given
            UNION ALL
            SELECT {common}, 'reason', '{ANY_REASON}', {measures} FROM (
                SELECT DISTINCT p.id, p.unit_id, p.bucket, p.questionnaire, p.unofficial,
                       p.answered, p.satisfied, p.low
                FROM {_BATCH} p {reasons_from}
            ) any_given
        ) grouped
        GROUP BY 1, 2, 3, 4, 5, 6"""  # noqa: S608


def _keys_values(model) -> tuple[list[str], tuple[str, ...]]:
    keys = COUNT_KEYS if model is ReportCount else GROUP_KEYS
    values = COUNT_VALUES if model is ReportCount else GROUP_VALUES
    return [k.strip() for k in keys.split(",")], values


def _add_batch(session: Session, model, batch: str, grain: str) -> None:
    """Add the day rows of the temporary table `batch`, summed into `grain`'s buckets, to the
    table of `model`, summing into rows that exist."""
    dialect = session.get_bind().dialect.name
    table = model.__tablename__
    keys, values = _keys_values(model)
    rest = keys[3:]  # after grain, unit_id, bucket
    add = ", ".join(f"{name} = {table}.{name} + excluded.{name}" for name in values)
    if grain == "day":  # the batch's rows are day rows already, one per key
        select = f"SELECT '{grain}', unit_id, bucket, {', '.join(rest)}, {', '.join(values)} "
        select += f"FROM {batch}"  # noqa: S608
    else:
        bucket = roll_sql(dialect, grain, "bucket")
        select = (
            f"SELECT '{grain}' AS grain, unit_id, {bucket} AS bucket, {', '.join(rest)}, "  # noqa: S608
            f"{', '.join(f'SUM({v}) AS {v}' for v in values)} FROM {batch} "
            f"GROUP BY unit_id, {bucket}, {', '.join(rest)}"
        )
    # SQLite needs a WHERE in INSERT ... SELECT ... ON CONFLICT to parse the upsert clause.
    session.execute(
        sa.text(
            f"INSERT INTO {table} ({', '.join(keys)}, {', '.join(values)}) "  # noqa: S608
            f"SELECT * FROM ({select}) agg WHERE true "
            f"ON CONFLICT ({', '.join(keys)}) DO UPDATE SET {add}"
        )
    )


def _count(session: Session, where: str, params: dict, grains=GRAINS) -> None:
    """Add the responses matching `where` to both tables, in `grains`: the answers are read
    once, into day rows, and every grain is summed from those."""
    dialect = session.get_bind().dialect.name
    responses, counts, groups = batch_sql(dialect, where)
    temporary = "CREATE TEMPORARY TABLE"
    for name in (_BATCH_GROUPS, _BATCH_COUNTS, _BATCH):
        session.execute(sa.text(f"DROP TABLE IF EXISTS {name}"))
    session.execute(sa.text(f"{temporary} {_BATCH} AS {responses}"), params)
    if dialect == "postgresql":
        session.execute(sa.text(f"ANALYZE {_BATCH}"))
    session.execute(sa.text(f"{temporary} {_BATCH_COUNTS} AS {counts}"))
    session.execute(sa.text(f"{temporary} {_BATCH_GROUPS} AS {groups}"))
    for grain in grains:
        _add_batch(session, ReportCount, _BATCH_COUNTS, grain)
        _add_batch(session, ReportGroupCount, _BATCH_GROUPS, grain)
    cross.count_batch(session, _BATCH, grains)
    for name in (_BATCH_GROUPS, _BATCH_COUNTS, _BATCH):
        session.execute(sa.text(f"DROP TABLE {name}"))


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
    for grain in GRAINS[1:]:
        for first in sorted({first_day(grain, day) for day in days}):
            resum(session, grain, first)
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
    """Count one local day again from the responses (those with id <= up_to), day grain only
    (`resum` makes its week and month again)."""
    dialect = session.get_bind().dialect.name
    for model in (ReportCount, ReportGroupCount):
        session.execute(sa.delete(model).where(model.grain == "day", model.bucket == day))
    cross.delete_day(session, day)
    start = dt.datetime.combine(day, dt.time(), ZONE)
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), ZONE)
    params = {
        "up_to": up_to,
        "start": _moment_param(dialect, start),
        "end": _moment_param(dialect, end),
    }
    where = "r.id <= :up_to AND r.submitted_at >= :start AND r.submitted_at < :end"
    _count(session, where, params, grains=("day",))


#: The bucket of a grain holding a day (the counts and the cross-products are bucketed alike).
first_day = cross.first_day


def resum(session: Session, grain: str, first: dt.date) -> None:
    """Make one week's or month's rows (`first` its first day) again as the sum of its days'."""
    if grain == "week":
        following = first + dt.timedelta(days=7)
    else:
        following = (first + dt.timedelta(days=32)).replace(day=1)
    cross.resum(session, grain, first, following)
    for model in (ReportCount, ReportGroupCount):
        table = model.__tablename__
        keys, values = _keys_values(model)
        rest = keys[3:]  # after grain, unit_id, bucket
        session.execute(sa.delete(model).where(model.grain == grain, model.bucket == first))
        sums = ", ".join(f"SUM({v})" for v in values)
        session.execute(
            sa.text(
                f"INSERT INTO {table} ({', '.join(keys)}, {', '.join(values)}) "  # noqa: S608
                f"SELECT '{grain}', unit_id, :first, {', '.join(rest)}, {sums} FROM {table} "
                f"WHERE grain = 'day' AND bucket >= :first AND bucket < :following "
                f"GROUP BY unit_id, {', '.join(rest)}"
            ).bindparams(
                sa.bindparam("first", type_=sa.Date), sa.bindparam("following", type_=sa.Date)
            ),
            {"first": first, "following": following},
        )


def _range_params(dialect: str) -> dict[str, object]:
    """:lo and :hi, the reportable range, as the dialect compares them with submitted_at."""
    lo, hi = reportable_range()
    return {"lo": _moment_param(dialect, lo), "hi": _moment_param(dialect, hi)}


def _aware(moment) -> dt.datetime:
    if isinstance(moment, str):
        moment = dt.datetime.fromisoformat(moment)
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
