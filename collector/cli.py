"""`sipas collector ...`: serve, migrate, manage units and kiosks.

Each command owns its transaction: it calls business functions that flush, then commits.
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
from zoneinfo import ZoneInfo

import click
from flask import Flask, current_app
from flask.cli import AppGroup, ScriptInfo

from collector import InsecureSecretKey, config, create_app
from collector.accounts.cli import tokens, users
from collector.db import get_session
from collector.i18n import TranslatableError, cli_locale, ngettext
from collector.i18n import gettext as _
from collector.kiosks import (
    KioskStatus,
    kiosk_statuses,
    register_kiosk,
    revoke_kiosk,
    rotate_token,
)
from collector.migrate import upgrade
from collector.receipts.cli import integrations, receipts
from collector.reports.cli import report
from collector.units import add_unit, import_units, read_units_csv


def _app_for_cli() -> Flask:
    """The configured app; on first use, without any secret key, one is made and kept in the
    instance folder (the factory itself never writes)."""
    try:
        return create_app()
    except InsecureSecretKey as exc:
        os.makedirs(exc.instance_path, exist_ok=True)
        path = os.path.join(exc.instance_path, config.SECRET_KEY_FILE)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(secrets.token_hex(32) + "\n")
        click.echo(_("Created a secret key in %(path)s") % {"path": path}, err=True)
        return create_app()


def _fail(exc: TranslatableError) -> click.ClickException:
    return click.ClickException(exc.translate(_))


@click.group(cls=AppGroup, help=_("The collector: receives responses from the kiosks."))
@click.pass_context
def collector(ctx: click.Context) -> None:
    info = ctx.ensure_object(ScriptInfo)
    if info.create_app is None:  # tests hand over their own app through ScriptInfo
        info.create_app = _app_for_cli


def _migrate() -> None:
    app = current_app
    os.makedirs(app.instance_path, exist_ok=True)
    upgrade(app.config["DATABASE_URL"])


@collector.command(help=_("Bring the database up to date, then serve the collector (waitress)."))
@click.option("--host", default="127.0.0.1", show_default=True, help=_("Address to listen on."))
@click.option("--port", default=5000, show_default=True, help=_("Port to listen on."))
@click.option("--threads", default=4, show_default=True, help=_("Worker threads."))
def run(host: str, port: int, threads: int) -> None:
    import waitress

    _migrate()
    click.echo(_("Collector listening on http://%(host)s:%(port)d/") % {"host": host, "port": port})
    waitress.serve(current_app._get_current_object(), host=host, port=port, threads=threads)


@collector.group(help=_("The database."))
def db() -> None:
    pass


@db.command("upgrade", help=_("Create or update the tables (run the migrations)."))
def db_upgrade() -> None:
    _migrate()
    click.echo(_("The database is up to date."))


@collector.group(help=_("Administrative units: a tree of any depth."))
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
@click.option("--kind", required=True, help=_("Kind of unit, e.g. province, commune, school."))
def units_add(code: str, name: str, parent: str | None, kind: str) -> None:
    session = get_session()
    try:
        unit = add_unit(session, code, name, kind, parent)
    except TranslatableError as exc:
        raise _fail(exc) from None
    session.commit()
    click.echo(_("Added unit %(code)s (%(name)s).") % {"code": unit.code, "name": unit.name})


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


@kiosks.command("status", help=_("Last contact, backlog, gaps and broken chains of every kiosk."))
def kiosks_status() -> None:
    statuses = kiosk_statuses(get_session())
    if not statuses:
        click.echo(_("No kiosk is registered yet."))
        return
    zone = ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])
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


def _status_row(status: KioskStatus, zone: ZoneInfo) -> list[str]:
    def when(moment: dt.datetime | None) -> str:
        return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M") if moment else _("never")

    if status.revoked:
        state = _("Revoked")
    elif status.healthy:
        state = _("OK")
    else:
        state = _("Check")
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
        lines.append(
            _("Kiosk %(id)d: broken chain links at %(seqs)s")
            % {"id": status.id, "seqs": ", ".join(map(str, status.broken))}
        )
    if status.forks:
        lines.append(
            _("Kiosk %(id)d: numbers sent twice with different content: %(seqs)s")
            % {"id": status.id, "seqs": ", ".join(map(str, status.forks))}
        )
    return lines


collector.add_command(users)
collector.add_command(tokens)
collector.add_command(report)
collector.add_command(integrations)
collector.add_command(receipts)

__all__ = ["cli_locale", "collector"]
