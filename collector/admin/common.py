"""What the administration pages share: who is acting, what they may reach, form values."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, request
from flask_login import current_user

from collector.accounts.scope import visible_unit_ids
from collector.db import get_session
from collector.models import Kiosk, Unit, User


def acting_user() -> User:
    """The logged-in person's row in this request's session (the login keeps another copy)."""
    user = get_session().get(User, current_user.id)
    if user is None:
        abort(403)
    return user


def scope_of(user: User) -> set[int] | None:
    """The unit ids the user administers; None is the whole tree."""
    return visible_unit_ids(get_session(), user)


def unit_in_scope(code: str | None, user: User) -> Unit:
    """The unit with this code, or 404 when there is none or it lies outside the user's scope
    (the two look the same from outside, as in the reports)."""
    unit = get_session().scalar(sa.select(Unit).where(Unit.code == (code or "")))
    scope = scope_of(user)
    if unit is None or (scope is not None and unit.id not in scope):
        abort(404)
    return unit


def kiosk_in_scope(kiosk_id: int, user: User) -> Kiosk:
    kiosk = get_session().get(Kiosk, kiosk_id)
    scope = scope_of(user)
    if kiosk is None or (scope is not None and kiosk.unit_id not in scope):
        abort(404)
    return kiosk


def user_in_scope(user_id: int, actor: User) -> User:
    """An account the actor may see: its unit inside the actor's scope (a scoped administrator
    never sees the administrators of the whole tree)."""
    user = get_session().get(User, user_id)
    scope = scope_of(actor)
    if user is None or (scope is not None and user.unit_id not in scope):
        abort(404)
    return user


def form_int(name: str, default: int) -> int:
    try:
        return int(request.form.get(name, default))
    except (TypeError, ValueError):
        return default
