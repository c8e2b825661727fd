"""TEMPORARY stand-in for collector.reports.periods (written elsewhere) so the report page can be
built and tested before it lands: the same names and behaviour the page relies on, nothing more.
Delete this file once collector/reports/periods.py is merged; page.py and views.py prefer it."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from flask_babel import get_locale

from collector.reports import model


class PeriodError(ValueError):
    def __init__(self, code: str, text: str = "") -> None:
        super().__init__(text or code)
        self.code = code


_RANGE = re.compile(r"^(\d{4}-\d{2}-\d{2})\.\.(\d{4}-\d{2}-\d{2})$")


@dataclass(frozen=True)
class Period:
    kind: str
    key: str
    start: dt.date
    end: dt.date

    @classmethod
    def parse(cls, text: str, today: dt.date | None = None) -> Period:
        today = today or dt.date.today()
        text = (text or "").strip()
        try:
            if text in ("last", "this"):
                monday = today - dt.timedelta(days=today.weekday())
                if text == "last":
                    monday -= dt.timedelta(weeks=1)
                return cls._week(monday, today)
            if m := re.fullmatch(r"(\d{4})-W(\d{2})", text):
                monday = dt.date.fromisocalendar(int(m[1]), int(m[2]), 1)
                return cls._week(monday, today)
            if m := re.fullmatch(r"(\d{4})-(\d{2})", text):
                start = dt.date(int(m[1]), int(m[2]), 1)
                nxt = dt.date(start.year + start.month // 12, start.month % 12 + 1, 1)
                return cls._check("month", text, start, nxt - dt.timedelta(days=1), today)
            if m := re.fullmatch(r"(\d{4})-Q([1-4])", text):
                q = int(m[2])
                start = dt.date(int(m[1]), 3 * q - 2, 1)
                end = dt.date(int(m[1]) + 1, 1, 1) if q == 4 else dt.date(int(m[1]), 3 * q + 1, 1)
                return cls._check("quarter", text, start, end - dt.timedelta(days=1), today)
            if re.fullmatch(r"\d{4}", text):
                y = int(text)
                return cls._check("year", text, dt.date(y, 1, 1), dt.date(y, 12, 31), today)
            if m := _RANGE.fullmatch(text):
                start, end = dt.date.fromisoformat(m[1]), dt.date.fromisoformat(m[2])
                if end < start:
                    raise PeriodError("reversed")
                return cls._check("range", text, start, end, today)
        except PeriodError:
            raise
        except (ValueError, OverflowError):
            raise PeriodError("out-of-range") from None
        raise PeriodError("invalid")

    @classmethod
    def _week(cls, monday: dt.date, today: dt.date) -> Period:
        iso = monday.isocalendar()
        key = f"{iso[0]}-W{iso[1]:02d}"
        return cls._check("week", key, monday, monday + dt.timedelta(days=6), today)

    @classmethod
    def _check(cls, kind, key, start, end, today) -> Period:
        if start.year < 2000 or end.year > 9000:
            raise PeriodError("out-of-range")
        if start > today:
            raise PeriodError("future")
        return cls(kind, key, start, end)

    @property
    def trend_grain(self) -> str:
        long = self.kind == "year" or (self.end - self.start).days > 120
        return model.MONTH if long else model.WEEK


def label(period) -> str:
    """The period in words, Vietnamese first."""
    vi = str(get_locale() or "vi") == "vi"
    s, e = period.start, period.end
    if period.kind == "week":
        n = int(period.key.split("W")[1])
        text = f"{s:%d/%m} - {e:%d/%m/%Y}"
        return f"Tuần {n} ({text})" if vi else f"Week {n} ({text})"
    if period.kind == "month":
        return f"Tháng {s.month}/{s.year}" if vi else f"{s:%B %Y}"
    if period.kind == "quarter":
        q = (s.month - 1) // 3 + 1
        text = f"{s:%d/%m} - {e:%d/%m/%Y}"
        return f"Quý {q}/{s.year} ({text})" if vi else f"Q{q} {s.year} ({text})"
    if period.kind == "year":
        return f"Năm {s.year}" if vi else f"Year {s.year}"
    return f"{s:%d/%m/%Y} - {e:%d/%m/%Y}"
