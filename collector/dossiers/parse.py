"""A dossier event as the one-stop software sends it (a JSON object, or a CSV row read as one),
checked field by field into an `EventRequest`, or refused with its code in the API's catalogue
(`EventError`). No database: the recorder (`collector.dossiers.service`) looks the receipt and
the units up."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from collector.i18n import TranslatableError
from collector.models.dossiers import DOSSIER_EVENT_KINDS
from collector.problems import EVENT_PROBLEMS
from collector.receipts.service import ReceiptError, normalise_dossier
from collector.units import CODE_RE as UNIT_CODE_RE
from shared.i18n import N_

FIELDS = ("id", "kind", "at", "receipt", "dossier", "unit", "settling_unit", "due_date")
EVENT_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$")
#: How far ahead of the collector's clock an event's time may be (a clock a little early).
AHEAD = dt.timedelta(days=1)
#: Events in one API request.
MAX_EVENTS = 500


class EventError(TranslatableError):
    """An event that cannot be recorded; `code` is its code in the API's catalogue."""

    def __init__(self, problem: str, message: str, /, **params: object):
        if problem not in EVENT_PROBLEMS:
            raise ValueError(f"unknown event problem {problem!r}")
        self.code = problem
        super().__init__(message, **params)


@dataclass(frozen=True)
class EventRequest:
    event_id: str
    kind: str
    at: dt.datetime
    receipt: str | None = None
    dossier: str | None = None
    unit: str | None = None
    settling_unit: str | None = None
    due_date: dt.date | None = None


def _text(body: dict[str, Any], name: str) -> str | None:
    value = body.get(name)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise EventError("invalid-value", N_("%(field)s must be text"), field=name)
    return value.strip() or None


def _unit_code(body: dict[str, Any], name: str) -> str | None:
    code = _text(body, name)
    if code is not None and not UNIT_CODE_RE.fullmatch(code):
        raise EventError(
            "invalid-value",
            N_("%(field)s must be a unit code of letters, digits, '.', '_' or '-' (at most 64)"),
            field=name,
        )
    return code


def _check_fields(body: object) -> dict[str, Any]:
    """The body as a dict of known fields, with the three every event needs."""
    if not isinstance(body, dict):
        raise EventError("invalid-item", N_("the event must be a JSON object"))
    unknown = sorted(str(k) for k in set(body) - set(FIELDS))
    if unknown:
        raise EventError(
            "unknown-field", N_("unknown field(s): %(fields)s"), fields=", ".join(unknown)
        )
    for name in ("id", "kind", "at"):
        if _text(body, name) is None:
            raise EventError("missing-field", N_("%(field)s is missing"), field=name)
    return body


def _event_id(body: dict[str, Any]) -> str:
    event_id = _text(body, "id") or ""
    if not EVENT_ID_RE.match(event_id):
        raise EventError(
            "invalid-value",
            N_("id must be letters, digits, '.', '_', ':' or '-' (at most 64), e.g. a UUID"),
        )
    try:
        normalise_dossier(event_id)
    except ReceiptError:
        return event_id
    # The dossier code is kept only as an HMAC: an id that is one would store it in clear.
    raise EventError("invalid-value", N_("id must not be the dossier code"))


def _kind(body: dict[str, Any]) -> str:
    kind = _text(body, "kind")
    if kind not in DOSSIER_EVENT_KINDS:
        raise EventError(
            "invalid-value",
            N_("unknown kind %(kind)s (one of %(kinds)s)"),
            kind=str(kind)[:32],
            kinds=", ".join(DOSSIER_EVENT_KINDS),
        )
    return kind


def _at(body: dict[str, Any]) -> dt.datetime:
    """When the event happened, in UTC; the text must carry its offset."""
    at_text = _text(body, "at") or ""
    try:
        at = dt.datetime.fromisoformat(at_text.replace("Z", "+00:00"))
        if at.tzinfo is None or at.utcoffset() is None or "T" not in at_text:
            raise ValueError(at_text)
    except ValueError:
        raise EventError(
            "invalid-value",
            N_("at must be a date and time with its offset, e.g. 2026-03-02T08:30:00+07:00"),
        ) from None
    return at.astimezone(dt.UTC)


def _due_date(body: dict[str, Any], kind: str) -> dt.date | None:
    """The due date, which a settled event must have (on time or late)."""
    due_text = _text(body, "due_date")
    due_date = None
    if due_text is not None:
        try:
            if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", due_text):
                raise ValueError(due_text)
            due_date = dt.date.fromisoformat(due_text)
        except ValueError:
            raise EventError("invalid-value", N_("due_date must be a date as YYYY-MM-DD")) from None
    if kind == "settled" and due_date is None:
        raise EventError(
            "missing-field", N_("a settled event needs its due_date (on time or late)")
        )
    return due_date


def _dossier_of(body: dict[str, Any]) -> tuple[str | None, str | None, str | None]:
    """The receipt token or the dossier code (one of them), and the receiving unit's code, which
    a dossier code needs."""
    receipt, dossier = _text(body, "receipt"), _text(body, "dossier")
    unit = _unit_code(body, "unit")
    if (receipt is None) == (dossier is None):
        raise EventError(
            "missing-field", N_("give either the receipt token or the dossier code, not both")
        )
    if dossier is not None:
        try:
            dossier = normalise_dossier(dossier)
        except ReceiptError as exc:
            raise EventError("invalid-dossier", exc.message_id, **exc.params) from None
        if unit is None:
            raise EventError(
                "missing-field", N_("a dossier code needs the code of the unit that received it")
            )
    return receipt, dossier, unit


def parse_event(body: object) -> EventRequest:
    """An event from a JSON object (or a CSV row as a dict); the error names what is wrong (the
    first problem, its fields checked in this order)."""
    fields = _check_fields(body)
    event_id = _event_id(fields)
    kind = _kind(fields)
    at = _at(fields)
    due_date = _due_date(fields, kind)
    receipt, dossier, unit = _dossier_of(fields)
    return EventRequest(
        event_id=event_id,
        kind=kind,
        at=at,
        receipt=receipt,
        dossier=dossier,
        unit=unit,
        settling_unit=_unit_code(fields, "settling_unit"),
        due_date=due_date,
    )
