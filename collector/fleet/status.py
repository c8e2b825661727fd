"""What the collector knows of each kiosk (last contact, heartbeat, backlog, gaps, broken links)
for the status page and the administration."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session, joinedload

from collector.models import Kiosk, KioskChain, Unit


@dataclass(frozen=True)
class KioskStatus:
    id: int
    label: str
    unit_code: str
    unit_name: str
    revoked: bool
    last_contact_at: dt.datetime | None
    heartbeat_at: dt.datetime | None
    kiosk_version: str | None
    #: Responses waiting at the kiosk at its last heartbeat.
    backlog: int | None
    received: int
    max_seq: int
    #: The first LISTED gaps, broken links and forks; the totals say how many there are (a kiosk
    #: with every link broken once made a status page of 11 MB: the rest is a page of its own).
    gaps: list[list[int]]
    missing: int
    broken: list[int]
    forks: list[int]
    clock_offset_s: float | None
    gaps_total: int = 0
    broken_total: int = 0
    forks_total: int = 0

    @property
    def healthy(self) -> bool:
        return not (self.gaps_total or self.broken_total or self.forks_total)

    @property
    def state(self) -> str:
        """One word for the list: "revoked", "never-contacted" (registered, never heard from:
        nothing to call healthy yet), "check" (gaps or broken links) or "ok"."""
        if self.revoked:
            return "revoked"
        if self.last_contact_at is None and self.received == 0:
            return "never-contacted"
        return "ok" if self.healthy else "check"


#: Gaps, broken links and forks listed per kiosk on the status pages; the rest page by page.
LISTED = 20
#: Broken links per page of `broken_links`.
BROKEN_PER_PAGE = 500


def broken_links(session: Session, kiosk_id: int, page: int) -> tuple[list[int], int]:
    """The kiosk's broken chain links on `page` (from 1), BROKEN_PER_PAGE a page, and how many
    there are in all."""
    chain = session.get(KioskChain, kiosk_id)
    broken = list(chain.broken) if chain is not None else []
    start = (max(page, 1) - 1) * BROKEN_PER_PAGE
    return broken[start : start + BROKEN_PER_PAGE], len(broken)


def kiosk_statuses(session: Session, unit_ids: set[int] | None = None) -> list[KioskStatus]:
    """Every kiosk (of the given units; None: all) with what the collector knows of it, by unit
    code then id."""
    query = (
        sa.select(Kiosk)
        .join(Kiosk.unit)
        .options(joinedload(Kiosk.unit), joinedload(Kiosk.chain))
        .order_by(Unit.code, Kiosk.id)
    )
    if unit_ids is not None:
        query = query.where(Kiosk.unit_id.in_(unit_ids))
    kiosks = session.scalars(query)
    return [
        KioskStatus(
            id=k.id,
            label=k.label,
            unit_code=k.unit.code,
            unit_name=k.unit.name,
            revoked=k.revoked_at is not None,
            last_contact_at=k.chain.last_contact_at,
            heartbeat_at=k.chain.heartbeat_at,
            kiosk_version=k.chain.kiosk_version,
            backlog=k.chain.queue_length,
            received=k.chain.received,
            max_seq=k.chain.max_seq,
            gaps=[list(g) for g in k.chain.gaps[:LISTED]],
            missing=k.chain.missing,
            broken=list(k.chain.broken[:LISTED]),
            forks=list(k.chain.forks[:LISTED]),
            clock_offset_s=k.chain.clock_offset_s,
            gaps_total=len(k.chain.gaps),
            broken_total=len(k.chain.broken),
            forks_total=len(k.chain.forks),
        )
        for k in kiosks
    ]
