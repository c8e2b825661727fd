"""Raw responses in a user's scope: CSV streamed row by row, XLSX written in the background.

A year of a province is about a million responses: neither export is ever built whole in memory
inside a web request. The CSV streams from a server-side cursor; the XLSX (a zip file, which cannot
be streamed while it is written) is made by a background thread into the instance folder, and the
page polls until it is ready.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import secrets
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import Flask
from flask_babel import force_locale
from flask_babel import gettext as _
from openpyxl import Workbook
from sqlalchemy.orm import Session

from collector.accounts.scope import subtree_ids
from collector.db import get_session
from collector.models import Response, Unit
from collector.models.responses import CHAINED_CHANNELS
from collector.reports.counts import SUSPECT_FLAG
from collector.reports.render import BOM, neutralise, write_csv
from collector.reports.weeks import ZONE, Week

BATCH = 2000
JOB_ID_BYTES = 12
JOB_ID_RE = re.compile(r"[A-Za-z0-9_-]{16}")


def raw_headers() -> list[str]:
    return [
        _("Response id"),
        _("Time"),
        _("Unit code"),
        _("Unit"),
        _("Kind of service"),
        _("Questionnaire version"),
        _("Channel"),
        _("Counter"),
        _("Complete"),
        _("Answers"),
        _("Reasons"),
        _("Comment"),
        _("Flags"),
        _("Chain"),
        _("In official figures"),
    ]


def raw_rows(session: Session, root_id: int, first: Week, last: Week) -> Iterator[list[Any]]:
    """The responses of the subtree from the start of `first` to the end of `last`, oldest first."""
    ids = subtree_ids(session, [root_id])
    r = Response
    query = (
        sa.select(
            r.uuid,
            r.submitted_at,
            Unit.code,
            Unit.name,
            r.questionnaire,
            r.questionnaire_version,
            r.channel,
            r.counter,
            r.complete,
            r.answers,
            r.reasons,
            r.comment,
            r.flags,
            r.chain_ok,
        )
        .join(Unit, Unit.id == r.unit_id)
        .where(
            r.unit_id.in_(ids),
            r.submitted_at >= first.start_utc(),
            r.submitted_at < last.end_utc(),
        )
        .order_by(r.submitted_at, r.id)
        .execution_options(stream_results=True, yield_per=BATCH)
    )
    for row in session.execute(query):
        suspect = SUSPECT_FLAG in (row.flags or ())
        chain = {True: "ok", False: "broken", None: "pending"}[row.chain_ok]
        if row.channel not in CHAINED_CHANNELS:
            chain = "none"  # phone channels have no kiosk chain; the receipt row is the evidence
        yield [
            str(row.uuid),
            row.submitted_at.astimezone(ZONE).strftime("%Y-%m-%d %H:%M:%S"),
            row.code,
            row.name,
            row.questionnaire,
            row.questionnaire_version,
            row.channel,
            row.counter,
            bool(row.complete),
            "; ".join(f"{k}={v}" for k, v in sorted(row.answers.items())),
            "; ".join(row.reasons or ()),
            row.comment or "",
            "; ".join(row.flags or ()),
            chain,
            not suspect and row.chain_ok is not False,
        ]


def stream_raw_csv(session: Session, root_id: int, first: Week, last: Week) -> Iterator[bytes]:
    """CSV bytes, a few thousand rows at a time, with a BOM so Excel reads Vietnamese right."""
    yield (BOM + write_csv([raw_headers()])).encode("utf-8")
    batch: list[list[Any]] = []
    for row in raw_rows(session, root_id, first, last):
        batch.append(row)
        if len(batch) >= BATCH:
            yield write_csv(batch).encode("utf-8")
            batch = []
    if batch:
        yield write_csv(batch).encode("utf-8")


def write_raw_xlsx(session: Session, root_id: int, first: Week, last: Week, path: Path) -> int:
    """Write the raw responses to an XLSX file in openpyxl's write-only (streaming) mode."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet(_("Responses"))
    sheet.append(raw_headers())
    count = 0
    for row in raw_rows(session, root_id, first, last):
        sheet.append([neutralise(v) for v in row])
        count += 1
    tmp = path.with_suffix(".part")
    book.save(tmp)
    os.replace(tmp, path)
    return count


# -- background jobs -------------------------------------------------------------------------


def exports_dir(app: Flask) -> Path:
    path = Path(app.instance_path) / "exports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _status_path(app: Flask, job: str) -> Path:
    return exports_dir(app) / f"{job}.json"


def _write_status(app: Flask, job: str, status: dict[str, Any]) -> None:
    path = _status_path(app, job)
    tmp = path.with_suffix(".json.part")
    tmp.write_text(json.dumps(status), encoding="utf-8")
    os.replace(tmp, path)


def job_status(app: Flask, job: str) -> dict[str, Any] | None:
    if not JOB_ID_RE.fullmatch(job or ""):
        return None
    path = _status_path(app, job)
    if not path.exists():
        return None
    return json.loads(path.read_text(encoding="utf-8"))


def job_file(app: Flask, job: str) -> Path:
    return exports_dir(app) / f"{job}.xlsx"


def start_raw_xlsx_job(
    app: Flask, user_id: int, root_id: int, unit_code: str, first: Week, last: Week, locale: str
) -> str:
    """Start writing the XLSX in a thread; returns the job id to poll."""
    job = secrets.token_urlsafe(JOB_ID_BYTES)
    status = {
        "job": job,
        "user_id": user_id,
        "unit": unit_code,
        "first": str(first),
        "last": str(last),
        "state": "running",
        "started_at": dt.datetime.now(dt.UTC).isoformat(),
        "rows": None,
    }
    _write_status(app, job, status)

    def run() -> None:
        with app.app_context(), force_locale(locale):
            session = get_session()
            try:
                rows = write_raw_xlsx(session, root_id, first, last, job_file(app, job))
                status.update(state="done", rows=rows)
            except Exception:  # noqa: BLE001 - the page must learn the job failed
                app.logger.exception("raw XLSX export %s failed", job)
                status.update(state="failed")
            finally:
                session.rollback()
            status["finished_at"] = dt.datetime.now(dt.UTC).isoformat()
            _write_status(app, job, status)

    threading.Thread(target=run, name=f"export-{job}", daemon=True).start()
    return job
