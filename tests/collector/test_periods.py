"""Report periods: keys that round-trip, every error code, neighbours, trend buckets (weeks
clipped to a month whose first and last weeks straddle months, a year's months, a range's weeks or
months) and labels in Vietnamese and English."""

from __future__ import annotations

import datetime as dt

import pytest
from flask_babel import force_locale

from collector import create_app
from collector.periods import Period, PeriodError
from collector.reports import model
from collector.reports.labels import period_label as label

TODAY = dt.date(2026, 12, 2)
D = dt.date


@pytest.mark.parametrize(
    ("key", "kind", "start", "end"),
    [
        ("2026-W48", "week", D(2026, 11, 23), D(2026, 11, 29)),
        ("2026-W01", "week", D(2025, 12, 29), D(2026, 1, 4)),
        ("2020-W53", "week", D(2020, 12, 28), D(2021, 1, 3)),
        ("2026-11", "month", D(2026, 11, 1), D(2026, 11, 30)),
        ("2024-02", "month", D(2024, 2, 1), D(2024, 2, 29)),
        ("2026-Q3", "quarter", D(2026, 7, 1), D(2026, 9, 30)),
        ("2026", "year", D(2026, 1, 1), D(2026, 12, 31)),
        ("2026-10-01..2026-11-15", "range", D(2026, 10, 1), D(2026, 11, 15)),
        ("2026-12-02..2026-12-02", "range", D(2026, 12, 2), D(2026, 12, 2)),
    ],
)
def test_keys_parse_and_round_trip(key, kind, start, end):
    period = Period.parse(key, today=TODAY)
    assert (period.kind, period.start, period.end) == (kind, start, end)
    assert period.key == key and str(period) == key
    assert Period.parse(period.key, today=TODAY) == period


def test_lenient_spellings_give_the_canonical_key():
    assert Period.parse(" 2026-w5 ", today=TODAY).key == "2026-W05"
    assert Period.parse("2026-3", today=TODAY).key == "2026-03"
    assert Period.parse("2026-q1", today=TODAY).key == "2026-Q1"
    assert Period.parse("2026-1-5 .. 2026-2-1", today=TODAY).key == "2026-01-05..2026-02-01"


def test_last_and_this():
    assert Period.parse("last", today=TODAY).key == "2026-W48"
    assert Period.parse("this", today=TODAY).key == "2026-W49"


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("", "invalid"),
        ("W10", "invalid"),
        ("2026-W54", "invalid"),
        ("2025-W53", "invalid"),
        ("2026-13", "invalid"),
        ("2026-00", "invalid"),
        ("2026-Q5", "invalid"),
        ("2026-02-30..2026-03-01", "invalid"),
        ("2026-10-01..", "invalid"),
        ("next week", "invalid"),
        ("0001-W01", "out-of-range"),
        ("9999-W52", "out-of-range"),
        ("1999", "out-of-range"),
        ("3000-01", "out-of-range"),
        ("1999-12-31..2000-01-05", "out-of-range"),
        ("2025-01-01..2026-01-02", "out-of-range"),  # 367 days
        ("2026-11-15..2026-10-01", "reversed"),
        ("2026-W50", "future"),
        ("2027", "future"),
        ("2026-12-03..2026-12-05", "future"),
    ],
)
def test_every_error_has_its_code(text, code):
    with pytest.raises(PeriodError) as raised:
        Period.parse(text, today=TODAY)
    assert raised.value.code == code
    assert isinstance(raised.value, ValueError)


def test_a_range_of_366_days_and_periods_begun_but_not_over_are_accepted():
    assert Period.parse("2024-01-01..2024-12-31", today=TODAY).days == 366
    assert Period.parse("2026-12", today=TODAY).end == D(2026, 12, 31)
    assert Period.parse("2026-11-20..2026-12-20", today=TODAY).end == D(2026, 12, 20)


def test_bounds_in_utc_are_local_midnights():
    period = Period.parse("2026-11", today=TODAY)
    assert period.start_utc() == dt.datetime(2026, 10, 31, 17, tzinfo=dt.UTC)
    assert period.end_utc() == dt.datetime(2026, 11, 30, 17, tzinfo=dt.UTC)


def test_previous_and_next():
    def neighbours(key):
        period = Period.parse(key, today=TODAY)
        after = period.next(today=TODAY)
        return period.previous().key, after.key if after else None

    assert neighbours("2026-W01") == ("2025-W52", "2026-W02")
    assert neighbours("2021-W01") == ("2020-W53", "2021-W02")
    assert neighbours("2026-01") == ("2025-12", "2026-02")
    assert neighbours("2026-Q1") == ("2025-Q4", "2026-Q2")
    assert neighbours("2025") == ("2024", "2026")
    # a range: as many days just before, and just after
    assert neighbours("2026-10-01..2026-10-10") == (
        "2026-09-21..2026-09-30",
        "2026-10-11..2026-10-20",
    )
    # the next period has not begun
    assert neighbours("2026-W49") == ("2026-W48", None)
    assert neighbours("2026-12") == ("2026-11", None)
    assert neighbours("2026") == ("2025", None)
    assert neighbours("2026-11-20..2026-11-30") == (
        "2026-11-09..2026-11-19",
        "2026-12-01..2026-12-11",
    )


def test_ref_keeps_the_neighbours_keys():
    ref = Period.parse("2026-Q4", today=TODAY).ref(today=TODAY)
    assert ref == model.PeriodRef(
        key="2026-Q4",
        kind="quarter",
        start=D(2026, 10, 1),
        end=D(2026, 12, 31),
        previous="2026-Q3",
        next=None,
        trend_grain=model.WEEK,
    )
    # the period before the first reportable year is not offered
    assert Period.parse("2000", today=TODAY).ref(today=TODAY).previous is None


def spans(buckets):
    return [(b.key, b.start, b.end) for b in buckets]


def test_a_weeks_trend_is_the_12_weeks_ending_with_it():
    period = Period.parse("2026-W02", today=TODAY)
    buckets = period.trend_buckets()
    assert period.trend_grain == "week"
    assert [b.key for b in buckets] == [
        *(f"2025-W{n}" for n in range(43, 53)),
        "2026-W01",
        "2026-W02",
    ]
    assert len(buckets) == 12 and buckets[-1] == period


def test_a_months_trend_is_its_weeks_clipped_to_it():
    # March 2026 begins on a Sunday (week 9 runs from 23 February) and ends on a Tuesday
    # (week 14 runs to 5 April).
    buckets = Period.parse("2026-03", today=TODAY).trend_buckets()
    assert spans(buckets) == [
        ("2026-W09", D(2026, 3, 1), D(2026, 3, 1)),
        ("2026-W10", D(2026, 3, 2), D(2026, 3, 8)),
        ("2026-W11", D(2026, 3, 9), D(2026, 3, 15)),
        ("2026-W12", D(2026, 3, 16), D(2026, 3, 22)),
        ("2026-W13", D(2026, 3, 23), D(2026, 3, 29)),
        ("2026-W14", D(2026, 3, 30), D(2026, 3, 31)),
    ]
    assert all(b.kind == "week" for b in buckets)
    # December 2025's last week is ISO week 1 of 2026
    last = Period.parse("2025-12", today=TODAY).trend_buckets()[-1]
    assert (last.key, last.start, last.end) == ("2026-W01", D(2025, 12, 29), D(2025, 12, 31))


def test_a_quarters_trend_is_its_weeks():
    buckets = Period.parse("2026-Q3", today=TODAY).trend_buckets()
    assert buckets[0].key == "2026-W27" and buckets[0].start == D(2026, 7, 1)
    assert buckets[-1].key == "2026-W40" and buckets[-1].end == D(2026, 9, 30)
    assert sum(b.days for b in buckets) == 92


def test_a_years_trend_is_its_months():
    period = Period.parse("2026", today=TODAY)
    assert period.trend_grain == "month"
    buckets = period.trend_buckets()
    assert [b.key for b in buckets] == [f"2026-{m:02d}" for m in range(1, 13)]
    assert buckets[1].end == D(2026, 2, 28)


def test_a_ranges_trend_is_weeks_up_to_93_days_and_months_beyond():
    short = Period.parse("2026-10-01..2026-11-15", today=TODAY)
    assert short.trend_grain == "week"
    assert spans(short.trend_buckets())[0] == ("2026-W40", D(2026, 10, 1), D(2026, 10, 4))
    assert spans(short.trend_buckets())[-1] == ("2026-W46", D(2026, 11, 9), D(2026, 11, 15))
    long = Period.parse("2026-01-15..2026-06-10", today=TODAY)
    assert long.trend_grain == "month"
    assert spans(long.trend_buckets()) == [
        ("2026-01", D(2026, 1, 15), D(2026, 1, 31)),
        ("2026-02", D(2026, 2, 1), D(2026, 2, 28)),
        ("2026-03", D(2026, 3, 1), D(2026, 3, 31)),
        ("2026-04", D(2026, 4, 1), D(2026, 4, 30)),
        ("2026-05", D(2026, 5, 1), D(2026, 5, 31)),
        ("2026-06", D(2026, 6, 1), D(2026, 6, 10)),
    ]
    assert Period.parse("2026-01-01..2026-04-03", today=TODAY).trend_grain == "week"  # 93 days
    assert Period.parse("2026-01-01..2026-04-04", today=TODAY).trend_grain == "month"


def test_weeks_convert_both_ways():
    week = Period.parse_week("2026-W48")
    assert Period.of_week(2026, 48) == week == Period.parse("2026-W48", today=TODAY)
    assert week.key == "2026-W48" and week.kind == "week" and week.days == 7
    assert Period.parse("2026-11", today=TODAY).kind != "week"
    assert Period.containing("quarter", D(2026, 8, 15)).key == "2026-Q3"
    assert Period.containing("week", D(2026, 11, 29)).key == "2026-W48"
    assert Period.parse("2026-Q2", today=TODAY).whole_months
    assert not Period.parse("2026-W48", today=TODAY).whole_months


@pytest.fixture(scope="module")
def babel_app(tmp_path_factory):
    path = tmp_path_factory.mktemp("periods")
    return create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "x",
            "DATABASE_URL": f"sqlite:///{path / 'unused.sqlite'}",
            "INSTANCE_PATH": str(path / "instance"),
        }
    )


LABELS = [
    ("2026-W48", "Tuần 48 (23/11 - 29/11/2026)", "Week 48 (23/11 - 29/11/2026)"),
    ("2026-W01", "Tuần 1 (29/12/2025 - 04/01/2026)", "Week 1 (29/12/2025 - 04/01/2026)"),
    ("2026-11", "Tháng 11/2026", "Month 11/2026"),
    ("2026-Q3", "Quý 3/2026 (01/07 - 30/09/2026)", "Quarter 3/2026 (01/07 - 30/09/2026)"),
    ("2026", "Năm 2026", "Year 2026"),
    ("2026-10-01..2026-11-15", "01/10/2026 - 15/11/2026", "01/10/2026 - 15/11/2026"),
]


@pytest.mark.parametrize(("key", "vi", "en"), LABELS)
def test_labels_in_vietnamese_and_english(babel_app, key, vi, en):
    period = Period.parse(key, today=TODAY)
    with babel_app.test_request_context("/"):
        with force_locale("vi"):
            assert label(period) == vi
            assert label(period.ref(today=TODAY)) == vi
        with force_locale("en"):
            assert label(period) == en


def test_a_clipped_week_is_labelled_with_its_own_days(babel_app):
    first = Period.parse("2026-03", today=TODAY).trend_buckets()[0]
    with babel_app.test_request_context("/"), force_locale("vi"):
        assert label(first) == "Tuần 9 (01/03 - 01/03/2026)"
