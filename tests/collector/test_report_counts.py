"""The report counts by local day, ISO week and month, and `load_report_data` for any period, with
counts worked out by hand, on SQLite and PostgreSQL.

The tree (tests/collector/conftest.py): P01 -> C01 -> O01 and P01 -> C02 -> O02. Administrative
services, short form: Q0 is the overall question, A0..E0 the factor items.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
import sqlalchemy as sa

from collector.counts import cross
from collector.counts.refresh import first_day, refresh_counts
from collector.db import get_session
from collector.models import ReportCount, ReportCross, ReportGroupCount, Unit
from collector.periods import Period
from collector.reports.data import DIMENSIONS
from collector.reports.loader import load_report_data, segments
from tests.factories import post_answers, rehash

TODAY = dt.date(2026, 12, 2)
D = dt.date
ITEMS = ("A0", "B0", "C0", "D0", "E0")


def items(value: int, **more: int) -> dict[str, int]:
    return {**dict.fromkeys(ITEMS, value), **more}


def refresh(app) -> None:
    with app.app_context():
        session = get_session()
        refresh_counts(session)
        session.commit()


def rows(app, model, **where) -> list[dict]:
    with app.app_context():
        session = get_session()
        query = sa.select(model).where(*[getattr(model, k) == v for k, v in where.items()])
        found = session.scalars(query).all()
        names = [c.name for c in model.__table__.columns]
        return [{n: getattr(r, n) for n in names} for r in found]


def respondents(app, grain: str, **where) -> dict:
    """bucket -> (answered, satisfied, no_opinion) of the RESPONDENTS rows, official and not."""
    out: dict = {}
    for row in rows(app, ReportCount, grain=grain, code="*", **where):
        key = (row["bucket"], row["unofficial"])
        a, s, n = out.get(key, (0, 0, 0))
        out[key] = (a + row["answered"], s + row["satisfied"], n + row["no_opinion"])
    return out


def load(app, key: str, unit: str = "P01", include_unofficial: bool = False):
    refresh(app)
    with app.app_context():
        session = get_session()
        root = session.scalar(sa.select(Unit.id).where(Unit.code == unit))
        data = load_report_data(
            session, root, Period.parse(key, today=TODAY), include_unofficial=include_unofficial
        )
        session.rollback()
        return data


def star(data, bucket: int, kind: str = "admin") -> tuple[int, int, int]:
    """The RESPONDENTS counts of a bucket summed over the units."""
    c = data.counts
    part = c[(c["bucket"] == bucket) & (c["code"] == "*") & (c["kind"] == kind)]
    return int(part["answered"].sum()), int(part["satisfied"].sum()), int(part["no_opinion"].sum())


def code_counts(data, bucket: int, code: str) -> tuple[int, int, int, int]:
    c = data.counts
    part = c[(c["bucket"] == bucket) & (c["code"] == code)]
    return tuple(int(part[n].sum()) for n in ("answered", "satisfied", "no_opinion", "value_sum"))


def test_sunday_night_and_monday_morning_fall_in_their_own_day_week_and_month(
    app, client, units, register
):
    kiosk = register("C01")
    # Sunday 31 May 2026 23:30 and Monday 1 June 00:30 in Hà Nội (the second sent in UTC).
    post_answers(kiosk, items(5), "2026-05-31T23:30:00+07:00", unit="O01")
    post_answers(kiosk, items(1), "2026-05-31T17:30:00Z", unit="O01")
    refresh(app)
    assert respondents(app, "day") == {
        (D(2026, 5, 31), False): (1, 1, 0),
        (D(2026, 6, 1), False): (1, 0, 0),
    }
    assert respondents(app, "month") == {
        (D(2026, 5, 1), False): (1, 1, 0),
        (D(2026, 6, 1), False): (1, 0, 0),
    }
    may = load(app, "2026-W22")
    june = load(app, "2026-W23")
    assert star(may, 0) == (1, 1, 0) and star(june, 0) == (1, 0, 0)
    assert star(june, 1) == (1, 1, 0)  # the week before
    hours = june.groups[june.groups["dimension"] == "hour"]
    assert list(hours["value"]) == ["0-00"]  # Monday, 00h local
    hours = may.groups[may.groups["dimension"] == "hour"]
    assert list(hours["value"]) == ["6-23"]  # Sunday, 23h local


def test_the_respondents_row_counts_only_factor_items(app, client, units, register):
    kiosk = register("C01")
    day = "2026-03-03T09:{:02d}:00+07:00"
    post_answers(kiosk, {}, day.format(1), unit="O01", complete=False)  # empty
    post_answers(kiosk, {"Q0": 5}, day.format(2), unit="O01", complete=False)  # overall only
    post_answers(kiosk, {"Q0": 4, "A0": 0}, day.format(3), unit="O01", complete=False)
    post_answers(kiosk, {"A0": 5, "B0": 4}, day.format(4), unit="O01", complete=False)
    post_answers(kiosk, {"Q0": 5, "A0": 5, "B0": 2}, day.format(5), unit="O01", complete=False)
    refresh(app)
    for grain, bucket in (("day", D(2026, 3, 3)), ("month", D(2026, 3, 1))):
        assert respondents(app, grain) == {(bucket, False): (2, 1, 3)}
    data = load(app, "2026-03")
    assert star(data, 0) == (2, 1, 3)
    # per question: Q0 answers 5, 4, 5; A0 answers 0, 5, 5; B0 answers 4, 2
    assert code_counts(data, 0, "Q0") == (3, 3, 0, 14)
    assert code_counts(data, 0, "A0") == (2, 2, 1, 10)
    assert code_counts(data, 0, "B0") == (2, 1, 0, 6)
    # the groups count every valid answer of a response, the overall question included
    channel = data.groups[data.groups["dimension"] == "channel"].iloc[0]
    assert (channel["value"], channel["responses"], channel["answered"]) == ("kiosk", 5, 7)
    assert (channel["satisfied"], channel["low"]) == (6, 1)


def test_a_late_predecessor_that_breaks_the_chain_moves_counts_in_both_grains(
    app, client, units, register
):
    kiosk = register("C01")
    first = kiosk.next(
        questionnaire="admin",
        questionnaire_version="2026.1-short",
        answers=items(5),
        submitted_at="2026-02-27T09:00:00+07:00",
        started_at="2026-02-27T09:00:00+07:00",
        unit="O01",
    )
    second = kiosk.next(
        questionnaire="admin",
        questionnaire_version="2026.1-short",
        answers=items(1),
        submitted_at="2026-03-02T09:05:00+07:00",
        started_at="2026-03-02T09:05:00+07:00",
        unit="O01",
    )
    assert kiosk.statuses([second]) == ["accepted"]  # its predecessor has not arrived
    refresh(app)
    assert respondents(app, "month") == {(D(2026, 3, 1), False): (1, 0, 0)}
    tampered = rehash(dict(first, comment="changed after the next one was chained"))
    assert kiosk.statuses([tampered]) == ["accepted"]
    refresh(app)
    assert respondents(app, "day") == {
        (D(2026, 2, 27), False): (1, 1, 0),
        (D(2026, 3, 2), True): (1, 0, 0),
    }
    assert respondents(app, "month") == {
        (D(2026, 2, 1), False): (1, 1, 0),
        (D(2026, 3, 1), True): (1, 0, 0),
    }
    # every other row of the day and the month moved too, nothing is counted twice
    for grain in ("day", "month"):
        a0 = rows(app, ReportCount, grain=grain, code="A0")
        assert sorted((r["bucket"].month, r["unofficial"], r["answered"]) for r in a0) == [
            (2, False, 1),
            (3, True, 1),
        ]
        channel = rows(app, ReportGroupCount, grain=grain, dimension="channel")
        assert sorted((r["bucket"].month, r["unofficial"], r["responses"]) for r in channel) == [
            (2, False, 1),
            (3, True, 1),
        ]
    # ... the cross-products too: the broken response's are now unofficial, at every grain.
    for grain in ("day", "week", "month"):
        found = sorted(
            (r["bucket"], r["unofficial"], int(decoded(r).aa[0, 0]))
            for r in rows(app, ReportCross, grain=grain)
        )
        assert [(unofficial, n) for _, unofficial, n in found] == [(False, 1), (True, 1)], grain
    march = load(app, "2026-03")
    assert star(march, 0) == (0, 0, 0)
    assert (march.left_out_total, march.left_out_broken, march.left_out_suspect) == (1, 1, 0)
    assert list(march.left_out["broken"]) == [True]
    assert star(load(app, "2026-03", include_unofficial=True), 0) == (1, 0, 0)


@pytest.fixture
def year(app, client, units, register):
    """Responses across 2026, at O01 (kiosk at C01) and O02 (kiosk at C02):

    r1 Thu 15 Jan  O01  all 5                 satisfied
    r2 Fri 20 Feb  O01  all 2                 not satisfied
    r3 Tue 31 Mar  O02  all 4, counter quay-2, reasons waiting
    r4 Wed  1 Apr  O02  A0=1, rest 0, reasons waiting and fees, comment
    r5 Tue 30 Jun  O01  all 5                 (week 27 runs 29 June - 5 July)
    r6 Thu  2 Jul  O01  all 3, flagged suspect-burst
    r7 Thu  2 Jul  O01  all 4, comment
    """
    one, two = register("C01"), register("C02")
    post_answers(one, items(5), "2026-01-15T10:00:00+07:00", unit="O01")
    post_answers(one, items(2), "2026-02-20T10:00:00+07:00", unit="O01")
    post_answers(
        two,
        items(4),
        "2026-03-31T15:20:00+07:00",
        unit="O02",
        counter="quay-2",
        reasons=["waiting"],
    )
    post_answers(
        two,
        items(0, A0=1),
        "2026-04-01T08:10:00+07:00",
        unit="O02",
        reasons=["waiting", "fees"],
        comment="Phí cao",
    )
    post_answers(one, items(5), "2026-06-30T09:00:00+07:00", unit="O01")
    post_answers(one, items(3), "2026-07-02T09:00:00+07:00", unit="O01", flags=["suspect-burst"])
    post_answers(one, items(4), "2026-07-02T10:00:00+07:00", unit="O01", comment="Tốt")
    with app.app_context():
        session = get_session()
        ids = dict(session.execute(sa.select(Unit.code, Unit.id)).all())
    return ids


def decoded(row: dict):
    """A stored cross-products row's matrices."""
    codes = row["codes"].split(",")
    packed, good = cross.decode(codes, [row["data"]])
    assert good.all()
    return cross.unpack(packed[0], len(codes))


def test_the_cross_products_are_those_of_the_responses_and_add_up_over_grains(app, year):
    """r3 (31 March, all 4) and r4 (1 April, A0=1 only) at O02, counted into their days; the
    weeks and months are the sums of their days, like the counts."""
    refresh(app)
    o02 = year["O02"]
    days = {r["bucket"]: r for r in rows(app, ReportCross, grain="day", unit_id=o02)}
    assert set(days) == {D(2026, 3, 31), D(2026, 4, 1)}
    march, april = decoded(days[D(2026, 3, 31)]), decoded(days[D(2026, 4, 1)])
    assert days[D(2026, 3, 31)]["codes"] == ",".join(ITEMS)
    # r3 answered all five items 4: every pair of items satisfied together, once.
    assert (march.yy == 1).all() and (march.ya == 1).all() and (march.aa == 1).all()
    # r4 answered A0 only, 1: one valid answer, nothing satisfied, no pair with another item.
    assert april.aa[0, 0] == 1 and april.aa.sum() == 1 and not april.yy.any()
    for grain in ("week", "month"):
        summed: dict = {}
        for row in rows(app, ReportCross, grain="day"):
            key = (
                row["unit_id"],
                first_day(grain, row["bucket"]),
                row["channel"],
                row["unofficial"],
            )
            made = decoded(row)
            matrices = (made.yy, made.ya, made.aa)
            if key in summed:
                matrices = tuple(a + b for a, b in zip(summed[key], matrices, strict=True))
            summed[key] = matrices
        stored = {
            (row["unit_id"], row["bucket"], row["channel"], row["unofficial"]): decoded(row)
            for row in rows(app, ReportCross, grain=grain)
        }
        assert set(stored) == set(summed), grain
        for key, made in stored.items():
            for mine, want in zip((made.yy, made.ya, made.aa), summed[key], strict=True):
                assert (mine == want).all(), (grain, key)


def by_key(data) -> dict[str, tuple[int, int, int]]:
    return {b.key: star(data, i) for i, b in enumerate(data.buckets) if i >= 2}


def test_a_month_whose_weeks_straddle_months(app, year):
    june, july = load(app, "2026-06"), load(app, "2026-07")
    assert [b.key for b in june.buckets[:2]] == ["2026-06", "2026-05"]
    assert star(june, 0) == (1, 1, 0) and star(june, 1) == (0, 0, 0)
    assert by_key(june)["2026-W27"] == (1, 1, 0)  # 29-30 June: r5 only
    assert june.buckets[-1].start == D(2026, 6, 29) and june.buckets[-1].end == D(2026, 6, 30)
    assert by_key(july)["2026-W27"] == (1, 1, 0)  # 1-5 July: r7 (r6 is left out)
    assert star(july, 1) == (1, 1, 0)  # June
    assert (july.left_out_total, july.left_out_suspect) == (1, 1)
    assert july.suspect_by_channel == {("admin", "kiosk"): 1}
    assert star(load(app, "2026-07", include_unofficial=True), 0) == (2, 1, 0)
    assert july.comments_total == 1 and list(july.comments["comment"]) == ["Tốt"]
    assert list(july.comments["local_time"].dt.hour) == [10]
    assert july.versions == {"admin": ["2026.1-short"]}


def test_a_quarter(app, year):
    q1 = load(app, "2026-Q1")
    assert star(q1, 0) == (3, 2, 0)  # r1, r2, r3
    assert star(q1, 1) == (0, 0, 0)
    weeks = by_key(q1)
    assert len(weeks) == 14 and weeks["2026-W03"] == (1, 1, 0) and weeks["2026-W14"] == (1, 1, 0)
    assert sum(n[0] for n in weeks.values()) == 3
    assert code_counts(q1, 0, "A0") == (3, 2, 0, 11)
    q2 = load(app, "2026-Q2")
    assert star(q2, 0) == (2, 1, 0) and star(q2, 1) == (3, 2, 0)
    assert code_counts(q2, 0, "B0") == (1, 1, 1, 5)  # r5's 5; r4's B0 is no opinion
    assert code_counts(q2, 0, "A0") == (2, 1, 0, 6)  # r4's 1, r5's 5


def test_a_year_reads_its_months(app, year):
    data = load(app, "2026")
    assert star(data, 0) == (6, 4, 0)
    assert by_key(data) == {
        "2026-01": (1, 1, 0),
        "2026-02": (1, 0, 0),
        "2026-03": (1, 1, 0),
        "2026-04": (1, 0, 0),
        "2026-05": (0, 0, 0),
        "2026-06": (1, 1, 0),
        "2026-07": (1, 1, 0),
        **{f"2026-{m:02d}": (0, 0, 0) for m in range(8, 13)},
    }
    # per unit: O01 has r1, r2, r5, r7; O02 r3, r4
    c = data.counts
    per_unit = c[(c["bucket"] == 0) & (c["code"] == "*")].set_index("unit_id")["answered"]
    assert per_unit.to_dict() == {year["O01"]: 4, year["O02"]: 2}
    # answers 1-5 of E0: r1 5, r2 2, r3 4, r5 5, r7 4 (r4's is 0)
    assert code_counts(data, 0, "E0") == (5, 4, 1, 20)
    assert data.comments_total == 2
    assert list(data.comments["comment"]) == ["Tốt", "Phí cao"]  # newest first
    receipts = data.receipts
    assert receipts.empty
    # the year's segments are its 12 months and the year before, each read once
    spans, membership = segments(data.buckets)
    assert len(spans) == 13 and len(membership) == 12 + 1 + 12


def test_a_custom_range(app, year):
    data = load(app, "2026-03-15..2026-04-15")
    assert data.period.trend_grain == "week"
    assert star(data, 0) == (2, 1, 0)  # r3, r4
    assert data.buckets[1].key == "2026-02-11..2026-03-14"
    assert star(data, 1) == (1, 0, 0)  # r2
    weeks = by_key(data)
    assert weeks["2026-W14"] == (2, 1, 0)  # 30 March - 5 April: r3 and r4
    assert data.buckets[2].start == D(2026, 3, 15) and data.buckets[2].key == "2026-W11"
    long = load(app, "2026-01-10..2026-07-01")
    assert long.period.trend_grain == "month"
    assert star(long, 0) == (5, 3, 0)  # r1 .. r5
    assert by_key(long)["2026-07"] == (0, 0, 0)  # 1 July only: no response
    assert by_key(long)["2026-01"] == (1, 1, 0)


def test_groups_counter_hour_and_reason(app, year):
    data = load(app, "2026-Q2")
    g = data.groups

    def group(dimension):
        part = g[g["dimension"] == dimension]
        return {
            (row.value, row.unit_id): (row.responses, row.answered, row.satisfied, row.low)
            for row in part.itertuples()
        }

    o1, o2 = year["O01"], year["O02"]
    # r4 at O02 (quay-1): one valid answer, A0 = 1; r5 at O01 (quay-1): all 5 (Q0 not sent)
    assert group("counter") == {("quay-1", o1): (1, 5, 5, 0), ("quay-1", o2): (1, 1, 0, 1)}
    # r4 on Wednesday 08h, r5 on Tuesday 09h: the hours and the reasons are the whole scope's
    # (unit 0), summed over its units
    assert group("hour") == {("2-08", 0): (1, 1, 0, 1), ("1-09", 0): (1, 5, 5, 0)}
    # r4 gave two reasons: one row each, and one for "any reason" (ANY_REASON, "*")
    assert group("reason") == {
        ("fees", 0): (1, 1, 0, 1),
        ("waiting", 0): (1, 1, 0, 1),
        ("*", 0): (1, 1, 0, 1),
    }
    q1 = load(app, "2026-Q1").groups
    counters = q1[q1["dimension"] == "counter"]
    assert set(zip(counters["value"], counters["responses"], strict=True)) == {
        ("quay-1", 2),
        ("quay-2", 1),
    }
    reasons = q1[q1["dimension"] == "reason"]
    assert sorted(zip(reasons["value"], reasons["responses"], strict=True)) == [
        ("*", 1),
        ("waiting", 1),
    ]
    # The breakdowns the report reads (kiosk responses by language among them), never the
    # dimensions that only make its totals.
    assert set(q1["dimension"]) <= set(DIMENSIONS)
    assert {"voice", "voice-listened"} <= set(DIMENSIONS)
    assert not {"comment", "left-out"} & set(q1["dimension"])
    assert isinstance(q1, pd.DataFrame)


def test_whole_months_and_weeks_are_read_from_the_monthly_and_weekly_counts():
    from collector.reports.loader import _pieces

    pieces = _pieces(0, D(2026, 1, 10), D(2026, 7, 1))
    assert [(p.grain, p.first, p.last) for p in pieces] == [
        ("day", D(2026, 1, 10), D(2026, 1, 11)),  # Saturday and Sunday
        ("week", D(2026, 1, 12), D(2026, 1, 19)),  # the weeks of Monday 12 and 19 January
        ("day", D(2026, 1, 26), D(2026, 1, 31)),  # the week of the 26th runs into February
        ("month", D(2026, 2, 1), D(2026, 6, 1)),
        ("day", D(2026, 7, 1), D(2026, 7, 1)),
    ]
    assert [(p.grain, p.first) for p in _pieces(3, D(2026, 3, 1), D(2026, 3, 31))] == [
        ("month", D(2026, 3, 1))
    ]
    assert [(p.grain, p.first, p.last) for p in _pieces(0, D(2026, 3, 2), D(2026, 3, 8))] == [
        ("week", D(2026, 3, 2), D(2026, 3, 2))
    ]
    assert [p.grain for p in _pieces(0, D(2026, 3, 3), D(2026, 3, 8))] == ["day"]
    # a week straddling two months (29 June - 5 July) is one week
    assert [p.grain for p in _pieces(0, D(2026, 6, 29), D(2026, 7, 5))] == ["week"]
    # a month's own buckets: the month before (one piece, monthly), then its clipped weeks
    march = Period.parse("2026-03", today=TODAY)
    spans, membership = segments([march, march.previous(), *march.trend_buckets()])
    assert spans[0] == (D(2026, 2, 1), D(2026, 2, 28)) and len(spans) == 7
    assert sorted(membership.loc[membership["bucket"] == 0, "segment"]) == [1, 2, 3, 4, 5, 6]


def test_a_period_without_responses_loads_empty_frames(app, units):
    data = load(app, "2026-Q3", unit="C01")
    assert data.counts.empty and data.groups.empty and data.channel_counts.empty
    assert list(data.counts.columns) == [
        "bucket",
        "kind",
        "unit_id",
        "code",
        "answered",
        "satisfied",
        "no_opinion",
        "value_sum",
    ]
    assert data.versions == {} and data.left_out_total == 0 and data.comments_total == 0
    assert list(data.comments.columns) == ["local_time", "unit_id", "kind", "comment"]
    assert sorted(data.units["code"]) == ["C01", "O01"]
    assert [b.key for b in data.buckets[:2]] == ["2026-Q3", "2026-Q2"]


def test_every_grain_gives_the_same_counts(app, year, monkeypatch):
    """The weekly and monthly rows are the sums of the daily rows, and a report reads the same
    counts whichever grain serves it."""
    from collector.counts.refresh import first_day
    from collector.reports import loader

    refresh(app)
    for model, keys in (
        (ReportCount, ("questionnaire", "questionnaire_version", "channel", "code", "unofficial")),
        (ReportGroupCount, ("questionnaire", "dimension", "value", "unofficial")),
    ):
        values = [
            n
            for n in ("answered", "satisfied", "no_opinion", "value_sum", "responses", "low")
            if n in model.__table__.c
        ]
        days = rows(app, model, grain="day")
        assert days
        for grain in ("week", "month"):
            summed: dict = {}
            for row in days:
                key = (row["unit_id"], first_day(grain, row["bucket"]), *[row[k] for k in keys])
                total = summed.setdefault(key, [0] * len(values))
                for i, name in enumerate(values):
                    total[i] += row[name]
            stored = {
                (row["unit_id"], row["bucket"], *[row[k] for k in keys]): [row[n] for n in values]
                for row in rows(app, model, grain=grain)
            }
            assert stored == summed, (model.__name__, grain)
    # week 27 (29 June - 5 July) straddles June and July: a week row of its own
    weeks = respondents(app, "week")
    assert weeks[(D(2026, 6, 29), False)] == (2, 2, 0) and weeks[(D(2026, 6, 29), True)] == (
        1,
        0,
        0,
    )
    keys = ["2026-W27", "2026-W14", "2026-06", "2026-Q1", "2026", "2026-03-15..2026-04-15"]
    read = {key: load(app, key) for key in keys}

    def only_days(segment, start, end):
        return [loader._Piece(segment, "day", start, end)]

    monkeypatch.setattr(loader, "_pieces", only_days)
    for key in keys:
        from_days = load(app, key)
        for name in ("counts", "channel_counts", "groups"):
            pd.testing.assert_frame_equal(
                getattr(read[key], name).reset_index(drop=True),
                getattr(from_days, name).reset_index(drop=True),
                check_dtype=False,
                obj=f"{key} {name}",
            )
        assert read[key].versions == from_days.versions
        assert read[key].left_out_total == from_days.left_out_total
        assert read[key].comments_total == from_days.comments_total
