"""Flask-Babel for both apps, reading the same `.po` catalogues as the command line.

Flask-Babel on its own loads compiled `.mo` files from its translation directories; a package
built without them (a wheel, an image) then serves every page in English while its command line
speaks Vietnamese. Here the pages take their catalogue from `shared.i18n.merged_catalogue`, so an
install has Vietnamese pages whenever it has the `.po` files its command line already reads.
"""

from __future__ import annotations

import functools
from functools import cached_property
from pathlib import Path

import flask_babel
from babel.numbers import NumberPattern, parse_pattern
from babel.support import NullTranslations, Translations

from shared.i18n import merged_catalogue


class CatalogueDomain(flask_babel.Domain):
    """The app's translation directories, read from their `.po` files (cached per process)."""

    def get_translations(self) -> Translations | NullTranslations:
        ctx = flask_babel._get_current_context()  # noqa: SLF001
        if ctx is None:  # outside a request or app context
            return NullTranslations()
        locale = _locale_of(ctx)
        # Kept on the request's context like Flask-Babel's own: a page asks at every message.
        held = getattr(ctx, "sipas_translations", None)
        if held is not None and held[0] is locale:
            return held[1]
        directories = tuple(Path(d) for d in self.translation_directories)
        translations = merged_catalogue(str(locale), directories)
        ctx.sipas_translations = (locale, translations)
        return translations


def _locale_of(ctx):
    """The request's locale, as `flask_babel.get_locale` gives it (which keeps it on `ctx`)."""
    return getattr(ctx, "babel_locale", None) or flask_babel.get_locale()


def current_locale():
    """`flask_babel.get_locale()` with one context lookup instead of three: a report page
    formats thousands of figures."""
    ctx = flask_babel._get_current_context()  # noqa: SLF001
    return None if ctx is None else _locale_of(ctx)


@functools.cache
def number_pattern(pattern: str | None, locale) -> NumberPattern:
    """A number pattern parsed once (`None`: the locale's own decimal pattern)."""
    return locale.decimal_formats[None] if pattern is None else parse_pattern(pattern)


def format_decimal(number, format: str | None = None) -> str:  # noqa: A002 - Flask-Babel's name
    """Flask-Babel's `format_decimal` (and, without a pattern, `format_number`), the pattern
    parsed once per pattern and locale: the same text, a fraction of the work."""
    locale = current_locale() or flask_babel.get_babel().instance.default_locale
    return number_pattern(format, locale).apply(number, locale)


def _translations() -> Translations | NullTranslations:
    ctx = flask_babel._get_current_context()  # noqa: SLF001
    if ctx is None:
        return NullTranslations()
    domain = getattr(ctx, "babel_domain", None) or flask_babel.get_domain()
    return domain.get_translations()


class Babel(flask_babel.Babel):
    """Flask-Babel whose default domain is a `CatalogueDomain`, with the templates' messages
    and number filters reaching the request's catalogue and locale in one lookup each."""

    @cached_property
    def domain_instance(self) -> CatalogueDomain:
        return CatalogueDomain(domain=self.domain)

    def init_app(self, app, *args, **kwargs) -> None:
        super().init_app(app, *args, **kwargs)
        if not self._configure_jinja:
            return
        app.jinja_env.filters.update(numberformat=format_decimal, decimalformat=format_decimal)
        app.jinja_env.install_gettext_callables(
            gettext=lambda s: _translations().ugettext(s),
            ngettext=lambda s, p, n: _translations().ungettext(s, p, n),
            newstyle=True,
            pgettext=lambda c, s: _translations().upgettext(c, s),
            npgettext=lambda c, s, p, n: _translations().unpgettext(c, s, p, n),
        )
