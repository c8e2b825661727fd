"""The audit log: one function that every change goes through, from the CLI and the pages alike,
and the words that show an entry to a person (the rows keep codes; the page shows words)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session

from collector.models import ROLE_LABELS, AuditEntry, User
from collector.models.units import unit_kind_label
from shared.i18n import N_

Translate = Callable[[str], str]

#: Every action of the audit log, in words.
ACTIONS = {
    "kiosk-registered": N_("kiosk registered"),
    "kiosk-relabelled": N_("kiosk renamed"),
    "kiosk-revoked": N_("kiosk revoked"),
    "kiosk-token-rotated": N_("kiosk given a new token"),
    "unit-added": N_("unit added"),
    "units-imported": N_("units imported"),
    "units-reorganised": N_("units reorganised (merged, split or renamed)"),
    "unit-renamed": N_("unit renamed"),
    "unit-moved": N_("unit moved"),
    "unit-activated": N_("unit active again"),
    "unit-deactivated": N_("unit deactivated"),
    "unit-hours-set": N_("opening hours set"),
    "integration-created": N_("integration token made"),
    "integration-revoked": N_("integration token revoked"),
    "report-included-unofficial": N_("left-out responses included in a report"),
    "target-set": N_("target set"),
    "user-added": N_("account added"),
    "user-changed": N_("account changed"),
    "password-reset": N_("password reset"),
    "password-change-refused": N_("password change refused"),
    "password-changed": N_("password changed"),
    "weekly-mail-set": N_("Monday report by e-mail chosen"),
    "login-failed": N_("failed login"),
    "login": N_("logged in"),
    "logout": N_("logged out"),
    "sessions-ended": N_("sessions ended"),
    "token-created": N_("API token made"),
    "token-revoked": N_("API token revoked"),
    "kiosk-rate-flagged": N_("a kiosk's responses flagged: more a minute than a counter makes"),
    "retention-applied": N_("old data removed (retention)"),
    "receipt-revoked": N_("receipt code revoked"),
    "procedure-added": N_("procedure added"),
    "procedure-changed": N_("procedure changed"),
    "procedures-imported": N_("procedures imported"),
}

#: The keys of an entry's details, in words.
DETAILS = {
    "kiosk_id": N_("kiosk"),
    "integration_id": N_("integration token"),
    "token_id": N_("token"),
    "unit": N_("unit"),
    "code": N_("unit"),
    "codes": N_("units"),
    "successors": N_("units that follow them"),
    "effective": N_("on"),
    "links": N_("changes"),
    "name": N_("name"),
    "label": N_("name"),
    "kind": N_("kind"),
    "parent": N_("parent unit"),
    "before": N_("before"),
    "after": N_("after"),
    "added": N_("added"),
    "updated": N_("updated"),
    "unchanged": N_("unchanged"),
    "email": N_("account"),
    "role": N_("role"),
    "active": N_("may log in"),
    "receive": N_("receives it"),
    "reason": N_("why"),
    "period": N_("period"),
    "via": N_("from"),
    "year": N_("year"),
    "source": N_("source"),
    "kiosk": N_("kiosk"),
    "responses": N_("responses"),
    "max_per_minute": N_("most in a minute"),
    "first": N_("first"),
    "last": N_("last"),
    "comments": N_("comments blanked"),
    "files": N_("files deleted"),
    "receipt_id": N_("receipt"),
}

SERVICE_KINDS = {
    "admin": N_("Administrative services"),
    "health": N_("Health services"),
    "education": N_("Education services"),
}
#: Where a report with left-out responses was read.
VIA = {
    "page": N_("the report page"),
    "api": N_("the API"),
    "cli": N_("command line"),
    "job": N_("a background job"),
}
#: Stored as "default" by `set_opening_hours` for the collector's default hours.
DEFAULT_HOURS = N_("the default hours")


def audit(session: Session, action: str, user: User | None = None, **details: Any) -> AuditEntry:
    """Add a row to the audit log; `user` is who acted (None: the command line)."""
    entry = AuditEntry(action=action, user=user, details=details)
    session.add(entry)
    session.flush()
    return entry


def action_label(action: str, translate: Translate) -> str:
    """An action in words; an action this version does not know, as it was stored."""
    label = ACTIONS.get(action)
    return translate(label) if label else action


def describe(entry: AuditEntry, translate: Translate) -> tuple[str, list[tuple[str, str]]]:
    """The entry's action and each detail as (label, value), in the language of `translate`."""
    details = entry.details if isinstance(entry.details, dict) else {}
    shown = []
    for key, value in details.items():
        label = DETAILS.get(key)
        text = _value(entry.action, key, value, translate)
        shown.append((translate(label) if label else key, text))
    return action_label(entry.action, translate), shown


def _value(action: str, key: str, value: Any, translate: Translate) -> str:
    if isinstance(value, list) and action == "user-changed" and len(value) == 2:
        before, after = (_value(action, key, v, translate) for v in value)
        return f"{before} → {after}"
    if isinstance(value, list):
        return ", ".join(_value(action, key, v, translate) for v in value)
    if value is None or value == "":
        return "–"
    if isinstance(value, bool):
        return translate(N_("yes")) if value else translate(N_("no"))
    if key == "role":
        return translate(ROLE_LABELS[value]) if value in ROLE_LABELS else str(value)
    if key == "kind":
        if action in ("target-set", "procedure-added", "procedure-changed", "procedures-imported"):
            return translate(SERVICE_KINDS[value]) if value in SERVICE_KINDS else str(value)
        return unit_kind_label(str(value), translate)
    if key == "via":
        return translate(VIA[value]) if value in VIA else str(value)
    if key == "reason":
        return action_label(str(value), translate)
    if action == "unit-hours-set" and value == "default":
        return translate(DEFAULT_HOURS)
    return str(value)
