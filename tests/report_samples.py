"""The one builder of hand-made typed reports (`collector.reports.model.Report`), for the tests of
what renders a report (JSON, CSV, XLSX, the page, the browser's layout). Every kind of part is made
by one helper below; two reports are assembled from them:

- `sample_report()`: fixed figures, made up (they need not add up): a province with two districts
  and its own responses, two kinds (administrative services, SIPAS method; health, pooled, with
  comprehensive satisfaction), every section non-empty, for 2026-Q3. `sample_report()` is what a
  manager sees, `sample_report(officers=False)` what a viewer sees (no per-officer results);
  `without_data(report)` empties the first kind's summary.
- `period_report(period_kind, seed)`: the three kinds over the questionnaires' own factors and
  items, for a week, a month, a quarter or a year, with figures drawn from a seeded generator that
  are consistent enough to read (parents are the mean of their parts) and funnel limits computed
  by `shared.scoring`: what the page's layout tests serve. The page's arithmetic is tested on real
  reports elsewhere.

tests/factories.py hands both out."""

from __future__ import annotations

import dataclasses
import datetime as dt
import random

from collector.dossiers.national import NOT_COMPUTED, service_index
from collector.reports import model
from shared import questionnaires, scoring

SETTINGS = model.Settings(min_responses=30, include_unofficial=False, drop_points=10.0)

# -- the parts ------------------------------------------------------------------------------------


def summary(index, ci, n, verdict, *, target=80.0, parts=1, pooled=None, responses=None, more=None):
    return model.Summary(
        index=index,
        ci95=ci,
        n=n,
        responses=n + 3 if responses is None else responses,
        answers=n * 5,
        parts=parts,
        pooled=index if pooled is None else pooled,
        verdict=verdict,
        target=target,
        more_needed=more,
    )


def criterion(code, factor, share, ci, satisfied, answers, no_opinion, mean, text=None):
    return model.Criterion(
        code=code,
        factor=factor,
        text=text or f"Criterion {code}",
        share=share,
        ci95=ci,
        satisfied=satisfied,
        answers=answers,
        no_opinion=no_opinion,
        mean=mean,
    )


def row(
    id_,
    code,
    name,
    s,
    factors,
    *,
    own=False,
    previous=None,
    change=None,
    previous_n=0,
    pooled=False,
):
    return model.UnitRow(
        id=id_,
        code=code,
        name=name,
        own=own,
        summary=s,
        factors=factors,
        previous_index=previous,
        change=change,
        previous_n=previous_n,
        pooled=pooled,
    )


def breakdown(kind, group, responses, answers, share, ci, limits=None, position=None):
    low95, low998 = limits or (None, None)
    return model.Breakdown(
        kind, tuple(group), responses, answers, share, ci, low95, low998, position
    )


def funnel_plot(dimension, target, design_effect, answers_per_response, curve):
    return model.FunnelPlot(
        dimension=dimension,
        kind="admin",
        target=target,
        design_effect=design_effect,
        answers_per_response=answers_per_response,
        curve=tuple(curve),
    )


# -- the fixed report -----------------------------------------------------------------------------

PERIOD = model.PeriodRef(
    key="2026-Q3",
    kind="quarter",
    start=dt.date(2026, 7, 1),
    end=dt.date(2026, 9, 30),
    previous="2026-Q2",
    next="2026-Q4",
    trend_grain=model.WEEK,
)
UNIT = model.UnitRef(id=1, code="P01", name="Tỉnh Một", kind="province")


def _admin() -> model.KindReport:
    a1 = criterion("A1", "A", 61.234, (50.111, 71.019), 48, 78, 2, 3.6712)
    a2 = criterion("A2", "A", 70.5, (60.0, 79.25), 55, 78, 1, 3.9)
    b1 = criterion("B1", "B", 83.333, (74.4, 89.9), 65, 78, 0, 4.1234)
    factors = (
        model.Factor(
            code="A",
            title="Access to the service",
            index=65.8671,
            ci95=(60.125, 71.5),
            pooled=65.867,
            mean=3.78,
            answers=156,
            parts=3,
            criteria=(a1, a2),
        ),
        model.Factor(
            code="B",
            title="Administrative procedures",
            index=83.333,
            ci95=(77.2, 88.123),
            pooled=83.3,
            mean=4.1234,
            answers=78,
            parts=3,
            criteria=(b1,),
        ),
    )
    children = (
        row(
            3,
            "D02",
            "Huyện Hai",
            summary(59.534, (48.2, 70.1), 31, model.MISSES),
            {"A": 55.5, "B": 63.567},
            previous=64.0,
            change=-4.466,
            previous_n=28,
        ),
        row(
            1,
            "P01",
            "Tỉnh Một",
            summary(71.4, (55.0, 84.9), 12, model.TOO_FEW),
            {"A": 70.0, "B": None},
            own=True,
        ),
        row(
            5,
            "D03",
            "Huyện Ba",
            summary(90.0, (60.1, 98.2), 10, model.TOO_FEW),
            {"A": 90.0, "B": 90.0},
            pooled=True,
        ),
        row(
            2,
            "D01",
            "Huyện Một",
            summary(83.27, (78.0, 88.01), 35, model.TOO_CLOSE, more=57),
            {"A": 80.125, "B": 86.415},
            previous=81.0,
            change=2.27,
            previous_n=40,
        ),
    )
    return model.KindReport(
        kind="admin",
        method="sipas",
        title="Satisfaction with administrative services",
        own_wording=False,
        source="SIPAS (Bộ Nội vụ)",
        summary=summary(
            71.40,
            (65.123, 77.456),
            78,
            model.TOO_CLOSE,
            parts=3,
            pooled=75.349,
            responses=84,
            more=2345,
        ),
        previous_index=73.5,
        change=-2.1,
        factors=factors,
        criteria=(a1, a2, b1),
        overall=criterion("Q0", "", 66.667, (55.1, 76.5), 50, 75, 3, 3.75, text="Overall"),
        comprehensive=None,
        children=children,
        trend=(
            model.TrendPoint(
                "2026-W27",
                dt.date(2026, 7, 1),
                dt.date(2026, 7, 5),
                70.123,
                20,
                (50.5, 85.25),
                True,
                (dt.date(2026, 7, 1),),
            ),
            model.TrendPoint("2026-W28", dt.date(2026, 7, 6), dt.date(2026, 7, 12), None, 0),
            model.TrendPoint(
                "2026-W29", dt.date(2026, 7, 13), dt.date(2026, 7, 19), 72.5, 58, (66.0, 78.4)
            ),
        ),
        targets={"2025": 75.0, "2026": 80.0},
        versions=("2026.1",),
        pooled_part=model.PooledPart(("D03",), False, 10, 90.0, (60.1, 98.2), 10 / 30),
    )


def _health() -> model.KindReport:
    c = criterion("A1", "A", 90.0, (85.5, 93.2), 180, 200, 4, 4.4)
    d = criterion("B1", "B", 85.0, (79.3, 89.4), 170, 200, 0, 4.2)
    return model.KindReport(
        kind="health",
        method="pooled",
        title="Outpatients' satisfaction with health services",
        own_wording=False,
        source="Bộ Y tế",
        summary=summary(87.5, (84.0, 90.5), 200, model.MEETS, target=85.0),
        previous_index=None,
        change=None,
        factors=(
            model.Factor(
                "B", "Transparency of information", 85.0, (80.0, 89.5), 85.0, 4.2, 200, 1, (d,)
            ),
            model.Factor("A", "Accessibility", 90.0, (85.9, 93.0), 90.0, 4.4, 200, 1, (c,)),
        ),
        criteria=(d, c),
        overall=None,
        comprehensive=model.Comprehensive(share=40.5, respondents=200, ci95=(33.9, 47.4)),
        children=(
            row(
                4,
                "H01",
                "Bệnh viện Một",
                summary(87.5, (84.0, 90.5), 200, model.MEETS),
                {"A": 90.0, "B": 85.0},
            ),
        ),
        trend=(
            model.TrendPoint(
                "2026-W27", dt.date(2026, 7, 1), dt.date(2026, 7, 5), 87.5, 200, (84.0, 90.5)
            ),
        ),
        targets={"2026": 85.0},
        versions=("2019.1", "2019.2"),
    )


def _funnel(dimension: str) -> model.FunnelPlot:
    return funnel_plot(
        dimension,
        80.0,
        2.345,
        4.75,
        (
            model.FunnelLimit(10, (70.1, 89.9), (64.5, 95.5)),
            model.FunnelLimit(30, (74.2, 85.8), (70.9, 89.1)),
            model.FunnelLimit(100, (76.8, 83.2), (75.0, 85.0)),
        ),
    )


def sample_report(officers: bool = True) -> model.Report:
    admin, health = _admin(), _health()
    hours = (8, 9, 10)
    grid = tuple(
        tuple(
            model.HeatCell(ratings=(day + 1) * (h - 7), dissatisfied=10.0 + day + h / 3)
            if day < 6
            else model.HeatCell(ratings=0, dissatisfied=None)
            for h in hours
        )
        for day in range(7)
    )
    report = model.Report(
        period=PERIOD,
        unit=UNIT,
        settings=SETTINGS,
        kinds=(admin, health),
        units=(
            ("admin", admin.children[1]),
            ("admin", admin.children[2]),
            ("health", health.children[0]),
        ),
        alerts=(
            model.Alert(kind="admin", unit=admin.children[0], below_target=True, sudden_drop=False),
        ),
        left_out=model.LeftOut(
            suspect=2,
            broken=1,
            total=3,
            included=False,
            rows=(
                model.LeftOutRow(
                    dt.datetime(2026, 7, 2, 9, 15), "D01", "admin", "poster", None, True, False
                ),
                model.LeftOutRow(
                    dt.datetime(2026, 7, 3, 10, 0), "D02", "admin", "kiosk", "Q1", False, True
                ),
            ),
        ),
        counters=(
            breakdown(
                "admin",
                ["D02", "Q1"],
                31,
                155,
                58.0,
                (50.1, 65.5),
                ((74.0, 86.0), (70.5, 89.5)),
                model.ALARM,
            ),
            breakdown(
                "admin",
                ["D01", "Q1"],
                35,
                175,
                82.5,
                (76.2, 87.5),
                ((74.5, 85.5), (71.0, 89.0)),
                model.WITHIN,
            ),
        ),
        procedures=(
            breakdown(
                "admin",
                ["1.001234"],
                12,
                60,
                61.667,
                (49.0, 72.9),
                ((70.0, 90.0), (64.0, 96.0)),
                model.WARNING,
            ),
        ),
        officers=(
            breakdown(
                "admin",
                ["D01", "CB07"],
                22,
                110,
                80.909,
                (72.6, 87.2),
                ((72.5, 87.5), (68.0, 92.0)),
                model.WITHIN,
            ),
        )
        if officers
        else None,
        officers_hidden=4 if officers else None,
        officers_min=10,
        heatmap=model.Heatmap(hours=hours, grid=grid, peak=18),
        reasons=(
            model.Reason("waiting", 9, 60.0),
            model.Reason("attitude", 6, 40.0),
        ),
        reasons_responses=15,
        comments=(
            model.Comment(dt.datetime(2026, 7, 3, 11, 5), "D02", "admin", '=HYPERLINK("x")'),
            model.Comment(dt.datetime(2026, 7, 2, 8, 30), "H01", "health", "Rất tốt\x07"),
        ),
        comments_total=5,
        response_rate=model.ResponseRate(
            units=(
                model.ReceiptRate("D01", "Huyện Một", 10, 7, 5, 2, 1, 50.0, 70.0),
                model.ReceiptRate("D02", "Huyện Hai", 3, 1, 1, 1, 0, 33.333, 33.333),
            ),
            total=model.ReceiptRate("", "", 13, 8, 6, 3, 1, 46.154, 61.538),
        ),
        channel_comparison=(
            model.ChannelIndex(
                "admin", "kiosk", summary(70.2, (63.1, 76.6), 60, model.TOO_CLOSE, parts=3), 1
            ),
            model.ChannelIndex(
                "admin", "receipt", summary(76.0, (60.0, 88.0), 18, model.TOO_FEW, parts=2), 0
            ),
            model.ChannelIndex("health", "kiosk", summary(87.5, (84.0, 90.5), 200, model.MEETS), 0),
        ),
        viewer_role="manager" if officers else "viewer",
        funnels=(_funnel("counter"), *((_funnel("officer"),) if officers else ())),
        voices=(
            model.VoiceUse("C01", "Xã Một", "bru", 12, 9),
            model.VoiceUse("C01", "Xã Một", "vi", 40, 6),
            model.VoiceUse("C01", "Xã Một", None, 3, 0),
        ),
        reorganisations=(
            model.Reorganisation(dt.date(2026, 7, 1), "merge", ("D02", "D03"), ("D09",)),
            model.Reorganisation(dt.date(2026, 7, 1), "split", ("D04",), ("D05", "D06"), 7),
        ),
        outcomes=model.Outcomes(
            ratings=(
                model.OutcomeIndex("admin", "on-time", 81.25, (70.5, 89.1), 40, 44),
                model.OutcomeIndex("admin", "late", 55.0, (38.2, 70.7), 12, 12),
                model.OutcomeIndex("admin", "pending", None, None, 0, 2),
            ),
            response_rates=(
                model.OutcomeRate("on-time", 80, 44, 55.0),
                model.OutcomeRate("late", 20, 12, 60.0),
                model.OutcomeRate("pending", 9, 2, 22.222),
            ),
            national=(
                model.NationalRow("", "", service_index(90, 10, 4), 3, 71.4),
                model.NationalRow("D01", "Huyện Một", service_index(60, 2, 1), 1, 74.0),
                model.NationalRow("D02", "Huyện Hai", service_index(0, 0, 0), 0, None),
            ),
            not_computed=NOT_COMPUTED,
        ),
    )
    return report


def without_data(report: model.Report) -> model.Report:
    """The same report with the first kind's summary emptied (no data)."""
    first = report.kinds[0]
    empty = model.Summary(None, None, 0, 0, 0, 0, None, model.NO_DATA, first.summary.target)
    return dataclasses.replace(
        report, kinds=(dataclasses.replace(first, summary=empty), *report.kinds[1:])
    )


# -- the reports of each period, for the page's layout -----------------------------------------

PERIODS = {
    "week": model.PeriodRef(
        "2026-W48", "week", dt.date(2026, 11, 23), dt.date(2026, 11, 29), "2026-W47", None, "week"
    ),
    "month": model.PeriodRef(
        "2026-11", "month", dt.date(2026, 11, 1), dt.date(2026, 11, 30), "2026-10", None, "week"
    ),
    "quarter": model.PeriodRef(
        "2026-Q3",
        "quarter",
        dt.date(2026, 7, 1),
        dt.date(2026, 9, 30),
        "2026-Q2",
        "2026-Q4",
        "week",
    ),
    "year": model.PeriodRef(
        "2025", "year", dt.date(2025, 1, 1), dt.date(2025, 12, 31), "2024", "2026", "month"
    ),
}
SCALE = {"week": 1, "month": 4, "quarter": 13, "year": 52}
TARGET = {"admin": 80.0, "health": 85.0, "education": 80.0}
CITY = model.UnitRef(1, "01", "Thành phố Hà Nội", "province")
CHILDREN = (("001", "Quận Ba Đình"), ("002", "Huyện Sóc Sơn với tên rất dài của đơn vị hành chính"))


def _verdict(index, ci, n, target, minimum=30):
    if index is None or n == 0:
        return model.NO_DATA
    if n < minimum:
        return model.TOO_FEW
    if ci[0] > target:
        return model.MEETS
    if ci[1] < target:
        return model.MISSES
    return model.TOO_CLOSE


def _ci(share, n):
    if share is None or n == 0:
        return None
    half = min(30.0, 98 / (n**0.5))
    return (max(0.0, share - half), min(100.0, share + half))


def _drawn_summary(index, n, target, parts=1, pooled=None, responses=None):
    """A summary whose interval, verdict and responses still needed follow from index and n."""
    ci = _ci(index, n)
    verdict = _verdict(index, ci, n, target)
    more = None
    if verdict == model.TOO_CLOSE:
        variance = ((ci[1] - ci[0]) / 2 / 1.96 / 100) ** 2
        more = scoring.more_responses_needed(index, variance, n, target)
    return summary(
        index,
        ci,
        n,
        verdict,
        target=target,
        parts=parts,
        pooled=pooled,
        responses=responses,
        more=more,
    )


def _kind(kind: str, period: model.PeriodRef, rng: random.Random) -> model.KindReport:
    q = questionnaires.get(kind, {"health": "2019.1"}.get(kind, "2026.1"))
    scale = SCALE[period.kind]
    target = TARGET[kind]
    factors = []
    for f in q.factors:
        criteria = []
        for item in f.items:
            answers = rng.randint(40, 90) * scale
            share = rng.uniform(55, 97)
            sat = round(answers * share / 100)
            criteria.append(
                criterion(
                    item.code,
                    f.code,
                    100 * sat / answers,
                    _ci(100 * sat / answers, answers),
                    sat,
                    answers,
                    rng.randint(0, 9),
                    1 + 4 * share / 100,
                    text=item.text,
                )
            )
        criteria.sort(key=lambda c: c.share)
        idx = sum(c.share for c in criteria) / len(criteria)
        factors.append(
            model.Factor(
                code=f.code,
                title=f.title,
                index=idx,
                ci95=_ci(idx, 60 * scale),
                pooled=idx + rng.uniform(-2, 2),
                mean=1 + 4 * idx / 100,
                answers=sum(c.answers for c in criteria),
                parts=3,
                criteria=tuple(criteria),
            )
        )
    factors.sort(key=lambda f: f.index)
    rows = []
    for code, name in CHILDREN:
        value = rng.uniform(60, 92)
        n = rng.randint(20, 60) * scale
        rows.append(
            row(
                int(code),
                code,
                name,
                _drawn_summary(value, n, target, parts=2),
                {f.code: value + rng.uniform(-5, 5) for f in factors},
                previous=value - 1.5,
                change=1.5,
                previous_n=n,
            )
        )
    own_value = rng.uniform(70, 90)
    rows.append(
        row(
            CITY.id,
            CITY.code,
            CITY.name,
            _drawn_summary(own_value, 12, target),
            {f.code: own_value for f in factors},
            own=True,
        )
    )
    rows.sort(key=lambda r: r.summary.index)
    index = sum(r.summary.index for r in rows) / len(rows)
    n = sum(r.summary.n for r in rows)
    trend_keys = _trend_keys(period)
    trend = tuple(
        model.TrendPoint(
            key,
            start,
            end,
            None if i == 2 else (value := index + rng.uniform(-6, 6)),
            n // 4,
            None if i == 2 else _ci(value, n // 4),
            i in (0, len(trend_keys) - 1),
        )
        for i, (key, start, end) in enumerate(trend_keys)
    )
    overall_items = q.overall
    overall = None
    if overall_items is not None:
        answers = n - 5
        overall = criterion(
            overall_items.code,
            "",
            81.25,
            _ci(81.25, answers),
            round(answers * 0.8125),
            answers,
            4,
            4.1,
            text=overall_items.text,
        )
    return model.KindReport(
        kind=kind,
        method=q.method,
        title=q.title,
        own_wording=q.own_wording,
        source=q.source,
        summary=_drawn_summary(index, n, target, parts=len(rows), pooled=index + 1.37),
        previous_index=index - 2.5,
        change=2.5,
        factors=tuple(factors),
        criteria=tuple(sorted((c for f in factors for c in f.criteria), key=lambda c: c.share)),
        overall=overall,
        comprehensive=(model.Comprehensive(42.5, n, _ci(42.5, n)) if kind == "health" else None),
        children=tuple(rows),
        trend=trend,
        targets={str(period.start.year): target},
        versions=(q.version,),
    )


def _trend_keys(period: model.PeriodRef):
    if period.trend_grain == "month":
        year = period.start.year
        return [
            (f"{year}-{m:02d}", dt.date(year, m, 1), dt.date(year, m, 28)) for m in range(1, 13)
        ]
    end = period.end
    monday = end - dt.timedelta(days=end.weekday())
    weeks = 13 if period.kind == "quarter" else 12
    out = []
    for back in range(weeks - 1, -1, -1):
        start = monday - dt.timedelta(weeks=back)
        iso = start.isocalendar()
        out.append((f"{iso[0]}-W{iso[1]:02d}", start, start + dt.timedelta(days=6)))
    return out


def period_report(period_kind: str = "week", seed: int = 7) -> model.Report:
    rng = random.Random(seed)
    period = PERIODS[period_kind]
    scale = SCALE[period_kind]
    kinds = tuple(_kind(k, period, rng) for k in ("admin", "health", "education"))
    units = tuple((k.kind, row) for k in kinds for row in k.children)
    funnel = scoring.Funnel(target=TARGET["admin"], answers_per_response=5.0, design_effect=2.5)

    def placed(kind, group, responses, share):
        """A breakdown row with its funnel limits and where it stands."""
        low95, high95 = funnel.limits(responses, scoring.Z95_LIMIT)
        low998, high998 = funnel.limits(responses, scoring.Z998_LIMIT)
        position = (
            model.ALARM
            if share < low998
            else model.WARNING
            if share < low95
            else model.ABOVE
            if share > high95
            else model.WITHIN
        )
        return breakdown(
            kind,
            group,
            responses,
            responses * 5,
            share,
            _ci(share, responses),
            ((float(low95), float(high95)), (float(low998), float(high998))),
            position,
        )

    counters = tuple(
        placed("admin", (unit, f"Quầy {i}"), 30 * scale, 70.0 + 4 * i)
        for unit, _name in CHILDREN
        for i in range(1, 4)
    )
    procedures = tuple(
        placed("admin", (code,), 25 * scale, share)
        for code, share in (("1.001234", 62.5), ("2.000451", 78.0), ("1.004455.000.00.H26", 88.0))
    )
    officers = tuple(
        placed("admin", ("001", f"CB{i:03d}"), 15 * scale, 60.0 + 7 * i) for i in range(1, 4)
    )
    funnels = tuple(
        funnel_plot(
            dimension,
            funnel.target,
            funnel.design_effect,
            funnel.answers_per_response,
            (
                model.FunnelLimit(
                    n,
                    tuple(float(v) for v in funnel.limits(n, scoring.Z95_LIMIT)),
                    tuple(float(v) for v in funnel.limits(n, scoring.Z998_LIMIT)),
                )
                for n in (10, 30, 100, 300, 1000, 5000)
            ),
        )
        for dimension in ("counter", "officer")
    )
    alerts = tuple(
        model.Alert(k.kind, row, row.summary.verdict == model.MISSES, i == 0)
        for k in kinds
        for i, row in enumerate(k.children[:1])
    )
    hours = tuple(range(7, 18))
    grid = tuple(
        tuple(
            model.HeatCell(rng.randint(0, 40) if d < 5 else rng.randint(0, 5), rng.uniform(0, 40))
            for _h in hours
        )
        for d in range(7)
    )
    reasons = (
        model.Reason("waiting", 40, 50.0),
        model.Reason("attitude", 24, 30.0),
        model.Reason("health_wayfinding", 16, 20.0),
    )
    rate_units = tuple(
        model.ReceiptRate(code, name, 200, 120, 90, 30, 2, 45.0, 60.0) for code, name in CHILDREN
    )
    rate_total = model.ReceiptRate("", "", 400, 240, 180, 60, 4, 45.0, 60.0)
    comparison = tuple(
        model.ChannelIndex(k.kind, ch, _drawn_summary(v, n * scale, k.summary.target), 2)
        for k in kinds
        for ch, v, n in (("kiosk", 84.25, 120), ("receipt", 76.5, 40), ("poster", 70.0, 9))
    )
    return model.Report(
        period=period,
        unit=CITY,
        settings=SETTINGS,
        kinds=kinds,
        units=units,
        alerts=alerts,
        left_out=model.LeftOut(
            3,
            1,
            4,
            False,
            (
                model.LeftOutRow(
                    dt.datetime(2026, 11, 24, 9, 15), "001", "admin", "kiosk", "Quầy 1", True, False
                ),
            ),
        ),
        counters=counters,
        procedures=procedures,
        officers=officers,
        officers_hidden=2,
        officers_min=10,
        heatmap=model.Heatmap(hours, grid, 40),
        reasons=reasons,
        reasons_responses=80,
        comments=(
            model.Comment(
                dt.datetime(2026, 11, 27, 10, 2),
                "001",
                "admin",
                "Cán bộ hướng dẫn tận tình, nhưng phải chờ lâu ở quầy số 2.",
            ),
        ),
        comments_total=1,
        response_rate=model.ResponseRate(rate_units, rate_total),
        channel_comparison=comparison,
        viewer_role="admin",
        funnels=funnels,
    )
