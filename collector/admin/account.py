"""My account: change my password, my personal API tokens, the Monday report by e-mail."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from collector.accounts import is_safe_next, keep_this_session, role_required
from collector.accounts.service import (
    AccountError,
    change_password,
    create_token,
    revoke_token,
    set_weekly_mail,
)
from collector.admin.base import change, form_text
from collector.admin.common import acting_user, form_int
from collector.db import get_session
from collector.models import ApiToken
from shared.i18n import N_

bp = Blueprint("account", __name__)


def _page(status: int = 200, **extra):
    user = acting_user()
    tokens = get_session().scalars(
        sa.select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id.desc())
    )
    return render_template(
        "collector/admin/account.html", me=user, tokens=list(tokens), **extra
    ), status


@bp.get("/")
@role_required()
def index():
    """My account: password, API tokens, e-mail of the Monday report."""
    return _page()


@bp.route("/password", methods=["GET", "POST"])
@role_required()
def password():
    """Change my password (required after a reset, before any other page)."""
    problem = None
    if request.method == "POST":
        session = get_session()
        user = acting_user()
        new = request.form.get("new", "")
        try:
            if new != request.form.get("repeat", ""):
                raise AccountError(N_("the two new passwords differ"))
            change_password(session, user, request.form.get("current", ""), new)
        except AccountError as exc:
            session.commit()  # a refused change is audited too
            problem = exc.translate(_)
        else:
            session.commit()
            keep_this_session(user)
            flash(_("Your password is changed."))
            # After a forced change, the page the person had asked for; else their account.
            wanted = request.args.get("next")
            return redirect(wanted if is_safe_next(wanted) else url_for("account.index"))
    return render_template("collector/admin/password.html", problem=problem, me=acting_user()), (
        400 if problem else 200
    )


def _refused(status: int):
    """A refused change: my account's page again, with the reason."""
    return lambda exc: _page(status, problem=exc.translate(_))


def _saved(message: str):
    """A stored change: say so on my account's page."""

    def then(_result: object):
        flash(message)
        return redirect(url_for("account.index"))

    return then


@bp.post("/tokens")
@role_required()
def token_create():
    """Create a personal API token; it is shown once."""
    days = form_int("days", 365)
    return change(
        lambda session, user: create_token(
            session, user.email, form_text("label"), days or None, actor=user
        ),
        lambda made: _page(new_token=made[1], new_token_id=made[0].id),
        refuse=_refused(400),
    )


@bp.post("/tokens/<int:token_id>/revoke")
@role_required()
def token_revoke(token_id: int):
    """Revoke one of my tokens."""
    return change(
        lambda session, user: revoke_token(session, token_id, owner=user),
        _saved(_("The token is revoked.")),
        refuse=_refused(404),
    )


@bp.post("/mail")
@role_required()
def mail():
    """Whether I receive the Monday report by e-mail."""
    return change(
        lambda session, user: set_weekly_mail(
            session, user, request.form.get("weekly_mail") == "1"
        ),
        _saved(_("Your e-mail preference is saved.")),
        refuse=_refused(400),
    )
