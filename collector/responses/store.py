"""The one way a response becomes a row: `response_row` builds it, whatever the channel (a
kiosk's upload, a receipt's survey, a counter poster), and `insert` stores rows with their
answers. Text is cleaned here, once, like the kiosk cleans it (`shared.text`). A session that
inserted rows is marked (`STORED` in its `info`): once it commits, `collector.tasks` asks for a
refresh of the report counts.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from collector.models import Response
from shared.db import uuid7
from shared.responses import COMMENT_MAX
from shared.text import clean_comment, normalise_text

#: The key in `Session.info` that says rows were inserted since the last commit.
STORED = "sipas.responses_stored"


def rfc3339(moment: dt.datetime) -> str:
    """A time as the collector writes it when nobody sent it: UTC, microseconds, "Z"."""
    return moment.astimezone(dt.UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def response_row(
    *,
    unit_id: int,
    channel: str,
    questionnaire: str,
    questionnaire_version: str,
    counter: str,
    answers: Mapping[str, int],
    reasons: Sequence[str],
    comment: str | None,
    flags: Sequence[str],
    started_at: dt.datetime,
    submitted_at: dt.datetime,
    received_at: dt.datetime,
    complete: bool = True,
    procedure: str | None = None,
    officer: str | None = None,
    voice: str | None = None,
    listened: bool | None = None,
    started_at_sent: str | None = None,
    submitted_at_sent: str | None = None,
    response_uuid: uuid.UUID | None = None,
    kiosk_id: int | None = None,
    kiosk_seq: int | None = None,
    prev_hash: str | None = None,
    hash_: str | None = None,
    chain_ok: bool | None = None,
) -> dict[str, Any]:
    """The `responses` row of one response (without its key). The chain fields (kiosk, seq,
    hashes) are a kiosk's alone; times sent default to the times written out in RFC 3339.

    The counter and the comment are cleaned like the kiosk cleans them: a third-party kiosk or a
    phone cannot bring control characters or personal data in. Text the kiosk had cleaned already
    is stored as sent, so `Response.as_sent()` reproduces its hash."""
    return {
        "uuid": response_uuid or uuid7(),
        "kiosk_id": kiosk_id,
        "kiosk_seq": kiosk_seq,
        "unit_id": unit_id,
        "counter": normalise_text(counter),
        "channel": channel,
        "questionnaire": questionnaire,
        "questionnaire_version": questionnaire_version,
        "started_at": started_at,
        "submitted_at": submitted_at,
        "started_at_sent": started_at_sent or rfc3339(started_at),
        "submitted_at_sent": submitted_at_sent or rfc3339(submitted_at),
        "received_at": received_at,
        "complete": complete,
        "answers": dict(answers),
        "reasons": list(reasons),
        "comment": clean_comment(comment, COMMENT_MAX),
        "flags": list(flags),
        "procedure": procedure,
        "officer": officer,
        "voice": voice,
        "listened": listened,
        "prev_hash": prev_hash,
        "hash": hash_,
        "chain_ok": chain_ok,
    }


def insert(session: Session, rows: list[dict[str, Any]]) -> dict[uuid.UUID, int]:
    """Insert response rows and their answers, skipping any row whose id (or kiosk_seq) is taken
    by then; returns the database key of each row inserted, by UUID."""
    if not rows:
        return {}
    session.flush()
    ids = _insert_responses(session, rows)
    answers = [
        (pk, code, value)
        for row in rows
        if (pk := ids.get(row["uuid"])) is not None
        for code, value in row["answers"].items()
    ]
    _insert_answers(session, answers)
    if ids:
        session.info[STORED] = True
    return ids


def insert_one(session: Session, row: dict[str, Any]) -> Response:
    """Insert one row (a phone channel's, whose id is new) and return it as an ORM object."""
    [pk] = insert(session, [row]).values()
    return session.get_one(Response, pk)


def _insert_responses(session: Session, rows: list[dict[str, Any]]) -> dict[uuid.UUID, int]:
    table = Response.__table__
    if session.get_bind().dialect.name == "postgresql":
        if len(rows) > 1:
            return _pg_copy_responses(session, rows)
        statement = pg_insert(table).on_conflict_do_nothing()
    else:
        statement = sqlite_insert(table).on_conflict_do_nothing()
    statement = statement.returning(table.c.uuid, table.c.id)
    return dict(session.execute(statement, rows).all())


def _insert_answers(session: Session, rows: Sequence[tuple[int, str, int]]) -> None:
    if not rows:
        return
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        # COPY is the fastest way in (see shared/reference/performance.md). Question codes come
        # from the questionnaire registry (capitals, digits, "_"), so the text format needs no
        # escaping.
        buffer = "".join(f"{pk}\t{code}\t{value}\n" for pk, code, value in rows)
        with connection.connection.driver_connection.cursor() as cursor:
            with cursor.copy("COPY answers (response_id, code, value) FROM STDIN") as copy:
                copy.write(buffer)
        return
    # Straight to the driver's executemany: SQLAlchemy's per-row parameter handling costs more
    # than SQLite's insert here, and these are plain integers and strings.
    connection.exec_driver_sql(_SQLITE_INSERT_ANSWERS, list(rows))


_SQLITE_INSERT_ANSWERS = "INSERT INTO answers (response_id, code, value) VALUES (?, ?, ?)"

#: Every column of `responses` but the key, for the PostgreSQL path below.
_PG_RESPONSE_COLUMNS = [c.name for c in Response.__table__.columns if c.name != "id"]
_PG_JSON_COLUMNS = frozenset(
    c.name for c in Response.__table__.columns if isinstance(c.type, sa.JSON)
)


def _pg_value(value: Any, column: str) -> Any:
    if column in _PG_JSON_COLUMNS:
        return json.dumps(value, ensure_ascii=False)
    return value


_PG_NAMES = ", ".join(_PG_RESPONSE_COLUMNS)
#: A private staging table per connection, emptied at every commit.
# The column names come from the table definition, not from input.
_PG_STAGE = (
    "CREATE TEMP TABLE IF NOT EXISTS incoming_responses ON COMMIT DELETE ROWS AS "  # noqa: S608
    f"SELECT {_PG_NAMES} FROM responses WITH NO DATA"
)
_PG_COPY = f"COPY incoming_responses ({_PG_NAMES}) FROM STDIN"
_PG_MOVE = (
    f"INSERT INTO responses ({_PG_NAMES}) SELECT {_PG_NAMES} FROM incoming_responses "  # noqa: S608
    "ON CONFLICT DO NOTHING RETURNING uuid, id"
)


def _pg_copy_responses(session: Session, rows: list[dict[str, Any]]) -> dict[uuid.UUID, int]:
    """COPY the rows into a staging table, then move them with ON CONFLICT DO NOTHING: COPY
    costs the driver far less than thousands of bound parameters, and the unique constraints
    still decide what is new."""
    with session.connection().connection.driver_connection.cursor() as cursor:
        cursor.execute(_PG_STAGE)
        with cursor.copy(_PG_COPY) as copy:
            for row in rows:
                copy.write_row([_pg_value(row.get(name), name) for name in _PG_RESPONSE_COLUMNS])
        cursor.execute(_PG_MOVE)
        ids = dict(cursor.fetchall())
        # Empty it now too: a second batch in the same transaction must not move these again.
        cursor.execute("DELETE FROM incoming_responses")
    return ids
