"""Dossier status events: check one (`parse_event`), record a batch (`Recorder.record_each`) for
the API and the CSV import alike, and fold the touched dossiers' state again from all their
events (`refold`).

Functions take a session and flush; the view or the CLI commits.

An event names its dossier by the receipt's token or by the dossier code with its receiving unit;
both lead to the receipt's key, the HMAC of the unit and the code (`receipts.service`), so the code
is never stored. The one-stop software holds an integration token and reports only for the units
of its subtree, as when it issues receipts: a dossier code of a unit outside them is refused with
the receipt's words, a receipt token outside them is unknown, as the QR image of such a receipt is.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from collector.accounts.scope import in_subtree
from collector.dossiers.parse import (
    AHEAD,
    EventError,
    EventRequest,
    parse_event,
)
from collector.dossiers.state import Event, fold
from collector.models import Dossier, DossierEvent, IntegrationToken, Receipt, Unit
from collector.receipts.tokens import dossier_hmac, legacy_dossier_hmac, token_hash, token_signed
from shared.db import utcnow
from shared.i18n import N_

#: Events recorded per round of statements (the CSV import sends more).
CHUNK = 500


@dataclass
class _Pending:
    """A checked event of a batch, with its dossier's key."""

    index: int
    event: EventRequest
    digest: str
    receiving_unit_id: int
    values: dict[str, Any]


@dataclass
class Recorder:
    """Records events for one caller (an integration, or the CLI when None) in one session,
    remembering the units it has looked up.

    A batch costs a few statements whatever its size: the receipts and dossiers it names, the
    events already stored, one insert of the new dossiers, one of the new events, one read of
    the touched dossiers' events and one update of their state. Every check comes before any
    write, so a rejected event leaves nothing behind."""

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

    def record_each(self, bodies: Iterable[object]) -> list[tuple[str, EventError | None]]:
        """Each body's status ("accepted", "duplicate", "rejected") and error, in order."""
        results: list[tuple[str, EventError | None]] = []
        chunk: list[object] = []
        for body in [*bodies, _END]:
            if body is not _END:
                chunk.append(body)
            if len(chunk) == CHUNK or (body is _END and chunk):
                parsed, errors = [], {}
                for i, item in enumerate(chunk):
                    try:
                        parsed.append((i, parse_event(item)))
                    except EventError as exc:
                        errors[i] = exc
                recorded = self._record(parsed, len(chunk))
                results += [
                    ("rejected", errors[i]) if i in errors else recorded[i]
                    for i in range(len(chunk))
                ]
                chunk = []
        return results

    # -- one batch ---------------------------------------------------------------------------

    def _record(
        self, parsed: list[tuple[int, EventRequest]], size: int
    ) -> list[tuple[str, EventError | None]]:
        results: list[tuple[str, EventError | None]] = [("rejected", None)] * size
        pending: list[_Pending] = []
        receipts = self._receipts([e.receipt for _, e in parsed if e.receipt is not None])
        legacy = self._legacy(parsed)
        for index, event in parsed:
            try:
                pending.append(self._checked(index, event, receipts, legacy))
            except EventError as exc:
                results[index] = ("rejected", exc)
        if not pending:
            return results
        session = self.session
        dossiers = self._dossier_ids({p.digest for p in pending})
        stored = self._stored(dossiers, {p.event.event_id for p in pending})
        new: list[_Pending] = []
        seen: dict[tuple[str, str], dict[str, Any]] = {}
        for p in pending:
            key = (p.digest, p.event.event_id)
            found = stored.get((dossiers.get(p.digest), p.event.event_id)) or seen.get(key)
            if found is None:
                seen[key] = p.values
                new.append(p)
                results[p.index] = ("accepted", None)
            elif found == p.values:
                results[p.index] = ("duplicate", None)
            else:
                results[p.index] = ("rejected", _conflict(p.event.event_id))
        if not new:
            return results
        missing = {p.digest: p.receiving_unit_id for p in new if p.digest not in dossiers}
        if missing:
            session.execute(
                _insert(session, Dossier.__table__).on_conflict_do_nothing(
                    index_elements=["dossier_hmac"]
                ),
                [
                    {
                        "dossier_hmac": digest,
                        "receiving_unit_id": unit_id,
                        "state": "none",
                        "outcome": "pending",
                        "more_papers": 0,
                    }
                    for digest, unit_id in missing.items()
                ],
            )
            dossiers.update(self._dossier_ids(set(missing)))
        integration_id = self.integration.id if self.integration is not None else None
        session.execute(
            _insert(session, DossierEvent.__table__).on_conflict_do_nothing(
                index_elements=["dossier_id", "event_id"]
            ),
            [
                {
                    "dossier_id": dossiers[p.digest],
                    "integration_id": integration_id,
                    "recorded_at": self.now,
                    **p.values,
                }
                for p in new
            ],
        )
        events = refold(session, {dossiers[p.digest] for p in new})
        for p in new:
            # Another request may have stored the same id a moment before: its content decides.
            if events[(dossiers[p.digest], p.event.event_id)] != p.values:
                results[p.index] = ("rejected", _conflict(p.event.event_id))
        return results

    def _receipts(self, tokens: list[str]) -> dict[str, Any]:
        """token -> (unit_id, dossier_hmac, unit code) of the signed tokens' receipts."""
        signed = {token_hash(t): t for t in tokens if token_signed(self.key, t)}
        if not signed:
            return {}
        rows = self.session.execute(
            sa.select(Receipt.token_hash, Receipt.unit_id, Receipt.dossier_hmac, Unit.code)
            .join(Unit, Unit.id == Receipt.unit_id)
            .where(Receipt.token_hash.in_(signed))
        )
        return {signed[row.token_hash]: row for row in rows}

    def _legacy(self, parsed: list[tuple[int, EventRequest]]) -> set[tuple[str, int]]:
        """(legacy HMAC, unit id) of the receipts issued before the unit was part of the key,
        among the dossier codes of the batch."""
        wanted = {
            legacy_dossier_hmac(self.key, e.dossier) for _, e in parsed if e.dossier is not None
        }
        if not wanted:
            return set()
        rows = self.session.execute(
            sa.select(Receipt.dossier_hmac, Receipt.unit_id).where(Receipt.dossier_hmac.in_(wanted))
        )
        return {(row.dossier_hmac, row.unit_id) for row in rows}

    def _checked(self, index: int, event: EventRequest, receipts, legacy) -> _Pending:
        if event.at > self.now + AHEAD:
            raise EventError("implausible-time", N_("at is more than a day ahead of this server"))
        if event.receipt is not None:
            row = receipts.get(event.receipt)
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
            digest, receiving_unit_id = row.dossier_hmac, row.unit_id
        else:
            assert event.dossier is not None and event.unit is not None
            # Checked before any dossier is looked at, as for a receipt.
            receiving_unit_id = self._scoped_unit(event.unit)
            old = legacy_dossier_hmac(self.key, event.dossier)
            digest = (
                old
                if (old, receiving_unit_id) in legacy
                else dossier_hmac(self.key, event.unit, event.dossier)
            )
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
        return _Pending(index, event, digest, receiving_unit_id, values)

    def _dossier_ids(self, digests: set[str]) -> dict[str, int]:
        table = Dossier.__table__
        rows = self.session.execute(
            sa.select(table.c.dossier_hmac, table.c.id).where(table.c.dossier_hmac.in_(digests))
        )
        return {row.dossier_hmac: row.id for row in rows}

    def _stored(
        self, dossiers: dict[str, int], event_ids: set[str]
    ) -> dict[tuple[int, str], dict[str, Any]]:
        if not dossiers:
            return {}
        table = DossierEvent.__table__
        rows = self.session.execute(
            sa.select(*(table.c[name] for name in (*EVENT_VALUES, "dossier_id"))).where(
                table.c.dossier_id.in_(set(dossiers.values())),
                table.c.event_id.in_(event_ids),
            )
        )
        return {
            (row.dossier_id, row.event_id): {name: row._mapping[name] for name in EVENT_VALUES}
            for row in rows
        }


_END = object()
#: The columns that make an event's content (a replay must match them all).
EVENT_VALUES = ("event_id", "kind", "at", "settling_unit_id", "due_date")


def _conflict(event_id: str) -> EventError:
    return EventError(
        "conflict",
        N_("an event with id %(id)s and other content is already stored for this dossier"),
        id=event_id,
    )


def _insert(session: Session, table: sa.Table):
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(table)


def refold(session: Session, dossier_ids: set[int]) -> dict[tuple[int, str], dict[str, Any]]:
    """Write each dossier's state folded again from all its events; returns every event read,
    by (dossier id, event id)."""
    table = DossierEvent.__table__
    rows = session.execute(
        sa.select(table.c.dossier_id, *(table.c[name] for name in EVENT_VALUES)).where(
            table.c.dossier_id.in_(dossier_ids)
        )
    )
    by_dossier: dict[int, list[Event]] = {}
    events: dict[tuple[int, str], dict[str, Any]] = {}
    for row in rows:
        values = {name: row._mapping[name] for name in EVENT_VALUES}
        events[(row.dossier_id, row.event_id)] = values
        by_dossier.setdefault(row.dossier_id, []).append(Event(**values))
    d = Dossier.__table__
    session.execute(
        sa.update(d).where(d.c.id == sa.bindparam("dossier")),
        [{"dossier": i, **fold(found).__dict__} for i, found in by_dossier.items()],
    )
    return events
