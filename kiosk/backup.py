"""Online backup of the kiosk's SQLite database, with sqlite3's backup API.

The copy is taken page by page while the kiosk keeps serving (a tap in between is either in the
copy or in the next one), then opened and checked; only a copy that passes the integrity check
counts, and the oldest copies beyond `keep` are removed.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

from flask import Flask
from sqlalchemy.engine import make_url

from shared.i18n import N_

PREFIX = "kiosk-"
SUFFIX = ".sqlite3"


class BackupFailed(RuntimeError):
    """args: an English message id and its parameters."""


def backup_database(app: Flask, target: Path, *, keep: int = 14) -> Path:
    url = make_url(app.config["DATABASE_URL"])
    source = url.database
    if url.get_backend_name() != "sqlite" or not source or not Path(source).exists():
        raise BackupFailed(
            N_("the kiosk database %(path)s does not exist: run `sipas kiosk init` first"),
            {"path": source},
        )
    target.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")
    final = target / f"{PREFIX}{stamp}{SUFFIX}"
    partial = final.with_suffix(".partial")
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=30)
    dst = sqlite3.connect(partial)
    try:
        src.backup(dst, pages=256)
        result = dst.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        dst.close()
        src.close()
    if result != "ok":
        partial.unlink(missing_ok=True)
        raise BackupFailed(
            N_("the copy failed its integrity check: %(result)s"), {"result": result}
        )
    partial.replace(final)
    for old in sorted(target.glob(f"{PREFIX}*{SUFFIX}"))[:-keep] if keep > 0 else []:
        old.unlink()
    return final
