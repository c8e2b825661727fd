"""Units' opening hours and the kiosks that fall silent during them.

Hours are local time (BABEL_DEFAULT_TIMEZONE, Asia/Ho_Chi_Minh), per weekday, as lists of
["HH:MM", "HH:MM"] periods. A unit without hours of its own has the collector's OPENING_HOURS
(by default Monday to Friday 07:30-11:30 and 13:30-17:00, Saturday morning closed unless the
province opens it).

A kiosk is silent when the collector has heard nothing from it (no upload, no heartbeat) for
SILENT_AFTER_MINUTES of its unit's opening time: an office closed overnight or at the weekend does
not make its kiosk silent, and the count of open minutes starts again at each contact.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import Session

from collector.audit import audit
from collector.i18n import TranslatableError
from collector.models import Kiosk, KioskChain, Unit, User
from collector.units import MAX_DEPTH
from shared.i18n import N_

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
WORKDAY = [["07:30", "11:30"], ["13:30", "17:00"]]
DEFAULT_HOURS: dict[str, list[list[str]]] = {
    **{day: WORKDAY for day in DAYS[:5]},
    "sat": [],
    "sun": [],
}
_TIME = re.compile(r"([01]\d|2[0-3]):([0-5]\d)|24:00")
#: Beyond this many days of silence, counting open minutes day by day is pointless.
_LOOKBACK_DAYS = 14


class OpeningHoursError(TranslatableError):
    """Opening hours that cannot be used; the message says why."""


def _minutes(text: str) -> int:
    if not isinstance(text, str) or not _TIME.fullmatch(text):
        raise OpeningHoursError(N_("bad time %(time)s: expected HH:MM"), time=str(text))
    hours, minutes = text.split(":")
    return int(hours) * 60 + int(minutes)


def check_hours(hours: Mapping[str, Any]) -> dict[str, list[list[str]]]:
    """The hours in canonical form (every weekday present); raises OpeningHoursError."""
    if not isinstance(hours, Mapping):
        raise OpeningHoursError(N_("opening hours must map weekdays to periods"))
    unknown = sorted(set(hours) - set(DAYS))
    if unknown:
        raise OpeningHoursError(N_("unknown weekday %(day)s"), day=unknown[0])
    result: dict[str, list[list[str]]] = {}
    for day in DAYS:
        periods = []
        for period in hours.get(day) or []:
            if not isinstance(period, list | tuple) or len(period) != 2:
                raise OpeningHoursError(N_("a period is two times: opening and closing"))
            start, end = (_minutes(p) for p in period)
            if start >= end:
                raise OpeningHoursError(
                    N_("a period must close after it opens: %(start)s-%(end)s"),
                    start=period[0],
                    end=period[1],
                )
            periods.append([period[0], period[1]])
        result[day] = sorted(periods)
    return result


def parse_hours_spec(spec: str) -> dict[str, list[list[str]]]:
    """Hours from a short text: "mon-fri=07:30-11:30,13:30-17:00;sat=07:30-11:30".

    Days not named are closed.
    """
    hours: dict[str, list[list[str]]] = {}
    for part in filter(None, (p.strip() for p in spec.split(";"))):
        days, _sep, periods = part.partition("=")
        first, _sep, last = days.strip().lower().partition("-")
        if first not in DAYS or (last and last not in DAYS):
            raise OpeningHoursError(N_("unknown weekday %(day)s"), day=days.strip())
        span = DAYS[DAYS.index(first) : DAYS.index(last or first) + 1]
        if not span:
            raise OpeningHoursError(N_("unknown weekday %(day)s"), day=days.strip())
        parsed = [p.strip().split("-") for p in periods.split(",") if p.strip()]
        for day in span:
            hours[day] = parsed
    return check_hours(hours)


def hours_from_text(spec: str) -> dict[str, list[list[str]]] | None:
    """What `units hours` and the unit's page take: the short text, or "default" (or nothing)
    for the collector's hours, which is None."""
    text = (spec or "").strip()
    if text.lower() in ("", "default"):
        return None
    return parse_hours_spec(text)


def format_hours_spec(hours: Mapping[str, list[list[str]]] | None) -> str:
    """The short text of hours, consecutive days with the same periods joined (the inverse of
    parse_hours_spec); "" for None."""
    if not hours:
        return ""
    canonical = check_hours(hours)
    parts: list[str] = []
    index = 0
    while index < len(DAYS):
        periods = canonical[DAYS[index]]
        last = index
        while last + 1 < len(DAYS) and canonical[DAYS[last + 1]] == periods:
            last += 1
        if periods:
            days = DAYS[index] if last == index else f"{DAYS[index]}-{DAYS[last]}"
            parts.append(days + "=" + ",".join(f"{a}-{b}" for a, b in periods))
        index = last + 1
    return ";".join(parts)


def unit_hours(unit: Unit, config: Mapping[str, Any]) -> dict[str, list[list[str]]]:
    return hours_of(unit.opening_hours, config)


def hours_of(opening_hours: Any, config: Mapping[str, Any]) -> dict[str, list[list[str]]]:
    """A unit's own opening hours, else the collector's, else the default."""
    return check_hours(opening_hours or config.get("OPENING_HOURS") or DEFAULT_HOURS)


def open_minutes(
    hours: Mapping[str, list[list[str]]], since: dt.datetime, until: dt.datetime, zone: ZoneInfo
) -> float:
    """Minutes of opening time between two aware moments."""
    if until <= since:
        return 0.0
    start_local, end_local = since.astimezone(zone), until.astimezone(zone)
    total = 0.0
    day = start_local.date()
    while day <= end_local.date():
        for opens, closes in hours[DAYS[day.weekday()]]:
            o = dt.datetime.combine(day, dt.time(), zone) + dt.timedelta(minutes=_minutes(opens))
            c = dt.datetime.combine(day, dt.time(), zone) + dt.timedelta(minutes=_minutes(closes))
            lo, hi = max(o, start_local), min(c, end_local)
            if hi > lo:
                total += (hi - lo).total_seconds() / 60
        day += dt.timedelta(days=1)
    return total


@dataclass(frozen=True)
class SilentKiosk:
    id: int
    label: str
    unit_id: int
    unit_code: str
    unit_name: str
    #: The last time the collector heard from it (None: never).
    last_contact_at: dt.datetime | None
    #: Opening minutes since then (capped at two weeks of them).
    silent_minutes: int
    notified_at: dt.datetime | None


def silent_kiosks(
    session: Session,
    config: Mapping[str, Any],
    now: dt.datetime,
    unit_ids: Iterable[int] | None = None,
) -> list[SilentKiosk]:
    """Kiosks not revoked that have been silent for SILENT_AFTER_MINUTES of opening time."""
    zone = ZoneInfo(config["BABEL_DEFAULT_TIMEZONE"])
    threshold = float(config["SILENT_AFTER_MINUTES"])
    # Columns, not objects: a province's report asks this of hundreds of kiosks.
    query = (
        sa.select(
            Kiosk.id,
            Kiosk.label,
            Kiosk.unit_id,
            Kiosk.created_at,
            Unit.code,
            Unit.name,
            Unit.opening_hours,
            KioskChain.last_contact_at,
            KioskChain.silent_notified_at,
        )
        .join(Unit, Unit.id == Kiosk.unit_id)
        .outerjoin(KioskChain, KioskChain.kiosk_id == Kiosk.id)
        .where(Kiosk.revoked_at.is_(None))
        .order_by(Unit.code, Kiosk.id)
    )
    if unit_ids is not None:
        query = query.where(Kiosk.unit_id.in_(list(unit_ids)))
    found = []
    opening: dict[tuple[str, dt.datetime], float] = {}  # kiosks of the same hours, silent as long
    lookback = now - dt.timedelta(days=_LOOKBACK_DAYS)
    for row in session.execute(query):
        hours = hours_of(row.opening_hours, config)
        since = max(row.last_contact_at or row.created_at, lookback)
        key = (format_hours_spec(hours), since)
        if key not in opening:
            opening[key] = open_minutes(hours, since, now, zone)
        minutes = opening[key]
        if minutes >= threshold:
            found.append(
                SilentKiosk(
                    id=row.id,
                    label=row.label,
                    unit_id=row.unit_id,
                    unit_code=row.code,
                    unit_name=row.name,
                    last_contact_at=row.last_contact_at,
                    silent_minutes=int(minutes),
                    notified_at=row.silent_notified_at,
                )
            )
    return found


def silent_in(
    session: Session, config: Mapping[str, Any], unit_code: str, now: dt.datetime | None = None
) -> list[SilentKiosk]:
    """The kiosks silent now in the unit's subtree (the weekly report's section on them)."""
    from collector.accounts.scope import subtree_ids

    unit_id = session.scalar(sa.select(Unit.id).where(Unit.code == unit_code))
    if unit_id is None:
        return []
    ids = subtree_ids(session, [unit_id])
    return silent_kiosks(session, config, now or dt.datetime.now(dt.UTC), ids)


def unit_managers(session: Session, unit_id: int) -> list[str]:
    """E-mails of the active managers whose scope holds the unit (its own or one above it)."""
    ancestry = (
        sa.select(Unit.id, Unit.parent_id, sa.literal_column("0").label("depth"))
        .where(Unit.id == unit_id)
        .cte("up", recursive=True)
    )
    # Bounded like every recursive query over the tree: a cycle left in the table cannot hang it.
    ancestry = ancestry.union_all(
        sa.select(Unit.id, Unit.parent_id, ancestry.c.depth + 1)
        .join(ancestry, Unit.id == ancestry.c.parent_id)
        .where(ancestry.c.depth < MAX_DEPTH)
    )
    return list(
        session.scalars(
            sa.select(User.email)
            .where(
                User.role == "manager",
                User.active.is_(True),
                User.unit_id.in_(sa.select(ancestry.c.id)),
            )
            .order_by(User.email)
        )
    )


def to_notify(kiosks: Iterable[SilentKiosk]) -> list[SilentKiosk]:
    """The silent kiosks whose managers have not yet been told of this silence."""
    return [
        k
        for k in kiosks
        if k.notified_at is None or (k.last_contact_at and k.notified_at < k.last_contact_at)
    ]


def mark_notified(session: Session, kiosk_ids: Iterable[int], now: dt.datetime) -> None:
    session.execute(
        sa.update(KioskChain)
        .where(KioskChain.kiosk_id.in_(list(kiosk_ids)))
        .values(silent_notified_at=now)
    )
    session.flush()


def set_opening_hours(
    session: Session,
    unit_code: str,
    hours: Mapping[str, Any] | None,
    actor: User | None = None,
) -> Unit:
    """Give a unit its own opening hours (None: back to the collector's default)."""
    unit = session.scalar(sa.select(Unit).where(Unit.code == unit_code))
    if unit is None:
        raise OpeningHoursError(N_("no unit %(code)s"), code=unit_code)
    before = unit.opening_hours
    unit.opening_hours = None if hours is None else check_hours(hours)
    session.flush()
    audit(
        session,
        "unit-hours-set",
        actor,
        unit=unit_code,
        before=format_hours_spec(before) or "default",
        after=format_hours_spec(unit.opening_hours) or "default",
    )
    return unit
