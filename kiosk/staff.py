"""The staff page behind a PIN: the counter's health, never a single rating."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, render_template, request
from werkzeug.security import check_password_hash
from wtforms import PasswordField, StringField, validators

from kiosk import db
from kiosk.duty import BadOfficerCode, duties, issue_staff_pass, set_duty, spend_staff_pass
from kiosk.limits import limiter
from kiosk.models import OPEN, Response, State
from shared.chain import CODE_RE
from shared.db import utcnow
from shared.forms import SurveyForm
from shared.i18n import N_

bp = Blueprint("staff", __name__, url_prefix="/staff")


#: Why the collector refused a response (its item problem codes, collector/problems.py), in words
#: for the officer; the code stays beside them for whoever supports the kiosk.
REJECTIONS = {
    "implausible-time": N_("Its time is not plausible: this machine's clock is probably wrong."),
    "bad-hash": N_("Its hash does not match its content."),
    "conflict": N_("The collector holds another response with the same id."),
    "seq-taken": N_("The collector holds another response with the same number."),
    "unknown-unit": N_("The collector has no unit with this code."),
    "unit-not-allowed": N_("This kiosk is not registered for this unit."),
    "unknown-questionnaire": N_("The collector does not know this questionnaire."),
    "unknown-question": N_("The collector does not know one of its questions."),
    "unknown-reason": N_("The collector does not know one of its reasons."),
}
#: Any other code: the response does not have the shape the collector expects.
OTHER_REJECTION = N_("The response does not have the shape the collector expects.")


def rejection_label(code: str | None) -> str:
    """Why a response was refused, in words (translated where shown)."""
    return REJECTIONS.get(code or "", OTHER_REJECTION)


def _wrong_pin(response) -> bool:
    return response.status_code == 403


class PinForm(SurveyForm):
    pin = PasswordField(validators=[validators.InputRequired(), validators.Length(max=32)])


def _pin_form(formdata=None):
    return PinForm(formdata, meta={"csrf_context": (current_app.secret_key, "staff")})


@bp.get("/")
def login():
    """The PIN screen."""
    if not current_app.config["STAFF_PIN_HASH"]:
        abort(404)
    return render_template("kiosk/staff_login.html", form=_pin_form())


@bp.post("/")
@limiter.limit(lambda: current_app.config["STAFF_PIN_LIMIT"], deduct_when=_wrong_pin)
def health():
    """The counter's health, shown only in the reply to a correct PIN (no cookie is set)."""
    pin_hash = current_app.config["STAFF_PIN_HASH"]
    if not pin_hash:
        abort(404)
    form = _pin_form(request.form)
    if not form.validate():
        abort(400)
    if not check_password_hash(pin_hash, form.pin.data):
        return render_template("kiosk/staff_login.html", form=_pin_form(), wrong=True), 403
    now = utcnow()
    session = db.session()
    staff_pass = issue_staff_pass(
        session, until=now + dt.timedelta(seconds=DUTY_FORM_SECONDS), now=now
    )
    session.commit()
    return render_template("kiosk/staff.html", **counter_health(), staff_pass=staff_pass)


def _moment(state: State | None) -> dt.datetime | None:
    try:
        return dt.datetime.fromisoformat(state.value) if state is not None else None
    except ValueError:
        return None


def _offset(state: State | None) -> int | None:
    try:
        return int(state.value) if state is not None else None
    except ValueError:
        return None


def counter_health() -> dict:
    """Figures for the staff page: today's responses, the outbox, the last send, disk space."""
    session = db.session()
    zone = ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])
    today = dt.datetime.now(zone).replace(hour=0, minute=0, second=0, microsecond=0)
    per_counter = dict(
        session.execute(
            sa.select(Response.counter, sa.func.count())
            .where(Response.started_at >= today.astimezone(dt.UTC))
            .group_by(Response.counter)
        ).all()
    )
    queue = session.scalar(
        sa.select(sa.func.count()).where(
            Response.seq.is_not(None), Response.sent_at.is_(None), Response.rejected_code.is_(None)
        )
    )
    rejected = session.scalars(
        sa.select(Response).where(Response.rejected_code.is_not(None)).order_by(Response.seq)
    ).all()
    open_now = session.scalar(sa.select(sa.func.count()).where(Response.status == OPEN))
    state = {s.key: s for s in session.scalars(sa.select(State))}
    database = sa.engine.make_url(current_app.config["DATABASE_URL"]).database or "."
    disk = shutil.disk_usage(Path(database).resolve().parent)
    return {
        "counters": current_app.extensions["kiosk_counters"],
        "per_counter": per_counter,
        "today_total": sum(per_counter.values()),
        "queue": queue,
        "open_now": open_now,
        "rejected": rejected,
        "rejection_label": rejection_label,
        #: A moment (shown in local time by the page), kept as UTC ISO text in the state table.
        "last_send_at": _moment(state.get("last_send_ok")),
        "last_error": state.get("last_send_error"),
        "clock_offset_s": _offset(state.get("clock_offset_s")),
        #: The collector refused ratings for their times: this machine's clock is wrong.
        "clock_wrong": any(r.rejected_code == "implausible-time" for r in rejected),
        "disk_free_mb": disk.free // 2**20,
        "disk_total_mb": disk.total // 2**20,
        "now": utcnow(),
        **duty_context(),
        **voices_context(),
    }


# -- The officer on duty at each counter ------------------------------------------------------
# The duty form is only ever in the reply to a correct PIN: no cookie, no PIN kept in the page.
# It carries a signed CSRF token (scope "staff-duty") and a one-time pass kept in the database:
# each change spends the pass, and the page that answers it carries a new one that ends when the
# PIN session ends, DUTY_FORM_SECONDS after the PIN was entered. A replayed post changes nothing,
# and after that no form works without the PIN again.

DUTY_FORM_SECONDS = 600
BAD_OFFICER_CODE = N_("An officer code is 1 to 64 letters, digits, '.', '-' or '_'.")


class DutyForm(SurveyForm):
    counter = StringField(validators=[validators.InputRequired(), validators.Length(max=32)])
    officer = StringField(
        filters=[lambda value: value.strip() if isinstance(value, str) else value],
        validators=[
            validators.Optional(),
            validators.Length(max=64),
            validators.Regexp(f"^{CODE_RE.pattern}$", message=BAD_OFFICER_CODE),
        ],
    )

    class Meta:
        csrf_time_limit = DUTY_FORM_SECONDS


def _duty_form(formdata=None) -> DutyForm:
    return DutyForm(formdata, meta={"csrf_context": (current_app.secret_key, "staff-duty")})


def duty_context() -> dict:
    """The duty forms of the staff page: who is on duty today at each counter."""
    return {"duties": duties(db.session(), now=utcnow()), "duty_form": _duty_form()}


def _next_staff_pass(session, now: dt.datetime) -> str:
    """Spend the form's one-time staff pass (403 when it is not live) and issue the next one, for
    the rest of the same staff session."""
    session_end = spend_staff_pass(session, request.form.get("staff_pass", ""), now=now)
    if session_end is None:
        abort(403)
    return issue_staff_pass(session, until=session_end, now=now)


@bp.post("/duty")
def duty():
    """Set (or end, with an empty code) the officer on duty at a counter, until the day ends."""
    if not current_app.config["STAFF_PIN_HASH"]:
        abort(404)
    form = _duty_form(request.form)
    valid = form.validate()
    if "csrf_token" in form.errors:
        abort(403)
    if form.counter.data not in current_app.extensions["kiosk_counters"]:
        abort(400)
    session = db.session()
    now = utcnow()
    staff_pass = _next_staff_pass(session, now)
    session.commit()
    error = None
    if valid:
        officer = None if "end" in request.form else form.officer.data
        try:
            set_duty(session, form.counter.data, officer, now=now)
            session.commit()
        except BadOfficerCode:
            session.rollback()
            error = BAD_OFFICER_CODE
    else:
        error = BAD_OFFICER_CODE
    page = render_template(
        "kiosk/staff.html", **counter_health(), duty_error=error, staff_pass=staff_pass
    )
    return page, 400 if error else 200


# -- Read aloud -------------------------------------------------------------------------------
# The staff page's setting "read each screen aloud" (a counter where many cannot read), behind
# the same one-time pass as the duty form, and the prompts that had no clip in a language (the
# citizen heard the Vietnamese clip, or none: they are never told).


class ReadAloudForm(SurveyForm):
    class Meta:
        csrf_time_limit = DUTY_FORM_SECONDS


def _read_aloud_form(formdata=None) -> ReadAloudForm:
    return ReadAloudForm(formdata, meta={"csrf_context": (current_app.secret_key, "staff-voice")})


def voices_context() -> dict:
    from kiosk.voices import packs, read_aloud_setting

    kiosk_packs = packs()
    return {
        "read_aloud_on": read_aloud_setting(),
        "read_aloud_form": _read_aloud_form(),
        "voice_packs": {lang: m.name for lang, (_, m) in kiosk_packs.all().items()},
        "voice_gaps": sorted(kiosk_packs.gaps),
    }


@bp.post("/read-aloud")
def read_aloud():
    """Turn "read each screen aloud" on or off for this kiosk."""
    from kiosk.outbox import _set_state
    from kiosk.voices import READ_ALOUD

    if not current_app.config["STAFF_PIN_HASH"]:
        abort(404)
    form = _read_aloud_form(request.form)
    if not form.validate():
        abort(403)
    value = request.form.get("read_aloud")
    if value not in ("0", "1"):
        abort(400)
    session = db.session()
    now = utcnow()
    staff_pass = _next_staff_pass(session, now)
    _set_state(session, READ_ALOUD, value, now)
    session.commit()
    return render_template("kiosk/staff.html", **counter_health(), staff_pass=staff_pass)
