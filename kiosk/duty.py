"""Who is on duty at each counter: set by the officer on the staff page, carried by every response
started at that counter until it is changed or the local day ends. Plain functions that take a
session and flush; the view owns the transaction."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import Session

from kiosk.models import Duty, StaffPass
from shared.chain import CODE_RE

LOCAL = ZoneInfo("Asia/Ho_Chi_Minh")


class BadOfficerCode(ValueError):
    """Not an officer code of the ingest contract (1-64 letters, digits, '.', '-', '_')."""


def local_day(now: dt.datetime) -> str:
    return now.astimezone(LOCAL).date().isoformat()


def set_duty(session: Session, counter: str, officer: str | None, *, now: dt.datetime) -> None:
    """Put `officer` on duty at `counter` for the rest of the local day; None or "" ends it."""
    officer = (officer or "").strip()
    if officer and not CODE_RE.fullmatch(officer):
        raise BadOfficerCode(officer)
    duty = session.get(Duty, counter)
    if not officer:
        if duty is not None:
            session.delete(duty)
    elif duty is None:
        session.add(Duty(counter=counter, officer=officer, day=local_day(now), set_at=now))
    else:
        duty.officer, duty.day, duty.set_at = officer, local_day(now), now
    session.flush()


def on_duty(session: Session, counter: str, *, now: dt.datetime) -> str | None:
    """The officer code on duty at `counter` now, if one was set today (local time)."""
    return session.scalar(
        sa.select(Duty.officer).where(Duty.counter == counter, Duty.day == local_day(now))
    )


def duties(session: Session, *, now: dt.datetime) -> dict[str, str]:
    """counter code -> officer code, for every counter with someone on duty today."""
    rows = session.execute(sa.select(Duty.counter, Duty.officer).where(Duty.day == local_day(now)))
    return {counter: officer for counter, officer in rows}


# -- The staff page's one-time passes ----------------------------------------------------------


def _pass_hash(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def issue_staff_pass(session: Session, *, until: dt.datetime, now: dt.datetime) -> str:
    """A new one-time pass for a duty form, valid until `until` (the PIN session's end)."""
    session.execute(sa.delete(StaffPass).where(StaffPass.expires_at <= now))
    value = secrets.token_urlsafe(24)
    session.add(StaffPass(pass_hash=_pass_hash(value), expires_at=until))
    session.flush()
    return value


def spend_staff_pass(session: Session, value: str, *, now: dt.datetime) -> dt.datetime | None:
    """Spend a pass: the end of its PIN session, or None when it is unknown, spent or expired.
    One DELETE decides, so of two posts with the same pass only one gets it."""
    if not value or len(value) > 64:
        return None
    return session.scalar(
        sa.delete(StaffPass)
        .where(StaffPass.pass_hash == _pass_hash(value), StaffPass.expires_at > now)
        .returning(StaffPass.expires_at)
    )
