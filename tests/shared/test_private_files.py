"""Database files are created readable by their owner only (issue 7, finding 10)."""

from __future__ import annotations

import os
import stat

import pytest
import sqlalchemy as sa

from shared.db import make_engine


@pytest.fixture
def open_umask():
    """The usual umask, under which files are world-readable unless made otherwise."""
    old = os.umask(0o022)
    yield
    os.umask(old)


def _mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_a_new_sqlite_database_and_its_wal_are_0600(tmp_path, open_umask):
    path = tmp_path / "ratings.sqlite"
    engine = make_engine(f"sqlite:///{path}")
    assert not path.exists()  # nothing is written before the first connection
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE t (x INTEGER)"))
        conn.execute(sa.text("INSERT INTO t VALUES (1)"))
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT x FROM t")).scalar() == 1
        for suffix in ("", "-wal", "-shm"):
            side = tmp_path / f"ratings.sqlite{suffix}"
            if side.exists():
                assert _mode(side) == 0o600, suffix
    engine.dispose()
    assert _mode(path) == 0o600


def test_an_existing_database_keeps_its_mode(tmp_path, open_umask):
    path = tmp_path / "old.sqlite"
    path.touch(mode=0o640)
    engine = make_engine(f"sqlite:///{path}")
    with engine.connect() as conn:
        conn.execute(sa.text("SELECT 1"))
    engine.dispose()
    assert _mode(path) == 0o640
