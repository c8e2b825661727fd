"""Administration of the one-stop software's integration tokens: make and revoke."""

from __future__ import annotations

from flask import abort, render_template, request
from flask_babel import gettext as _

from collector.admin.base import active_units_in_scope, bp, change, done, form_text, secret_page
from collector.admin.common import acting_user, scope_of, unit_in_scope
from collector.db import get_session
from collector.models import IntegrationToken, User
from collector.receipts.integrations import (
    create_integration,
    list_integrations,
    revoke_integration,
)


@bp.get("/integrations")
def integrations():
    """The one-stop software's integration tokens of the administrator's units; make and revoke."""
    actor = acting_user()
    return render_template(
        "collector/admin/integrations.html",
        integrations=list_integrations(get_session(), scope_of(actor)),
        units=active_units_in_scope(actor),
        chosen=request.args.get("unit", ""),
    )


@bp.post("/integrations")
def integration_create():
    """Make an integration token for a unit and the units below it; it is shown once."""
    unit_code = form_text("unit")
    return change(
        lambda session, actor: create_integration(
            session, unit_code, request.form.get("label", ""), actor=actor
        ),
        lambda made: secret_page(
            "collector/admin/integration_token.html",
            integration=get_session().get(IntegrationToken, made[0]),
            token=made[1],
        ),
        check=lambda actor: unit_in_scope(unit_code, actor),
    )


def _integration_in_scope(integration_id: int, actor: User) -> None:
    row = get_session().get(IntegrationToken, integration_id)
    scope = scope_of(actor)
    if row is None or (scope is not None and row.unit_id not in scope):
        abort(404)


@bp.post("/integrations/<int:integration_id>/revoke")
def integration_revoke(integration_id: int):
    """Revoke an integration token; the receipts it issued stay."""
    return change(
        lambda session, actor: revoke_integration(session, integration_id, actor=actor),
        lambda _row: done(
            _("Integration token %(id)d is revoked.", id=integration_id), "admin.integrations"
        ),
        check=lambda actor: _integration_in_scope(integration_id, actor),
    )
