"""The phone survey: `/r/<token>` for a receipt's QR code, `/p/<unit code>` for a counter poster
(its business functions in `collector.receipts.answers`).

Plain HTML forms built with the kiosk's form builder (`shared.forms`), with its signed CSRF token
(no cookie needed), working without JavaScript, Vietnamese by default (`?lang=en` for English).
A receipt's answers are kept on its row screen by screen, so the same link finishes a survey left
half answered; nothing about the person is kept.

Whoever holds the link (the printed slip: an officer too) may go on where the survey got to, but
no page ever shows an answer already given, and the last screen looks the same whatever was
answered. Each screen's form is good for one save (its nonce is spent), so a replayed post
changes nothing. A link preview (`HEAD`, or a browser's prefetch) neither opens nor answers a
receipt: it is answered before the database is asked.
"""

from __future__ import annotations

import datetime as dt
import functools

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale
from markupsafe import Markup

from collector.db import get_session
from collector.limits import limiter
from collector.models import Receipt
from collector.receipts.answers import (
    BurstRule,
    Unusable,
    check_usable,
    mark_opened,
    poster_questionnaire,
    poster_unit,
    questionnaire_of,
    save_progress,
    store_poster,
    submit_receipt,
)
from collector.receipts.service import receipt_for_token
from collector.receipts.settings import app_key
from collector.receipts.tokens import token_signed
from shared import faces, questionnaires
from shared.db import utcnow
from shared.forms import SurveyForm, screens, survey_form, unknown_fields
from shared.i18n import DEFAULT_LOCALE
from shared.questionnaires import Questionnaire

#: The blueprint keeps the name it has always had: its endpoints are `phone.survey`, ...
bp = Blueprint("phone", __name__)


@bp.url_defaults
def _keep_language(endpoint, values):
    lang = str(get_locale() or DEFAULT_LOCALE)
    if lang != DEFAULT_LOCALE and "lang" not in values:
        values["lang"] = lang


@bp.app_template_global()
def question_clip(q: Questionnaire, code: str) -> str | None:
    """The Vietnamese clip of a question, played by a plain <audio> element (no script)."""
    from shared.voices import FALLBACK, question_key
    from shared.voices.web import packs

    return packs().clip(FALLBACK, question_key(q, code))


@bp.app_template_global()
def phone_face(value: int) -> Markup:
    """The SVG face of an answer value (shared.faces: the same drawing on the kiosk and phone)."""
    return faces.face(value)


def _phone_limit() -> str:
    return current_app.config["PHONE_RATE_LIMIT"]


def _poster_limit() -> str:
    return current_app.config["POSTER_RATE_LIMIT"]


@functools.cache
def _screen_form(q: Questionnaire, step: int) -> type[SurveyForm]:
    return survey_form(screens(q)[step])


@functools.cache
def _final_form(q: Questionnaire) -> type[SurveyForm]:
    _, reasons = questionnaires.common()
    return survey_form((), reasons=[r for r in reasons if r.code in q.reasons], comment=True)


@functools.cache
def _poster_form(q: Questionnaire) -> type[SurveyForm]:
    _, reasons = questionnaires.common()
    return survey_form(
        q.questions, reasons=[r for r in reasons if r.code in q.reasons], comment=True
    )


def _bind(form_class: type[SurveyForm], scope: str, formdata=None) -> SurveyForm:
    return form_class(formdata, meta={"csrf_context": (current_app.secret_key, scope)})


def _posted(form_class: type[SurveyForm], scope: str) -> SurveyForm:
    """The posted form, validated; anything malformed (CSRF included) is a 400, nothing stored."""
    if unknown_fields(form_class, request.form):
        abort(400)
    form = _bind(form_class, scope, request.form)
    if not form.validate():
        abort(400)
    return form


def _receipt(token: str, now: dt.datetime) -> Receipt:
    """The usable receipt of a token, or Unusable (a forged one never reaches the database:
    `receipt_for_token` checks the signature first)."""
    session = get_session()
    return check_usable(session, receipt_for_token(session, app_key(), token), now)


def _see_other(location: str):
    return redirect(location, code=303)


def _levels():
    levels, _ = questionnaires.common()
    return [lv for lv in levels if lv.value > 0], [lv for lv in levels if lv.value == 0][0]


#: Request headers by which browsers and link previewers say that nobody is looking yet.
PREVIEW_HEADERS = ("Sec-Purpose", "Purpose", "X-Purpose", "X-Moz")


def _is_preview() -> bool:
    """A HEAD, a prefetch or prerender (Sec-Purpose, Purpose, X-Moz) or a link preview
    (X-Purpose: preview): not a person opening the link."""
    if request.method == "HEAD":
        return True
    said = " ".join(request.headers.get(name, "") for name in PREVIEW_HEADERS).lower()
    return "prefetch" in said or "preview" in said


def _preview_reply(token: str):
    """What a preview gets: nothing stored, nothing read. A prefetch gets a 503 that a browser
    never keeps (it asks again when the person really opens the link); a HEAD an empty 200."""
    if not token_signed(app_key(), token):
        raise Unusable("forged")
    reply = Response(status=200 if request.method == "HEAD" else 503)
    reply.headers["Cache-Control"] = "no-store"
    return reply


@bp.get("/r/<token>")
@limiter.shared_limit(_phone_limit, scope="phone-survey")
def survey(token: str):
    """A receipt's survey: the screen it got to, or an earlier one (`?step=`), never showing an
    answer already given."""
    if _is_preview():
        return _preview_reply(token)
    now = utcnow()
    session = get_session()
    receipt = _receipt(token, now)
    mark_opened(session, receipt, now)
    q = questionnaire_of(receipt)
    reached = int((receipt.progress or {}).get("step", 0))
    step = request.args.get("step", type=int)
    if step is None or not 0 <= step <= reached:
        step = reached
    total = len(screens(q))
    session.commit()
    if step >= total:
        return render_template(
            "collector/receipts/survey/final.html",
            form=_bind(_final_form(q), f"r:{token}:final"),
            action=url_for(".send", token=token),
            back=url_for(".survey", token=token, step=total - 1),
            total=total,
        )
    items = screens(q)[step]
    faces, none = _levels()
    return render_template(
        "collector/receipts/survey/screen.html",
        q=q,
        items=items,
        step=step,
        total=total,
        form=_bind(_screen_form(q, step), f"r:{token}:{step}"),
        action=url_for(".answer", token=token, step=step),
        back=url_for(".survey", token=token, step=step - 1) if step else None,
        faces=faces,
        no_opinion=none,
    )


@bp.post("/r/<token>/<int:step>")
@limiter.shared_limit(_phone_limit, scope="phone-survey")
def answer(token: str, step: int):
    """Keep one screen's answers on the receipt, then show the next screen."""
    now = utcnow()
    session = get_session()
    receipt = _receipt(token, now)
    q = questionnaire_of(receipt)
    if not 0 <= step < len(screens(q)):
        abort(404)
    form = _posted(_screen_form(q, step), f"r:{token}:{step}")
    # A form already used (a replay, a double tap) changes nothing and goes on where it is.
    if save_progress(session, receipt, step, form.answers(), now, nonce=form.nonce):
        session.commit()
    else:
        session.rollback()
    return _see_other(url_for(".survey", token=token))


@bp.post("/r/<token>/send")
@limiter.shared_limit(_phone_limit, scope="phone-survey")
def send(token: str):
    """Store the receipt's one response; a second submission is refused and stores nothing."""
    now = utcnow()
    session = get_session()
    receipt = _receipt(token, now)
    form = _posted(_final_form(questionnaire_of(receipt)), f"r:{token}:final")
    submit_receipt(
        session, receipt, reasons=form.reasons.data or [], comment=form.comment.data, now=now
    )
    session.commit()
    return _see_other(url_for(".thanks"))


@bp.get("/phone/thanks")
def thanks():
    """Thank you."""
    return render_template("collector/receipts/survey/thanks.html")


@bp.route("/p/<code>", methods=["GET", "POST"])
@limiter.limit(_poster_limit, methods=["POST"])
@limiter.shared_limit(_phone_limit, scope="phone-survey", methods=["GET"])
def poster(code: str):
    """A counter poster's walk-in survey: every question on one page, sent once."""
    session = get_session()
    unit = poster_unit(session, code)
    if unit is None:
        raise Unusable("no-unit")
    q = poster_questionnaire(unit)
    scope = f"p:{unit.code}"
    if request.method == "POST":
        form = _posted(_poster_form(q), scope)
        now = utcnow()
        config = current_app.config
        store_poster(
            session,
            unit,
            q,
            answers=form.answers(),
            reasons=form.reasons.data or [],
            comment=form.comment.data,
            started_at=now,
            now=now,
            rule=BurstRule(
                config["POSTER_BURST_SIZE"],
                config["POSTER_BURST_WINDOW"],
                float(config["POSTER_MIN_SECONDS"]),
                int(config["POSTER_MAX_PER_WINDOW"]),
            ),
            served_at=form.issued_at,
        )
        session.commit()
        return _see_other(url_for(".thanks"))
    session.rollback()
    faces, none = _levels()
    form = _bind(_poster_form(q), scope)
    return render_template(
        "collector/receipts/survey/poster.html",
        q=q,
        unit=unit,
        form=form,
        action=url_for(".poster", code=unit.code),
        faces=faces,
        no_opinion=none,
    )


@bp.errorhandler(Unusable)
def _unusable(exc: Unusable):
    """A code that cannot be used: a friendly page; nothing was stored."""
    session = get_session()
    # An expired code's row was just marked so (evidence for the response rate): keep that only.
    session.commit() if exc.reason == "expired" else session.rollback()
    status = {"answered": 409, "expired": 410, "revoked": 410}.get(exc.reason, 404)
    return render_template("collector/receipts/survey/unusable.html", reason=exc.reason), status


@bp.errorhandler(429)
def _too_many(exc):
    """Too many requests from one client: say so, plainly."""
    return render_template("collector/receipts/survey/unusable.html", reason="too-many"), 429


@bp.errorhandler(400)
def _bad_form(exc):
    """A form that was not issued here or has expired: nothing stored; start the screen again."""
    get_session().rollback()
    return render_template("collector/receipts/survey/unusable.html", reason="bad-form"), 400
