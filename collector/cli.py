"""`sipas collector ...`: serve, migrate, manage units and kiosks.

Each command owns its transaction: it calls business functions that flush, then commits.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
import secrets
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup, ScriptInfo

from collector import InsecureSecretKey, config, create_app
from collector.accounts.cli import tokens, users
from collector.audit import audit
from collector.db import get_db, get_session
from collector.dossiers.cli import dossiers
from collector.fleet.kiosks import register_kiosk, relabel_kiosk, revoke_kiosk, rotate_token
from collector.fleet.status import KioskStatus, kiosk_statuses
from collector.i18n import TranslatableError, cli_locale, local_time, ngettext
from collector.i18n import gettext as _
from collector.migrate import upgrade
from collector.models.units import UNIT_KINDS
from collector.procedures.cli import procedures
from collector.receipts.cli import integrations, receipts
from collector.reports.cli import report
from collector.reports.targets import set_target
from collector.unit_history.cli import reorganise
from collector.units import (
    add_unit,
    import_units,
    move_unit,
    read_units_csv,
    rename_unit,
    set_unit_active,
)
from shared import logs, serve
from shared.health import ConfigErrors, database_problem


def default_instance() -> Path:
    """Outside the program's folder: $XDG_DATA_HOME/sipas/collector (~/.local/share/...)."""
    base = os.environ.get("XDG_DATA_HOME") or os.path.join(
        os.path.expanduser("~"), ".local", "share"
    )
    return Path(base) / "sipas" / "collector"


def sets_up(command):
    """Marks a command that may run on an instance not set up yet (it sets it up)."""
    command.sipas_sets_up = True
    return command


def _build(instance: Path) -> Flask:
    return create_app({"INSTANCE_PATH": str(instance.resolve())})


def _app_for_cli(instance: Path) -> Flask:
    """The configured app for the command being run. A command that sets up (`db upgrade`, `run`)
    makes a secret key in the instance folder on first use (the factory itself never writes); any
    other command stops with one line when the configuration or the database is not ready."""
    ctx = click.get_current_context(silent=True)
    setting_up = bool(ctx and getattr(ctx.command, "sipas_sets_up", False))
    try:
        try:
            app = _build(instance)
        except InsecureSecretKey as exc:
            if not setting_up or len(exc.problems) > 1:
                raise
            _write_secret_key(exc.instance_path)
            app = _build(instance)
    except ConfigErrors as exc:
        raise click.ClickException("\n".join(str(p) for p in exc.problems)) from None
    if not setting_up:
        problem = database_problem(get_db(app).engine, "collector")
        if problem is not None:
            get_db(app).dispose()
            raise click.ClickException(str(problem))
    return app


def _write_secret_key(instance_path: str) -> None:
    os.makedirs(instance_path, exist_ok=True)
    path = os.path.join(instance_path, config.SECRET_KEY_FILE)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(secrets.token_hex(32) + "\n")
    click.echo(_("Created a secret key in %(path)s") % {"path": path}, err=True)


def _fail(exc: TranslatableError) -> click.ClickException:
    return click.ClickException(exc.translate(_))


@click.group(cls=AppGroup, help=_("The collector: receives responses from the kiosks."))
@click.option(
    "--instance",
    envvar="SIPAS_COLLECTOR_INSTANCE_PATH",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help=_(
        "Folder with collector.toml, the secret key and the SQLite database "
        "(default: ~/.local/share/sipas/collector)."
    ),
)
@click.pass_context
def collector(ctx: click.Context, instance: Path | None) -> None:
    info = ctx.ensure_object(ScriptInfo)
    if info.create_app is None:  # tests hand over their own app through ScriptInfo
        instance = instance or default_instance()
        info.data["instance"] = instance
        info.create_app = functools.partial(_app_for_cli, instance)


@collector.command(
    with_appcontext=False,
    help=_("Check the configuration, the database and the queue without starting anything."),
)
@click.pass_context
def check(ctx: click.Context) -> None:
    info = ctx.ensure_object(ScriptInfo)
    app = None
    try:
        if "instance" in info.data:
            app = _build(info.data["instance"])
        else:
            app = info.load_app()
        problems = list(config.readiness(app))
    except ConfigErrors as exc:
        problems = list(exc.problems)
    finally:
        if app is not None:
            get_db(app).dispose()
    for problem in problems:
        click.echo(_("Problem: %(text)s") % {"text": problem}, err=True)
    if problems:
        ctx.exit(1)
    click.echo(
        _("The configuration is valid; the database is up to date%(queue)s.")
        % {"queue": _(" and the queue answers") if app.config.get("QUEUE_URL") else ""}
    )


def _migrate() -> None:
    app = current_app
    os.makedirs(app.instance_path, exist_ok=True)
    upgrade(app.config["DATABASE_URL"])


@sets_up
@collector.command(help=_("Bring the database up to date, then serve the collector (gunicorn)."))
@click.option("--host", default="127.0.0.1", show_default=True, help=_("Address to listen on."))
@click.option("--port", default=5000, show_default=True, help=_("Port to listen on."))
@click.option("--threads", default=4, show_default=True, help=_("Worker threads."))
@click.option("--workers", default=1, show_default=True, help=_("Worker processes."))
@click.option(
    "--read-timeout",
    envvar=serve.READ_TIMEOUT_ENV,
    default=serve.READ_TIMEOUT,
    show_default=True,
    help=_("Seconds a client has to send a whole request."),
)
def run(host: str, port: int, threads: int, workers: int, read_timeout: float) -> None:
    _migrate()
    app = current_app._get_current_object()
    logs.configure(app.config["LOG_FORMAT"])
    click.echo(_("Collector listening on http://%(host)s:%(port)d/") % {"host": host, "port": port})

    def post_fork(_server, _worker) -> None:
        # The parent migrated through the app's engine: the child opens connections of its own.
        get_db(app).engine.dispose(close=False)

    serve.serve(
        app,
        host=host,
        port=port,
        threads=threads,
        workers=workers,
        name="sipas-collector",
        read_timeout=read_timeout,
        post_fork=post_fork,
    )


@collector.group(help=_("The database."))
def db() -> None:
    pass


@sets_up
@db.command("upgrade", help=_("Create or update the tables (run the migrations)."))
def db_upgrade() -> None:
    _migrate()
    click.echo(_("The database is up to date."))


@collector.group(help=_("Administrative units: a tree up to 32 levels deep."))
def units() -> None:
    pass


@units.command("import", help=_("Add or update units from a CSV file: code,name,parent,kind."))
@click.argument("file", type=click.File("r", encoding="utf-8-sig"))
def units_import(file) -> None:
    session = get_session()
    try:
        summary = import_units(session, read_units_csv(file.read()))
    except TranslatableError as exc:
        raise _fail(exc) from None
    session.commit()
    click.echo(
        _("Units added: %(added)d, updated: %(updated)d, unchanged: %(unchanged)d.")
        % {"added": summary.added, "updated": summary.updated, "unchanged": summary.unchanged}
    )


@units.command("add", help=_("Add one unit."))
@click.argument("code")
@click.argument("name")
@click.option("--parent", help=_("Code of the unit above it."))
@click.option(
    "--kind",
    required=True,
    help=_("Kind of unit, a code: %(kinds)s.")
    % {"kinds": ", ".join(f"{code} ({_(label)})" for code, label in UNIT_KINDS.items())},
)
def units_add(code: str, name: str, parent: str | None, kind: str) -> None:
    session = get_session()
    try:
        unit = add_unit(session, code, name, kind, parent)
    except TranslatableError as exc:
        raise _fail(exc) from None
    session.commit()
    click.echo(_("Added unit %(code)s (%(name)s).") % {"code": unit.code, "name": unit.name})


@units.command("rename", help=_("Give a unit a new name (its code never changes)."))
@click.argument("code")
@click.argument("name")
def units_rename(code: str, name: str) -> None:
    session = get_session()
    try:
        rename_unit(session, code, name)
    except TranslatableError as exc:
        raise _fail(exc) from None
    session.commit()
    click.echo(_("The unit is renamed."))


@units.command("move", help=_("Put a unit under another parent (none: the top of the tree)."))
@click.argument("code")
@click.option("--parent", help=_("Code of the new unit above it."))
def units_move(code: str, parent: str | None) -> None:
    session = get_session()
    try:
        move_unit(session, code, parent)
    except TranslatableError as exc:
        raise _fail(exc) from None
    session.commit()
    click.echo(_("The unit is moved."))


@units.command("deactivate", help=_("Deactivate a unit; it keeps its responses (never deleted)."))
@click.argument("code")
@click.option("--undo", is_flag=True, help=_("Activate it again."))
def units_deactivate(code: str, undo: bool) -> None:
    session = get_session()
    try:
        set_unit_active(session, code, undo)
    except TranslatableError as exc:
        raise _fail(exc) from None
    session.commit()
    click.echo(_("The unit is active again.") if undo else _("The unit is deactivated."))


@collector.group(help=_("Kiosks and their tokens."))
def kiosks() -> None:
    pass


@kiosks.command("register", help=_("Register a kiosk for a unit and print its token once."))
@click.option("--unit", "unit_code", required=True, help=_("Code of the kiosk's unit."))
@click.option("--label", default="", help=_("A name for people, e.g. 'Counter 2'."))
def kiosks_register(unit_code: str, label: str) -> None:
    session = get_session()
    try:
        kiosk, token = register_kiosk(session, unit_code, label)
    except TranslatableError as exc:
        raise _fail(exc) from None
    session.commit()
    click.echo(
        _("Kiosk %(id)d registered for unit %(unit)s.") % {"id": kiosk.id, "unit": unit_code}
    )
    click.echo(_("Its token (shown only this once; the collector keeps only a hash):"))
    click.echo(token)


@kiosks.command("revoke", help=_("Revoke a kiosk's token; its responses stay."))
@click.argument("kiosk_id", type=int)
def kiosks_revoke(kiosk_id: int) -> None:
    session = get_session()
    try:
        kiosk = revoke_kiosk(session, kiosk_id)
    except TranslatableError as exc:
        raise _fail(exc) from None
    session.commit()
    click.echo(_("Kiosk %(id)d is revoked.") % {"id": kiosk.id})


@kiosks.command("rotate", help=_("Give a kiosk a new token; the old one stops working."))
@click.argument("kiosk_id", type=int)
def kiosks_rotate(kiosk_id: int) -> None:
    session = get_session()
    try:
        kiosk, token = rotate_token(session, kiosk_id)
    except TranslatableError as exc:
        raise _fail(exc) from None
    session.commit()
    click.echo(_("Kiosk %(id)d has a new token (shown only this once):") % {"id": kiosk.id})
    click.echo(token)


@kiosks.command("label", help=_("Give a kiosk a new name for people."))
@click.argument("kiosk_id", type=int)
@click.argument("label")
def kiosks_label(kiosk_id: int, label: str) -> None:
    session = get_session()
    try:
        relabel_kiosk(session, kiosk_id, label)
    except TranslatableError as exc:
        raise _fail(exc) from None
    session.commit()
    click.echo(_("The kiosk is renamed."))


@kiosks.command("status", help=_("Last contact, backlog, gaps and broken chains of every kiosk."))
def kiosks_status() -> None:
    statuses = kiosk_statuses(get_session())
    if not statuses:
        click.echo(_("No kiosk is registered yet."))
        return
    zone = current_app.config["BABEL_DEFAULT_TIMEZONE"]
    header = [
        _("Kiosk"),
        _("Unit"),
        _("Last contact"),
        _("Backlog"),
        _("Received"),
        _("Highest number"),
        _("Clock offset"),
        _("State"),
    ]
    rows = [_status_row(status, zone) for status in statuses]
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        click.echo(
            "  ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=True))
        )
    for status in statuses:
        for line in _problem_lines(status):
            click.echo(line)


def _status_row(status: KioskStatus, zone: str) -> list[str]:
    def when(moment: dt.datetime | None) -> str:
        return local_time(moment, zone) if moment else _("never")

    state = {
        "revoked": _("Revoked"),
        "never-contacted": _("Never contacted"),
        "ok": _("OK"),
    }.get(status.state, _("Check"))
    kiosk = f"{status.id} {status.label}".strip()
    return [
        kiosk,
        status.unit_code,
        when(status.last_contact_at),
        "-" if status.backlog is None else str(status.backlog),
        str(status.received),
        str(status.max_seq),
        "-" if status.clock_offset_s is None else f"{status.clock_offset_s:+.0f} s",
        state,
    ]


def _problem_lines(status: KioskStatus) -> list[str]:
    lines = []
    if status.gaps:
        ranges = ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in status.gaps)
        lines.append(
            ngettext(
                "Kiosk %(id)d: %(num)d response missing: %(ranges)s",
                "Kiosk %(id)d: %(num)d responses missing: %(ranges)s",
                status.missing,
            )
            % {"id": status.id, "num": status.missing, "ranges": ranges}
        )
    if status.broken:
        more = status.broken_total - len(status.broken)
        seqs = ", ".join(map(str, status.broken)) + (f", … (+{more})" if more else "")
        lines.append(
            _("Kiosk %(id)d: broken chain links at %(seqs)s") % {"id": status.id, "seqs": seqs}
        )
    if status.forks:
        lines.append(
            _("Kiosk %(id)d: numbers sent twice with different content: %(seqs)s")
            % {"id": status.id, "seqs": ", ".join(map(str, status.forks))}
        )
    return lines


@units.command(
    "hours",
    help=_(
        "Set a unit's opening hours, e.g. 'mon-fri=07:30-11:30,13:30-17:00;sat=07:30-11:30' "
        "('default': the collector's)."
    ),
)
@click.argument("code")
@click.argument("spec")
def units_hours(code: str, spec: str) -> None:
    from collector.fleet.opening import hours_from_text, set_opening_hours

    session = get_session()
    try:
        set_opening_hours(session, code, hours_from_text(spec))
    except TranslatableError as exc:
        raise _fail(exc) from None
    session.commit()
    click.echo(_("Opening hours of %(code)s are set.") % {"code": code})


@collector.command(
    help=_(
        "Run the background jobs (exports, counts, silent kiosks, retention, the Monday mail) "
        "from the queue named by QUEUE_URL, with the scheduler of the periodic ones."
    )
)
@click.option("--workers", default=2, show_default=True, help=_("Jobs run at the same time."))
@click.option(
    "--once",
    type=click.Choice(["refresh-counts", "silent-kiosks", "retention", "weekly-mail"]),
    help=_("Run this periodic job once, now, in this process, and exit."),
)
@click.option(
    "--scheduler/--no-scheduler",
    default=True,
    show_default=True,
    help=_("Also run the periodic jobs (only one worker of a queue should)."),
)
def worker(workers: int, once: str | None, scheduler: bool) -> None:
    import logging

    from collector.tasks import BadQueueURL, get_queue

    app = current_app._get_current_object()
    try:
        huey = get_queue(app)
    except BadQueueURL as exc:
        raise click.ClickException(str(exc)) from None
    if once:
        huey.sipas_jobs[once].call_local()
        click.echo(_("Done."))
        return
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    click.echo(_("Worker started on the queue %(name)s.") % {"name": huey.name}, err=True)
    huey.create_consumer(
        workers=workers, worker_type="thread", periodic=scheduler, check_worker_health=True
    ).run()


@collector.group(help=_("What is kept, and for how long."))
def retention() -> None:
    pass


@retention.command("apply", help=_("Blank old comments, delete old responses and export files."))
@click.option("--dry-run", is_flag=True, help=_("Only count what would go; change nothing."))
def retention_apply(dry_run: bool) -> None:
    from collector.reports.exports import app_exports_dir
    from collector.retention import apply_retention

    app = current_app._get_current_object()
    session = get_session()
    result = apply_retention(
        session, app.config, app_exports_dir(app), dt.datetime.now(dt.UTC), dry_run=dry_run
    )
    if dry_run:
        session.rollback()
        click.echo(_("Dry run: nothing was changed."))
    else:
        # The periodic job applies the same policy unaudited; from the command line it is a
        # person's decision, in the audit log like every other change made here.
        audit(
            session,
            "retention-applied",
            None,
            comments=result.comments_blanked,
            responses=result.responses_deleted,
            files=result.files_deleted,
        )
        session.commit()
    click.echo(
        _(
            "Comments blanked: %(comments)d; responses deleted: %(responses)d; "
            "export files deleted: %(files)d."
        )
        % {
            "comments": result.comments_blanked,
            "responses": result.responses_deleted,
            "files": result.files_deleted,
        }
    )


@collector.group(help=_("Report targets per kind of service and year."))
def targets() -> None:
    pass


@targets.command("set", help=_("Set the target of a kind of service from a year on."))
@click.argument("kind")
@click.argument("year", type=int)
@click.argument("target", type=float)
@click.option("--source", required=True, help=_("Where the figure comes from."))
def targets_set(kind: str, year: int, target: float, source: str) -> None:
    session = get_session()
    try:
        set_target(session, kind, year, target, source)
    except TranslatableError as exc:
        raise _fail(exc) from None
    session.commit()
    click.echo(_("The target is saved; reports use it from now on."))


collector.add_command(users)
collector.add_command(tokens)
collector.add_command(report)
collector.add_command(integrations)
collector.add_command(receipts)
collector.add_command(procedures)
units.add_command(reorganise)
collector.add_command(dossiers)

__all__ = ["cli_locale", "collector"]
