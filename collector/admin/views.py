"""The administration pages: units, kiosks, people, integrations, targets, procedures and the
audit log (administrators)."""

from __future__ import annotations

import base64
import datetime as dt
from collections import defaultdict
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _

from collector.accounts import role_required
from collector.accounts.service import (
    AccountError,
    invite_user,
    reset_password,
    update_user,
)
from collector.admin.common import (
    acting_user,
    form_int,
    kiosk_in_scope,
    scope_of,
    unit_in_scope,
    user_in_scope,
)
from collector.admin.qr import kiosk_setup_payload, qr_svg
from collector.audit import action_label, describe
from collector.db import get_session
from collector.fleet.kiosks import register_kiosk, relabel_kiosk, revoke_kiosk, rotate_token
from collector.fleet.opening import (
    DEFAULT_HOURS,
    OpeningHoursError,
    format_hours_spec,
    hours_from_text,
    set_opening_hours,
)
from collector.fleet.status import kiosk_statuses
from collector.i18n import TranslatableError
from collector.models import ROLES, AuditEntry, IntegrationToken, Kiosk, Response, Unit, User
from collector.procedures.service import (
    ProcedureError,
    import_procedures,
    list_procedures,
    save_procedure,
    set_procedure_active,
)
from collector.receipts.integrations import (
    create_integration,
    list_integrations,
    revoke_integration,
)
from collector.reports.labels import kind_label
from collector.reports.targets import TargetError, effective_targets, set_target, stored_targets
from collector.units import (
    UnitError,
    add_unit,
    import_units,
    move_unit,
    plan_import,
    read_units_csv,
    rename_unit,
    set_unit_active,
)
from shared.i18n import N_
from shared.questionnaires import KINDS

bp = Blueprint("admin", __name__)

#: Largest unit CSV the import page takes (a province's whole tree is far smaller).
MAX_CSV_BYTES = 2 * 1024 * 1024
AUDIT_PAGE = 300
#: Levels of the tree the unit page shows at once; deeper branches open on their unit's page (a
#: province's schools and counters would make one page of thousands of lines).
TREE_DEPTH = 1


@bp.before_request
@role_required("admin")
def _admins_only():
    """Every page here is for administrators (scoped or not)."""
    return None


def _units_in_scope(actor: User) -> list[Unit]:
    query = sa.select(Unit).order_by(Unit.code)
    scope = scope_of(actor)
    if scope is not None:
        query = query.where(Unit.id.in_(scope))
    return list(get_session().scalars(query))


def _fail(exc: TranslatableError):
    """The change is refused: say why, nothing was stored (the request's session rolls back)."""
    return render_template(
        "collector/admin/refused.html", problem=exc.translate(_), back=request.referrer
    ), 400


@bp.get("/")
def index():
    """The administration starts at the unit tree."""
    return redirect(url_for("admin.units"))


# -- units -------------------------------------------------------------------------------------


@bp.get("/units")
def units():
    """The unit tree, searchable, each branch opening on a click."""
    actor = acting_user()
    every = _units_in_scope(actor)
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
    actor = acting_user()
    parent = request.form.get("parent", "").strip() or None
    if parent is not None:
        unit_in_scope(parent, actor)
    elif scope_of(actor) is not None:
        abort(403)
    session = get_session()
    try:
        unit = add_unit(
            session,
            request.form.get("code", "").strip(),
            request.form.get("name", ""),
            request.form.get("kind", "").strip(),
            parent,
            actor=actor,
        )
    except UnitError as exc:
        return _fail(exc)
    session.commit()
    flash(_("Added unit %(code)s (%(name)s).", code=unit.code, name=unit.name))
    return redirect(url_for("admin.unit", code=unit.code), 303)


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
        units=_units_in_scope(actor),
        hours=format_hours_spec(unit.opening_hours),
        default_hours=format_hours_spec(current_app.config.get("OPENING_HOURS") or DEFAULT_HOURS),
        integrations=[
            row for row in list_integrations(session, {unit.id}) if row.revoked_at is None
        ],
    )


@bp.post("/units/<code>/rename")
def unit_rename(code: str):
    """Give the unit a new name."""
    actor = acting_user()
    unit_in_scope(code, actor)
    session = get_session()
    try:
        rename_unit(session, code, request.form.get("name", ""), actor=actor)
    except UnitError as exc:
        return _fail(exc)
    session.commit()
    flash(_("The unit is renamed."))
    return redirect(url_for("admin.unit", code=code), 303)


@bp.post("/units/<code>/move")
def unit_move(code: str):
    """Put the unit under another parent inside the administrator's subtree."""
    actor = acting_user()
    unit_in_scope(code, actor)
    parent = request.form.get("parent", "").strip() or None
    if parent is not None:
        unit_in_scope(parent, actor)
    elif scope_of(actor) is not None:
        abort(403)
    session = get_session()
    try:
        move_unit(session, code, parent, actor=actor)
    except UnitError as exc:
        return _fail(exc)
    session.commit()
    flash(_("The unit is moved."))
    return redirect(url_for("admin.unit", code=code), 303)


@bp.post("/units/<code>/active")
def unit_active(code: str):
    """Deactivate the unit (its responses stay) or bring it back."""
    actor = acting_user()
    unit_in_scope(code, actor)
    session = get_session()
    active = request.form.get("active") == "1"
    set_unit_active(session, code, active, actor=actor)
    session.commit()
    flash(_("The unit is active again.") if active else _("The unit is deactivated."))
    return redirect(url_for("admin.unit", code=code), 303)


@bp.post("/units/<code>/hours")
def unit_hours(code: str):
    """Set the unit's opening hours (used by the silent-kiosk check), or go back to the default."""
    actor = acting_user()
    unit_in_scope(code, actor)
    session = get_session()
    try:
        set_opening_hours(
            session, code, hours_from_text(request.form.get("hours", "")), actor=actor
        )
    except OpeningHoursError as exc:
        return _fail(exc)
    session.commit()
    flash(_("The opening hours are saved."))
    return redirect(url_for("admin.unit", code=code) + "#hours", 303)


@bp.route("/unit-import", methods=["GET", "POST"])
def units_import():
    """Import a unit CSV: first a preview of every change and every bad row, then the import."""
    actor = acting_user()
    if request.method == "GET":
        return render_template("collector/admin/units_import.html", text=None)
    upload = request.files.get("file")
    if upload is not None and upload.filename:
        raw = upload.read(MAX_CSV_BYTES + 1)
    else:
        raw = request.form.get("text", "").encode("utf-8")
    problem = None
    text = ""
    if len(raw) > MAX_CSV_BYTES:
        problem = _("The file is larger than %(num)d MB.", num=MAX_CSV_BYTES // 1024 // 1024)
    else:
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            problem = _("The file is not UTF-8 text; save the CSV as UTF-8.")
    plan = None
    if problem is None:
        try:
            plan = plan_import(get_session(), read_units_csv(text), scope_of(actor))
        except UnitError as exc:
            problem = exc.translate(_)
    if plan is not None and not plan.errors and request.form.get("confirm") == "1":
        session = get_session()
        summary = import_units(session, read_units_csv(text), scope_of(actor), actor=actor)
        session.commit()
        flash(
            _(
                "Units added: %(added)d, updated: %(updated)d, unchanged: %(unchanged)d.",
                added=summary.added,
                updated=summary.updated,
                unchanged=summary.unchanged,
            )
        )
        return redirect(url_for("admin.units"), 303)
    status = 400 if problem or (plan is not None and plan.errors) else 200
    errors = [(line, error.translate(_)) for line, error in plan.errors] if plan else []
    return render_template(
        "collector/admin/units_import.html", text=text, plan=plan, errors=errors, problem=problem
    ), status


# -- kiosks ------------------------------------------------------------------------------------


@bp.get("/kiosks")
def kiosks():
    """Every kiosk of the administrator's units: heartbeat, queue, chain; register and revoke."""
    actor = acting_user()
    return render_template(
        "collector/admin/kiosks.html",
        kiosks=kiosk_statuses(get_session(), scope_of(actor)),
        units=[u for u in _units_in_scope(actor) if u.active],
    )


def _token_page(kiosk: Kiosk, token: str, rotated: bool):
    url = current_app.config.get("PUBLIC_URL") or request.url_root.rstrip("/")
    payload = kiosk_setup_payload(url, token, kiosk.unit.code, kiosk.id, kiosk.unit.name)
    # SVG: made in pure Python (a PNG needs Pillow, which the collector does not install).
    svg = base64.b64encode(qr_svg(payload)).decode("ascii")
    reply = make_response(
        render_template(
            "collector/admin/kiosk_token.html",
            kiosk=kiosk,
            token=token,
            qr=svg,
            setup_code=payload,
            collector_url=url,
            rotated=rotated,
        )
    )
    # The token is in this page only: keep it out of every cache and the browser history.
    reply.headers["Cache-Control"] = "no-store"
    return reply


@bp.post("/kiosks")
def kiosk_register():
    """Register a kiosk; its token is shown once, as text and as a QR code for its set-up."""
    actor = acting_user()
    unit = unit_in_scope(request.form.get("unit", "").strip(), actor)
    session = get_session()
    try:
        kiosk, token = register_kiosk(
            session, unit.code, request.form.get("label", "").strip(), actor=actor
        )
    except TranslatableError as exc:
        return _fail(exc)
    session.commit()
    return _token_page(kiosk, token, rotated=False)


@bp.post("/kiosks/<int:kiosk_id>/label")
def kiosk_label(kiosk_id: int):
    """Rename a kiosk."""
    actor = acting_user()
    kiosk_in_scope(kiosk_id, actor)
    session = get_session()
    try:
        relabel_kiosk(session, kiosk_id, request.form.get("label", "").strip(), actor=actor)
    except TranslatableError as exc:
        return _fail(exc)
    session.commit()
    flash(_("The kiosk is renamed."))
    return redirect(url_for("admin.kiosks"), 303)


@bp.post("/kiosks/<int:kiosk_id>/rotate")
def kiosk_rotate(kiosk_id: int):
    """A new token for the kiosk; the old one stops working at once."""
    actor = acting_user()
    kiosk_in_scope(kiosk_id, actor)
    session = get_session()
    try:
        kiosk, token = rotate_token(session, kiosk_id, actor=actor)
    except TranslatableError as exc:
        return _fail(exc)
    session.commit()
    return _token_page(kiosk, token, rotated=True)


@bp.post("/kiosks/<int:kiosk_id>/revoke")
def kiosk_revoke(kiosk_id: int):
    """Revoke the kiosk's token; its responses stay."""
    actor = acting_user()
    kiosk_in_scope(kiosk_id, actor)
    session = get_session()
    revoke_kiosk(session, kiosk_id, actor=actor)
    session.commit()
    flash(_("Kiosk %(id)d is revoked.", id=kiosk_id))
    return redirect(url_for("admin.kiosks"), 303)


# -- people ------------------------------------------------------------------------------------


@bp.get("/people")
def people():
    """The accounts of the administrator's units, with role, scope and last login."""
    actor = acting_user()
    query = sa.select(User).order_by(User.email)
    scope = scope_of(actor)
    if scope is not None:
        query = query.where(User.unit_id.in_(scope))
    return render_template(
        "collector/admin/people.html",
        people=list(get_session().scalars(query)),
        units=[u for u in _units_in_scope(actor) if u.active],
        roles=ROLES,
        root_scope=scope is None,
    )


@bp.post("/people")
def person_add():
    """Add an account with a temporary password, shown once, to be changed at the first login."""
    actor = acting_user()
    session = get_session()
    try:
        user, password = invite_user(
            session,
            request.form.get("email", ""),
            request.form.get("role", ""),
            request.form.get("unit", "").strip() or None,
            actor=actor,
        )
    except AccountError as exc:
        return _fail(exc)
    session.commit()
    return _password_page(user, password)


def _password_page(user: User, password: str):
    reply = make_response(
        render_template("collector/admin/temporary_password.html", person=user, password=password)
    )
    reply.headers["Cache-Control"] = "no-store"
    return reply


@bp.get("/people/<int:user_id>")
def person(user_id: int):
    """One account: role, scope, access, password reset."""
    actor = acting_user()
    return render_template(
        "collector/admin/person.html",
        person=user_in_scope(user_id, actor),
        units=_units_in_scope(actor),
        roles=ROLES,
        root_scope=scope_of(actor) is None,
        me=actor,
    )


@bp.post("/people/<int:user_id>")
def person_update(user_id: int):
    """Change an account's role, unit or whether it may log in."""
    actor = acting_user()
    user = user_in_scope(user_id, actor)
    session = get_session()
    try:
        update_user(
            session,
            user,
            role=request.form.get("role"),
            unit_code=request.form.get("unit", "").strip(),
            active=request.form.get("active") == "1",
            actor=actor,
        )
    except AccountError as exc:
        return _fail(exc)
    session.commit()
    flash(_("The account is saved."))
    return redirect(url_for("admin.person", user_id=user_id), 303)


@bp.post("/people/<int:user_id>/reset")
def person_reset(user_id: int):
    """A temporary password for the account, to be changed at its next login."""
    actor = acting_user()
    user = user_in_scope(user_id, actor)
    session = get_session()
    try:
        password = reset_password(session, user, actor=actor)
    except AccountError as exc:
        return _fail(exc)
    session.commit()
    return _password_page(user, password)


# -- integration tokens ------------------------------------------------------------------------


@bp.get("/integrations")
def integrations():
    """The one-stop software's integration tokens of the administrator's units; make and revoke."""
    actor = acting_user()
    return render_template(
        "collector/admin/integrations.html",
        integrations=list_integrations(get_session(), scope_of(actor)),
        units=[u for u in _units_in_scope(actor) if u.active],
        chosen=request.args.get("unit", ""),
    )


@bp.post("/integrations")
def integration_create():
    """Make an integration token for a unit and the units below it; it is shown once."""
    actor = acting_user()
    unit = unit_in_scope(request.form.get("unit", "").strip(), actor)
    session = get_session()
    try:
        integration_id, token = create_integration(
            session, unit.code, request.form.get("label", ""), actor=actor
        )
    except TranslatableError as exc:
        return _fail(exc)
    session.commit()
    reply = make_response(
        render_template(
            "collector/admin/integration_token.html",
            integration=session.get(IntegrationToken, integration_id),
            token=token,
        )
    )
    # The token is in this page only: keep it out of every cache and the browser history.
    reply.headers["Cache-Control"] = "no-store"
    return reply


@bp.post("/integrations/<int:integration_id>/revoke")
def integration_revoke(integration_id: int):
    """Revoke an integration token; the receipts it issued stay."""
    actor = acting_user()
    row = get_session().get(IntegrationToken, integration_id)
    scope = scope_of(actor)
    if row is None or (scope is not None and row.unit_id not in scope):
        abort(404)
    session = get_session()
    revoke_integration(session, integration_id, actor=actor)
    session.commit()
    flash(_("Integration token %(id)d is revoked.", id=integration_id))
    return redirect(url_for("admin.integrations"), 303)


# -- targets -----------------------------------------------------------------------------------


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


@bp.post("/targets")
def target_set():
    """Set a target (administrators of the whole province); reports use it from then on."""
    actor = acting_user()
    if scope_of(actor) is not None:
        abort(403)
    session = get_session()
    try:
        value = float(request.form.get("target", "").replace(",", "."))
    except ValueError:
        value = float("nan")
    try:
        set_target(
            session,
            request.form.get("kind", ""),
            form_int("year", 0),
            value,
            request.form.get("source", ""),
            actor=actor,
        )
    except TargetError as exc:
        return _fail(exc)
    session.commit()
    flash(_("The target is saved; reports use it from now on."))
    return redirect(url_for("admin.targets"), 303)


# -- procedures --------------------------------------------------------------------------------


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
    actor = acting_user()
    session = get_session()
    try:
        row = save_procedure(
            session,
            request.form.get("code", ""),
            request.form.get("name", ""),
            request.form.get("kind", ""),
            actor=actor,
        )
    except ProcedureError as exc:
        return _fail(exc)
    session.commit()
    flash(_("Procedure %(code)s saved: %(name)s.", code=row.code, name=row.name))
    return redirect(url_for("admin.procedures") + f"#procedure-{row.id}", 303)


@bp.post("/procedures/import")
def procedures_import():
    """Add or update procedures from a CSV (code,name,kind), all or nothing."""
    actor = acting_user()
    upload = request.files.get("file")
    raw = (
        upload.read(MAX_CSV_BYTES + 1)
        if upload is not None and upload.filename
        else request.form.get("text", "").encode("utf-8")
    )
    session = get_session()
    try:
        if len(raw) > MAX_CSV_BYTES:
            raise ProcedureError(
                N_("The file is larger than %(num)d MB."), num=MAX_CSV_BYTES // 1024 // 1024
            )
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ProcedureError(N_("The file is not UTF-8 text; save the CSV as UTF-8.")) from None
        summary = import_procedures(session, text, actor=actor)
    except ProcedureError as exc:
        return _fail(exc)
    session.commit()
    flash(
        _(
            "Procedures added: %(added)d, updated: %(updated)d, unchanged: %(unchanged)d.",
            added=summary.added,
            updated=summary.updated,
            unchanged=summary.unchanged,
        )
    )
    return redirect(url_for("admin.procedures"), 303)


@bp.post("/procedures/<code>/active")
def procedure_active(code: str):
    """Withdraw a procedure from the counter page, or offer it again."""
    actor = acting_user()
    session = get_session()
    active = request.form.get("active") == "1"
    try:
        set_procedure_active(session, code, active, actor=actor)
    except ProcedureError as exc:
        return _fail(exc)
    session.commit()
    flash(_("The procedure is offered again.") if active else _("The procedure is withdrawn."))
    return redirect(url_for("admin.procedures"), 303)


# -- audit log ---------------------------------------------------------------------------------


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
