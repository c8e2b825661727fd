"""The kiosk status page for managers: last contact, backlog, gaps and broken chains, and the
kiosks silent during their unit's opening hours."""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, abort, current_app, render_template, request
from flask_login import current_user

from collector.accounts.scope import visible_unit_ids
from collector.auth import login_required
from collector.db import get_session
from collector.fleet.opening import silent_kiosks
from collector.fleet.status import BROKEN_PER_PAGE, broken_links, kiosk_statuses
from collector.models import Kiosk, User

bp = Blueprint("kiosks", __name__)


def _scope(session) -> set[int] | None:
    # An administrator limited to a subtree sees that subtree's kiosks only.
    return (
        visible_unit_ids(session, session.get(User, current_user.id))
        if current_user.is_authenticated
        else None
    )


@bp.get("/")
@login_required
def status():
    """List every kiosk with what the collector knows of it."""
    session = get_session()
    scope = _scope(session)
    silent = silent_kiosks(session, current_app.config, dt.datetime.now(dt.UTC), scope)
    return render_template(
        "collector/kiosks/status.html",
        kiosks=kiosk_statuses(session, scope),
        silent=silent,
        silent_ids={k.id for k in silent},
        silent_after=current_app.config["SILENT_AFTER_MINUTES"],
    )


@bp.get("/<int:kiosk_id>/broken")
@login_required
def broken(kiosk_id: int):
    """A kiosk's broken chain links, a page at a time."""
    session = get_session()
    kiosk = session.get(Kiosk, kiosk_id)
    scope = _scope(session)
    if kiosk is None or (scope is not None and kiosk.unit_id not in scope):
        abort(404)
    try:
        page = int(request.args.get("page", "1"))
    except ValueError:
        abort(400)
    seqs, total = broken_links(session, kiosk_id, page)
    pages = max(1, -(-total // BROKEN_PER_PAGE))
    if not 1 <= page <= pages:
        abort(404)
    return render_template(
        "collector/kiosks/broken.html", kiosk=kiosk, seqs=seqs, total=total, page=page, pages=pages
    )
