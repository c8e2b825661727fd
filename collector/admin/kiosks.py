"""Administration of the kiosks: the fleet's state, register, rename, new token, revoke."""

from __future__ import annotations

import base64

from flask import current_app, render_template, request
from flask_babel import gettext as _

from collector.admin.base import active_units_in_scope, bp, change, done, form_text, secret_page
from collector.admin.common import acting_user, kiosk_in_scope, scope_of, unit_in_scope
from collector.admin.qr import kiosk_setup_payload, qr_svg
from collector.db import get_session
from collector.fleet.kiosks import register_kiosk, relabel_kiosk, revoke_kiosk, rotate_token
from collector.fleet.status import kiosk_statuses
from collector.models import Kiosk


@bp.get("/kiosks")
def kiosks():
    """Every kiosk of the administrator's units: heartbeat, queue, chain; register and revoke."""
    actor = acting_user()
    return render_template(
        "collector/admin/kiosks.html",
        kiosks=kiosk_statuses(get_session(), scope_of(actor)),
        units=active_units_in_scope(actor),
    )


def _token_page(kiosk: Kiosk, token: str, rotated: bool):
    url = current_app.config.get("PUBLIC_URL") or request.url_root.rstrip("/")
    payload = kiosk_setup_payload(url, token, kiosk.unit.code, kiosk.id, kiosk.unit.name)
    # SVG: made in pure Python (a PNG needs Pillow, which the collector does not install).
    svg = base64.b64encode(qr_svg(payload)).decode("ascii")
    return secret_page(
        "collector/admin/kiosk_token.html",
        kiosk=kiosk,
        token=token,
        qr=svg,
        setup_code=payload,
        collector_url=url,
        rotated=rotated,
    )


@bp.post("/kiosks")
def kiosk_register():
    """Register a kiosk; its token is shown once, as text and as a QR code for its set-up."""
    unit_code = form_text("unit")
    return change(
        lambda session, actor: register_kiosk(session, unit_code, form_text("label"), actor=actor),
        lambda made: _token_page(*made, rotated=False),
        check=lambda actor: unit_in_scope(unit_code, actor),
    )


@bp.post("/kiosks/<int:kiosk_id>/label")
def kiosk_label(kiosk_id: int):
    """Rename a kiosk."""
    return change(
        lambda session, actor: relabel_kiosk(session, kiosk_id, form_text("label"), actor=actor),
        lambda _kiosk: done(_("The kiosk is renamed."), "admin.kiosks"),
        check=lambda actor: kiosk_in_scope(kiosk_id, actor),
    )


@bp.post("/kiosks/<int:kiosk_id>/rotate")
def kiosk_rotate(kiosk_id: int):
    """A new token for the kiosk; the old one stops working at once."""
    return change(
        lambda session, actor: rotate_token(session, kiosk_id, actor=actor),
        lambda made: _token_page(*made, rotated=True),
        check=lambda actor: kiosk_in_scope(kiosk_id, actor),
    )


@bp.post("/kiosks/<int:kiosk_id>/revoke")
def kiosk_revoke(kiosk_id: int):
    """Revoke the kiosk's token; its responses stay."""
    return change(
        lambda session, actor: revoke_kiosk(session, kiosk_id, actor=actor),
        lambda _kiosk: done(_("Kiosk %(id)d is revoked.", id=kiosk_id), "admin.kiosks"),
        check=lambda actor: kiosk_in_scope(kiosk_id, actor),
    )
