"""Clips as sound: reading an Ogg Opus file's length without decoding it, measuring its level, and
encoding a recording to Ogg Opus.

The length comes from the Ogg pages themselves (plain Python). Encoding and the level need the
Opus tools of Debian's `opus-tools` package (`opusenc`, `opusdec`), which the command line that
makes or checks packs uses; a kiosk only serves the files.
"""

from __future__ import annotations

import array
import hashlib
import io
import math
import shutil
import struct
import subprocess
import sys
import wave
from dataclasses import dataclass
from pathlib import Path

#: Opus always counts time at 48 kHz.
OPUS_RATE = 48000
#: Bit rate of the clips: speech stays clear at 20 kbit/s mono; a 3 s clip is about 8 KB.
BITRATE_KBPS = 20
#: The Ogg stream's serial number is normally random: a fixed one makes an encoding repeatable.
SERIAL = 1


class AudioError(ValueError):
    """A file that is not a usable clip; `reason` is one of "empty", "format", "tools"."""

    def __init__(self, reason: str, detail: str = ""):
        self.reason, self.detail = reason, detail
        super().__init__(f"{reason}: {detail}" if detail else reason)


@dataclass(frozen=True)
class Level:
    loudness: float  #: RMS over the clip, dBFS
    peak: float  #: highest sample, dBFS


def _pages(data: bytes):
    """(granule position, packets' bytes of the page) of each Ogg page; AudioError if not Ogg."""
    pos = 0
    while pos < len(data):
        if data[pos : pos + 4] != b"OggS" or len(data) < pos + 27:
            raise AudioError("format", "not an Ogg page")
        granule = struct.unpack_from("<q", data, pos + 6)[0]
        segments = data[pos + 26]
        table = data[pos + 27 : pos + 27 + segments]
        size = sum(table)
        start = pos + 27 + segments
        if len(table) != segments or start + size > len(data):
            raise AudioError("format", "cut-off Ogg page")
        yield granule, data[start : start + size]
        pos = start + size


def opus_duration(data: bytes) -> float:
    """Seconds of an Ogg Opus clip, from its header and the last page's granule position."""
    if not data:
        raise AudioError("empty")
    pages = list(_pages(data))
    if not pages or not pages[0][1].startswith(b"OpusHead") or len(pages[0][1]) < 19:
        raise AudioError("format", "no OpusHead")
    pre_skip = struct.unpack_from("<H", pages[0][1], 10)[0]
    last = max(granule for granule, _ in pages)
    if last <= pre_skip:
        raise AudioError("format", "no audio")
    return (last - pre_skip) / OPUS_RATE


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise AudioError("tools", name)
    return path


def level_of_wav(wav: bytes) -> Level:
    """RMS and peak level of 16-bit PCM WAV data (any channel count), in dBFS."""
    with wave.open(io.BytesIO(wav)) as w:
        if w.getsampwidth() != 2:
            raise AudioError("format", "WAV that is not 16-bit")
        frames = w.readframes(w.getnframes())
    samples = array.array("h")
    samples.frombytes(frames)
    if sys.byteorder == "big":
        samples.byteswap()
    if not samples:
        raise AudioError("empty")
    square = sum(s * s for s in samples) / len(samples)
    peak = max(abs(s) for s in samples)

    def db(value: float) -> float:
        return round(20 * math.log10(value / 32768), 1) if value > 0 else -120.0

    return Level(loudness=db(math.sqrt(square)), peak=db(peak))


def decode(data: bytes) -> bytes:
    """An Ogg Opus clip as 16-bit mono WAV at 16 kHz (opusdec)."""
    result = subprocess.run(  # noqa: S603 - a fixed tool, no shell
        [_tool("opusdec"), "--quiet", "--rate", "16000", "--force-wav", "-", "-"],
        input=data,
        capture_output=True,
        check=False,
    )
    if result.returncode != 0 or not result.stdout:
        raise AudioError("format", result.stderr.decode("utf-8", "replace").strip()[:200])
    return result.stdout


def level(data: bytes) -> Level:
    """RMS and peak level of an Ogg Opus clip."""
    return level_of_wav(decode(data))


def encode(source: Path) -> bytes:
    """A recording (WAV, FLAC or AIFF, as opusenc reads them) as a mono Ogg Opus clip; the same
    input always gives the same bytes."""
    if source.stat().st_size == 0:
        raise AudioError("empty")
    result = subprocess.run(  # noqa: S603 - a fixed tool, no shell
        [
            _tool("opusenc"),
            "--quiet",
            "--bitrate",
            str(BITRATE_KBPS),
            "--downmix-mono",
            "--serial",
            str(SERIAL),
            "--padding",
            "0",
            "--discard-comments",
            str(source),
            "-",
        ],
        capture_output=True,
        check=False,
    )
    if result.returncode != 0 or not result.stdout:
        raise AudioError("format", result.stderr.decode("utf-8", "replace").strip()[:200])
    return result.stdout
