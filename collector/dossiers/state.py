"""A dossier's state as a function of its events: sorted by event time (then kind, then id, so
that two events of the same second fold the same way whatever their order of arrival) and
folded. No database: `service` reads the events and writes what this returns."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from collector.models.dossiers import DOSSIER_EVENT_KINDS
from collector.periods import ZONE  # due dates and "on time" are read in Vietnam's time

#: The events that decide what became of a dossier; the latest by time wins.
DECIDING = ("settled", "refused", "withdrawn")
_RANK = {kind: n for n, kind in enumerate(DOSSIER_EVENT_KINDS)}


@dataclass(frozen=True)
class Event:
    event_id: str
    kind: str
    at: dt.datetime
    settling_unit_id: int | None = None
    due_date: dt.date | None = None


@dataclass(frozen=True)
class State:
    state: str
    outcome: str
    received_at: dt.datetime | None
    due_date: dt.date | None
    settled_at: dt.datetime | None
    settling_unit_id: int | None
    more_papers: int
    last_event_at: dt.datetime | None


def on_time(settled_at: dt.datetime, due_date: dt.date) -> bool:
    """Settled on time: on or before the due date, in Vietnam's calendar."""
    return settled_at.astimezone(ZONE).date() <= due_date


def fold(events: Iterable[Event]) -> State:
    """The state of a dossier from all its events, in any order."""
    ordered = sorted(events, key=lambda e: (e.at, _RANK[e.kind], e.event_id))
    state, outcome = "none", "pending"
    received_at = settled_at = last = None
    due_date: dt.date | None = None
    settling_unit_id: int | None = None
    more_papers = 0
    for event in ordered:
        state, last = event.kind, event.at
        if event.due_date is not None:
            due_date = event.due_date
        if event.kind == "received" and received_at is None:
            received_at = event.at
        elif event.kind == "more-papers":
            more_papers += 1
        if event.kind in DECIDING:
            settled_at = event.at
            settling_unit_id = event.settling_unit_id
            if event.kind == "settled":
                # A settled event always carries its due date (the parser requires it).
                outcome = "on-time" if on_time(event.at, event.due_date) else "late"  # type: ignore[arg-type]
            else:
                outcome = event.kind
        elif event.kind == "returned" and event.settling_unit_id is not None:
            settling_unit_id = settling_unit_id or event.settling_unit_id
    return State(
        state=state,
        outcome=outcome,
        received_at=received_at or (ordered[0].at if ordered else None),
        due_date=due_date,
        settled_at=settled_at,
        settling_unit_id=settling_unit_id,
        more_papers=more_papers,
        last_event_at=last,
    )
