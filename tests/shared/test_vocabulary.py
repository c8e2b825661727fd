"""One Vietnamese vocabulary: the glossary of docs/translations.md says which word names each
thing; no Vietnamese catalogue uses a word the glossary rejects, a message has the same
Vietnamese in every catalogue that holds it, and every help text of the `sipas` command is in
Vietnamese (a command whose help is only its docstring shows English)."""

from __future__ import annotations

import re
from pathlib import Path

import click
import pytest
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
AREAS = ("shared", "kiosk", "collector", "sipas")
GLOSSARY = ROOT / "docs" / "translations.md"


def _translations(area: str) -> dict[str, str]:
    with (ROOT / area / "translations" / "vi" / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        catalogue = read_po(fh, locale="vi")
    out = {}
    for message in catalogue:
        if not message.id:
            continue
        key = message.id if isinstance(message.id, str) else message.id[0]
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        out[key] = " | ".join(strings)
    return out


def rejected_words() -> list[str]:
    """The words in the glossary's last column ("Not"), each in backticks."""
    text = GLOSSARY.read_text(encoding="utf-8")
    start = text.index("| English | Vietnamese | Not |")
    words = []
    for line in text[start:].splitlines()[2:]:
        if not line.startswith("|"):
            break
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        words += re.findall(r"`([^`]+)`", cells[2])
    return words


def test_the_glossary_rejects_some_words():
    words = rejected_words()
    assert {"máy chủ thu thập", "kiosk", "ông/bà", "phiếu hẹn"} <= set(words)


@pytest.mark.parametrize("area", AREAS)
def test_no_catalogue_uses_a_word_the_glossary_rejects(area):
    patterns = {
        # Whole words; a file name or a setting (kiosk.toml, collector_url) is not prose.
        word: re.compile(rf"(?<![\w./_-]){re.escape(word)}(?![\w/_-]|\.\w)")
        for word in rejected_words()
    }
    found = []
    for message, text in _translations(area).items():
        prose = re.sub(r"`[^`]*`", " ", text)  # commands and file names in backticks stay
        found += [f"{word!r} in {message!r}" for word, p in patterns.items() if p.search(prose)]
    assert not found, "\n".join(found)


def test_a_message_reads_the_same_in_every_catalogue():
    by_message: dict[str, dict[str, str]] = {}
    for area in AREAS:
        for message, text in _translations(area).items():
            by_message.setdefault(message, {})[area] = text
    different = {m: t for m, t in by_message.items() if len(set(t.values())) > 1}
    assert not different, different


def _commands(group: click.Group, ctx: click.Context, path: str):
    yield path, group
    if isinstance(group, click.Group):
        for name in group.list_commands(ctx):
            command = group.get_command(ctx, name)
            if command is not None:
                yield from _commands(command, ctx, f"{path} {name}")


def test_every_help_of_the_command_is_vietnamese(monkeypatch):
    for name in ("SIPAS_LANG", "SIPAS_COLLECTOR_BABEL_DEFAULT_LOCALE"):
        monkeypatch.delenv(name, raising=False)
    from sipas.cli import LOCALE, main

    assert LOCALE == "vi"
    english = []
    for path, command in _commands(main, click.Context(main), "sipas"):
        texts = [("", command.help)] + [(p.name, getattr(p, "help", None)) for p in command.params]
        for param, text in texts:
            # Vietnamese prose has letters outside ASCII; an English sentence has none.
            if text and text.isascii():
                english.append(f"{path} {param}: {text}")
    assert not english, "\n".join(english)
