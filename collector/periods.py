"""Report periods: an ISO week, a month, a quarter, a year or a custom date range, in local time
(Asia/Ho_Chi_Minh), whatever the server's own zone. The one period type of the collector: reports,
raw exports, jobs, the CLI, the API and the demo all use `Period`; the report model keeps a
`PeriodRef`, the frozen view `Period.ref` makes of it.

A period is a span of local calendar days, `start` to `end` inclusive; its bounds are converted to
UTC for the queries (`start_utc`, `end_utc`, end exclusive), since the database keeps every time in
UTC. Responses belong to a period by `submitted_at` in local time.

Keys (what `Period.parse` reads and `Period.key` gives back): "2026-W48", "2026-11", "2026-Q3",
"2026", "2026-10-01..2026-11-15"; and "last" (the last complete week), "this" (the running week).

Plain Python (no Flask, no database): the report model imports it. The words for a period are in
`collector.reports.labels.period_label`.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo

ZONE = ZoneInfo("Asia/Ho_Chi_Minh")
#: The years a report may be about. Outside them date arithmetic (a week's end, local time) can
#: overflow Python's dates, so periods are refused there and stored rows there are never counted.
FIRST_YEAR, LAST_YEAR = 2000, 2999
#: Trend grains.
WEEK, MONTH = "week", "month"

KINDS = ("week", "month", "quarter", "year", "range")
#: The longest custom range, in days.
MAX_RANGE_DAYS = 366
#: A range up to this many days has a weekly trend; longer ones a monthly trend.
WEEKLY_TREND_DAYS = 93
#: The weeks of a week's trend (the week itself and the ones before it).
TREND_WEEKS = 12

_WEEK_RE = re.compile(r"(\d{4})-[Ww](\d{1,2})")
#: A raw export's week: strictly "YYYY-Www".
_STRICT_WEEK_RE = re.compile(r"(\d{4})-W(\d{2})")
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


def _monday(year: int, number: int) -> dt.date:
    """The Monday of an ISO week of a reportable year."""
    _check_year(year)
    try:
        return dt.date.fromisocalendar(year, number, 1)
    except ValueError:
        raise PeriodError("invalid", f"year {year} has no week {number}") from None


def local_today() -> dt.date:
    return dt.datetime.now(ZONE).date()


def local_day(moment: dt.datetime) -> dt.date:
    """The local day on which an aware moment falls."""
    return moment.astimezone(ZONE).date()


def utc_offset_hours() -> int:
    """Asia/Ho_Chi_Minh has kept UTC+7 without daylight saving since 1975; the SQL that buckets
    responses into days relies on that, and this fails loudly should it ever change."""
    offsets = {
        ZONE.utcoffset(dt.datetime(year, month, 1)) for year in (2020, 2030) for month in (1, 7)
    }
    if offsets != {dt.timedelta(hours=7)}:
        raise RuntimeError("Asia/Ho_Chi_Minh is no longer a fixed UTC+7 zone")
    return 7


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
            return cls._last_or_this(text, today)
        if match := _WEEK_RE.fullmatch(text):
            period = cls.of_week(int(match[1]), int(match[2]))
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
    def parse_week(cls, text: str, today: dt.date | None = None) -> Period:
        """A raw export's week: strictly `YYYY-Www`, or `last` (the last complete week) or `this`
        (the week running now); a week not yet begun is not refused."""
        text = (text or "").strip()
        if text in ("last", "this"):
            return cls._last_or_this(text, today or local_today())
        match = _STRICT_WEEK_RE.fullmatch(text)
        if not match:
            raise PeriodError("invalid", f"not an ISO week: {text!r} (expected YYYY-Www)")
        return cls.of_week(int(match[1]), int(match[2]))

    @classmethod
    def _last_or_this(cls, text: str, today: dt.date) -> Period:
        week = cls.containing("week", today)
        return week.previous() if text == "last" else week

    @classmethod
    def of_week(cls, year: int, number: int) -> Period:
        """ISO week `number` of `year` (PeriodError when the year is not reportable or has no
        such week)."""
        monday = _monday(year, number)
        return cls(monday, monday + dt.timedelta(days=6), "week")

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
            monday = day - dt.timedelta(days=day.weekday())
            return cls(monday, monday + dt.timedelta(days=6), "week")
        if kind == "month":
            return cls.of_month(day.year, day.month)
        if kind == "quarter":
            return cls.of_quarter(day.year, (day.month - 1) // 3 + 1)
        if kind == "year":
            return cls.of_year(day.year)
        raise ValueError(f"no period of kind {kind!r} contains a day")

    @classmethod
    def of_moment(cls, kind: str, moment: dt.datetime) -> Period:
        """The week, month, quarter or year in which an aware moment falls, in local time."""
        return cls.containing(kind, local_day(moment))

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
            return Period.containing("week", self.start + dt.timedelta(weeks=count))
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

    def last(self, count: int) -> list[Period]:
        """The `count` periods of the same kind ending with this one, oldest first."""
        return [self.plus(-i) for i in range(count - 1, -1, -1)]

    # -- the trend -------------------------------------------------------------------------

    @property
    def trend_grain(self) -> str:
        if self.kind in ("week", "month", "quarter"):
            return WEEK
        if self.kind == "year":
            return MONTH
        return WEEK if self.days <= WEEKLY_TREND_DAYS else MONTH

    def trend_buckets(self) -> list[Period]:
        """The trend's buckets, oldest first: for a week the TREND_WEEKS weeks ending with it;
        for a year its months; otherwise the ISO weeks (or, for a range longer than
        WEEKLY_TREND_DAYS, the months) overlapping the period, each clipped to it."""
        if self.kind == "week":
            return self.last(TREND_WEEKS)
        if self.kind == "year":
            return [Period.of_month(self.start.year, m) for m in range(1, 13)]
        buckets = []
        if self.trend_grain == WEEK:
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

    def ref(self, today: dt.date | None = None) -> PeriodRef:
        """The frozen view a report keeps: the period and its neighbours' keys as of `today`."""
        before = self.previous()
        after = self.next(today)
        return PeriodRef(
            key=self.key,
            kind=self.kind,
            start=self.start,
            end=self.end,
            previous=before.key if before.start.year >= FIRST_YEAR else None,
            next=after.key if after is not None and after.end.year <= LAST_YEAR else None,
            trend_grain=self.trend_grain,
        )


@dataclass(frozen=True)
class PeriodRef:
    """The period a report is about, as the report keeps it (`Period.ref`): the period's fields
    and its neighbours' keys as they were when the report was built (locale-free; renderers label
    it, `collector.reports.labels.period_label`)."""

    key: str  #: "2026-W48", "2026-11", "2026-Q3", "2026", "2026-10-01..2026-11-15"
    kind: str  #: "week", "month", "quarter", "year" or "range"
    start: dt.date  #: first local day
    end: dt.date  #: last local day (inclusive)
    previous: str | None  #: key of the period before (same kind and length)
    next: str | None  #: key of the period after, None when it had not begun
    trend_grain: str  #: WEEK or MONTH

    @property
    def period(self) -> Period:
        """The period itself."""
        return Period(self.start, self.end, self.kind)


def reportable_range() -> tuple[dt.datetime, dt.datetime]:
    """The UTC moments from the first reportable week's start to the last one's end: rows outside
    are left out of every count and export, whatever a database holds."""
    first = Period.of_week(FIRST_YEAR, 1)
    last = Period.containing("week", dt.date(LAST_YEAR, 12, 28))  # always in the last ISO week
    return first.start_utc(), last.end_utc()
