"""The citizen's screens: welcome, one screen per question group, reasons, thank you."""

from __future__ import annotations

import functools
import uuid

from flask import (
    Blueprint,
    abort,
    current_app,
    g,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext
from markupsafe import Markup
from werkzeug.wrappers import Response as HTTPResponse

from kiosk import db
from kiosk.counters import Counter
from kiosk.i18n import select_locale
from kiosk.models import COMPLETE, PARTIAL, Response
from kiosk.survey import (
    Refused,
    Rules,
    close_response,
    open_response,
    record_answers,
    record_reasons,
    start_response,
    wants_reasons,
)
from kiosk.voices import FALLBACK, select_voice, voice_choices
from shared import faces, questionnaires
from shared.db import utcnow
from shared.forms import SurveyForm, screens, survey_form, unknown_fields
from shared.i18n import DEFAULT_LOCALE, N_
from shared.questionnaires import Questionnaire
from shared.text import has_nul

bp = Blueprint("kiosk", __name__)
#: Seconds an error or refusal screen shows before the welcome screen comes back.
RETURN_SECONDS = 10
KIND_LABELS = {
    "admin": N_("Administrative services"),
    "health": N_("Health services"),
    "education": N_("Education services"),
}


@bp.app_context_processor
def _screen_context():
    """`home`: the counter welcome screen (in Vietnamese) every screen returns to when idle."""
    code = (request.view_args or {}).get("code")
    home = None
    if code in current_app.extensions["kiosk_counters"] and request.endpoint != "kiosk.welcome":
        home = url_for("kiosk.welcome", code=code, lang=None, voice=None)
    return {"home": home, "idle": current_app.config["IDLE_TIMEOUT"], "kind_labels": KIND_LABELS}


@bp.before_app_request
def _language():
    g.lang = select_locale()
    g.voice = select_voice()


@bp.url_defaults
def _keep_language(endpoint, values):
    if g.get("lang", DEFAULT_LOCALE) != DEFAULT_LOCALE and "lang" not in values:
        values["lang"] = g.lang
    # The language a citizen chose to hear lasts for their screens, like the written one.
    if g.get("voice", FALLBACK) != FALLBACK and "voice" not in values:
        values["voice"] = g.voice


@bp.app_template_global()
def face(value: int) -> Markup:
    """The SVG face of an answer value (shared.faces: the same drawing on the kiosk and phone)."""
    return faces.face(value)


#: Seconds the server waits beyond the longest screen's own idle time before it closes an untouched
#: response itself: the screen's last post (what was typed, see kiosk.js) arrives first.
IDLE_GRACE_SECONDS = 5


def rules() -> Rules:
    c = current_app.config
    return Rules(
        guard_seconds=c["GUARD_SECONDS"],
        burst_size=c["BURST_SIZE"],
        burst_window=c["BURST_WINDOW"],
        idle_timeout=max(c["IDLE_TIMEOUT"], c["REASONS_IDLE_TIMEOUT"]) + IDLE_GRACE_SECONDS,
    )


#: What a screen's post asks besides its answers (shared.forms.BASE_FIELDS): "back" (the person
#: tapped Back), "draft" (kiosk.js keeps what is being typed or chosen, the response stays open)
#: and "idle" (the screen timed out: keep what is there and close the response as partial).
MODES = ("back", "draft", "idle")


def _mode() -> str | None:
    return next((mode for mode in MODES if mode in request.form), None)


def _kept() -> HTTPResponse:
    """The answer to a draft or idle post of kiosk.js: stored, nothing to show."""
    return make_response("", 204)


def _counter(code: str) -> Counter:
    counter = current_app.extensions["kiosk_counters"].get(code)
    if counter is None:
        abort(404)
    return counter


def _questionnaire(counter: Counter, kind: str) -> Questionnaire:
    if kind not in counter.kinds:
        abort(404)
    return questionnaires.current(kind, current_app.config["VARIANT"])


@functools.cache
def _form_class(q: Questionnaire, step: int) -> type[SurveyForm]:
    return survey_form(screens(q)[step])


def _bind(form_class: type[SurveyForm], scope: str, formdata=None) -> SurveyForm:
    return form_class(formdata, meta={"csrf_context": (current_app.secret_key, scope)})


def _posted(form_class: type[SurveyForm], scope: str) -> SurveyForm:
    """The posted form, validated; anything malformed is a 400 and nothing is stored."""
    if unknown_fields(form_class, request.form):
        abort(400, description="unknown-field")
    form = _bind(form_class, scope, request.form)
    if not form.validate():
        abort(400, description="invalid-form")
    return form


def _render_screen(counter, q, step, *, action, scope, given=None, stored=False):
    """A question screen; `given`: the answers the response has (shown as chosen when the person
    comes back to fix one); `stored`: the response exists, so kiosk.js may keep drafts of it."""
    items = screens(q)[step]
    form = _bind(_form_class(q, step), scope)
    levels, _ = questionnaires.common()
    return render_template(
        "kiosk/screen.html",
        counter=counter,
        q=q,
        items=items,
        step=step,
        total=len(screens(q)),
        form=form,
        action=action,
        levels=levels,
        given=given or {},
        stored=stored,
        idle=current_app.config["IDLE_TIMEOUT"],
    )


@bp.get("/")
def index():
    """The counters this kiosk serves, for setting up each tablet."""
    return render_template("kiosk/index.html", counters=current_app.extensions["kiosk_counters"])


@bp.get("/c/<code>")
def welcome(code: str):
    """The welcome screen of a counter: one big start button per questionnaire kind."""
    counter = _counter(code)
    return render_template(
        "kiosk/welcome.html",
        counter=counter,
        voices=voice_choices(),
        chosen="voice" in request.args,
    )


@bp.route("/c/<code>/<kind>/new/<int:step>", methods=["GET", "POST"])
def new_screen(code: str, kind: str, step: int):
    """A question screen before anything is stored; the first answer creates the response."""
    counter = _counter(code)
    q = _questionnaire(counter, kind)
    if not 0 <= step < len(screens(q)):
        abort(404)
    scope = f"new:{counter.code}:{kind}:{step}"
    if request.method == "GET":
        action = url_for(".new_screen", code=code, kind=kind, step=step)
        return _render_screen(counter, q, step, action=action, scope=scope)
    form = _posted(_form_class(q, step), scope)
    answers = form.answers()
    mode = _mode()
    if not answers:
        # Skipped, gone back or timed out: still nothing to store.
        if mode in ("idle", "draft"):
            return _kept()
        if mode == "back":
            if step == 0:
                return _see_other(url_for(".welcome", code=code))
            return _see_other(url_for(".new_screen", code=code, kind=kind, step=step - 1))
        if step + 1 < len(screens(q)):
            return _see_other(url_for(".new_screen", code=code, kind=kind, step=step + 1))
        return _see_other(url_for(".thanks", code=code))
    session = db.session()
    response = start_response(
        session,
        counter=counter,
        questionnaire=q,
        answers=answers,
        nonce=form.nonce,
        now=utcnow(),
        rules=rules(),
        voice=g.voice,
    )
    going = _after(counter, q, response, step, mode)
    session.commit()
    return going


@bp.route("/c/<code>/r/<uuid:response_id>/<int:step>", methods=["GET", "POST"])
def screen(code: str, response_id: uuid.UUID, step: int):
    """A question screen of a response already stored; each post is committed before moving on."""
    counter = _counter(code)
    session = db.session()
    response = open_response(session, response_id, counter)
    q = _questionnaire(counter, response.kind)
    if not 0 <= step < len(screens(q)):
        abort(404)
    scope = f"{response_id}:{step}"
    if request.method == "GET":
        action = url_for(".screen", code=code, response_id=response_id, step=step)
        return _render_screen(
            counter, q, step, action=action, scope=scope, given=response.answers, stored=True
        )
    form = _posted(_form_class(q, step), scope)
    record_answers(session, response, form.answers(), now=utcnow())
    going = _after(counter, q, response, step, _mode())
    session.commit()
    return going


def _after(
    counter: Counter, q: Questionnaire, response: Response, step: int, mode: str | None
) -> HTTPResponse:
    """Where a question screen's post leads, its answers recorded (no commit): the next screen,
    the previous one (Back), or nowhere (a draft; a timed-out screen closes the response)."""
    _note_listened(response)
    if mode == "draft":
        return _kept()
    if mode == "idle":
        close_response(db.session(), response, PARTIAL, now=utcnow(), rules=rules())
        return _kept()
    if mode == "back":
        if step == 0:
            # Back from the first question: the person gives up; what they gave is kept.
            close_response(db.session(), response, PARTIAL, now=utcnow(), rules=rules())
            return _see_other(url_for(".welcome", code=counter.code))
        return _see_other(
            url_for(".screen", code=counter.code, response_id=response.id, step=step - 1)
        )
    return _next(counter, q, response, step)


def _next(counter: Counter, q: Questionnaire, response: Response, step: int) -> HTTPResponse:
    """Where to go after `step`; closes the response when nothing is left to ask (no commit)."""
    if step + 1 < len(screens(q)):
        return _see_other(
            url_for(".screen", code=counter.code, response_id=response.id, step=step + 1)
        )
    if wants_reasons(response.answers):
        return _see_other(url_for(".reasons", code=counter.code, response_id=response.id))
    close_response(db.session(), response, COMPLETE, now=utcnow(), rules=rules())
    return _see_other(url_for(".thanks", code=counter.code))


@functools.cache
def _reasons_form(q: Questionnaire) -> type[SurveyForm]:
    _, reasons = questionnaires.common()
    return survey_form((), reasons=[r for r in reasons if r.code in q.reasons], comment=True)


@bp.route("/c/<code>/r/<uuid:response_id>/reasons", methods=["GET", "POST"])
def reasons(code: str, response_id: uuid.UUID):
    """After a low score: what went wrong (chips), and an optional comment."""
    counter = _counter(code)
    session = db.session()
    response = open_response(session, response_id, counter)
    q = _questionnaire(counter, response.kind)
    scope = f"{response_id}:reasons"
    mode = _mode()
    if request.method == "GET" or (mode is None and has_nul(request.form.get("comment", ""))):
        # A NUL cannot be stored or sent: ask again (the rating is kept) rather than lose it. (A
        # draft or a timed-out screen keeps the comment without it: shared.text drops it.)
        problem = (
            None
            if request.method == "GET"
            else gettext(
                "The comment contains a character that cannot be saved. Please type it again."
            )
        )
        form = _bind(_reasons_form(q), scope)
        page = render_template(
            "kiosk/reasons.html",
            counter=counter,
            form=form,
            problem=problem,
            chosen=set(response.reasons),
            comment=response.comment or "",
            action=url_for(".reasons", code=code, response_id=response_id),
            idle=current_app.config["REASONS_IDLE_TIMEOUT"],
        )
        return page, 400 if problem else 200
    form = _posted(_reasons_form(q), scope)
    _note_listened(response)
    if mode is not None or "skip" not in request.form:
        # One path for what is sent, kept as a draft or left when the screen timed out: the
        # comment is cleaned (shared.text.clean_comment) before it is stored.
        record_reasons(session, response, form.reasons.data or [], form.comment.data, now=utcnow())
    if mode == "draft":
        session.commit()
        return _kept()
    if mode == "back":
        session.commit()
        last = len(screens(q)) - 1
        return _see_other(url_for(".screen", code=code, response_id=response_id, step=last))
    close_response(
        session, response, PARTIAL if mode == "idle" else COMPLETE, now=utcnow(), rules=rules()
    )
    session.commit()
    if mode == "idle":
        return _kept()
    return _see_other(url_for(".thanks", code=code))


@bp.get("/c/<code>/thanks")
def thanks(code: str):
    """Thank you; the welcome screen comes back by itself, in Vietnamese, for the next person."""
    counter = _counter(code)
    return render_template(
        "kiosk/thanks.html", counter=counter, idle=current_app.config["THANKS_SECONDS"]
    )


@bp.errorhandler(Refused)
def _refused(refused: Refused):
    """The counter would not take this tap: say why; nothing of it was stored."""
    db.session().rollback()
    status = {"guard": 429, "replayed": 409, "ended": 409, "unknown": 404}[refused.reason]
    counter = _counter(request.view_args["code"])
    page = render_template(
        "kiosk/refused.html", counter=counter, reason=refused.reason, idle=RETURN_SECONDS
    )
    return page, status


def _note_listened(response: Response) -> None:
    """The screen posted was read aloud ("listen", kiosk.js): the response says so."""
    if request.form.get("listened") == "1" and not response.listened:
        response.listened = True


def _see_other(location: str) -> HTTPResponse:
    return redirect(location, code=303)
