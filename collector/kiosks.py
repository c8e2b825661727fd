"""Operations on kiosks: registration with a one-time token, revocation, authentication, status.

Functions take a session and flush; the caller commits.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass
from typing import NamedTuple

import sqlalchemy as sa
from sqlalchemy.orm import Session, joinedload

from collector.audit import audit
from collector.i18n import TranslatableError
from collector.models import Kiosk, KioskChain, Unit, User
from shared.db import utcnow
from shared.i18n import N_


class KioskError(TranslatableError):
    """A kiosk operation that cannot be done; the message says why."""


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def register_kiosk(
    session: Session, unit_code: str, label: str = "", actor: User | None = None
) -> tuple[Kiosk, str]:
    """A new kiosk for the unit and its bearer token; only the token's hash is stored."""
    unit = session.scalar(sa.select(Unit).where(Unit.code == unit_code))
    if unit is None:
        raise KioskError(N_("no unit %(code)s"), code=unit_code)
    if not unit.active:
        raise KioskError(N_("unit %(code)s is deactivated"), code=unit_code)
    _check_label(label)
    token = secrets.token_urlsafe(32)
    kiosk = Kiosk(unit=unit, label=label, token_hash=token_hash(token))
    kiosk.chain = KioskChain(gaps=[], broken=[], forks=[])
    session.add(kiosk)
    session.flush()
    audit(session, "kiosk-registered", actor, kiosk_id=kiosk.id, unit=unit_code, label=label)
    return kiosk, token


def find_kiosk(session: Session, kiosk_id: int) -> Kiosk:
    kiosk = session.get(Kiosk, kiosk_id)
    if kiosk is None:
        raise KioskError(N_("no kiosk %(id)s"), id=kiosk_id)
    return kiosk


def relabel_kiosk(session: Session, kiosk_id: int, label: str, actor: User | None = None) -> Kiosk:
    """Give a kiosk a new name for people (e.g. 'Counter 2')."""
    kiosk = find_kiosk(session, kiosk_id)
    _check_label(label)
    before = kiosk.label
    kiosk.label = label
    session.flush()
    audit(session, "kiosk-relabelled", actor, kiosk_id=kiosk_id, before=before, after=label)
    return kiosk


def revoke_kiosk(
    session: Session,
    kiosk_id: int,
    now: dt.datetime | None = None,
    actor: User | None = None,
) -> Kiosk:
    """Revoke a kiosk's token; its stored responses stay. Revoking twice keeps the first time."""
    kiosk = find_kiosk(session, kiosk_id)
    if kiosk.revoked_at is None:
        kiosk.revoked_at = now or utcnow()
        session.flush()
        audit(session, "kiosk-revoked", actor, kiosk_id=kiosk_id)
    return kiosk


def rotate_token(session: Session, kiosk_id: int, actor: User | None = None) -> tuple[Kiosk, str]:
    """A new token for a kiosk (the old one stops working); its chain and responses carry on."""
    kiosk = find_kiosk(session, kiosk_id)
    if kiosk.revoked_at is not None:
        raise KioskError(N_("kiosk %(id)s is revoked; register a new one"), id=kiosk_id)
    token = secrets.token_urlsafe(32)
    kiosk.token_hash = token_hash(token)
    session.flush()
    audit(session, "kiosk-token-rotated", actor, kiosk_id=kiosk_id)
    return kiosk, token


def _check_label(label: str) -> None:
    if len(label) > 100:
        raise KioskError(N_("the label must be at most 100 characters"))


class KioskRef(NamedTuple):
    """A kiosk's identity without its row: safe to keep after the session's transaction ends."""

    id: int
    unit_id: int
    #: When the kiosk was registered; bounds the times it may send (collector.ingest).
    registered_at: dt.datetime | None = None


def kiosk_for_token(session: Session, token: str) -> Kiosk | None:
    """The kiosk holding this token, revoked or not; None for an unknown token."""
    return session.scalar(sa.select(Kiosk).where(Kiosk.token_hash == token_hash(token)))


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
