"""The counters a kiosk server serves, from its configuration."""

from __future__ import annotations

import re
from dataclasses import dataclass

from shared.questionnaires import KINDS

_CODE = re.compile(r"^[A-Za-z0-9_-]{1,32}$")


@dataclass(frozen=True)
class Counter:
    code: str  #: used in the tablet's URL: /c/<code>
    name: str
    unit: str  #: code of the administrative unit the counter belongs to
    kinds: tuple[str, ...]  #: questionnaire kinds offered (admin, health, education)


def load_counters(entries: list[dict]) -> dict[str, Counter]:
    """Validate the COUNTERS setting; a bad entry stops the app with a message naming it."""
    counters: dict[str, Counter] = {}
    for n, entry in enumerate(entries, 1):
        code = str(entry.get("code", ""))
        if not _CODE.match(code) or code in counters:
            raise ValueError(f"counter #{n}: bad or duplicate code {code!r}")
        kinds = tuple(entry.get("kinds") or ("admin",))
        unknown = [k for k in kinds if k not in KINDS]
        if unknown:
            raise ValueError(f"counter {code}: unknown kinds {unknown}")
        if not entry.get("unit"):
            raise ValueError(f"counter {code}: no unit code")
        counters[code] = Counter(code, str(entry.get("name") or code), str(entry["unit"]), kinds)
    return counters
