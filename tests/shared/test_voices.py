"""Voice packs: the prompts, the checker, the import of a folder of recordings (CLI), and the
shipped Vietnamese pack (it passes the checker; a prompt made again gives its manifest entry)."""

from __future__ import annotations

import math
import shutil
import struct
import wave
from pathlib import Path

import pytest
from click.testing import CliRunner

from kiosk.cli import kiosk as kiosk_cli
from shared import questionnaires
from shared.voices import PACKS_DIR, file_name, prompts, read_manifest
from shared.voices.check import MAX_SECONDS, check_pack
from shared.voices.pack import PackRefused, install
from shared.voices.speech import generate, normalise, number_words

needs_tools = pytest.mark.skipif(
    not (shutil.which("opusenc") and shutil.which("opusdec")),
    reason="Debian's opus-tools (.ci/run installs it)",
)
needs_espeak = pytest.mark.skipif(
    not shutil.which("espeak-ng"), reason="Debian's espeak-ng (.ci/run installs it)"
)


def tone(path: Path, seconds: float = 1.0, amplitude: float = 0.2) -> Path:
    """A 440 Hz tone as 16-bit mono WAV: a stand-in for a recording."""
    rate = 16000
    frames = b"".join(
        struct.pack("<h", int(amplitude * 32767 * math.sin(2 * math.pi * 440 * i / rate)))
        for i in range(int(seconds * rate))
    )
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(frames)
    return path


@pytest.fixture(scope="module")
def recordings(tmp_path_factory) -> Path:
    """A recording per prompt, named by its key (one tone copied)."""
    folder = tmp_path_factory.mktemp("recordings")
    one = tone(folder / "one.wav.tmp")
    for prompt in prompts():
        shutil.copy(one, folder / f"{prompt.key}.wav")
    one.unlink()
    return folder


def test_every_text_of_a_questionnaire_is_a_prompt_with_one_key():
    keys = [p.key for p in prompts()]
    assert len(keys) == len(set(keys))
    texts = {p.text for p in prompts()}
    levels, reasons = questionnaires.common()
    for q in questionnaires.registry().values():
        assert {item.text for item in q.questions} <= texts
        assert {factor.title for factor in q.factors} <= texts
    assert {level.label for level in levels} | {r.label for r in reasons} <= texts
    assert {"Start", "Back", "Skip", "Next", "Send", "Thank you!"} <= texts
    assert "screen.thanks" in keys and "question.admin-2026.1-short.Q0" in keys


@pytest.mark.parametrize(
    ("number", "words"),
    [
        (0, "không"),
        (15, "mười lăm"),
        (21, "hai mươi mốt"),
        (24, "hai mươi tư"),
        (105, "một trăm lẻ năm"),
        (1001, "một nghìn không trăm lẻ một"),
        (2_500_000, "hai triệu năm trăm nghìn"),
    ],
)
def test_numbers_are_read_in_vietnamese(number, words):
    assert number_words(number) == words


def test_abbreviations_numbers_and_slashes_are_written_out():
    said = normalise("Thời hạn giải quyết TTHC: 30% trong 2,5 ngày; Ông/Bà; phòng/sảnh")
    assert said == (
        "Thời hạn giải quyết thủ tục hành chính: ba mươi phần trăm trong hai phẩy năm ngày;"
        " Ông Bà; phòng hoặc sảnh"
    )


@needs_tools
def test_the_shipped_vietnamese_pack_passes_the_checker():
    pack = PACKS_DIR / "vi"
    assert check_pack(pack) == []
    manifest = read_manifest(pack)
    assert manifest.language == "vi" and manifest.name == "Tiếng Việt"
    assert {c.key for c in manifest.clips} == {p.key for p in prompts()}
    thanks = manifest.by_key()["screen.thanks"]
    assert thanks.text == "Xin cảm ơn!" and thanks.recorded_by.startswith("espeak-ng")
    size = sum(f.stat().st_size for f in pack.iterdir())
    assert size < 5 * 2**20


@needs_tools
@needs_espeak
def test_making_one_prompt_again_gives_the_same_clip_and_manifest_entry(tmp_path):
    shipped = read_manifest(PACKS_DIR / "vi").by_key()
    folder = tmp_path / "vi"
    folder.mkdir()
    shutil.copy(PACKS_DIR / "vi" / "manifest.json", folder / "manifest.json")
    prompt = next(p for p in prompts() if p.key == "scale.5")
    assert generate(folder, only=[prompt], today="2099-01-01") == []
    again = read_manifest(folder).by_key()["scale.5"]
    assert again == shipped["scale.5"]  # recorded_at kept: the same sound
    assert (folder / again.file).read_bytes() == (PACKS_DIR / "vi" / again.file).read_bytes()


@needs_tools
def test_a_folder_of_recordings_is_imported_by_the_cli_and_checked(tmp_path, recordings):
    instance = tmp_path / "kiosk"
    result = CliRunner().invoke(
        kiosk_cli,
        [
            "voices", "import", str(recordings), "--instance", str(instance),
            "--lang", "bru", "--name", "Bru-Vân Kiều", "--by", "Tổ ghi âm huyện",
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert f"{len(prompts())}" in result.output
    manifest = read_manifest(instance / "voices" / "bru")
    assert manifest.name == "Bru-Vân Kiều" and len(manifest.clips) == len(prompts())
    clip = manifest.by_key()["scale.1"]
    assert clip.recorded_by == "Tổ ghi âm huyện" and clip.text == ""
    assert 0.9 < clip.duration < 1.1 and -20 < clip.loudness < -14
    checked = CliRunner().invoke(kiosk_cli, ["voices", "check", str(instance / "voices" / "bru")])
    assert checked.exit_code == 0 and "bru" in checked.output


def _refusal(tmp_path, recordings, spoil) -> tuple[list[str], Path]:
    """Install a good pack, then one spoiled by `spoil(folder)`: the problems in Vietnamese, and
    the pack folder (which must still hold the good pack)."""
    packs = tmp_path / "voices"
    install(recordings, packs, language="pko", name="Pa Kô", recorded_by="A", today="2026-01-01")
    before = (packs / "pko" / "manifest.json").read_bytes()
    spoiled = tmp_path / "spoiled"
    shutil.copytree(recordings, spoiled)
    spoil(spoiled)
    with pytest.raises(PackRefused) as refused:
        install(spoiled, packs, language="pko", name="Pa Kô", recorded_by="B", today="2026-02-02")
    assert (packs / "pko" / "manifest.json").read_bytes() == before
    assert check_pack(packs / "pko", measure=False) == []
    assert not (packs / ".staging").exists()
    return [p.text("vi") for p in refused.value.problems], packs


@needs_tools
def test_the_checker_refuses_a_missing_prompt_and_keeps_the_previous_pack(tmp_path, recordings):
    problems, _ = _refusal(tmp_path, recordings, lambda f: (f / "scale.3.wav").unlink())
    assert problems == ["Thiếu tệp âm thanh cho lời đọc scale.3 (“Bình thường”)"]


@needs_tools
def test_the_checker_refuses_a_wrong_format(tmp_path, recordings):
    def spoil(folder):
        (folder / "scale.3.wav").unlink()
        (folder / "scale.3.opus").write_bytes(b"ID3\x03\x00 not an Ogg file at all")

    problems, _ = _refusal(tmp_path, recordings, spoil)
    assert problems == [f"Tệp âm thanh {file_name('scale.3')} không phải định dạng Ogg Opus"]


@needs_tools
def test_the_checker_refuses_a_clip_over_the_length_limit(tmp_path, recordings):
    problems, _ = _refusal(
        tmp_path,
        recordings,
        lambda f: tone(f / "screen.next.wav", seconds=MAX_SECONDS + 2),
    )
    assert len(problems) == 1
    assert problems[0].startswith("Tệp âm thanh screen.next.opus dài 22.0 giây, vượt giới hạn")


@needs_tools
def test_the_checker_refuses_an_empty_file_and_a_silent_one(tmp_path, recordings):
    def spoil(folder):
        (folder / "screen.back.wav").write_bytes(b"")
        tone(folder / "screen.skip.wav", amplitude=0.001)

    problems, _ = _refusal(tmp_path, recordings, spoil)
    assert problems[0] == "Tệp âm thanh screen.back.wav rỗng"
    assert problems[1].startswith("Tệp âm thanh screen.skip.opus có độ lớn -")
    assert problems[1].endswith("hãy ghi âm lại")


@needs_tools
def test_a_clip_changed_after_its_import_is_found_by_the_check(tmp_path):
    packs = tmp_path / "voices"
    folder = tmp_path / "rec"
    folder.mkdir()
    for prompt in prompts():
        tone(folder / f"{prompt.key}.wav", seconds=0.5)
    tone(folder / "scale.4.wav", seconds=0.8)
    install(folder, packs, language="pko", name="Pa Kô", recorded_by="A", today="2026-01-01")
    pack = packs / "pko"
    (pack / file_name("scale.5")).write_bytes((pack / file_name("scale.4")).read_bytes())
    problems = [p.text("vi") for p in check_pack(pack)]
    assert problems == ["Tệp âm thanh scale.5.opus không khớp với mô tả trong tệp kê khai"]
