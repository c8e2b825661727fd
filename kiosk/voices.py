"""Read aloud at the kiosk: the voice packs it serves itself (the product's, and those imported
into the instance folder's voices/ by `sipas kiosk voices import`), the clips of a screen, and
the prompts that had no clip in the language asked for (shown to staff, never to the citizen:
the screen falls back to the Vietnamese clip)."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

from flask import Blueprint, abort, current_app, request, send_from_directory, url_for
from markupsafe import Markup

from shared.voices import (
    FALLBACK,
    MANIFEST,
    Manifest,
    ManifestError,
    factor_key,
    question_key,
    read_manifest,
    shipped_packs,
)

bp = Blueprint("voices", __name__)


def pack_folders(instance_voices: Path) -> dict[str, Path]:
    """Every pack by language: the product's, replaced by the instance's of the same language."""
    found = dict(shipped_packs())
    if instance_voices.is_dir():
        for folder in sorted(instance_voices.iterdir()):
            if (folder / MANIFEST).is_file() and not folder.name.startswith("."):
                found[folder.name] = folder
    return found


@dataclass
class Packs:
    """The packs of one kiosk, read again when a manifest changes (an import while serving)."""

    root: Path
    _seen: tuple = ()
    _packs: dict | None = None
    #: (language, prompt key) of each clip asked for and missing since the kiosk started.
    gaps: set | None = None

    def __post_init__(self):
        self._lock = threading.Lock()
        self.gaps = set()

    def all(self) -> dict[str, tuple[Path, Manifest]]:
        folders = pack_folders(self.root)
        seen = tuple(
            (lang, folder, (folder / MANIFEST).stat().st_mtime_ns)
            for lang, folder in folders.items()
        )
        with self._lock:
            if seen != self._seen or self._packs is None:
                packs = {}
                for lang, folder in folders.items():
                    try:
                        packs[lang] = (folder, read_manifest(folder))
                    except ManifestError:
                        continue
                self._packs, self._seen = packs, seen
            return self._packs

    def clip(self, language: str, key: str) -> str | None:
        """The address of the clip of `key` in `language`; the Vietnamese one (and a gap noted
        for staff) when that pack has none; None when no pack has it."""
        packs = self.all()
        for lang in dict.fromkeys((language, FALLBACK)):
            pack = packs.get(lang)
            if pack is not None and key in pack[1].by_key():
                return url_for("voices.clip", language=lang, file=pack[1].by_key()[key].file)
            self.gaps.add((lang, key))
        return None


def packs() -> Packs:
    return current_app.extensions["kiosk_voices"]


def init_app(app) -> None:
    app.extensions["kiosk_voices"] = Packs(Path(app.instance_path) / "voices")
    app.register_blueprint(bp)

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


@bp.get("/voices/<language>/<file>")
def clip(language: str, file: str):
    """A clip, from the kiosk itself (it plays with the network down); not personal, so it may
    be kept by the browser."""
    pack = packs().all().get(language)
    if pack is None or file not in {c.file for c in pack[1].clips}:
        abort(404)
    response = send_from_directory(pack[0], file, mimetype="audio/ogg", max_age=86400)
    response.headers["Cache-Control"] = "public, max-age=86400"
    return response
