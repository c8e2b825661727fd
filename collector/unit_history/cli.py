"""`sipas collector units reorganise FILE.csv`: record a reorganisation of units on a date."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from collector.db import get_session
from collector.i18n import TranslatableError
from collector.i18n import gettext as _
from collector.unit_history import read_reorganisation_csv, reorganise_units


@click.command(
    "reorganise",
    help=_(
        "Record units merged, split or renamed on a date from a CSV file: date,from,to,change "
        "(merge, split or rename)[,note]. The new units must exist already (units import)."
    ),
)
@click.argument("file", type=click.File("r", encoding="utf-8-sig"))
@with_appcontext
def reorganise(file) -> None:
    session = get_session()
    try:
        summary = reorganise_units(session, read_reorganisation_csv(file.read()))
    except TranslatableError as exc:
        raise click.ClickException(exc.translate(_)) from None
    session.commit()
    click.echo(
        _(
            "Reorganisation of %(date)s recorded: %(ceased)d units ceased, "
            "%(successors)d follow them."
        )
        % {
            "date": summary.effective.isoformat(),
            "ceased": len(summary.ceased),
            "successors": len(summary.successors),
        }
    )
