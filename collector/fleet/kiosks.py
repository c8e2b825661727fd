"""Operations on kiosks: registration with a one-time token, relabelling, revocation, token
rotation, authentication, and the lock on a kiosk's chain row.

Functions take a session and flush; the caller commits.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from typing import NamedTuple

import sqlalchemy as sa
from sqlalchemy.orm import Session

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


def lock_chain(session: Session, kiosk_id: int) -> KioskChain:
    """The kiosk's chain row, locked until the transaction ends (on PostgreSQL; SQLite has one
    writer at a time anyway): uploads and heartbeats of one kiosk take their turn."""
    return session.execute(
        sa.select(KioskChain)
        .where(KioskChain.kiosk_id == kiosk_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one()
