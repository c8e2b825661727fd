"""`sipas collector units ...`: the tree of administrative units and their opening hours."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from collector.cli.change import change
from collector.fleet.opening import hours_from_text, set_opening_hours
from collector.i18n import gettext as _
from collector.models.units import UNIT_KINDS
from collector.units import add_unit, move_unit, rename_unit, set_unit_active
from collector.units.imports import import_units, read_units_csv

units = AppGroup("units", help=_("Administrative units: a tree up to 32 levels deep."))


@units.command("import", help=_("Add or update units from a CSV file: code,name,parent,kind."))
@click.argument("file", type=click.File("r", encoding="utf-8-sig"))
def units_import(file) -> None:
    summary = change(lambda session: import_units(session, read_units_csv(file.read())))
    click.echo(
        _("Units added: %(added)d, updated: %(updated)d, unchanged: %(unchanged)d.")
        % summary.counts()
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
    unit = change(lambda session: add_unit(session, code, name, kind, parent))
    click.echo(_("Added unit %(code)s (%(name)s).") % {"code": unit.code, "name": unit.name})


@units.command("rename", help=_("Give a unit a new name (its code never changes)."))
@click.argument("code")
@click.argument("name")
def units_rename(code: str, name: str) -> None:
    change(lambda session: rename_unit(session, code, name))
    click.echo(_("The unit is renamed."))


@units.command("move", help=_("Put a unit under another parent (none: the top of the tree)."))
@click.argument("code")
@click.option("--parent", help=_("Code of the new unit above it."))
def units_move(code: str, parent: str | None) -> None:
    change(lambda session: move_unit(session, code, parent))
    click.echo(_("The unit is moved."))


@units.command("deactivate", help=_("Deactivate a unit; it keeps its responses (never deleted)."))
@click.argument("code")
@click.option("--undo", is_flag=True, help=_("Activate it again."))
def units_deactivate(code: str, undo: bool) -> None:
    change(lambda session: set_unit_active(session, code, undo))
    click.echo(_("The unit is active again.") if undo else _("The unit is deactivated."))


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
    change(lambda session: set_opening_hours(session, code, hours_from_text(spec)))
    click.echo(_("Opening hours of %(code)s are set.") % {"code": code})
