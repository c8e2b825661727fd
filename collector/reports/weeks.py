"""ISO weeks (Monday to Sunday) in Asia/Ho_Chi_Minh, whatever the server's own time zone.

A report week is a local calendar week; its bounds are converted to UTC for the queries, since the
database keeps every time in UTC.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo

ZONE = ZoneInfo("Asia/Ho_Chi_Minh")
WEEK_RE = re.compile(r"(\d{4})-W(\d{2})")
#: The years a report may be about. Outside them date arithmetic (a week's end, local time) can
#: overflow Python's dates, so weeks are refused there and stored rows there are never counted.
FIRST_YEAR, LAST_YEAR = 2000, 2999


@dataclass(frozen=True, order=True)
class Week:
    year: int
    number: int

    @classmethod
    def parse(cls, text: str, today: dt.date | None = None) -> Week:
        """`YYYY-Www`, or `last` (the last complete week) or `this` (the week running now)."""
        text = (text or "").strip()
        if text in ("last", "this"):
            week = cls.containing(today or local_today())
            return week.previous() if text == "last" else week
        match = WEEK_RE.fullmatch(text)
        if not match:
            raise ValueError(f"not an ISO week: {text!r} (expected YYYY-Www)")
        year, number = int(match[1]), int(match[2])
        if not FIRST_YEAR <= year <= LAST_YEAR:
            raise ValueError(f"year {year} is outside {FIRST_YEAR}..{LAST_YEAR}")
        try:
            dt.date.fromisocalendar(year, number, 1)
        except ValueError:
            raise ValueError(f"year {year} has no week {number}") from None
        return cls(year, number)

    @classmethod
    def containing(cls, day: dt.date) -> Week:
        year, number, _ = day.isocalendar()
        return cls(year, number)

    @classmethod
    def of_moment(cls, moment: dt.datetime) -> Week:
        """The week in which an aware moment falls, in local time."""
        return cls.containing(moment.astimezone(ZONE).date())

    @property
    def monday(self) -> dt.date:
        return dt.date.fromisocalendar(self.year, self.number, 1)

    @property
    def sunday(self) -> dt.date:
        return self.monday + dt.timedelta(days=6)

    def start_utc(self) -> dt.datetime:
        return dt.datetime.combine(self.monday, dt.time(), ZONE).astimezone(dt.UTC)

    def end_utc(self) -> dt.datetime:
        """The first moment after the week (next Monday 00:00 local), in UTC."""
        return self.plus(1).start_utc()

    def plus(self, weeks: int) -> Week:
        return Week.containing(self.monday + dt.timedelta(weeks=weeks))

    def previous(self) -> Week:
        return self.plus(-1)

    def last(self, count: int) -> list[Week]:
        """The `count` weeks ending with this one, oldest first."""
        return [self.plus(-i) for i in range(count - 1, -1, -1)]

    def __str__(self) -> str:
        return f"{self.year}-W{self.number:02d}"


def reportable_range() -> tuple[dt.datetime, dt.datetime]:
    """The UTC moments from the first reportable week's start to the last one's end: rows outside
    are left out of every count and export, whatever a database holds."""
    first = Week(FIRST_YEAR, 1)
    last = Week.containing(dt.date(LAST_YEAR, 12, 28))  # 28 December is always in the last week
    return first.start_utc(), last.end_utc()


def local_today() -> dt.date:
    return dt.datetime.now(ZONE).date()


def utc_offset_hours() -> int:
    """Asia/Ho_Chi_Minh has kept UTC+7 without daylight saving since 1975; the SQL that buckets
    responses into weeks relies on that, and this fails loudly should it ever change."""
    offsets = {
        ZONE.utcoffset(dt.datetime(year, month, 1)) for year in (2020, 2030) for month in (1, 7)
    }
    if offsets != {dt.timedelta(hours=7)}:
        raise RuntimeError("Asia/Ho_Chi_Minh is no longer a fixed UTC+7 zone")
    return 7
