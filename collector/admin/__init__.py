"""Administration in the browser: units, kiosks, people, integrations, targets, procedures, the
audit log (one module each, over the one helper in `base`), and each person's own account.

The pages call the same business functions as the `sipas collector` commands; every change is a
POST (CSRF-checked by the app's CSRFProtect), written to the audit log by those functions, and
limited to the acting administrator's subtree.
"""

from __future__ import annotations

from flask import Flask, redirect, request, url_for
from flask_babel import gettext
from flask_login import current_user

from collector.admin import (
    account,
    audit_log,
    integrations,
    kiosks,
    people,
    procedures,
    targets,
    units,
)
from collector.admin.base import bp
from collector.models import ROLE_LABELS
from collector.models.units import UNIT_KINDS, unit_kind_label

#: The areas of the administration, each a module of pages on the one `admin` blueprint.
AREAS = (units, kiosks, people, integrations, targets, procedures, audit_log)

#: Pages a person who must change their password may still open.
_OPEN_WHILE_CHANGING = {"account.password", "accounts.logout", "accounts.login", "static"}


def init_app(app: Flask) -> None:
    app.register_blueprint(bp, url_prefix="/admin")
    app.register_blueprint(account.bp, url_prefix="/account")
    app.before_request(_require_new_password)
    app.jinja_env.globals.update(
        unit_kinds=tuple(UNIT_KINDS),
        unit_kind=lambda kind: unit_kind_label(kind, gettext),
        role_labels=ROLE_LABELS,
    )


def _require_new_password():
    """After a password reset, nothing but choosing a new password (and logging out); then on to
    the page that was asked for."""
    if request.path.startswith("/api/") or request.endpoint in _OPEN_WHILE_CHANGING:
        return None
    if current_user.is_authenticated and current_user.must_change_password:
        wanted = request.full_path.rstrip("?") if request.method == "GET" else None
        return redirect(url_for("account.password", next=wanted))
    return None
