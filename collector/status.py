"""The kiosk status page for managers: last contact, backlog, gaps and broken chains."""

from __future__ import annotations

from flask import Blueprint, render_template

from collector.auth import login_required
from collector.db import get_session
from collector.kiosks import kiosk_statuses

bp = Blueprint("kiosks", __name__)


@bp.get("/")
@login_required
def status():
    """List every kiosk with what the collector knows of it."""
    return render_template("collector/kiosks/status.html", kiosks=kiosk_statuses(get_session()))
