"""Raw responses in a user's scope: CSV streamed row by row, XLSX written in the background.

A year of a province is about a million responses: neither export is ever built whole in memory
inside a web request. The CSV streams from a server-side cursor; the XLSX (a zip file, which cannot
be streamed while it is written) is a job on the queue (`collector.tasks`), made by the worker into
the exports folder, and the page polls until it is ready.

A job's state is a row of `export_jobs`, so every collector instance reports it and a restart of
the web process or of the worker loses nothing: a job whose worker died is queued again after
EXPORT_JOB_TIMEOUT_MINUTES. Each user may have EXPORT_MAX_ACTIVE_PER_USER jobs queued or running
and keeps at most EXPORT_MAX_FILES_PER_USER files; files are readable by their owner only (0600) and
are deleted after EXPORT_KEEP_HOURS by the retention job.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import secrets
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import Flask
from flask_babel import gettext as _
from openpyxl import Workbook
from sqlalchemy.orm import Session

from collector.accounts.scope import subtree_ids
from collector.i18n import TranslatableError
from collector.models import ExportJob, Response, Unit, User
from collector.models.jobs import ACTIVE_STATES
from collector.models.responses import CHAINED_CHANNELS
from collector.periods import ZONE, Period
from collector.reports.listed import answers_of, comment_of, reasons_of
from collector.reports.render import BOM, neutralise, write_csv
from shared.db import utcnow
from shared.i18n import N_
from shared.responses import SUSPECT_FLAG

BATCH = 2000
JOB_ID_BYTES = 12
JOB_ID_RE = re.compile(r"[A-Za-z0-9_-]{16}")


def raw_headers(with_officer: bool = False, with_comment: bool = True) -> list[str]:
    """The column titles; the officer and comment columns only for readers who may see them
    (collector.reports.service.reader_rights)."""
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
        *([_("Comment")] if with_comment else []),
        _("Flags"),
        _("Chain"),
        _("In official figures"),
        _("Procedure code"),
        *([_("Officer code")] if with_officer else []),
    ]


def raw_rows(
    session: Session,
    root_id: int,
    first: Period,
    last: Period,
    with_officer: bool = False,
    with_comment: bool = True,
) -> Iterator[list[Any]]:
    """The responses of the subtree from the start of `first` to the end of `last`, oldest first
    (with each one's officer code only when `with_officer`, its comment only when
    `with_comment`)."""
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
            r.procedure,
            r.officer,
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
        flags = [f for f in row.flags if isinstance(f, str)] if isinstance(row.flags, list) else []
        suspect = SUSPECT_FLAG in flags
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
            "; ".join(f"{k}={v}" for k, v in sorted(answers_of(row.answers).items())),
            "; ".join(reasons_of(row.reasons)),
            *([comment_of(row.comment) or ""] if with_comment else []),
            "; ".join(flags),
            chain,
            not suspect and row.chain_ok is not False,
            row.procedure or "",
            *([row.officer or ""] if with_officer else []),
        ]


def stream_raw_csv(
    session: Session,
    root_id: int,
    first: Period,
    last: Period,
    with_officer: bool = False,
    with_comment: bool = True,
) -> Iterator[bytes]:
    """CSV bytes, a few thousand rows at a time, with a BOM so Excel reads Vietnamese right."""
    yield (BOM + write_csv([raw_headers(with_officer, with_comment)])).encode("utf-8")
    batch: list[list[Any]] = []
    for row in raw_rows(session, root_id, first, last, with_officer, with_comment):
        batch.append(row)
        if len(batch) >= BATCH:
            yield write_csv(batch).encode("utf-8")
            batch = []
    if batch:
        yield write_csv(batch).encode("utf-8")


def write_raw_xlsx(
    session: Session,
    root_id: int,
    first: Period,
    last: Period,
    path: Path,
    with_officer: bool = False,
    with_comment: bool = True,
) -> int:
    """Write the raw responses to an XLSX file in openpyxl's write-only (streaming) mode."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet(_("Responses"))
    sheet.append(raw_headers(with_officer, with_comment))
    count = 0
    for row in raw_rows(session, root_id, first, last, with_officer, with_comment):
        sheet.append([neutralise(v) for v in row])
        count += 1
    tmp = path.with_suffix(".part")
    # Created readable by the collector's user only: an export holds every comment of a province.
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        book.save(fh)
    os.replace(tmp, path)
    return count


# -- jobs ------------------------------------------------------------------------------------


class ExportRefused(TranslatableError):
    """A user asked for more exports than allowed at once."""


def exports_dir(config: Mapping[str, Any], instance_path: str) -> Path:
    """The folder of export files (0700), made on first use."""
    path = Path(config.get("EXPORTS_PATH") or Path(instance_path) / "exports")
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def app_exports_dir(app: Flask) -> Path:
    return exports_dir(app.config, app.instance_path)


def job_file(directory: Path, job_id: str) -> Path:
    return directory / f"{job_id}.xlsx"


def get_job(session: Session, job_id: str) -> ExportJob | None:
    if not JOB_ID_RE.fullmatch(job_id or ""):
        return None
    return session.get(ExportJob, job_id)


def create_export_job(
    session: Session,
    config: Mapping[str, Any],
    user_id: int,
    unit: Unit,
    first: Period,
    last: Period,
    locale: str,
) -> ExportJob:
    """A queued job, unless the user already has the most allowed in progress."""
    limit = int(config["EXPORT_MAX_ACTIVE_PER_USER"])
    # Lock the user's row (PostgreSQL; SQLite has one writer) so that two requests at once
    # cannot both pass the bound.
    session.execute(sa.select(User.id).where(User.id == user_id).with_for_update())
    active = session.scalar(
        sa.select(sa.func.count())
        .select_from(ExportJob)
        .where(ExportJob.user_id == user_id, ExportJob.state.in_(ACTIVE_STATES))
    )
    if active >= limit:
        raise ExportRefused(
            N_(
                "You already have %(num)d exports in progress; wait until one is ready, then "
                "try again."
            ),
            num=active,
        )
    job = ExportJob(
        id=secrets.token_urlsafe(JOB_ID_BYTES),
        user_id=user_id,
        unit_id=unit.id,
        unit_code=unit.code,
        first_week=str(first),
        last_week=str(last),
        locale=locale,
        state="queued",
        attempts=0,
    )
    session.add(job)
    session.flush()
    return job


def claim_job(session: Session, job_id: str, now: dt.datetime | None = None) -> ExportJob | None:
    """Mark a queued job running for this worker; None if another has it or it is finished."""
    claimed = session.execute(
        sa.update(ExportJob)
        .where(ExportJob.id == job_id, ExportJob.state == "queued")
        .values(state="running", started_at=now or utcnow(), attempts=ExportJob.attempts + 1)
    ).rowcount
    if not claimed:
        return None
    session.flush()
    job = session.get(ExportJob, job_id)
    session.refresh(job)
    return job


def finish_job(
    session: Session, job: ExportJob, rows: int | None, now: dt.datetime | None = None
) -> None:
    job.state = "done" if rows is not None else "failed"
    job.rows = rows
    job.finished_at = now or utcnow()
    session.flush()


def expire_job(session: Session, job: ExportJob, directory: Path) -> None:
    job_file(directory, job.id).unlink(missing_ok=True)
    job.state = "expired"
    session.flush()


def prune_user_files(
    session: Session, config: Mapping[str, Any], directory: Path, user_id: int
) -> int:
    """Delete the user's oldest finished files beyond EXPORT_MAX_FILES_PER_USER."""
    keep = int(config["EXPORT_MAX_FILES_PER_USER"])
    done = session.scalars(
        sa.select(ExportJob)
        .where(ExportJob.user_id == user_id, ExportJob.state == "done")
        .order_by(ExportJob.finished_at.desc(), ExportJob.id)
    ).all()
    for job in done[keep:]:
        expire_job(session, job, directory)
    return len(done[keep:])


def expired_files(session: Session, config: Mapping[str, Any], now: dt.datetime) -> list[ExportJob]:
    """Finished jobs whose file is older than EXPORT_KEEP_HOURS."""
    cutoff = now - dt.timedelta(hours=float(config["EXPORT_KEEP_HOURS"]))
    return list(
        session.scalars(
            sa.select(ExportJob).where(ExportJob.state == "done", ExportJob.finished_at < cutoff)
        )
    )


def orphan_files(session: Session, directory: Path, older_than: dt.datetime) -> list[Path]:
    """Files in the exports folder that no finished job owns (left by a crash), older than given."""
    live = set(session.scalars(sa.select(ExportJob.id).where(ExportJob.state == "done")))
    found = []
    for path in directory.iterdir():
        if path.is_file() and path.name.split(".")[0] not in live:
            mtime = dt.datetime.fromtimestamp(path.stat().st_mtime, dt.UTC)
            if mtime < older_than:
                found.append(path)
    return found


def requeue_stale_jobs(session: Session, config: Mapping[str, Any], now: dt.datetime) -> list[str]:
    """Jobs lost by a dead worker (running too long) or never handed to the queue (queued too
    long): queued again, or failed after EXPORT_MAX_ATTEMPTS. Returns the ids to enqueue."""
    cutoff = now - dt.timedelta(minutes=float(config["EXPORT_JOB_TIMEOUT_MINUTES"]))
    stale = session.scalars(
        sa.select(ExportJob).where(
            sa.or_(
                sa.and_(ExportJob.state == "running", ExportJob.started_at < cutoff),
                sa.and_(ExportJob.state == "queued", ExportJob.created_at < cutoff),
            )
        )
    ).all()
    again = []
    for job in stale:
        if job.attempts >= int(config["EXPORT_MAX_ATTEMPTS"]):
            finish_job(session, job, None, now)
        else:
            job.state = "queued"
            job.created_at = now
            again.append(job.id)
    session.flush()
    return again
