"""One form builder for every survey screen: the kiosk and the phone survey build their forms from a
questionnaire's items here. Plain WTForms (no Flask), with a stateless signed CSRF token so that a
shared tablet keeps no cookie: the token names what it may be used for and carries a one-time nonce.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Mapping

from itsdangerous import BadData, URLSafeTimedSerializer
from wtforms import Field, Form, SelectMultipleField, TextAreaField, validators
from wtforms.csrf.core import CSRF
from wtforms.fields.choices import SelectChoice
from wtforms.validators import ValidationError

from shared.i18n import N_
from shared.questionnaires import VALUES, Item, Reason
from shared.responses import COMMENT_MAX

#: Form fields that every survey screen may carry besides its questions: the buttons (skip, next,
#: back) and what the kiosk's script adds to a draft or to a screen that timed out (kiosk.views).
#: "listened": the kiosk's screen was read aloud (kiosk.js adds it when "listen" is pressed).
BASE_FIELDS = frozenset({"csrf_token", "lang", "skip", "next", "back", "draft", "idle", "listened"})


class SignedCSRF(CSRF):
    """CSRF token = signed {scope, nonce}; `meta.csrf_context` is (secret key, scope)."""

    def setup_form(self, form):
        secret, self.scope = form.meta.csrf_context
        self.serializer = URLSafeTimedSerializer(secret, salt="sipas-survey-form")
        return super().setup_form(form)

    def generate_csrf_token(self, csrf_token_field):
        return self.serializer.dumps({"s": self.scope, "n": secrets.token_hex(16)})

    def validate_csrf_token(self, form, field):
        try:
            data, issued = self.serializer.loads(
                field.data or "", max_age=form.meta.csrf_time_limit, return_timestamp=True
            )
        except BadData as exc:
            raise ValidationError(N_("The form has expired or was not issued here.")) from exc
        if not isinstance(data, dict) or data.get("s") != self.scope:
            raise ValidationError(N_("The form was issued for another screen."))
        form.nonce = str(data.get("n", ""))
        #: When the form was served (UTC, whole seconds): how long its answers took.
        form.issued_at = issued


class AnswerField(Field):
    """One question: an integer 0-5 (0 = not used / no opinion), or nothing when skipped."""

    def process_formdata(self, valuelist):
        self.data = None
        if valuelist and valuelist[-1] != "":
            try:
                self.data = int(valuelist[-1])
            except ValueError:
                self.data = valuelist[-1]
        if len(valuelist) > 1:
            self.data = "many"

    def pre_validate(self, form):
        if self.data is not None and self.data not in VALUES:
            raise ValidationError(N_("Answers go from 0 to 5."))


class SurveyForm(Form):
    nonce = ""
    field_names: frozenset[str] = BASE_FIELDS

    class Meta:
        csrf = True
        csrf_class = SignedCSRF
        csrf_time_limit = 3600

    def answers(self) -> dict[str, int]:
        return {
            name: field.data
            for name, field in self._fields.items()
            if isinstance(field, AnswerField) and field.data is not None
        }


def survey_form(
    items: Iterable[Item], *, reasons: Iterable[Reason] = (), comment: bool = False
) -> type[SurveyForm]:
    """A form class for one screen: a field per item, and the reason chips and comment if asked."""
    attrs: dict[str, object] = {item.code: AnswerField(item.code) for item in items}
    reasons = tuple(reasons)
    if reasons:
        attrs["reasons"] = SelectMultipleField(
            choices=[SelectChoice(r.code, r.label) for r in reasons]
        )
    if comment:
        attrs["comment"] = TextAreaField(
            validators=[validators.Optional(), validators.Length(max=COMMENT_MAX)]
        )
    attrs["field_names"] = frozenset(attrs) | BASE_FIELDS
    return type("ScreenForm", (SurveyForm,), attrs)


def unknown_fields(form_class: type[Form], formdata: Mapping[str, object]) -> set[str]:
    """Names posted that the screen does not have (an unknown question code, say)."""
    return {name for name in formdata if name not in form_class.field_names}


def screens(q) -> list[tuple[Item, ...]]:
    """The question screens of a questionnaire, in order: the overall question, then one screen
    per factor (the kiosk's order; the phone survey uses it too)."""
    return ([(q.overall,)] if q.overall else []) + [f.items for f in q.factors]
