"""The kiosk set-up code: what the collector's kiosk registration page shows as a QR code and
`sipas kiosk init --setup` reads (typed, pasted, or from a QR scanner, which types it).

One JSON object: the collector's address and the kiosk's token (the keys of kiosk.toml), the
unit the kiosk was registered for, its id at the collector and, from version 1 on optionally, the
unit's name for the screens. Plain functions of `str`: no Flask, no database.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from urllib.parse import urlsplit

from shared.i18n import N_

#: Marks the payload as a SIPAS kiosk set-up, and its layout's version.
SETUP_FORMAT = "sipas-kiosk-setup/1"


class SetupCodeError(ValueError):
    """Not a set-up code this kiosk can use; the message (an English message id) says why."""


@dataclass(frozen=True)
class KioskSetup:
    collector_url: str
    collector_token: str
    unit: str
    kiosk_id: int
    office: str | None = None


def setup_payload(
    collector_url: str, token: str, unit: str, kiosk_id: int, office: str | None = None
) -> str:
    """The set-up code of a registered kiosk, as compact JSON."""
    data: dict[str, object] = {
        "format": SETUP_FORMAT,
        "collector_url": collector_url,
        "collector_token": token,
        "unit": unit,
        "kiosk_id": kiosk_id,
    }
    if office:
        data["office"] = office
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False)


def read_setup(text: str) -> KioskSetup:
    """The set-up of a code as the registration page made it; SetupCodeError otherwise."""
    try:
        data = json.loads(text.strip())
    except (ValueError, AttributeError):
        raise SetupCodeError(N_("this is not a kiosk set-up code (it is not JSON)")) from None
    if not isinstance(data, dict) or data.get("format") != SETUP_FORMAT:
        raise SetupCodeError(N_("this is not a kiosk set-up code of this version of SIPAS"))
    url, token, unit = data.get("collector_url"), data.get("collector_token"), data.get("unit")
    kiosk_id, office = data.get("kiosk_id"), data.get("office")
    parts = urlsplit(url) if isinstance(url, str) else None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        raise SetupCodeError(N_("the set-up code has no collector address"))
    if not isinstance(token, str) or not token.strip():
        raise SetupCodeError(N_("the set-up code has no token"))
    if not isinstance(unit, str) or not unit.strip() or ":" in unit:
        raise SetupCodeError(N_("the set-up code has no unit"))
    if not isinstance(kiosk_id, int) or isinstance(kiosk_id, bool):
        raise SetupCodeError(N_("the set-up code has no kiosk number"))
    return KioskSetup(
        collector_url=url.rstrip("/"),
        collector_token=token.strip(),
        unit=unit.strip(),
        kiosk_id=kiosk_id,
        office=office.strip() if isinstance(office, str) and office.strip() else None,
    )
