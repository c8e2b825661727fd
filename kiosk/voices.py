"""Read aloud at the kiosk: the voice packs it serves itself (the product's, and those imported
into the instance folder's voices/ by `sipas kiosk voices import`), the clips of a screen, and
the prompts that had no clip in the language asked for (shown to staff, never to the citizen:
the screen falls back to the Vietnamese clip)."""

from __future__ import annotations

from flask import request
from markupsafe import Markup

from shared.voices import FALLBACK, factor_key, question_key, web
from shared.voices.web import pack_folders, packs

__all__ = ["FALLBACK", "init_app", "pack_folders", "packs", "say", "select_voice"]


def init_app(app) -> None:
    web.init_app(app)

    @app.context_processor
    def _clips():
        return {
            "say": say,
            "question_key": question_key,
            "factor_key": factor_key,
            "read_aloud": read_aloud,
            "voice": _voice(),
        }


def say(key: str) -> Markup:
    """The attribute that gives an element its clip (kiosk.js reads them in order); nothing when
    no pack has one."""
    url = packs().clip(_voice(), key)
    return Markup(' data-clip="%s"') % url if url else Markup("")


#: The kiosk's state key (kiosk.models.State) of the staff page's "read each screen aloud".
READ_ALOUD = "read_aloud"


def read_aloud() -> bool:
    """Whether a citizen's screen reads itself aloud (the staff page's setting)."""
    if request.blueprint != "kiosk":
        return False
    return read_aloud_setting()


def read_aloud_setting() -> bool:
    """Whether the staff page set this kiosk to read each screen aloud by itself."""
    import sqlalchemy as sa

    from kiosk import db
    from kiosk.models import State

    try:
        value = db.session().scalar(sa.select(State.value).where(State.key == READ_ALOUD))
    except sa.exc.SQLAlchemyError:
        return False  # the page still shows; its listen control still works
    return value == "1"


def _voice() -> str:
    from flask import g

    return g.get("voice", FALLBACK)


def select_voice() -> str:
    """The language this citizen chose to hear (?voice=, kept on their screens), if it has a
    pack; Vietnamese otherwise."""
    voice = request.args.get("voice", FALLBACK)
    return voice if voice in packs().all() else FALLBACK


def voice_choices() -> dict[str, str]:
    """The languages to hear, each by its name in itself, Vietnamese first; empty when there is
    nothing to choose."""
    found = {lang: manifest.name for lang, (_, manifest) in packs().all().items()}
    if len(found) < 2:
        return {}
    return {FALLBACK: found.pop(FALLBACK, "Tiếng Việt"), **dict(sorted(found.items()))}
