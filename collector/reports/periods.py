"""Report periods: an ISO week, a month, a quarter, a year or a custom date range, in local time
(Asia/Ho_Chi_Minh), whatever the server's own zone.

A period is a span of local calendar days, `start` to `end` inclusive; its bounds are converted to
UTC for the queries (`start_utc`, `end_utc`, end exclusive), since the database keeps every time in
UTC. Responses belong to a period by `submitted_at` in local time.

Keys (what `Period.parse` reads and `Period.key` gives back): "2026-W48", "2026-11", "2026-Q3",
"2026", "2026-10-01..2026-11-15"; and "last" (the last complete week), "this" (the running week).
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass

from flask_babel import gettext as _

from collector.reports import model
from collector.reports.weeks import FIRST_YEAR, LAST_YEAR, ZONE, Week, local_today

KINDS = ("week", "month", "quarter", "year", "range")
#: The longest custom range, in days.
MAX_RANGE_DAYS = 366
#: A range up to this many days has a weekly trend; longer ones a monthly trend.
WEEKLY_TREND_DAYS = 93
#: The weeks of a week's trend (the week itself and the ones before it).
TREND_WEEKS = 12

_WEEK_RE = re.compile(r"(\d{4})-[Ww](\d{1,2})")
_MONTH_RE = re.compile(r"(\d{4})-(\d{1,2})")
_QUARTER_RE = re.compile(r"(\d{4})-[Qq](\d)")
_YEAR_RE = re.compile(r"(\d{4})")
_DATE = r"(\d{4})-(\d{1,2})-(\d{1,2})"
_RANGE_RE = re.compile(rf"{_DATE}\s*\.\.\s*{_DATE}")
_DAY = dt.timedelta(days=1)


class PeriodError(ValueError):
    """A period that cannot be reported on; `code` says why: "invalid" (not a period's syntax, or
    a week or date the calendar has not), "out-of-range" (outside the reportable years, or a range
    longer than MAX_RANGE_DAYS), "reversed" (a range ending before it starts) or "future" (a
    period that has not begun)."""

    CODES = ("invalid", "out-of-range", "reversed", "future")

    def __init__(self, code: str, message: str):
        assert code in self.CODES
        super().__init__(message)
        self.code = code


def _check_year(year: int) -> None:
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise PeriodError("out-of-range", f"year {year} is outside {FIRST_YEAR}..{LAST_YEAR}")


def _month_end(year: int, month: int) -> dt.date:
    return dt.date(year, month, calendar.monthrange(year, month)[1])


def _add_months(day: dt.date, months: int) -> dt.date:
    """The first day of the month `months` after the month of `day`."""
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def _iso_week_key(day: dt.date) -> str:
    year, number, _ = day.isocalendar()
    return f"{year}-W{number:02d}"


@dataclass(frozen=True, order=True)
class Period:
    """A span of local days, `start` to `end` inclusive, of one of KINDS.

    Build one with `parse`, `of_week`, `of_month`, `of_quarter`, `of_year`, `of_range` or
    `containing`. Trend buckets (`trend_buckets`) are weeks or months clipped to the period they
    belong to: their `start`/`end` are the clipped days and their `key` is still the ISO week's or
    the month's.
    """

    start: dt.date
    end: dt.date
    kind: str

    # -- construction ----------------------------------------------------------------------

    @classmethod
    def parse(cls, text: str, today: dt.date | None = None) -> Period:
        text = (text or "").strip()
        today = today or local_today()
        if text in ("last", "this"):
            week = Week.containing(today)
            return cls.of_week(week.previous() if text == "last" else week)
        if match := _WEEK_RE.fullmatch(text):
            year, number = int(match[1]), int(match[2])
            _check_year(year)
            try:
                dt.date.fromisocalendar(year, number, 1)
            except ValueError:
                raise PeriodError("invalid", f"year {year} has no week {number}") from None
            period = cls.of_week(Week(year, number))
        elif match := _QUARTER_RE.fullmatch(text):
            year, number = int(match[1]), int(match[2])
            _check_year(year)
            if not 1 <= number <= 4:
                raise PeriodError("invalid", f"no quarter {number}")
            period = cls.of_quarter(year, number)
        elif match := _MONTH_RE.fullmatch(text):
            year, month = int(match[1]), int(match[2])
            _check_year(year)
            if not 1 <= month <= 12:
                raise PeriodError("invalid", f"no month {month}")
            period = cls.of_month(year, month)
        elif match := _YEAR_RE.fullmatch(text):
            year = int(match[1])
            _check_year(year)
            period = cls.of_year(year)
        elif match := _RANGE_RE.fullmatch(text):
            numbers = [int(g) for g in match.groups()]
            _check_year(numbers[0])
            _check_year(numbers[3])
            try:
                start, end = dt.date(*numbers[:3]), dt.date(*numbers[3:])
            except ValueError:
                raise PeriodError("invalid", f"not a calendar date: {text!r}") from None
            period = cls.of_range(start, end)
        else:
            raise PeriodError(
                "invalid",
                f"not a period: {text!r} (expected YYYY-Www, YYYY-MM, YYYY-Qn, YYYY or "
                "YYYY-MM-DD..YYYY-MM-DD)",
            )
        if period.start > today:
            raise PeriodError("future", f"{period.key} has not begun")
        return period

    @classmethod
    def of_week(cls, week: Week) -> Period:
        """The adapter from `Week` (which raw exports still use)."""
        return cls(week.monday, week.sunday, "week")

    @classmethod
    def of_month(cls, year: int, month: int) -> Period:
        return cls(dt.date(year, month, 1), _month_end(year, month), "month")

    @classmethod
    def of_quarter(cls, year: int, number: int) -> Period:
        first = 3 * (number - 1) + 1
        return cls(dt.date(year, first, 1), _month_end(year, first + 2), "quarter")

    @classmethod
    def of_year(cls, year: int) -> Period:
        return cls(dt.date(year, 1, 1), dt.date(year, 12, 31), "year")

    @classmethod
    def of_range(cls, start: dt.date, end: dt.date) -> Period:
        _check_year(start.year)
        _check_year(end.year)
        if end < start:
            raise PeriodError("reversed", f"{end} is before {start}")
        if (end - start).days + 1 > MAX_RANGE_DAYS:
            raise PeriodError("out-of-range", f"a range is at most {MAX_RANGE_DAYS} days")
        return cls(start, end, "range")

    @classmethod
    def containing(cls, kind: str, day: dt.date) -> Period:
        """The week, month, quarter or year in which `day` falls."""
        if kind == "week":
            return cls.of_week(Week.containing(day))
        if kind == "month":
            return cls.of_month(day.year, day.month)
        if kind == "quarter":
            return cls.of_quarter(day.year, (day.month - 1) // 3 + 1)
        if kind == "year":
            return cls.of_year(day.year)
        raise ValueError(f"no period of kind {kind!r} contains a day")

    # -- what it is ------------------------------------------------------------------------

    @property
    def key(self) -> str:
        if self.kind == "week":
            return _iso_week_key(self.start)
        if self.kind == "month":
            return f"{self.start.year}-{self.start.month:02d}"
        if self.kind == "quarter":
            return f"{self.start.year}-Q{(self.start.month - 1) // 3 + 1}"
        if self.kind == "year":
            return str(self.start.year)
        return f"{self.start.isoformat()}..{self.end.isoformat()}"

    def __str__(self) -> str:
        return self.key

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def whole_months(self) -> bool:
        """Whether the period is a run of whole calendar months (the monthly counts serve it)."""
        return self.start.day == 1 and self.end + _DAY == _add_months(self.end, 1)

    def as_week(self) -> Week | None:
        """The `Week` of a whole ISO week, None otherwise."""
        if self.kind != "week" or self.days != 7:
            return None
        return Week.containing(self.start)

    def start_utc(self) -> dt.datetime:
        return dt.datetime.combine(self.start, dt.time(), ZONE).astimezone(dt.UTC)

    def end_utc(self) -> dt.datetime:
        """The first moment after the period (the next day's 00:00 local), in UTC."""
        return dt.datetime.combine(self.end + _DAY, dt.time(), ZONE).astimezone(dt.UTC)

    def contains(self, day: dt.date) -> bool:
        return self.start <= day <= self.end

    # -- neighbours ------------------------------------------------------------------------

    def plus(self, count: int) -> Period:
        """The period `count` periods of the same kind (and, for a range, length) later."""
        if self.kind == "week":
            return Period.of_week(Week.containing(self.start).plus(count))
        if self.kind in ("month", "quarter", "year"):
            months = {"month": 1, "quarter": 3, "year": 12}[self.kind]
            start = _add_months(self.start, months * count)
            end = _add_months(start, months) - _DAY
            return Period(start, end, self.kind)
        shift = dt.timedelta(days=self.days * count)
        return Period(self.start + shift, self.end + shift, "range")

    def previous(self) -> Period:
        """The period of the same kind just before (a range: as many days just before)."""
        return self.plus(-1)

    def next(self, today: dt.date | None = None) -> Period | None:
        """The period just after, or None when it has not begun by `today`."""
        after = self.plus(1)
        return after if after.start <= (today or local_today()) else None

    # -- the trend -------------------------------------------------------------------------

    @property
    def trend_grain(self) -> str:
        if self.kind in ("week", "month", "quarter"):
            return model.WEEK
        if self.kind == "year":
            return model.MONTH
        return model.WEEK if self.days <= WEEKLY_TREND_DAYS else model.MONTH

    def trend_buckets(self) -> list[Period]:
        """The trend's buckets, oldest first: for a week the TREND_WEEKS weeks ending with it;
        for a year its months; otherwise the ISO weeks (or, for a range longer than
        WEEKLY_TREND_DAYS, the months) overlapping the period, each clipped to it."""
        if self.kind == "week":
            return [self.plus(-i) for i in range(TREND_WEEKS - 1, -1, -1)]
        if self.kind == "year":
            return [Period.of_month(self.start.year, m) for m in range(1, 13)]
        buckets = []
        if self.trend_grain == model.WEEK:
            monday = self.start - dt.timedelta(days=self.start.weekday())
            while monday <= self.end:
                sunday = monday + dt.timedelta(days=6)
                buckets.append(Period(max(monday, self.start), min(sunday, self.end), "week"))
                monday += dt.timedelta(days=7)
        else:
            first = self.start.replace(day=1)
            while first <= self.end:
                last = _add_months(first, 1) - _DAY
                buckets.append(Period(max(first, self.start), min(last, self.end), "month"))
                first = _add_months(first, 1)
        return buckets

    def ref(self, today: dt.date | None = None) -> model.PeriodRef:
        before = self.previous()
        after = self.next(today)
        return model.PeriodRef(
            key=self.key,
            kind=self.kind,
            start=self.start,
            end=self.end,
            previous=before.key if before.start.year >= FIRST_YEAR else None,
            next=after.key if after is not None and after.end.year <= LAST_YEAR else None,
            trend_grain=self.trend_grain,
        )


def _day_month(day: dt.date) -> str:
    return f"{day.day:02d}/{day.month:02d}"


def _full_date(day: dt.date) -> str:
    return f"{day.day:02d}/{day.month:02d}/{day.year}"


def _span(start: dt.date, end: dt.date) -> tuple[str, str]:
    """The two ends as "dd/mm" and "dd/mm/yyyy" (both with the year when the years differ)."""
    return (_day_month(start) if start.year == end.year else _full_date(start)), _full_date(end)


def label(period: Period | model.PeriodRef) -> str:
    """The period as a reader reads it, in the current locale: "Tuần 48 (23/11 - 29/11/2026)",
    "Tháng 11/2026", "Quý 3/2026 (01/07 - 30/09/2026)", "Năm 2026", "01/10/2026 - 15/11/2026"."""
    start, end, kind = period.start, period.end, period.kind
    if kind == "week":
        first, last = _span(start, end)
        return _(
            "Week %(number)d (%(start)s - %(end)s)",
            number=start.isocalendar()[1],
            start=first,
            end=last,
        )
    if kind == "month":
        return _("Month %(month)d/%(year)d", month=start.month, year=start.year)
    if kind == "quarter":
        first, last = _span(start, end)
        return _(
            "Quarter %(number)d/%(year)d (%(start)s - %(end)s)",
            number=(start.month - 1) // 3 + 1,
            year=start.year,
            start=first,
            end=last,
        )
    if kind == "year":
        return _("Year %(year)d", year=start.year)
    return _("%(start)s - %(end)s", start=_full_date(start), end=_full_date(end))
