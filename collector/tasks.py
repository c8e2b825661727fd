"""Background work on a Huey queue, run by `sipas collector worker` (a Huey consumer with its
scheduler of periodic jobs).

The queue is one config key, QUEUE_URL:
- empty (the default, what `make run` uses): an SQLite file, `queue.sqlite` in the instance
  folder; no server to run, one machine;
- `redis://host:port/db`: Redis, for production and for several collector instances;
- `immediate`: every job runs inside the process that asks for it (no worker; periodic jobs do not
  run). For a single-process try-out only.

Jobs: the raw XLSX export (asked for by a user), the refresh of the report counts asked for after
each commit that stored responses (`request_refresh`: at most one waits in the queue), and on a
schedule (crontab fields in local time, the SCHEDULE_* keys): the refresh of the report counts,
the silent-kiosk check and its mails, the retention policy with the clean-up of export files and of
lost jobs, and the Monday report mail. Reports only read the counts.

Each job owns its transaction, as a CLI command does (the refresh of the counts in a session of
its own, the others in an app context). What a user sees of a job is kept in the database
(`export_jobs`), not in the queue, so every instance reports it.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import tempfile
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from flask import Flask, current_app
from flask_babel import force_locale
from huey import Huey, MemoryHuey, RedisHuey, SqliteHuey, crontab
from sqlalchemy import event
from sqlalchemy.orm import Session

from collector.db import get_db, get_session
from collector.mail import MailError, build_message, send
from shared.health import IMMEDIATE_QUEUE, queue_url_problem

if TYPE_CHECKING:
    from collector.models import User

log = logging.getLogger("sipas.collector.tasks")

EXTENSION = "sipas_collector_queue"
QUEUE_FILE = "queue.sqlite"
_lock = threading.Lock()
#: The queue's key for a refresh of the counts asked for and not started yet (its value: when it
#: was asked for, in seconds since the epoch).
REFRESH_ASKED = "sipas.refresh_counts.asked"
#: A request older than this is taken as lost (a queue emptied by hand) and made again.
REFRESH_LOST_SECONDS = 600


class BadQueueURL(ValueError):
    """QUEUE_URL names no queue the collector can use."""


def check_queue_url(url: str | None) -> None:
    """Raise BadQueueURL unless `url` has a form `make_huey` takes (shared.health says which)."""
    problem = queue_url_problem((url or "").strip())
    if problem is not None:
        raise BadQueueURL(str(problem))


def make_huey(config: dict[str, Any], instance_path: str) -> Huey:
    """The Huey instance QUEUE_URL names (opening an SQLite queue creates its file)."""
    url = (config.get("QUEUE_URL") or "").strip()
    check_queue_url(url)
    name = config.get("QUEUE_NAME") or "sipas"
    # Job states live in the database; Huey's result store would only fill up.
    if url == IMMEDIATE_QUEUE:
        return MemoryHuey(name, immediate=True, results=False)
    if url.startswith(("redis://", "rediss://", "unix://")):
        return RedisHuey(name, url=url, results=False)
    if url.startswith("sqlite:///"):
        path = url[len("sqlite://") :]
    else:  # an absolute path, or empty: a file in the instance folder
        path = url or os.path.join(instance_path, QUEUE_FILE)
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    return SqliteHuey(name, filename=path, results=False)


def get_queue(app: Flask | None = None) -> Huey:
    """The app's queue with the collector's jobs registered, made on first use (the factory does
    no I/O)."""
    app = app or current_app._get_current_object()
    with _lock:
        huey = app.extensions.get(EXTENSION)
        if huey is None:
            huey = make_huey(app.config, app.instance_path)
            register_jobs(huey, app)
            app.extensions[EXTENSION] = huey
    return huey


def enqueue_export(app: Flask, job_id: str) -> None:
    get_queue(app).enqueue_export(job_id)


def request_refresh(app: Flask) -> bool:
    """Ask for a refresh of the report counts, unless one asked for has not started yet (then it
    will count these responses too); returns whether a refresh was queued. The worker runs it;
    with QUEUE_URL=immediate it runs here and now, in a transaction of its own. Never raises: the
    responses are stored whatever happens here, and the scheduled refresh counts them anyway."""
    try:
        huey = get_queue(app)
        now = time.time()
        asked = huey.get(REFRESH_ASKED, peek=True)  # a read: the usual case writes nothing
        if asked is None:
            if not huey.put_if_empty(REFRESH_ASKED, now):
                return False  # asked for at the same moment by another process
        elif now - asked < REFRESH_LOST_SECONDS:
            return False
        else:
            huey.put(REFRESH_ASKED, now)
        huey.refresh_counts_asked()
        return True
    except Exception:  # noqa: BLE001 - a stored response must not fail for the counts' sake
        log.exception("could not ask for a refresh of the report counts")
        return False


def refresh_after_commits(app: Flask) -> None:
    """Ask for a refresh (`request_refresh`) after every commit of the app's sessions that stored
    responses (`collector.responses.store` marks them): the kiosk uploads, the receipt surveys,
    the posters, the demo, whatever path a response takes."""
    from collector.responses.store import STORED

    factory = get_db(app).sessions.session_factory

    @event.listens_for(factory, "after_commit")
    def _stored(session: Session) -> None:
        if session.info.pop(STORED, False):
            request_refresh(app)

    @event.listens_for(factory, "after_rollback")
    def _not_stored(session: Session) -> None:
        session.info.pop(STORED, None)


def local_crontab(spec: str, zone: ZoneInfo):
    """A Huey schedule from five crontab fields, read in the collector's local time (Huey gives
    its validators naive UTC datetimes)."""
    minute, hour, day, month, day_of_week = spec.split()
    test = crontab(minute=minute, hour=hour, day=day, month=month, day_of_week=day_of_week)

    def validate(moment: dt.datetime) -> bool:
        local = moment.replace(tzinfo=dt.UTC).astimezone(zone).replace(tzinfo=None)
        return test(local)

    return validate


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


# -- the jobs, each a plain function of the app ---------------------------------------------


def run_export(app: Flask, job_id: str) -> str:
    """Write one raw XLSX export; returns the job's final state."""
    from collector.models import User
    from collector.periods import Period
    from collector.reports.exports import (
        app_exports_dir,
        claim_job,
        finish_job,
        job_file,
        prune_user_files,
        write_raw_xlsx,
    )
    from collector.reports.service import reader_rights

    with app.app_context():
        session = get_session()
        job = claim_job(session, job_id)
        session.commit()
        if job is None:
            return "skipped"
        directory = app_exports_dir(app)
        # The officer and comment columns follow the role the user has when the file is written
        # (a job without its owner any more writes neither).
        owner = session.get(User, job.user_id)
        rights = reader_rights(owner, app.config) if owner is not None else None
        try:
            with app.test_request_context("/"), force_locale(job.locale):
                rows = write_raw_xlsx(
                    session,
                    job.unit_id,
                    Period.parse_week(job.first_week),
                    Period.parse_week(job.last_week),
                    job_file(directory, job.id),
                    rights is not None and rights.officers,
                    rights is not None and rights.comments,
                )
        except Exception:  # noqa: BLE001 - the user's page must learn the job failed
            log.exception("raw XLSX export %s failed", job_id)
            session.rollback()
            rows = None
        finish_job(session, job, rows)
        prune_user_files(session, app.config, directory, job.user_id)
        session.commit()
        return job.state


def run_refresh_counts(app: Flask) -> int:
    """Bring the report counts up to date in a session and transaction of its own (it may run
    right after another session's commit, in the same thread); returns the responses added."""
    from collector.counts.refresh import refresh_counts

    with Session(get_db(app).engine) as session:
        added = refresh_counts(session)
        session.commit()
        return added


def run_silent_check(app: Flask, now: dt.datetime | None = None) -> list[int]:
    """Mail each unit's managers about kiosks newly silent; returns the kiosks mailed about."""
    from collector.fleet.opening import mark_notified, silent_kiosks, to_notify, unit_managers
    from collector.i18n import gettext as _
    from collector.i18n import local_time

    now = now or _now()
    with app.app_context():
        session = get_session()
        fresh = to_notify(silent_kiosks(session, app.config, now))
        by_recipients: dict[tuple[str, ...], list] = {}
        for kiosk in fresh:
            to = unit_managers(session, kiosk.unit_id) or list(app.config["REPORT_MAIL_TO"])
            if to:
                by_recipients.setdefault(tuple(to), []).append(kiosk)
        zone = app.config["BABEL_DEFAULT_TIMEZONE"]
        mailed: list[int] = []
        for to, kiosks in by_recipients.items():
            lines = [_("These kiosks have not been heard from during opening hours:"), ""]
            for k in kiosks:
                seen = local_time(k.last_contact_at, zone) if k.last_contact_at else _("never")
                lines.append(
                    _("Kiosk %(id)d %(label)s, %(unit)s: last contact %(seen)s")
                    % {"id": k.id, "label": k.label, "unit": k.unit_name, "seen": seen}
                )
            message = build_message(
                app.config["MAIL_FROM"],
                list(to),
                _("SIPAS: %(num)d silent kiosks") % {"num": len(kiosks)},
                "\n".join(lines) + "\n",
            )
            try:
                send(app.config, message)
            except MailError:
                log.exception("silent-kiosk mail to %s failed", ", ".join(to))
                continue
            mark_notified(session, [k.id for k in kiosks], now)
            session.commit()
            mailed.extend(k.id for k in kiosks)
        return mailed


def run_retention(app: Flask, now: dt.datetime | None = None):
    """The retention policy, then lost export jobs queued again."""
    from collector.reports.exports import app_exports_dir, requeue_stale_jobs
    from collector.retention import apply_retention

    now = now or _now()
    with app.app_context():
        session = get_session()
        result = apply_retention(session, app.config, app_exports_dir(app), now)
        again = requeue_stale_jobs(session, app.config, now)
        session.commit()
    for job_id in again:
        enqueue_export(app, job_id)
    return result


def weekly_mail_plan(session, config) -> list[tuple[User | None, str, list[str]]]:
    """Who gets which Monday report: (the reader whose scope builds it, or None for the
    configured mail; the unit's code; the addresses).

    Each REPORT_MAIL_UNITS unit (default: the top units) goes to REPORT_MAIL_TO; and each active
    person who chose the Monday mail on "My account" gets the report of their own scope (their
    unit, or the top units for a person of the whole tree), read as they would read it in the
    page (viewers read reports too, without what is for managers only)."""
    import sqlalchemy as sa

    from collector.models import Unit, User

    top = list(
        session.scalars(sa.select(Unit.code).where(Unit.parent_id.is_(None)).order_by(Unit.code))
    )
    to = list(config.get("REPORT_MAIL_TO") or [])
    configured = (list(config.get("REPORT_MAIL_UNITS") or []) or top) if to else []
    plan: list[tuple[User | None, str, list[str]]] = [(None, code, to) for code in configured]
    readers = session.scalars(
        sa.select(User)
        .where(User.weekly_mail.is_(True), User.active.is_(True))
        .order_by(User.email)
    )
    for user in readers:
        if user.unit is not None and not user.unit.active:
            continue
        for code in [user.unit.code] if user.unit is not None else top:
            if user.email in to and code in configured:
                continue  # the configured mail already brings them this report
            plan.append((user, code, [user.email]))
    return plan


def run_weekly_mail(app: Flask) -> list[str]:
    """The last week's reports of weekly_mail_plan, one mail each; returns the unit of each mail
    sent (a failed mail is logged and the others still go)."""
    from collector.periods import Period
    from collector.reports import service
    from collector.reports.cli import mail_report
    from collector.reports.render import report_xlsx

    sent = []
    with app.app_context(), app.test_request_context("/"):
        session = get_session()
        plan = weekly_mail_plan(session, app.config)
        with tempfile.TemporaryDirectory() as tmp:
            for reader, code, to in plan:
                try:
                    built = service.build_report_for(
                        session,
                        app.config,
                        user=reader,
                        unit_code=code,
                        period=Period.parse("last"),
                        via="job",
                    )
                except service.ReportNotFound:
                    # A configured code that no longer exists: the other mails still go.
                    log.error("weekly report mail: no unit %s", code)
                    session.rollback()
                    continue
                session.commit()
                out = Path(tmp) / f"sipas-{built.unit.code}-{built.period.key}.xlsx"
                out.write_bytes(report_xlsx(built))
                try:
                    mail_report(app.config, built, out, to)
                except MailError:
                    log.exception("weekly report mail of %s to %s failed", code, ", ".join(to))
                    continue
                sent.append(code)
    return sent


def register_jobs(huey: Huey, app: Flask) -> None:
    """Register the collector's jobs on `huey` under fixed names (the web process enqueues them
    by name; the worker runs them)."""
    zone = ZoneInfo(app.config["BABEL_DEFAULT_TIMEZONE"])

    def schedule(key: str):
        return local_crontab(app.config[key], zone)

    @huey.task(name="sipas.export_raw_xlsx")
    def export_raw_xlsx(job_id: str) -> str:
        return run_export(app, job_id)

    @huey.task(name="sipas.refresh_counts_asked")
    def refresh_counts_asked() -> None:
        # Asked for after a commit: from here on, a new commit asks again (its rows may come
        # after what this refresh reads).
        huey.delete(REFRESH_ASKED)
        run_refresh_counts(app)

    @huey.periodic_task(schedule("SCHEDULE_COUNTS"), name="sipas.refresh_counts")
    def refresh_counts_job() -> None:
        run_refresh_counts(app)

    @huey.periodic_task(schedule("SCHEDULE_SILENT_KIOSKS"), name="sipas.silent_kiosks")
    def silent_kiosks_job() -> None:
        run_silent_check(app)

    @huey.periodic_task(schedule("SCHEDULE_RETENTION"), name="sipas.retention")
    def retention_job() -> None:
        run_retention(app)

    @huey.periodic_task(schedule("SCHEDULE_WEEKLY_MAIL"), name="sipas.weekly_mail")
    def weekly_mail_job() -> None:
        run_weekly_mail(app)

    huey.enqueue_export = export_raw_xlsx  # type: ignore[attr-defined]
    huey.refresh_counts_asked = refresh_counts_asked  # type: ignore[attr-defined]
    # Named tasks the worker CLI's --once runs, and tests may call.
    huey.sipas_jobs = {  # type: ignore[attr-defined]
        "refresh-counts": refresh_counts_job,
        "silent-kiosks": silent_kiosks_job,
        "retention": retention_job,
        "weekly-mail": weekly_mail_job,
    }
