"""The composition root: what puts the two apps together (the `sipas` command and the demo).

It sits above `kiosk` and `collector` and imports both; nothing under `shared`, `kiosk` or
`collector` imports it (tests/shared/test_purity.py)."""

from pathlib import Path

#: This area's catalogue: the messages of the command's top level and of the demo.
TRANSLATIONS_DIR = Path(__file__).parent / "translations"
