"""Administration of the province's procedure list, which counter officers pick from."""

from __future__ import annotations

from flask import render_template, request
from flask_babel import gettext as _

from collector.admin.base import bp, change, done, form_fields, uploaded_csv
from collector.admin.common import acting_user, scope_of
from collector.db import get_session
from collector.procedures.service import (
    import_procedures,
    list_procedures,
    save_procedure,
    set_procedure_active,
)
from collector.reports.labels import kind_label
from shared.questionnaires import KINDS


@bp.get("/procedures")
def procedures():
    """The province's procedure list, which counter officers pick from when issuing a slip."""
    actor = acting_user()
    return render_template(
        "collector/admin/procedures.html",
        procedures=list_procedures(get_session()),
        kinds=KINDS,
        kind_label=kind_label,
        may_edit=scope_of(actor) is None,
    )


@bp.post("/procedures")
def procedure_save():
    """Add a procedure or give its code a new name or kind (whole-province administrators)."""
    return change(
        lambda session, actor: save_procedure(
            session, *form_fields("code", "name", "kind"), actor=actor
        ),
        lambda row: done(
            _("Procedure %(code)s saved: %(name)s.", code=row.code, name=row.name),
            "admin.procedures",
            f"#procedure-{row.id}",
        ),
    )


@bp.post("/procedures/import")
def procedures_import():
    """Add or update procedures from a CSV (code,name,kind), all or nothing."""
    return change(
        lambda session, actor: import_procedures(session, uploaded_csv(), actor=actor),
        lambda summary: done(
            _(
                "Procedures added: %(added)d, updated: %(updated)d, unchanged: %(unchanged)d.",
                **summary.counts(),
            ),
            "admin.procedures",
        ),
    )


@bp.post("/procedures/<code>/active")
def procedure_active(code: str):
    """Withdraw a procedure from the counter page, or offer it again."""
    active = request.form.get("active") == "1"
    return change(
        lambda session, actor: set_procedure_active(session, code, active, actor=actor),
        lambda _row: done(
            _("The procedure is offered again.") if active else _("The procedure is withdrawn."),
            "admin.procedures",
        ),
    )
