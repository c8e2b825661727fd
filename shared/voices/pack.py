"""Making and installing a voice pack from a folder of recordings, one file per prompt named by its
key (`scale.5.wav`, `question.admin-2026.1-short.Q0.flac`, ...). The new pack is built beside the
old one and checked whole; only a pack without problems replaces it, so a bad import leaves the
previous pack in service."""

from __future__ import annotations

import shutil
from collections.abc import Mapping
from pathlib import Path

from shared.health import Problem
from shared.i18n import N_
from shared.voices import (
    LANGUAGE,
    MANIFEST,
    Clip,
    Manifest,
    ManifestError,
    audio,
    file_name,
    prompts,
    read_manifest,
    spoken_text,
)
from shared.voices.check import check_pack, clip_problems, tools_problem

#: What a recording may be: what opusenc reads, or a clip already in Ogg Opus.
RECORDINGS = (".wav", ".flac", ".aiff", ".aif")
ENCODED = (".opus", ".ogg")


class PackRefused(Exception):  # noqa: N818 - a refusal, with its reasons
    """The pack was not installed; `problems` says why, one translated line each."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


def build(
    sources: Mapping[str, Path],
    folder: Path,
    *,
    language: str,
    name: str,
    recorded_by: str,
    today: str,
    previous: Manifest | None = None,
) -> list[Problem]:
    """Encode `sources` (prompt key -> recording) into `folder` with its manifest; the problems of
    each clip. A clip whose bytes are those of `previous`'s entry keeps that entry (who recorded it
    and when): making a pack again from the same recordings gives the same manifest."""
    folder.mkdir(parents=True, exist_ok=True)
    old = previous.by_key() if previous else {}
    order = {p.key: (i, p) for i, p in enumerate(prompts())}
    clips: list[Clip] = []
    problems: list[Problem] = []
    for key in sorted(sources, key=lambda k: order[k][0]):
        source, file = sources[key], file_name(key)
        try:
            data = source.read_bytes() if source.suffix in ENCODED else audio.encode(source)
        except audio.AudioError as exc:
            message = (
                N_("clip %(file)s is empty")
                if exc.reason == "empty"
                else N_("%(file)s cannot be read as a recording (WAV, FLAC, AIFF or Ogg Opus)")
            )
            problems.append(Problem(f"voices_{exc.reason}", message, file=source.name))
            continue
        found, measured = clip_problems(data, file)
        problems.extend(found)
        if found:
            continue
        (folder / file).write_bytes(data)
        digest = audio.sha256(data)
        kept = old.get(key)
        if kept is not None and kept.sha256 == digest:
            clips.append(kept)
            continue
        clips.append(
            Clip(
                key=key,
                file=file,
                duration=measured["duration"],
                loudness=measured["loudness"],
                peak=measured["peak"],
                text=spoken_text(order[key][1], language),
                recorded_by=recorded_by,
                recorded_at=today,
                sha256=digest,
            )
        )
    (folder / MANIFEST).write_text(Manifest(language, name, tuple(clips)).dumps(), "utf-8")
    return problems


def recordings(source: Path) -> tuple[dict[str, Path], list[Problem]]:
    """The recordings of a folder by prompt key, and the problems of files that are none."""
    keys = {p.key for p in prompts()}
    found: dict[str, Path] = {}
    problems: list[Problem] = []
    for path in sorted(source.iterdir()):
        if path.name.startswith(".") or not path.is_file():
            continue
        key, suffix = path.stem, path.suffix.lower()
        if suffix not in RECORDINGS + ENCODED:
            problems.append(
                Problem(
                    "voices_format",
                    N_("%(file)s cannot be read as a recording (WAV, FLAC, AIFF or Ogg Opus)"),
                    file=path.name,
                )
            )
        elif key not in keys:
            problems.append(
                Problem("voices_key", N_("%(file)s is named after no prompt"), file=path.name)
            )
        elif key in found:
            problems.append(
                Problem("voices_twice", N_("prompt %(prompt)s has two recordings"), prompt=key)
            )
        else:
            found[key] = path
    return found, problems


def install(
    source: Path, packs: Path, *, language: str, name: str, recorded_by: str, today: str
) -> Manifest:
    """Make the pack of `language` in `packs` from the recordings in `source` and put it in
    service; PackRefused (the previous pack untouched) when anything is wrong."""
    if not LANGUAGE.match(language):
        raise PackRefused(
            [
                Problem(
                    "voices_language",
                    N_("%(language)r is not a language code: use 2 to 8 small letters (bru, pko)"),
                    language=language,
                )
            ]
        )
    missing_tools = tools_problem()
    if missing_tools:
        raise PackRefused([missing_tools])
    if not source.is_dir():
        raise PackRefused(
            [Problem("voices_folder", N_("%(folder)s is not a folder"), folder=str(source))]
        )
    sources, problems = recordings(source)
    target = packs / language
    try:
        previous = read_manifest(target)
    except ManifestError:
        previous = None
    staging = packs / ".staging" / language
    shutil.rmtree(staging, ignore_errors=True)
    try:
        problems += build(
            sources,
            staging,
            language=language,
            name=name,
            recorded_by=recorded_by,
            today=today,
            previous=previous,
        )
        if not problems:
            # Each clip was measured as it was built: the whole pack is checked for the rest.
            problems = check_pack(staging, measure=False)
        if problems:
            raise PackRefused(problems)
        retired = packs / ".staging" / f"{language}.old"
        shutil.rmtree(retired, ignore_errors=True)
        if target.exists():
            target.rename(retired)
        staging.rename(target)
        shutil.rmtree(retired, ignore_errors=True)
    finally:
        shutil.rmtree(packs / ".staging", ignore_errors=True)
    return read_manifest(target)
