"""The templates' number filters and messages (`shared.web_i18n`) give exactly what Flask-Babel's
own would, in both languages, inside `force_locale` too, and outside a request."""

from __future__ import annotations

import flask_babel
import pytest
from flask import render_template_string

from collector import create_app
from collector.reports.labels import number

NUMBERS = [0, 1, 7.5, 12.345, 99.995, 100, 1234.5, 1234567.891, -3.25, 0.004]
PATTERNS = [None, "0.00", "0.#", "0.##", "#,##0", "0.0"]


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    folder = tmp_path_factory.mktemp("web-i18n")
    return create_app(
        {"TESTING": True, "SECRET_KEY": "t", "DATABASE_URL": f"sqlite:///{folder}/c.sqlite"}
    )


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_number_filters_match_flask_babel(app, lang):
    with app.test_request_context(f"/?lang={lang}"):
        for value in NUMBERS:
            assert render_template_string("{{ v|numberformat }}", v=value) == (
                flask_babel.format_number(value)
            )
            for pattern in PATTERNS:
                shown = render_template_string("{{ v|decimalformat(p) }}", v=value, p=pattern)
                assert shown == flask_babel.format_decimal(value, pattern), (value, pattern)
                if pattern:
                    assert number(value, pattern) == shown


def test_decimal_comma_in_vietnamese_and_point_in_english(app):
    with app.test_request_context("/"):
        assert render_template_string('{{ 1234.5|decimalformat("#,##0.00") }}') == "1.234,50"
        with flask_babel.force_locale("en"):
            assert render_template_string('{{ 1234.5|decimalformat("#,##0.00") }}') == "1,234.50"
        assert render_template_string('{{ 1234.5|decimalformat("#,##0.00") }}') == "1.234,50"


def test_template_messages_follow_the_request_and_force_locale(app):
    template = (
        '{{ _("Administrative services") }}|'
        '{{ ngettext("%(num)d response", "%(num)d responses", 2) }}'
    )
    with app.test_request_context("/"):
        vi = render_template_string(template)
        with flask_babel.force_locale("en"):
            en = render_template_string(template)
        assert render_template_string(template) == vi
    assert en == "Administrative services|2 responses"
    assert vi.split("|")[1] == "2 phiếu"
    assert vi.split("|")[0] == flask_babel_gettext(app, "vi", "Administrative services")
    assert vi.split("|")[0] != "Administrative services"


def flask_babel_gettext(app, lang: str, message: str) -> str:
    with app.test_request_context(f"/?lang={lang}"):
        return flask_babel.gettext(message)


def test_number_outside_a_request():
    assert number(1234.5, "#,##0.00") == "1,234.50"
