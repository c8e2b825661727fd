"""Translations without Flask: the locales, the catalogues and a Babel extractor for questionnaires.

Message ids are English; Vietnamese is the default locale everywhere a person looks. Each area
(shared, kiosk, collector, and sipas for the command's top level and the demo) keeps its own
catalogue under `<area>/translations`; the apps merge them.

Every reader (the pages through `shared.web_i18n`, the command line, the mail) reads the `.po`
files themselves, compiled in memory once per process: there is no `.mo` file to forget in a
wheel or an image, nor one older than its `.po`.
"""

from __future__ import annotations

import functools
import io
import tomllib
from collections.abc import Iterator
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

DEFAULT_LOCALE = "vi"
LOCALES = ("vi", "en")
#: Keys of a questionnaire file whose string values are shown to people, and so are translated.
TEXT_KEYS = frozenset({"title", "text", "label", "short"})

TRANSLATIONS_DIR = Path(__file__).parent / "translations"


def N_(message: str) -> str:  # noqa: N802 - the gettext convention for "mark, translate later"
    """Mark a string for extraction; it is translated where it is shown."""
    return message


@functools.cache
def catalogue(locale: str, directory: Path = TRANSLATIONS_DIR) -> Translations:
    """The catalogue of one area for `locale`, read from the .po file so it never goes stale."""
    po = directory / locale / "LC_MESSAGES" / "messages.po"
    if not po.exists():
        return Translations()
    with po.open("rb") as fh:
        cat = read_po(fh, locale=locale)
    buf = io.BytesIO()
    write_mo(buf, cat)
    buf.seek(0)
    return Translations(fp=buf)


@functools.cache
def merged_catalogue(locale: str, directories: tuple[Path, ...]) -> Translations:
    """The catalogues of several areas as one, later directories winning (as Flask-Babel merges);
    made once per process, like each area's (a page asks for it at every message it shows)."""
    merged = Translations()
    for directory in directories:
        area = catalogue(locale, Path(directory))
        merged.merge(area)
        if hasattr(area, "plural"):
            # merge() copies only the messages: the plural rule comes from the catalogue's header.
            merged.plural = area.plural
    return merged


def translated(message: str, locale: str, directory: Path = TRANSLATIONS_DIR) -> bool:
    """Whether `message` has a translation in `locale` (English message ids count as English)."""
    if locale == "en":
        return True
    return catalogue(locale, directory)._catalog.get(message, "") != ""  # noqa: SLF001


def gettext(message: str, locale: str = DEFAULT_LOCALE) -> str:
    return catalogue(locale).gettext(message)


def questionnaire_texts(data: object) -> Iterator[str]:
    """Every translatable string in a parsed questionnaire file."""
    if isinstance(data, dict):
        for key, value in data.items():
            if key in TEXT_KEYS and isinstance(value, str):
                yield value
            else:
                yield from questionnaire_texts(value)
    elif isinstance(data, list):
        for value in data:
            yield from questionnaire_texts(value)


def extract_questionnaire(fileobj, keywords, comment_tags, options):
    """Babel extraction method for questionnaire TOML files (see shared/babel.cfg)."""
    data = tomllib.loads(fileobj.read().decode("utf-8"))
    for text in questionnaire_texts(data):
        yield 0, "", text, []
