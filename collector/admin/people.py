"""Administration of people: accounts, roles, scopes, temporary passwords."""

from __future__ import annotations

import sqlalchemy as sa
from flask import render_template, request
from flask_babel import gettext as _

from collector.accounts.service import invite_user, reset_password, update_user
from collector.admin.base import (
    active_units_in_scope,
    bp,
    change,
    done,
    form_fields,
    form_text,
    secret_page,
    units_in_scope,
)
from collector.admin.common import acting_user, scope_of, user_in_scope
from collector.db import get_session
from collector.models import ROLES, User


@bp.get("/people")
def people():
    """The accounts of the administrator's units, with role, scope and last login."""
    actor = acting_user()
    query = sa.select(User).order_by(User.email)
    scope = scope_of(actor)
    if scope is not None:
        query = query.where(User.unit_id.in_(scope))
    return render_template(
        "collector/admin/people.html",
        people=list(get_session().scalars(query)),
        units=active_units_in_scope(actor),
        roles=ROLES,
        root_scope=scope is None,
    )


def _password_page(user: User, password: str):
    return secret_page("collector/admin/temporary_password.html", person=user, password=password)


@bp.post("/people")
def person_add():
    """Add an account with a temporary password, shown once, to be changed at the first login."""
    return change(
        lambda session, actor: invite_user(
            session, *form_fields("email", "role"), form_text("unit") or None, actor=actor
        ),
        lambda made: _password_page(*made),
    )


@bp.get("/people/<int:user_id>")
def person(user_id: int):
    """One account: role, scope, access, password reset."""
    actor = acting_user()
    return render_template(
        "collector/admin/person.html",
        person=user_in_scope(user_id, actor),
        units=units_in_scope(actor),
        roles=ROLES,
        root_scope=scope_of(actor) is None,
        me=actor,
    )


@bp.post("/people/<int:user_id>")
def person_update(user_id: int):
    """Change an account's role, unit or whether it may log in."""
    return change(
        lambda session, actor: update_user(
            session,
            user_in_scope(user_id, actor),
            role=request.form.get("role"),
            unit_code=form_text("unit"),
            active=request.form.get("active") == "1",
            actor=actor,
        ),
        lambda _user: done(_("The account is saved."), "admin.person", user_id=user_id),
    )


@bp.post("/people/<int:user_id>/reset")
def person_reset(user_id: int):
    """A temporary password for the account, to be changed at its next login."""

    def reset(session, actor):
        user = user_in_scope(user_id, actor)
        return user, reset_password(session, user, actor=actor)

    return change(reset, lambda made: _password_page(*made))
