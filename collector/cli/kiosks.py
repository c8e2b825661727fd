"""`sipas collector kiosks ...`: register kiosks, their tokens and names, and the fleet's state."""

from __future__ import annotations

import datetime as dt

import click
from flask import current_app
from flask.cli import AppGroup

from collector.cli.change import change
from collector.db import get_session
from collector.fleet.kiosks import register_kiosk, relabel_kiosk, revoke_kiosk, rotate_token
from collector.fleet.status import KioskStatus, kiosk_statuses
from collector.i18n import gettext as _
from collector.i18n import local_time, ngettext

kiosks = AppGroup("kiosks", help=_("Kiosks and their tokens."))


@kiosks.command("register", help=_("Register a kiosk for a unit and print its token once."))
@click.option("--unit", "unit_code", required=True, help=_("Code of the kiosk's unit."))
@click.option("--label", default="", help=_("A name for people, e.g. 'Counter 2'."))
def kiosks_register(unit_code: str, label: str) -> None:
    kiosk, token = change(lambda session: register_kiosk(session, unit_code, label))
    click.echo(
        _("Kiosk %(id)d registered for unit %(unit)s.") % {"id": kiosk.id, "unit": unit_code}
    )
    click.echo(_("Its token (shown only this once; the collector keeps only a hash):"))
    click.echo(token)


@kiosks.command("revoke", help=_("Revoke a kiosk's token; its responses stay."))
@click.argument("kiosk_id", type=int)
def kiosks_revoke(kiosk_id: int) -> None:
    kiosk = change(lambda session: revoke_kiosk(session, kiosk_id))
    click.echo(_("Kiosk %(id)d is revoked.") % {"id": kiosk.id})


@kiosks.command("rotate", help=_("Give a kiosk a new token; the old one stops working."))
@click.argument("kiosk_id", type=int)
def kiosks_rotate(kiosk_id: int) -> None:
    kiosk, token = change(lambda session: rotate_token(session, kiosk_id))
    click.echo(_("Kiosk %(id)d has a new token (shown only this once):") % {"id": kiosk.id})
    click.echo(token)


@kiosks.command("label", help=_("Give a kiosk a new name for people."))
@click.argument("kiosk_id", type=int)
@click.argument("label")
def kiosks_label(kiosk_id: int, label: str) -> None:
    change(lambda session: relabel_kiosk(session, kiosk_id, label))
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
