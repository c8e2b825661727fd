"""Dossier status events: check one (`parse_event`), record it (`record_event`) for the API and
the CSV import alike, and fold the dossier's state again from all its events.

Functions take a session and flush; the view or the CLI commits.

An event names its dossier by the receipt's token or by the dossier code with its receiving unit;
both lead to the receipt's key, the HMAC of the unit and the code (`receipts.service`), so the code
is never stored. The one-stop software holds an integration token and reports only for the units
of its subtree, as when it issues receipts: a dossier code of a unit outside them is refused with
the receipt's words, a receipt token outside them is unknown, as the QR image of such a receipt is.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from collector.accounts.scope import in_subtree
from collector.dossiers.state import Event, fold
from collector.i18n import TranslatableError
from collector.models import Dossier, DossierEvent, IntegrationToken, Receipt, Unit
from collector.models.dossiers import DOSSIER_EVENT_KINDS
from collector.problems import EVENT_PROBLEMS
from collector.receipts.service import (
    ReceiptError,
    dossier_hmac,
    legacy_dossier_hmac,
    normalise_dossier,
    token_hash,
    token_signed,
)
from collector.units import CODE_RE as UNIT_CODE_RE
from shared.db import utcnow
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


def parse_event(body: object) -> EventRequest:
    """An event from a JSON object (or a CSV row as a dict); the error names what is wrong."""
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
    event_id = _text(body, "id") or ""
    if not EVENT_ID_RE.match(event_id):
        raise EventError(
            "invalid-value",
            N_("id must be letters, digits, '.', '_', ':' or '-' (at most 64), e.g. a UUID"),
        )
    try:
        normalise_dossier(event_id)
    except ReceiptError:
        pass
    else:
        # The dossier code is kept only as an HMAC: an id that is one would store it in clear.
        raise EventError("invalid-value", N_("id must not be the dossier code"))
    kind = _text(body, "kind")
    if kind not in DOSSIER_EVENT_KINDS:
        raise EventError(
            "invalid-value",
            N_("unknown kind %(kind)s (one of %(kinds)s)"),
            kind=str(kind)[:32],
            kinds=", ".join(DOSSIER_EVENT_KINDS),
        )
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
    return EventRequest(
        event_id=event_id,
        kind=kind,
        at=at.astimezone(dt.UTC),
        receipt=receipt,
        dossier=dossier,
        unit=unit,
        settling_unit=_unit_code(body, "settling_unit"),
        due_date=due_date,
    )


@dataclass
class Recorder:
    """Records events for one caller (an integration, or the CLI when None) in one session,
    remembering the units it has looked up."""

    session: Session
    key: bytes
    integration: IntegrationToken | None = None
    now: dt.datetime = field(default_factory=utcnow)
    _units: dict[str, int | None] = field(default_factory=dict)
    _allowed: dict[int, bool] = field(default_factory=dict)

    def unit_id(self, code: str) -> int:
        if code not in self._units:
            self._units[code] = self.session.scalar(sa.select(Unit.id).where(Unit.code == code))
        unit_id = self._units[code]
        if unit_id is None:
            raise EventError("unknown-unit", N_("no unit %(code)s"), code=code)
        return unit_id

    def allowed(self, unit_id: int) -> bool:
        if self.integration is None:
            return True
        if unit_id not in self._allowed:
            self._allowed[unit_id] = in_subtree(self.session, self.integration.unit_id, unit_id)
        return self._allowed[unit_id]

    def _scoped_unit(self, code: str) -> int:
        unit_id = self.unit_id(code)
        if not self.allowed(unit_id):
            raise EventError(
                "forbidden",
                N_("unit %(code)s is outside this integration token's units"),
                code=code,
            )
        return unit_id

    def _dossier_key(self, event: EventRequest) -> tuple[str, int]:
        """The dossier's HMAC and receiving unit."""
        if event.receipt is not None:
            row = (
                self.session.execute(
                    sa.select(Receipt.unit_id, Receipt.dossier_hmac, Unit.code)
                    .join(Unit, Unit.id == Receipt.unit_id)
                    .where(Receipt.token_hash == token_hash(event.receipt))
                ).first()
                if token_signed(self.key, event.receipt)
                else None
            )
            if row is None or not self.allowed(row.unit_id):
                raise EventError(
                    "unknown-receipt", N_("no receipt with this code among this token's units")
                )
            if event.unit is not None and event.unit != row.code:
                raise EventError(
                    "invalid-value",
                    N_("the receipt was issued for unit %(code)s, not %(unit)s"),
                    code=row.code,
                    unit=event.unit,
                )
            return row.dossier_hmac, row.unit_id
        assert event.dossier is not None and event.unit is not None
        # Checked before any dossier or receipt is looked at, as for a receipt.
        unit_id = self._scoped_unit(event.unit)
        legacy = legacy_dossier_hmac(self.key, event.dossier)
        earlier = self.session.scalar(
            sa.select(Receipt.dossier_hmac).where(
                Receipt.dossier_hmac == legacy, Receipt.unit_id == unit_id
            )
        )
        return earlier or dossier_hmac(self.key, event.unit, event.dossier), unit_id

    def record(self, event: EventRequest) -> str:
        """Record one event: "accepted", or "duplicate" for one already stored; EventError
        otherwise, with nothing of it stored."""
        if event.at > self.now + AHEAD:
            raise EventError("implausible-time", N_("at is more than a day ahead of this server"))
        digest, receiving_unit_id = self._dossier_key(event)
        settling_unit_id = (
            self._scoped_unit(event.settling_unit) if event.settling_unit is not None else None
        )
        values = {
            "event_id": event.event_id,
            "kind": event.kind,
            "at": event.at,
            "settling_unit_id": settling_unit_id,
            "due_date": event.due_date,
        }
        session = self.session
        dossier_id = session.scalar(sa.select(Dossier.id).where(Dossier.dossier_hmac == digest))
        if dossier_id is not None and self._stored(dossier_id, values):
            return "duplicate"
        if dossier_id is None:
            dossier_id = self._insert_dossier(digest, receiving_unit_id)
        new_id = session.execute(
            _insert(session, DossierEvent.__table__)
            .values(
                dossier_id=dossier_id,
                integration_id=self.integration.id if self.integration is not None else None,
                recorded_at=self.now,
                **values,
            )
            .on_conflict_do_nothing(index_elements=["dossier_id", "event_id"])
            .returning(DossierEvent.__table__.c.id)
        ).scalar()
        if new_id is None:
            # The same event arrived at the same moment through another request.
            self._stored(dossier_id, values)
            return "duplicate"
        refold(session, dossier_id)
        return "accepted"

    def _stored(self, dossier_id: int, values: dict[str, Any]) -> bool:
        """Whether the event is stored already with this content; EventError for another one."""
        table = DossierEvent.__table__
        row = self.session.execute(
            sa.select(*(table.c[name] for name in values)).where(
                table.c.dossier_id == dossier_id, table.c.event_id == values["event_id"]
            )
        ).first()
        if row is None:
            return False
        if dict(row._mapping) != values:
            raise EventError(
                "conflict",
                N_("an event with id %(id)s and other content is already stored for this dossier"),
                id=values["event_id"],
            )
        return True

    def _insert_dossier(self, digest: str, receiving_unit_id: int) -> int:
        table = Dossier.__table__
        new_id = self.session.execute(
            _insert(self.session, table)
            .values(
                dossier_hmac=digest,
                receiving_unit_id=receiving_unit_id,
                state="none",
                outcome="pending",
                more_papers=0,
            )
            .on_conflict_do_nothing(index_elements=["dossier_hmac"])
            .returning(table.c.id)
        ).scalar()
        if new_id is None:
            new_id = self.session.scalar(
                sa.select(table.c.id).where(table.c.dossier_hmac == digest)
            )
        return new_id

    def record_each(self, bodies: Iterable[object]) -> Iterator[tuple[str, EventError | None]]:
        """Each body's status ("accepted", "duplicate", "rejected") and error, in order."""
        for body in bodies:
            try:
                yield self.record(parse_event(body)), None
            except EventError as exc:
                yield "rejected", exc


def _insert(session: Session, table: sa.Table):
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(table)


def refold(session: Session, dossier_id: int) -> None:
    """Write the dossier's state folded again from all its events."""
    table = DossierEvent.__table__
    rows = session.execute(
        sa.select(
            table.c.event_id, table.c.kind, table.c.at, table.c.settling_unit_id, table.c.due_date
        ).where(table.c.dossier_id == dossier_id)
    )
    state = fold(Event(*row) for row in rows)
    session.execute(
        sa.update(Dossier.__table__)
        .where(Dossier.__table__.c.id == dossier_id)
        .values(**state.__dict__)
    )
