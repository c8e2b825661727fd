"""`sipas collector integrations ...` and `sipas collector receipts ...`."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from collector.cli.change import change
from collector.i18n import gettext as _
from collector.i18n import local_time
from collector.receipts.integrations import create_integration, revoke_integration
from collector.receipts.service import issue_receipt, parse_request, revoke_receipt
from collector.receipts.settings import app_key, public_url

integrations = AppGroup(
    "integrations", help=_("Integration tokens: the one-stop software that issues receipt codes.")
)


@integrations.command(
    "create",
    help=_("Make an integration token for a unit and the units below it; it is printed once."),
)
@click.option("--unit", "unit_code", required=True, help=_("Code of the unit."))
@click.option("--label", default="", help=_("A name for people, e.g. 'One-stop software'."))
def integrations_create(unit_code: str, label: str) -> None:
    integration_id, token = change(lambda session: create_integration(session, unit_code, label))
    click.echo(
        _("Integration token %(id)d made for unit %(unit)s and the units below it.")
        % {"id": integration_id, "unit": unit_code}
    )
    click.echo(_("The token (shown only this once; the collector keeps only a hash):"))
    click.echo(token)


@integrations.command("revoke", help=_("Revoke an integration token; receipts it issued stay."))
@click.argument("integration_id", type=int)
def integrations_revoke(integration_id: int) -> None:
    change(lambda session: revoke_integration(session, integration_id))
    click.echo(_("Integration token %(id)d is revoked.") % {"id": integration_id})


receipts = AppGroup("receipts", help=_("Receipt rating codes (QR) for dossiers."))


@receipts.command(
    "issue", help=_("Issue the rating code of a dossier (the same code if it has one).")
)
@click.option(
    "--dossier", required=True, help=_("The dossier code, e.g. 000.00.12.H40-260302-0001.")
)
@click.option("--unit", "unit_code", required=True, help=_("Code of the unit."))
@click.option("--questionnaire", default="admin", show_default=True, help=_("Kind of service."))
@click.option("--procedure", default=None, help=_("Procedure code."))
@click.option("--officer", default=None, help=_("Officer code."))
@click.option("--due-date", default=None, help=_("Date the result is due, YYYY-MM-DD."))
@click.option(
    "--out",
    type=click.Path(dir_okay=False, writable=True),
    default=None,
    help=_("Write the QR code to this file (.png or .svg)."),
)
def receipts_issue(
    dossier: str,
    unit_code: str,
    questionnaire: str,
    procedure: str | None,
    officer: str | None,
    due_date: str | None,
    out: str | None,
) -> None:
    if out and not out.lower().endswith((".png", ".svg")):
        raise click.BadParameter(_("the file name must end in .png or .svg"), param_hint="--out")
    body = {
        "dossier": dossier,
        "unit": unit_code,
        "questionnaire": questionnaire,
        "procedure": procedure,
        "officer": officer,
        "due_date": due_date,
    }
    issued = change(
        lambda session: issue_receipt(
            session,
            parse_request(body),
            key=app_key(),
            public_url=public_url(),
            ttl_days=current_app.config["RECEIPT_TTL_DAYS"],
        )
    )
    click.echo(
        (_("New rating code") if issued.created else _("This dossier already has a rating code"))
        + ":"
    )
    click.echo(issued.url)
    click.echo(
        _("Valid until %(when)s.")
        % {"when": local_time(issued.expires_at, current_app.config["BABEL_DEFAULT_TIMEZONE"])}
    )
    if out:
        data = issued.qr_png() if out.lower().endswith(".png") else issued.qr_svg()
        with open(out, "wb") as fh:
            fh.write(data)
        click.echo(_("QR code written to %(path)s.") % {"path": out})


@receipts.command("revoke", help=_("Withdraw a receipt's rating code (unless already answered)."))
@click.argument("token")
def receipts_revoke(token: str) -> None:
    receipt = change(lambda session: revoke_receipt(session, app_key(), token))
    click.echo(_("Receipt code state: %(state)s.") % {"state": receipt.state})
