"""`sipas collector targets ...`: the report targets per kind of service and year."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from collector.cli.change import change
from collector.i18n import gettext as _
from collector.reports.targets import set_target

targets = AppGroup("targets", help=_("Report targets per kind of service and year."))


@targets.command("set", help=_("Set the target of a kind of service from a year on."))
@click.argument("kind")
@click.argument("year", type=int)
@click.argument("target", type=float)
@click.option("--source", required=True, help=_("Where the figure comes from."))
def targets_set(kind: str, year: int, target: float, source: str) -> None:
    change(lambda session: set_target(session, kind, year, target, source))
    click.echo(_("The target is saved; reports use it from now on."))
