"""The kiosk status page for managers: last contact, backlog, gaps and broken chains."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user

from collector.accounts.scope import visible_unit_ids
from collector.auth import login_required
from collector.db import get_session
from collector.kiosks import kiosk_statuses
from collector.models import User

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
    return render_template("collector/kiosks/status.html", kiosks=kiosk_statuses(session, scope))
