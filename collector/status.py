"""The kiosk status page for managers: last contact, backlog, gaps and broken chains, and the
kiosks silent during their unit's opening hours."""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, current_app, render_template
from flask_login import current_user

from collector.accounts.scope import visible_unit_ids
from collector.auth import login_required
from collector.db import get_session
from collector.kiosks import kiosk_statuses
from collector.models import User
from collector.opening import silent_kiosks

bp = Blueprint("kiosks", __name__)


@bp.get("/")
@login_required
def status():
    """List every kiosk with what the collector knows of it."""
    session = get_session()
    # An administrator limited to a subtree sees that subtree's kiosks only.
    scope = (
        visible_unit_ids(session, session.get(User, current_user.id))
        if current_user.is_authenticated
        else None
    )
    silent = silent_kiosks(session, current_app.config, dt.datetime.now(dt.UTC), scope)
    return render_template(
        "collector/kiosks/status.html",
        kiosks=kiosk_statuses(session, scope),
        silent=silent,
        silent_ids={k.id for k in silent},
        silent_after=current_app.config["SILENT_AFTER_MINUTES"],
    )
