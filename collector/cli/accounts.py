"""`sipas collector users ...` and `sipas collector tokens ...`."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from collector.accounts.service import (
    add_user,
    create_token,
    find_user,
    reset_password,
    revoke_token,
    update_user,
)
from collector.cli.change import change
from collector.i18n import gettext as _
from collector.models import ROLE_LABELS, ROLES


@click.group(help=_("Manager accounts."))
def users() -> None:
    pass


@users.command("add", help=_("Add an account; asks for the password unless --password is given."))
@click.argument("email")
@click.option(
    "--role",
    type=click.Choice(ROLES),
    required=True,
    help=_("admin, manager, viewer or counter (a counter officer: issues receipt slips only)."),
)
@click.option("--unit", "unit_code", help=_("Code of the unit the account sees (with all below)."))
@click.option(
    "--password",
    prompt=True,
    hide_input=True,
    confirmation_prompt=True,
    help=_("The password (at least 10 characters)."),
)
@with_appcontext
def users_add(email: str, role: str, unit_code: str | None, password: str) -> None:
    user = change(lambda session: add_user(session, email, password, role, unit_code))
    role = _(ROLE_LABELS[user.role])
    click.echo(_("Added %(role)s %(email)s.") % {"role": role, "email": user.email})


def _user(session, email: str):
    user = find_user(session, email)
    if user is None:
        raise click.ClickException(_("no account %(email)s") % {"email": email})
    return user


@users.command("set", help=_("Change an account's role, unit, or whether it may log in."))
@click.argument("email")
@click.option(
    "--role",
    type=click.Choice(ROLES),
    help=_("admin, manager, viewer or counter (a counter officer: issues receipt slips only)."),
)
@click.option("--unit", "unit_code", help=_("Code of the unit the account sees (with all below)."))
@click.option("--active/--disabled", default=None, help=_("Whether the account may log in."))
@with_appcontext
def users_set(email: str, role: str | None, unit_code: str | None, active: bool | None) -> None:
    change(
        lambda session: update_user(
            session, _user(session, email), role=role, unit_code=unit_code, active=active
        )
    )
    click.echo(_("The account is saved."))


@users.command("reset-password", help=_("Print a temporary password, to be changed at login."))
@click.argument("email")
@with_appcontext
def users_reset_password(email: str) -> None:
    password = change(lambda session: reset_password(session, _user(session, email)))
    click.echo(_("Temporary password for %(email)s") % {"email": email})
    click.echo(password)


@click.group(help=_("Personal tokens for the JSON report API."))
def tokens() -> None:
    pass


@tokens.command("create", help=_("Create a personal API token for an account and print it once."))
@click.argument("email")
@click.option("--label", default="", help=_("What the token is for."))
@click.option("--days", default=365, show_default=True, help=_("Days until it expires (0: never)."))
@with_appcontext
def tokens_create(email: str, label: str, days: int) -> None:
    row, token = change(lambda session: create_token(session, email, label, days or None))
    click.echo(_("Token %(id)d created for %(email)s.") % {"id": row.id, "email": email})
    click.echo(_("The token (shown only this once; the collector keeps only a hash):"))
    click.echo(token)


@tokens.command("revoke", help=_("Revoke a personal API token."))
@click.argument("token_id", type=int)
@with_appcontext
def tokens_revoke(token_id: int) -> None:
    change(lambda session: revoke_token(session, token_id))
    click.echo(_("Token %(id)d is revoked.") % {"id": token_id})
