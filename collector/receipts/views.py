"""The counter page, where a counter officer issues a dossier's rating code and prints its slip,
and the printable slip itself (for the staff of the unit: counter officers, managers of its scope
and administrators)."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup

from collector.accounts import role_required
from collector.accounts.scope import can_see, units_visible
from collector.admin.common import acting_user
from collector.db import get_session
from collector.procedures.service import active_procedure, list_procedures
from collector.receipts.service import (
    ReceiptError,
    issue_receipt,
    parse_request,
    receipt_for_token,
    short_url,
)
from collector.receipts.settings import app_key, public_url
from shared.i18n import N_
from shared.qr import qr_svg, qr_version

bp = Blueprint("receipts", __name__)

#: The slip's layouts: one per print, each with a page size of its own (collector/static/slip.css).
LAYOUTS = {"80mm": N_("80 mm thermal receipt"), "a5": N_("A5 sheet")}
DEFAULT_LAYOUT = "80mm"
#: What the counter page remembers between two dossiers (in the signed session cookie): the
#: same officer at the same counter issues one receipt after another.
COUNTER_MEMORY = "counter"
ISSUERS = ("admin", "manager", "counter")


def _layout(value: str | None) -> str:
    return value if value in LAYOUTS else DEFAULT_LAYOUT


@bp.route("/counter", methods=["GET", "POST"])
@role_required(*ISSUERS)
def counter():
    """Type or scan a dossier code, pick the procedure, and print the slip of its rating code."""
    db = get_session()
    user = acting_user()
    units = [u for u in units_visible(db, user) if u.active]
    procedures = list_procedures(db, active_only=True)
    remembered = session.get(COUNTER_MEMORY) or {}
    default_unit = user.unit.code if user.unit and user.unit.active else ""
    values = {
        "dossier": "",
        "procedure": remembered.get("procedure", ""),
        "unit": remembered.get("unit") or default_unit or (units[0].code if units else ""),
        "officer": remembered.get("officer", ""),
        "layout": _layout(remembered.get("layout")),
    }
    problem = None
    if request.method == "POST":
        values = {key: request.form.get(key, "").strip() for key in values}
        values["layout"] = _layout(values["layout"])
        try:
            issued = _issue(db, user, values, offer_list=bool(procedures))
        except ReceiptError as exc:
            db.rollback()
            problem = exc.translate(_)
        else:
            db.commit()
            session[COUNTER_MEMORY] = {k: v for k, v in values.items() if k != "dossier"}
            flash(
                _("New rating code issued.")
                if issued.created
                else _("This dossier already has a rating code: here is its slip again.")
            )
            slip = url_for(".slip", token=issued.token, layout=values["layout"], print=1)
            return redirect(slip, 303)
    page = render_template(
        "collector/receipts/counter.html",
        units=units,
        procedures=procedures,
        values=values,
        layouts=LAYOUTS,
        problem=problem,
    )
    return page, 400 if problem else 200


def _issue(db, user, values: dict[str, str], *, offer_list: bool):
    """Issue through the same function as the API and the CLI, with the officer as issuer."""
    procedure = None
    if values["procedure"]:
        procedure = active_procedure(db, values["procedure"])
        if procedure is None:
            raise ReceiptError(N_("choose the procedure from the list"), "procedure")
    elif offer_list:
        raise ReceiptError(N_("choose the procedure"), "procedure")
    wanted = parse_request(
        {
            "dossier": values["dossier"],
            "unit": values["unit"],
            "questionnaire": procedure.kind if procedure else "admin",
            "procedure": procedure.code if procedure else None,
            "officer": values["officer"] or None,
        }
    )
    return issue_receipt(
        db,
        wanted,
        key=app_key(),
        public_url=public_url(fallback=request.url_root),
        ttl_days=current_app.config["RECEIPT_TTL_DAYS"],
        issuer=user,
    )


@bp.get("/receipts/<token>/slip")
@role_required(*ISSUERS)
def slip(token: str):
    """One layout of the slip (80 mm thermal or A5) with the QR code, the link and how to rate."""
    db = get_session()
    receipt = receipt_for_token(db, app_key(), token)
    if receipt is None or not can_see(db, current_user, receipt.unit):
        abort(404)
    url = short_url(public_url(fallback=request.url_root), token)
    svg = qr_svg(url).decode("utf-8")
    svg = svg[svg.index("<svg") :]  # drop the XML declaration to inline it
    base, _slash, tail = url.rpartition("/r/")
    layout = _layout(request.args.get("layout"))
    page = render_template(
        "collector/receipts/slip.html",
        receipt=receipt,
        url=url,
        # The link in two parts: a line may break in the address, never inside "/r/<token>".
        url_base=base,
        url_token="/r/" + tail,
        # Made here by qrcode from our own URL: markup, not text.
        qr=Markup(svg),  # noqa: S704
        version=qr_version(url),
        layout=layout,
        layouts=LAYOUTS,
        autoprint=request.args.get("print") == "1",
    )
    db.rollback()
    return page
