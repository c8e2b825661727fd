"""`sipas collector ...`: serve, migrate, and manage units, kiosks, people, receipts, reports.

One module per area, each a group of commands; a command that changes something goes through
`change.change` (the business function writes the audit entry; the command commits, or stops
with the translated reason and nothing stored).
"""

from __future__ import annotations

import functools
from pathlib import Path

import click
from flask.cli import AppGroup, ScriptInfo

from collector.cli.accounts import tokens, users
from collector.cli.app import app_for_cli, default_instance
from collector.cli.kiosks import kiosks
from collector.cli.procedures import procedures
from collector.cli.retention import retention
from collector.cli.server import check, db, run, worker
from collector.cli.targets import targets
from collector.cli.units import units
from collector.dossiers.cli import dossiers
from collector.i18n import cli_locale
from collector.i18n import gettext as _
from collector.receipts.cli import integrations, receipts
from collector.reports.cli import report
from collector.unit_history.cli import reorganise


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
        info.create_app = functools.partial(app_for_cli, instance)


for command in (check, run, db, worker, units, kiosks, retention, targets, users, tokens):
    collector.add_command(command)
for command in (report, integrations, receipts, procedures, dossiers):
    collector.add_command(command)
units.add_command(reorganise)

__all__ = ["cli_locale", "collector"]
