"""Administration of the unit tree: browse, add, rename, move, deactivate, opening hours, import."""

from __future__ import annotations

from collections import defaultdict

import sqlalchemy as sa
from flask import current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _

from collector.admin.base import (
    UploadError,
    bp,
    change,
    done,
    form_text,
    parent_in_scope,
    units_in_scope,
    uploaded_csv,
)
from collector.admin.common import acting_user, scope_of, unit_in_scope
from collector.db import get_session
from collector.fleet.opening import (
    DEFAULT_HOURS,
    format_hours_spec,
    hours_from_text,
    set_opening_hours,
)
from collector.models import Kiosk, Response, Unit, User
from collector.receipts.integrations import list_integrations
from collector.units import UnitError, add_unit, move_unit, rename_unit, set_unit_active
from collector.units.imports import import_units, plan_import, read_units_csv

#: Levels of the tree the unit page shows at once; deeper branches open on their unit's page (a
#: province's schools and counters would make one page of thousands of lines).
TREE_DEPTH = 1


@bp.get("/")
def index():
    """The administration starts at the unit tree."""
    return redirect(url_for("admin.units"))


@bp.get("/units")
def units():
    """The unit tree, searchable, each branch opening on a click."""
    actor = acting_user()
    every = units_in_scope(actor)
    by_id = {u.id: u for u in every}
    children: dict[int | None, list[Unit]] = defaultdict(list)
    for unit in every:
        children[unit.parent_id if unit.parent_id in by_id else None].append(unit)
    query = request.args.get("q", "").strip()
    shown: set[int] | None = None
    if query:
        needle = query.casefold()
        shown = set()
        for unit in every:
            if needle in unit.code.casefold() or needle in unit.name.casefold():
                node: Unit | None = unit
                while node is not None and node.id in by_id and node.id not in shown:
                    shown.add(node.id)
                    node = by_id.get(node.parent_id) if node.parent_id else None
    return render_template(
        "collector/admin/units.html",
        children=children,
        shown=shown,
        query=query,
        count=len(every),
        root_scope=scope_of(actor) is None,
        max_depth=TREE_DEPTH,
    )


@bp.post("/units")
def unit_add():
    """Add a unit below one the administrator holds (at the top: administrators of the whole
    tree only)."""
    parent = form_text("parent") or None
    return change(
        lambda session, actor: add_unit(
            session,
            form_text("code"),
            request.form.get("name", ""),
            form_text("kind"),
            parent,
            actor=actor,
        ),
        lambda unit: done(
            _("Added unit %(code)s (%(name)s).", code=unit.code, name=unit.name),
            "admin.unit",
            code=unit.code,
        ),
        check=lambda actor: parent_in_scope(actor, parent),
    )


@bp.get("/units/<code>")
def unit(code: str):
    """One unit: rename, move, deactivate; its kiosks and accounts."""
    actor = acting_user()
    unit = unit_in_scope(code, actor)
    session = get_session()
    responses = session.scalar(
        sa.select(sa.func.count()).select_from(Response).where(Response.unit_id == unit.id)
    )
    kiosks = list(session.scalars(sa.select(Kiosk).where(Kiosk.unit_id == unit.id)))
    people = list(session.scalars(sa.select(User).where(User.unit_id == unit.id)))
    below = list(
        session.scalars(sa.select(Unit).where(Unit.parent_id == unit.id).order_by(Unit.code))
    )
    return render_template(
        "collector/admin/unit.html",
        unit=unit,
        responses=responses,
        kiosks=kiosks,
        people=people,
        below=below,
        units=units_in_scope(actor),
        hours=format_hours_spec(unit.opening_hours),
        default_hours=format_hours_spec(current_app.config.get("OPENING_HOURS") or DEFAULT_HOURS),
        integrations=[
            row for row in list_integrations(session, {unit.id}) if row.revoked_at is None
        ],
    )


def _unit_change(code: str, call, message: str, anchor: str = "", check=None):
    """A change to one unit the administrator holds, answered on the unit's page."""

    def in_scope(actor):
        unit_in_scope(code, actor)
        if check is not None:
            check(actor)

    return change(
        call, lambda _result: done(message, "admin.unit", anchor, code=code), check=in_scope
    )


@bp.post("/units/<code>/rename")
def unit_rename(code: str):
    """Give the unit a new name."""
    name = request.form.get("name", "")
    return _unit_change(
        code,
        lambda session, actor: rename_unit(session, code, name, actor=actor),
        _("The unit is renamed."),
    )


@bp.post("/units/<code>/move")
def unit_move(code: str):
    """Put the unit under another parent inside the administrator's subtree."""
    parent = form_text("parent") or None
    return _unit_change(
        code,
        lambda session, actor: move_unit(session, code, parent, actor=actor),
        _("The unit is moved."),
        check=lambda actor: parent_in_scope(actor, parent),
    )


@bp.post("/units/<code>/active")
def unit_active(code: str):
    """Deactivate the unit (its responses stay) or bring it back."""
    active = request.form.get("active") == "1"
    return _unit_change(
        code,
        lambda session, actor: set_unit_active(session, code, active, actor=actor),
        _("The unit is active again.") if active else _("The unit is deactivated."),
    )


@bp.post("/units/<code>/hours")
def unit_hours(code: str):
    """Set the unit's opening hours (used by the silent-kiosk check), or go back to the default."""
    return _unit_change(
        code,
        lambda session, actor: set_opening_hours(
            session, code, hours_from_text(request.form.get("hours", "")), actor=actor
        ),
        _("The opening hours are saved."),
        anchor="#hours",
    )


@bp.route("/unit-import", methods=["GET", "POST"])
def units_import():
    """Import a unit CSV: first a preview of every change and every bad row, then the import."""
    actor = acting_user()
    if request.method == "GET":
        return render_template("collector/admin/units_import.html", text=None)
    text, plan, problem = "", None, None
    try:
        text = uploaded_csv()
        plan = plan_import(get_session(), read_units_csv(text), scope_of(actor))
    except (UploadError, UnitError) as exc:
        problem = exc.translate(_)
    if plan is not None and not plan.errors and request.form.get("confirm") == "1":
        return change(
            lambda session, actor: import_units(
                session, read_units_csv(text), scope_of(actor), actor=actor
            ),
            lambda summary: done(
                _(
                    "Units added: %(added)d, updated: %(updated)d, unchanged: %(unchanged)d.",
                    **summary.counts(),
                ),
                "admin.units",
            ),
        )
    status = 400 if problem or (plan is not None and plan.errors) else 200
    errors = [(line, error.translate(_)) for line, error in plan.errors] if plan else []
    return render_template(
        "collector/admin/units_import.html", text=text, plan=plan, errors=errors, problem=problem
    ), status
