"""Database base, column types and engine set-up shared by the kiosk and the collector."""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
import threading
import time
import uuid

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine
from uuid6 import uuid7 as _uuid7

#: Constraint names that Alembic can find again; the same on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def new_metadata() -> sa.MetaData:
    """A MetaData with the project's naming convention; each app has its own."""
    return sa.MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(sa.TypeDecorator):
    """Aware UTC datetimes in Python; UTC without offset in SQLite, timestamptz in PostgreSQL."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: dt.datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


def uuid7() -> uuid.UUID:
    """A time-ordered UUID (RFC 9562 version 7): keys made on a device that insert in order."""
    return _uuid7()


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def make_engine(
    url: str,
    *,
    sqlite_synchronous: str = "FULL",
    busy_timeout_ms: int = 5000,
    serialize_writes: bool = False,
    **kwargs,
) -> Engine:
    """An engine for `url`. SQLite connections get WAL, foreign keys and durable commits, and
    begin with BEGIN IMMEDIATE so that a writer never fails half-way on a lock upgrade; a read
    that needs no lock asks for `engine.execution_options(sqlite_begin="DEFERRED")`.

    `serialize_writes`: the process's threads take turns for SQLite's one write lock in a queue
    of their own, instead of sleeping in SQLite's busy handler, where a thread can starve.
    """
    engine = sa.create_engine(url, **kwargs)
    if engine.dialect.name == "sqlite":
        _private_sqlite_file(engine)
        _sqlite_pragmas(
            engine,
            synchronous=sqlite_synchronous,
            busy_timeout_ms=busy_timeout_ms,
            writers=threading.Lock() if serialize_writes else None,
        )
    return engine


_HOLDS_WRITER_TURN = "sipas_holds_writer_turn"


def _private_sqlite_file(engine: Engine) -> None:
    """Create a SQLite database file readable by its owner only (0600) before SQLite opens it:
    it holds ratings and accounts, and SQLite gives its -wal and -shm files the same mode.
    Nothing is written until the first connection (the app factories do no I/O)."""
    path = engine.url.database
    if not path or path == ":memory:" or path.startswith("file:"):
        return

    @sa.event.listens_for(engine, "do_connect")
    def _create_private(dialect, conn_rec, cargs, cparams):
        try:
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        except (FileExistsError, FileNotFoundError):
            pass  # there already (keep its mode), or no such folder (SQLite says so itself)


#: SQLite's result code when another connection holds the lock it needs.
_SQLITE_BUSY = 5
#: Longest sleep between two tries of BEGIN IMMEDIATE while another process writes.
_WRITER_POLL_CAP = 0.001


def _begin_immediate(connection: sa.Connection, busy_timeout_ms: int) -> None:
    """BEGIN IMMEDIATE, tried again every millisecond at most while another process writes.

    SQLite's own busy handler sleeps longer and longer between tries (up to 100 ms each): a
    writer of another process that commits in the meantime goes unnoticed for that long, and
    under load one process keeps winning while the other sleeps (a kiosk under gunicorn has two
    worker processes: a tap's p99 was mostly this sleep). Here the waiting process looks again
    soon after the other one commits; the whole wait is still bounded by `busy_timeout_ms`.
    """
    raw = connection.connection.dbapi_connection
    deadline = time.monotonic() + busy_timeout_ms / 1000
    delay = 0.0001
    raw.execute("PRAGMA busy_timeout=0")
    try:
        while True:
            try:
                raw.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as exc:
                if exc.sqlite_errorcode & 0xFF != _SQLITE_BUSY or time.monotonic() >= deadline:
                    raise sa.exc.OperationalError("BEGIN IMMEDIATE", None, exc) from exc
            time.sleep(delay)
            delay = min(delay * 2, _WRITER_POLL_CAP)
    finally:
        raw.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")


def _sqlite_pragmas(
    engine: Engine, *, synchronous: str, busy_timeout_ms: int, writers: threading.Lock | None
) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        # Let SQLAlchemy's "begin" event below emit BEGIN itself (pysqlite's own is deferred).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA synchronous={synchronous}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        mode = connection.get_execution_options().get("sqlite_begin", "IMMEDIATE")
        if mode != "IMMEDIATE" or writers is None:
            connection.exec_driver_sql(f"BEGIN {mode}")
            return
        if not writers.acquire(timeout=busy_timeout_ms / 1000):
            raise sa.exc.OperationalError(
                "BEGIN IMMEDIATE", None, sqlite3.OperationalError("database is locked")
            )
        connection.info[_HOLDS_WRITER_TURN] = True
        try:
            _begin_immediate(connection, busy_timeout_ms)
        except BaseException:
            _end_turn(connection.info)
            raise

    if writers is None:
        return

    def _end_turn(info) -> None:
        if info.pop(_HOLDS_WRITER_TURN, False):
            writers.release()

    @event.listens_for(engine, "commit")
    def _on_commit(connection):
        _end_turn(connection.info)

    @event.listens_for(engine, "rollback")
    def _on_rollback(connection):
        _end_turn(connection.info)

    # Whatever happened, a connection going back to the pool or away gives up its turn.
    @event.listens_for(engine, "checkin")
    def _on_checkin(_dbapi_connection, record):
        if record is not None:
            _end_turn(record.info)

    @event.listens_for(engine, "invalidate")
    def _on_invalidate(_dbapi_connection, record, _exc):
        _end_turn(record.info)
