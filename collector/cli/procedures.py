"""`sipas collector procedures ...`: the procedure list offered on the counter page."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from collector.cli.change import change
from collector.db import get_session
from collector.i18n import gettext as _
from collector.procedures.service import (
    import_procedures,
    list_procedures,
    save_procedure,
    set_procedure_active,
)
from shared.questionnaires import KINDS

procedures = AppGroup("procedures", help=_("The procedure list that counter officers pick from."))


@procedures.command("add", help=_("Add a procedure, or give its code a new name or kind."))
@click.argument("code")
@click.argument("name")
@click.option(
    "--kind",
    type=click.Choice(KINDS),
    default="admin",
    show_default=True,
    help=_("Kind of service (the questionnaire of its receipts)."),
)
def procedures_add(code: str, name: str, kind: str) -> None:
    row = change(lambda session: save_procedure(session, code, name, kind))
    click.echo(_("Procedure %(code)s saved: %(name)s.") % {"code": row.code, "name": row.name})


@procedures.command("import", help=_("Add or update procedures from a CSV file: code,name,kind."))
@click.argument("file", type=click.File("r", encoding="utf-8-sig"))
def procedures_import(file) -> None:
    summary = change(lambda session: import_procedures(session, file.read()))
    click.echo(
        _("Procedures added: %(added)d, updated: %(updated)d, unchanged: %(unchanged)d.")
        % summary.counts()
    )


@procedures.command(
    "withdraw", help=_("No longer offer a procedure at the counter (receipts keep its code).")
)
@click.argument("code")
@click.option("--undo", is_flag=True, help=_("Offer it again."))
def procedures_withdraw(code: str, undo: bool) -> None:
    change(lambda session: set_procedure_active(session, code, undo))
    click.echo(_("The procedure is offered again.") if undo else _("The procedure is withdrawn."))


@procedures.command("list", help=_("Print the procedure list."))
def procedures_list() -> None:
    for row in list_procedures(get_session()):
        state = "" if row.active else "  (" + _("withdrawn") + ")"
        click.echo(f"{row.code}\t{row.kind}\t{row.name}{state}")
