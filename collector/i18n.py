"""Translations outside a request: the CLI and the errors of business functions.

Pages use Flask-Babel with the request's locale. The CLI has no request: it reads the collector's
catalogue (the .po file, so it never goes stale) for SIPAS_COLLECTOR_BABEL_DEFAULT_LOCALE,
Vietnamese by default. Business functions raise `TranslatableError`s that carry an English message
id and its parameters; whoever shows the error translates it.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from pathlib import Path
from zoneinfo import ZoneInfo

from babel.dates import format_datetime

from shared.i18n import DEFAULT_LOCALE, LOCALES, catalogue

TRANSLATIONS_DIR = Path(__file__).resolve().parent / "translations"


def cli_locale() -> str:
    locale = os.environ.get("SIPAS_COLLECTOR_BABEL_DEFAULT_LOCALE", DEFAULT_LOCALE)
    return locale if locale in LOCALES else DEFAULT_LOCALE


def gettext(message: str) -> str:
    return catalogue(cli_locale(), TRANSLATIONS_DIR).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return catalogue(cli_locale(), TRANSLATIONS_DIR).ngettext(singular, plural, n)


def local_time(moment: dt.datetime, zone: str) -> str:
    """A moment as a person reads it: in the local time of `zone` (the collector's
    BABEL_DEFAULT_TIMEZONE), written as the pages write it (Babel's short form: 18:39 7/12/26)."""
    return format_datetime(moment, "short", tzinfo=ZoneInfo(zone), locale=cli_locale())


class TranslatableError(ValueError):
    """An error whose message is an English message id (marked with N_) with %-parameters.

    `str(error)` is the English text; `error.translate(gettext)` the text in some language.
    Parameters that are themselves TranslatableErrors are translated too.
    """

    def __init__(self, message: str, **params: object):
        self.message_id = message
        self.params = params
        super().__init__(message % params)

    def translate(self, translate: Callable[[str], str] = gettext) -> str:
        params = {
            key: value.translate(translate) if isinstance(value, TranslatableError) else value
            for key, value in self.params.items()
        }
        return translate(self.message_id) % params
