"""Flask-Babel for both apps, reading the same `.po` catalogues as the command line.

Flask-Babel on its own loads compiled `.mo` files from its translation directories; a package
built without them (a wheel, an image) then serves every page in English while its command line
speaks Vietnamese. Here the pages take their catalogue from `shared.i18n.merged_catalogue`, so an
install has Vietnamese pages whenever it has the `.po` files its command line already reads.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path

import flask_babel
from babel.support import NullTranslations, Translations

from shared.i18n import merged_catalogue


class CatalogueDomain(flask_babel.Domain):
    """The app's translation directories, read from their `.po` files (cached per process)."""

    def get_translations(self) -> Translations | NullTranslations:
        locale = flask_babel.get_locale()
        if locale is None:  # outside a request or app context
            return NullTranslations()
        # Kept on the request's context like Flask-Babel's own: a page asks at every message.
        ctx = flask_babel._get_current_context()  # noqa: SLF001
        held = getattr(ctx, "sipas_translations", None)
        if held is not None and held[0] is locale:
            return held[1]
        directories = tuple(Path(d) for d in self.translation_directories)
        translations = merged_catalogue(str(locale), directories)
        ctx.sipas_translations = (locale, translations)
        return translations


class Babel(flask_babel.Babel):
    """Flask-Babel whose default domain is a `CatalogueDomain`."""

    @cached_property
    def domain_instance(self) -> CatalogueDomain:
        return CatalogueDomain(domain=self.domain)
