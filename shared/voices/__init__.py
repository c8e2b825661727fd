"""Voices as data: one recorded clip per prompt and language, read aloud by the kiosk.

A voice pack is a folder per language holding one Ogg Opus clip per prompt and `manifest.json`:

    {"language": "vi", "name": "Tiếng Việt",
     "clips": [{"key": "scale.5", "file": "scale.5.opus", "duration": 1.2, "loudness": -20.1,
                "peak": -1.5, "text": "Rất hài lòng", "recorded_by": "...", "recorded_at": "...",
                "sha256": "..."}, ...]}

A prompt is a text the survey shows: each question, factor title and answer label of the
questionnaires (shared/questionnaires), the low-score reasons and the screens' own texts (welcome,
start, kinds, buttons, thank you: common.toml [[prompts]]). Its key names where it comes from, so
a person recording a language without a written form in the product knows what to say.

The product ships a Vietnamese pack (`packs/vi`, made by `make voices`, shared.voices.speech); a
province adds or replaces packs with `sipas kiosk voices import`, checked by shared.voices.check.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass
from pathlib import Path

from shared import questionnaires
from shared.i18n import gettext
from shared.responses import VOICE_RE

PACKS_DIR = Path(__file__).parent / "packs"
MANIFEST = "manifest.json"
#: The one format of a clip: Ogg Opus, small and played by every browser the product supports.
EXTENSION = ".opus"
#: The language every kiosk has a pack for, and falls back to when a clip is missing.
FALLBACK = "vi"
#: A pack's language code: an ISO 639 code (vi, en) or a short name of the province's own
#: choosing for a language without one (bru, pko), so it can name a folder and a URL part.
LANGUAGE = re.compile(rf"^{VOICE_RE.pattern}$")


@dataclass(frozen=True)
class Prompt:
    key: str
    text: str  #: the English message id; its Vietnamese is what the shipped pack says


def prompts() -> tuple[Prompt, ...]:
    """Every prompt of every questionnaire, each key once, in the order a person meets them."""
    found: dict[str, Prompt] = {}

    def add(key: str, text: str) -> None:
        found.setdefault(key, Prompt(key, text))

    for p in questionnaires.screen_prompts():
        add(f"screen.{p.key}", p.text)
    levels, reasons = questionnaires.common()
    for level in levels:
        add(f"scale.{level.value}", level.label)
    for reason in reasons:
        add(f"reason.{reason.code}", reason.label)
    for (kind, version), q in sorted(questionnaires.registry().items()):
        name = f"{kind}-{version}"
        for factor in q.factors:
            add(f"factor.{name}.{factor.code}", factor.title)
        for item in q.questions:
            add(f"question.{name}.{item.code}", item.text)
    return tuple(found.values())


def question_key(q: questionnaires.Questionnaire, code: str) -> str:
    return f"question.{q.kind}-{q.version}.{code}"


def factor_key(q: questionnaires.Questionnaire, code: str) -> str:
    return f"factor.{q.kind}-{q.version}.{code}"


def file_name(key: str) -> str:
    """The clip's file name in a pack: the key itself, so a folder of recordings reads as a list."""
    return key + EXTENSION


def spoken_text(prompt: Prompt, language: str = FALLBACK) -> str:
    """What the prompt says in `language` when the product has its words (Vietnamese, English);
    empty for a language the product cannot write."""
    if language not in ("vi", "en"):
        return ""
    return gettext(prompt.text, language)


@dataclass(frozen=True)
class Clip:
    key: str
    file: str
    duration: float  #: seconds
    loudness: float  #: RMS level, dBFS
    peak: float  #: highest sample, dBFS
    text: str  #: what is said, when the product can write it ("" otherwise)
    recorded_by: str
    recorded_at: str  #: ISO date
    sha256: str


@dataclass(frozen=True)
class Manifest:
    language: str
    name: str  #: the language's name in the language itself, shown on the welcome screen
    clips: tuple[Clip, ...]

    def by_key(self) -> dict[str, Clip]:
        return {clip.key: clip for clip in self.clips}

    def dumps(self) -> str:
        """The manifest as written: keys in prompt order, one clip per line, stable across runs."""
        head = {"language": self.language, "name": self.name}
        lines = [json.dumps(head, ensure_ascii=False)[:-1] + ', "clips": [']
        rows = [json.dumps(asdict(clip), ensure_ascii=False) for clip in self.clips]
        lines.append(",\n".join("  " + row for row in rows))
        lines.append("]}")
        return "\n".join(lines) + "\n"


class ManifestError(ValueError):
    """A manifest that cannot be read; the checker turns it into a translated problem."""


def read_manifest(folder: Path) -> Manifest:
    path = folder / MANIFEST
    try:
        data = json.loads(path.read_text("utf-8"))
        clips = tuple(Clip(**entry) for entry in data["clips"])
        manifest = Manifest(str(data["language"]), str(data["name"]), clips)
    except FileNotFoundError as exc:
        raise ManifestError("missing") from exc
    except (ValueError, KeyError, TypeError) as exc:
        raise ManifestError(str(exc)) from exc
    if not LANGUAGE.match(manifest.language):
        raise ManifestError(f"language {manifest.language!r}")
    return manifest


def shipped_packs() -> dict[str, Path]:
    """The packs in the product, by language."""
    return {p.name: p for p in sorted(PACKS_DIR.iterdir()) if (p / MANIFEST).is_file()}
