"""Every area's Vietnamese catalogue is complete and current.

For each area with a `babel.cfg` (shared, kiosk, collector, sipas), the messages are extracted
afresh, the way `make i18n` does, and compared with the area's Vietnamese catalogue
(`<area>/translations/vi/LC_MESSAGES/messages.po`): every message needs a Vietnamese translation
that is not fuzzy and keeps its placeholders, and the catalogue holds nothing the code no longer
says.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
AREAS = [
    area
    for area in ("shared", "kiosk", "collector", "sipas")
    if (ROOT / area / "babel.cfg").is_file()
]
#: The extraction options `make i18n` uses, read from the Makefile so both extract the same.
EXTRACT_OPTS = (
    re.search(r"^EXTRACT_OPTS := (.+)$", (ROOT / "Makefile").read_text(encoding="utf-8"), re.M)
    .group(1)
    .split()
)
NAMED = re.compile(r"%\((\w+)\)")
BRACED = re.compile(r"\{(\w*)[^{}]*\}")


@pytest.fixture(scope="module", params=AREAS)
def area(request) -> str:
    return request.param


def extract(area: str, pot: Path, cwd: Path = ROOT) -> Catalog:
    """Extract an area's messages exactly as `make i18n` does."""
    command = ["extract", "-F", f"{area}/babel.cfg", *EXTRACT_OPTS]
    result = subprocess.run(
        [sys.executable, "-m", "babel.messages.frontend", "-q", *command, "-o", str(pot), area],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    with pot.open("rb") as fh:
        return read_po(fh)


@pytest.fixture(scope="module")
def template(area: str, tmp_path_factory: pytest.TempPathFactory) -> Catalog:
    """The messages the area's code says today, extracted as `make i18n` does."""
    return extract(area, tmp_path_factory.mktemp(area) / "messages.pot")


def test_lazy_strings_are_extracted(tmp_path):
    """A label written with `_l` (or `lazy_gettext`) is in the template, so the test above fails
    when it has no Vietnamese."""
    area = tmp_path / "area"
    area.mkdir()
    (area / "babel.cfg").write_text("[python: **.py]\n", encoding="utf-8")
    (area / "forms.py").write_text(
        "from flask_babel import lazy_gettext as _l\n"
        "from flask_babel import lazy_gettext\n"
        "LABEL = _l('A lazy label')\n"
        "OTHER = lazy_gettext('Another lazy label')\n",
        encoding="utf-8",
    )
    found = {message.id for message in extract("area", tmp_path / "messages.pot", cwd=tmp_path)}
    assert {"A lazy label", "Another lazy label"} <= found


@pytest.fixture(scope="module")
def vietnamese(area: str) -> Catalog | None:
    po = ROOT / area / "translations" / "vi" / "LC_MESSAGES" / "messages.po"
    if not po.is_file():
        return None  # each test fails on it, rather than erroring in setup
    with po.open("rb") as fh:
        return read_po(fh, locale="vi")


def _require(catalogue: Catalog | None, area: str) -> Catalog:
    if catalogue is None:
        pytest.fail(f"{area}/translations/vi/LC_MESSAGES/messages.po is missing: run `make i18n`")
    return catalogue


def _ids(message: Message) -> tuple[str, ...]:
    return message.id if isinstance(message.id, tuple) else (message.id,)


def _strings(message: Message) -> tuple[str, ...]:
    return message.string if isinstance(message.string, tuple) else (message.string,)


def _placeholders(message: Message, texts: tuple[str, ...]) -> set[str]:
    found = {f"%({name})" for text in texts for name in NAMED.findall(text)}
    if "python-brace-format" in message.flags:
        found |= {f"{{{name}}}" for text in texts for name in BRACED.findall(text)}
    return found


def _messages(catalogue: Catalog) -> list[Message]:
    return [message for message in catalogue if message.id]


def test_every_message_has_a_vietnamese_translation(template, vietnamese, area):
    vietnamese = _require(vietnamese, area)
    missing = []
    for message in _messages(template):
        translation = vietnamese.get(message.id, message.context)
        if translation is None or translation.fuzzy or not all(_strings(translation)):
            missing.append(_ids(message)[0])
    assert not missing, f"{area}: no Vietnamese translation (or a fuzzy one) for {missing}"


def test_the_catalogue_is_not_stale(template, vietnamese, area):
    vietnamese = _require(vietnamese, area)
    obsolete = [_ids(message)[0] for message in vietnamese.obsolete.values()]
    assert not obsolete, f"{area}: obsolete entries left in the catalogue: {obsolete}"
    extra = [
        _ids(message)[0]
        for message in _messages(vietnamese)
        if template.get(message.id, message.context) is None
    ]
    assert not extra, f"{area}: the code no longer has these messages: {extra}"


def test_translations_keep_their_placeholders(vietnamese, area):
    vietnamese = _require(vietnamese, area)
    wrong = []
    for message in _messages(vietnamese):
        if not all(_strings(message)):
            continue  # reported as missing above
        expected = _placeholders(message, _ids(message))
        if _placeholders(message, _strings(message)) != expected:
            wrong.append(_ids(message)[0])
    assert not wrong, f"{area}: translations that lose or add placeholders: {wrong}"
