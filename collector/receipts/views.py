"""The printable slip of a receipt code: for the staff of the unit (managers of its scope and
administrators), who print it beside or onto the receipt."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request
from flask_login import current_user
from markupsafe import Markup

from collector.accounts import role_required
from collector.accounts.scope import can_see
from collector.db import get_session
from collector.receipts import app_key, public_url
from collector.receipts.service import receipt_for_token, short_url
from shared.qr import qr_svg, qr_version

bp = Blueprint("receipts", __name__)


@bp.get("/receipts/<token>/slip")
@role_required("admin", "manager")
def slip(token: str):
    """An 80 mm thermal slip and an A5 block with the QR code, the link and how to rate."""
    session = get_session()
    receipt = receipt_for_token(session, app_key(), token)
    if receipt is None or not can_see(session, current_user, receipt.unit):
        abort(404)
    url = short_url(public_url(fallback=request.url_root), token)
    svg = qr_svg(url).decode("utf-8")
    svg = svg[svg.index("<svg") :]  # drop the XML declaration to inline it
    page = render_template(
        "collector/receipts/slip.html",
        receipt=receipt,
        url=url,
        # Made here by qrcode from our own URL: markup, not text.
        qr=Markup(svg),  # noqa: S704
        version=qr_version(url),
    )
    session.rollback()
    return page
