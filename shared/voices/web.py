"""The voice packs an app serves itself (the kiosk's screens, the phone survey): the product's
packs and those of the instance folder's voices/, read again when a manifest changes, each clip at
`/voices/<language>/<file>`, and the prompts asked for without a clip (for staff)."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

from flask import Blueprint, abort, current_app, send_from_directory, url_for

from shared.voices import FALLBACK, MANIFEST, Manifest, ManifestError, read_manifest, shipped_packs

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
    """The packs of one app, read again when a manifest changes (an import while serving)."""

    root: Path
    _seen: tuple = ()
    _packs: dict | None = None
    #: (language, prompt key) of each clip asked for and missing since the app started.
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
    return current_app.extensions["voices"]


def init_app(app) -> Packs:
    """Serve the packs of the product and of `<instance>/voices` from `app`."""
    app.extensions["voices"] = Packs(Path(app.instance_path) / "voices")
    app.register_blueprint(bp)
    return app.extensions["voices"]


@bp.get("/voices/<language>/<file>")
def clip(language: str, file: str):
    """A clip, from the app itself (a kiosk plays with the network down); not personal, so it
    may be kept by the browser."""
    pack = packs().all().get(language)
    if pack is None or file not in {c.file for c in pack[1].clips}:
        abort(404)
    response = send_from_directory(pack[0], file, mimetype="audio/ogg", max_age=86400)
    response.headers["Cache-Control"] = "public, max-age=86400"
    return response
