"""The audit log page: who changed what and when, filtered by person, action and date."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app, render_template, request
from flask_babel import gettext as _

from collector.admin.base import bp
from collector.admin.common import acting_user, scope_of
from collector.audit import action_label, describe
from collector.db import get_session
from collector.models import AuditEntry, User

AUDIT_PAGE = 300


def _date(name: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(request.args.get(name, ""))
    except ValueError:
        return None


@bp.get("/audit")
def audit_log():
    """The audit log, newest first, filtered by person, action and date (Vietnam time)."""
    actor = acting_user()
    session = get_session()
    zone = ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])
    query = sa.select(AuditEntry).outerjoin(AuditEntry.user).order_by(AuditEntry.id.desc())
    scope = scope_of(actor)
    if scope is not None:
        # A scoped administrator sees what the people of their units did.
        query = query.where(User.unit_id.in_(scope))
    person = request.args.get("person", "").strip().lower()
    if person:
        query = query.where(User.email.contains(person, autoescape=True))
    action = request.args.get("action", "").strip()
    if action:
        query = query.where(AuditEntry.action == action)
    since, until = _date("since"), _date("until")
    if since:
        query = query.where(AuditEntry.at >= dt.datetime.combine(since, dt.time(), zone))
    if until:
        end = dt.datetime.combine(until + dt.timedelta(days=1), dt.time(), zone)
        query = query.where(AuditEntry.at < end)
    entries = list(session.scalars(query.limit(AUDIT_PAGE + 1)))
    actions = list(
        session.scalars(sa.select(AuditEntry.action).distinct().order_by(AuditEntry.action))
    )
    return render_template(
        "collector/admin/audit.html",
        describe=lambda entry: describe(entry, _),
        action_label=lambda code: action_label(code, _),
        entries=entries[:AUDIT_PAGE],
        more=len(entries) > AUDIT_PAGE,
        actions=actions,
        filters={
            "person": person,
            "action": action,
            "since": since.isoformat() if since else "",
            "until": until.isoformat() if until else "",
        },
    )
