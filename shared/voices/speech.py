"""The shipped Vietnamese pack, made from the questionnaires' own texts by espeak-ng's Vietnamese
voice (Debian package espeak-ng), numbers and abbreviations written out first, then encoded to
Ogg Opus: `make voices` (python -m shared.voices.speech). The same texts and tools give the same
files and manifest; a province replaces the pack with human recordings by
`sipas kiosk voices import`."""

from __future__ import annotations

import argparse
import datetime as dt
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from shared.voices import FALLBACK, PACKS_DIR, Prompt, prompts, read_manifest, spoken_text
from shared.voices.pack import build

#: espeak-ng's settings: the Vietnamese voice a little slower than its default (older citizens),
#: and an amplitude that leaves headroom below full scale.
VOICE = "vi"
WORDS_PER_MINUTE = 150
AMPLITUDE = 70
#: The pack's name in its own language, shown on the welcome screen.
NAME = "Tiếng Việt"

#: Abbreviations of the public service, as a Vietnamese reader says them.
ABBREVIATIONS = {
    "UBND": "Ủy ban nhân dân",
    "HĐND": "Hội đồng nhân dân",
    "TTHC": "thủ tục hành chính",
    "CBCC": "cán bộ, công chức",
    "CCCD": "căn cước công dân",
    "BHYT": "bảo hiểm y tế",
    "BHXH": "bảo hiểm xã hội",
    "QĐ": "quyết định",
    "BNV": "Bộ Nội vụ",
    "TP": "thành phố",
    "v.v.": "vân vân",
    #: How a citizen is addressed in writing; said as "Ông Bà".
    "Ông/Bà": "Ông Bà",
}
DIGITS = ("không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín")
GROUPS = ("", "nghìn", "triệu", "tỷ")


def _below_thousand(n: int, full: bool) -> list[str]:
    """Words of 0 < n < 1000; `full`: a group after a higher one ("không trăm", "lẻ")."""
    hundreds, tens, units = n // 100, n // 10 % 10, n % 10
    words: list[str] = []
    if hundreds or full:
        words += [DIGITS[hundreds], "trăm"]
    if tens == 0:
        if units and words:
            words.append("lẻ")
    elif tens == 1:
        words.append("mười")
    else:
        words += [DIGITS[tens], "mươi"]
    if units:
        if units == 1 and tens >= 2:
            words.append("mốt")
        elif units == 5 and tens >= 1:
            words.append("lăm")
        elif units == 4 and tens >= 2:
            words.append("tư")
        else:
            words.append(DIGITS[units])
    return words


def number_words(n: int) -> str:
    """A whole number in Vietnamese words: 21 "hai mươi mốt", 105 "một trăm lẻ năm"."""
    if n == 0:
        return DIGITS[0]
    groups = []
    while n:
        groups.append(n % 1000)
        n //= 1000
    if len(groups) > len(GROUPS):
        raise ValueError("number too large to read")
    words: list[str] = []
    for i in range(len(groups) - 1, -1, -1):
        if groups[i]:
            words += _below_thousand(groups[i], full=bool(words))
            words += [GROUPS[i]] if GROUPS[i] else []
    return " ".join(words)


def _number(match: re.Match) -> str:
    whole, fraction = match.group(1).replace(".", ""), match.group(2)
    said = number_words(int(whole))
    if fraction:
        said += " phẩy " + number_words(int(fraction))
    return said


def normalise(text: str) -> str:
    """Vietnamese text as it is to be spoken: abbreviations and numbers written out."""
    for short, said in ABBREVIATIONS.items():
        text = re.sub(rf"(?<!\w){re.escape(short)}(?!\w)", said, text)
    text = re.sub(r"(\d+)\s*%", r"\1 phần trăm", text)
    text = re.sub(r"(\d)\s*/\s*(\d)", r"\1 trên \2", text)
    # 1.000.000 is a million, 2,5 two and a half (Vietnamese separators).
    text = re.sub(r"(\d{1,3}(?:\.\d{3})+|\d+)(?:,(\d+))?", _number, text)
    # "phòng/sảnh", "Không sử dụng / Không có ý kiến": one or the other.
    text = re.sub(r"\s*/\s*", " hoặc ", text).replace("…", ",")
    return re.sub(r"\s+", " ", text).strip()


def espeak_version() -> str:
    result = subprocess.run(  # noqa: S603 - a fixed tool, no shell
        [_espeak(), "--version"], capture_output=True, text=True, check=True
    )
    match = re.search(r"(\d+\.\d+(?:\.\d+)?)", result.stdout)
    return match.group(1) if match else "?"


def _espeak() -> str:
    path = shutil.which("espeak-ng")
    if path is None:
        raise SystemExit("espeak-ng is not installed: apt-get install espeak-ng")
    return path


def synthesise(text: str, wav: Path) -> None:
    subprocess.run(  # noqa: S603 - a fixed tool, no shell
        [
            _espeak(),
            "-v",
            VOICE,
            "-s",
            str(WORDS_PER_MINUTE),
            "-a",
            str(AMPLITUDE),
            "-w",
            str(wav),
            "--",
            normalise(text),
        ],
        check=True,
        capture_output=True,
    )


def generate(folder: Path, only: list[Prompt] | None = None, today: str | None = None) -> list:
    """Make the Vietnamese pack in `folder` (the shipped one by default), for `only` these prompts
    or all of them; clips whose sound is unchanged keep their manifest entries. The problems."""
    chosen = only if only is not None else list(prompts())
    try:
        previous = read_manifest(folder)
    except ValueError:
        previous = None
    with tempfile.TemporaryDirectory() as tmp:
        sources = {}
        for prompt in chosen:
            wav = Path(tmp) / f"{prompt.key}.wav"
            synthesise(spoken_text(prompt, FALLBACK), wav)
            sources[prompt.key] = wav
        if only is None and folder.exists():
            for old in folder.glob("*.opus"):
                old.unlink()
        return build(
            sources,
            folder,
            language=FALLBACK,
            name=NAME,
            recorded_by=f"espeak-ng {espeak_version()} ({VOICE})",
            today=today or dt.date.today().isoformat(),
            previous=previous,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=PACKS_DIR / FALLBACK)
    args = parser.parse_args()
    problems = generate(args.out)
    for problem in problems:
        print(problem)
    raise SystemExit(1 if problems else 0)


if __name__ == "__main__":
    main()
