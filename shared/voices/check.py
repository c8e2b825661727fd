"""The voice pack checker: every prompt has a clip, each clip is Ogg Opus, not empty, of a length
and loudness within limits, and is the file its manifest describes. Each problem is one translated
line (Vietnamese first); a pack with any problem is not installed (shared.voices.pack)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from shared.health import Problem
from shared.i18n import N_
from shared.voices import (
    LANGUAGE,
    MANIFEST,
    Clip,
    ManifestError,
    Prompt,
    audio,
    prompts,
    read_manifest,
    spoken_text,
)

#: Shortest and longest clip, seconds: an answer label takes half a second, the longest question
#: of the full questionnaires about twelve.
MIN_SECONDS = 0.3
MAX_SECONDS = 20.0
#: RMS level limits, dBFS: quieter is lost in a busy hall, louder is distorted.
MIN_LOUDNESS = -35.0
MAX_LOUDNESS = -8.0


def tools_problem() -> Problem | None:
    """The Opus tools are needed to encode and measure clips."""
    try:
        audio._tool("opusenc")  # noqa: SLF001
        audio._tool("opusdec")  # noqa: SLF001
    except audio.AudioError as exc:
        return Problem(
            "voices_tools",
            N_("%(tool)s is not installed: install Debian's opus-tools package"),
            tool=exc.detail,
        )
    return None


def clip_problems(data: bytes, file: str, *, measure: bool = True) -> tuple[list[Problem], dict]:
    """The problems of one clip's bytes, and what was measured (duration, loudness, peak)."""
    found: list[Problem] = []
    measured: dict = {}
    try:
        measured["duration"] = round(audio.opus_duration(data), 3)
    except audio.AudioError as exc:
        if exc.reason == "empty":
            return [Problem("voices_empty", N_("clip %(file)s is empty"), file=file)], measured
        return [Problem("voices_format", N_("clip %(file)s is not Ogg Opus"), file=file)], measured
    seconds = measured["duration"]
    for code, message, beyond, limit in (
        (
            "voices_long",
            N_("clip %(file)s lasts %(seconds)s s, longer than the limit of %(limit)s s"),
            seconds > MAX_SECONDS,
            MAX_SECONDS,
        ),
        (
            "voices_short",
            N_("clip %(file)s lasts %(seconds)s s, shorter than the limit of %(limit)s s"),
            seconds < MIN_SECONDS,
            MIN_SECONDS,
        ),
    ):
        if beyond:
            found.append(Problem(code, message, file=file, seconds=round(seconds, 1), limit=limit))
    if measure:
        try:
            level = audio.level(data)
        except audio.AudioError:
            found.append(Problem("voices_format", N_("clip %(file)s is not Ogg Opus"), file=file))
            return found, measured
        measured.update(loudness=level.loudness, peak=level.peak)
        if not MIN_LOUDNESS <= level.loudness <= MAX_LOUDNESS:
            found.append(
                Problem(
                    "voices_loudness",
                    N_(
                        "clip %(file)s is at %(loudness)s dBFS, outside the limits "
                        "%(low)s to %(high)s dBFS: record it again"
                    ),
                    file=file,
                    loudness=level.loudness,
                    low=MIN_LOUDNESS,
                    high=MAX_LOUDNESS,
                )
            )
    return found, measured


def check_pack(
    folder: Path, required: Iterable[Prompt] | None = None, *, measure: bool = True
) -> list[Problem]:
    """Every problem of the pack in `folder`; `required`: the prompts it must have (every prompt of
    the questionnaires by default). `measure`: decode each clip to measure its loudness."""
    if measure:
        missing_tools = tools_problem()
        if missing_tools:
            return [missing_tools]
    try:
        manifest = read_manifest(folder)
    except ManifestError as exc:
        if str(exc) == "missing":
            return [
                Problem(
                    "voices_manifest",
                    N_("%(folder)s has no %(manifest)s"),
                    folder=str(folder),
                    manifest=MANIFEST,
                )
            ]
        return [
            Problem(
                "voices_manifest",
                N_("%(manifest)s of %(folder)s cannot be read: %(detail)s"),
                folder=str(folder),
                manifest=MANIFEST,
                detail=str(exc),
            )
        ]
    found: list[Problem] = []
    if folder.name != manifest.language or not LANGUAGE.match(folder.name):
        found.append(
            Problem(
                "voices_language",
                N_("the folder of the %(language)s pack must be named %(language)s"),
                language=manifest.language,
            )
        )
    clips = manifest.by_key()
    for prompt in required if required is not None else prompts():
        if prompt.key not in clips:
            found.append(
                Problem(
                    "voices_missing",
                    N_("no clip for prompt %(prompt)s (“%(text)s”)"),
                    prompt=prompt.key,
                    text=spoken_text(prompt),
                )
            )
    for clip in clips.values():
        found.extend(_clip_file_problems(folder, clip, measure=measure))
    return found


def _clip_file_problems(folder: Path, clip: Clip, *, measure: bool) -> list[Problem]:
    path = folder / clip.file
    if Path(clip.file).name != clip.file or not path.is_file():
        return [Problem("voices_file", N_("clip %(file)s is not in the pack"), file=clip.file)]
    data = path.read_bytes()
    problems, _ = clip_problems(data, clip.file, measure=measure)
    if not problems and audio.sha256(data) != clip.sha256:
        problems.append(
            Problem(
                "voices_changed",
                N_("clip %(file)s is not the file its manifest describes"),
                file=clip.file,
            )
        )
    return problems
