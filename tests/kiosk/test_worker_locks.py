"""The worker thread looks without SQLite's write lock: while another writer holds it (a tap
being stored in another process), looking for idle responses neither waits nor fails."""

from __future__ import annotations

import sqlite3

import pytest

from kiosk.worker import close_idle_once


@pytest.mark.parametrize("config_overrides", [{"SQLITE_BUSY_TIMEOUT_MS": 200}])
def test_looking_for_idle_responses_takes_no_write_lock(app, tablet, tmp_path, stored):
    tablet.start()
    tablet.tap("Q0", 4)
    writer = sqlite3.connect(tmp_path / "kiosk.sqlite3", isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")  # another process storing a tap, say
    try:
        # Nothing is idle yet: found without waiting for the lock (it would time out otherwise).
        assert close_idle_once(app) == 0
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    assert stored()[0].status == "open"
