"""Administration of the report targets per kind of service and year."""

from __future__ import annotations

import datetime as dt

from flask import current_app, render_template, request
from flask_babel import gettext as _

from collector.admin.base import bp, change, done, whole_tree_only
from collector.admin.common import acting_user, form_int, scope_of
from collector.db import get_session
from collector.reports.labels import kind_label
from collector.reports.targets import effective_targets, set_target, stored_targets
from shared.questionnaires import KINDS


@bp.get("/targets")
def targets():
    """The target per kind of service and year; the stored ones name their source."""
    actor = acting_user()
    session = get_session()
    configured = current_app.config["REPORT_TARGETS"]
    stored = {(row.kind, row.year): row for row in stored_targets(session)}
    rows = []
    for kind, by_year in effective_targets(session, configured).items():
        for year, value in sorted(by_year.items()):
            rows.append(
                {"kind": kind, "year": year, "target": value, "stored": stored.get((kind, year))}
            )
    return render_template(
        "collector/admin/targets.html",
        rows=rows,
        kinds=KINDS,
        may_edit=scope_of(actor) is None,
        this_year=dt.date.today().year,
        kind_label=kind_label,
    )


def _form_target() -> float:
    try:
        return float(request.form.get("target", "").replace(",", "."))
    except ValueError:
        return float("nan")


@bp.post("/targets")
def target_set():
    """Set a target (administrators of the whole province); reports use it from then on."""
    return change(
        lambda session, actor: set_target(
            session,
            request.form.get("kind", ""),
            form_int("year", 0),
            _form_target(),
            request.form.get("source", ""),
            actor=actor,
        ),
        lambda _row: done(_("The target is saved; reports use it from now on."), "admin.targets"),
        check=whole_tree_only,
    )
