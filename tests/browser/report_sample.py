"""Hand-built typed reports (collector.reports.model) for the page's layout tests: a province with
two districts and its own responses, the three kinds, every section filled, for a week, a month, a
quarter and a year. The figures are made up but consistent enough to read (parents are the mean of
their parts); the page's arithmetic is tested on real reports elsewhere."""

from __future__ import annotations

import datetime as dt
import random

from collector.reports import model
from shared import questionnaires, scoring

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
UNIT = model.UnitRef(1, "01", "Thành phố Hà Nội", "province")
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


def _summary(index, n, target, parts=1, pooled=None, responses=None):
    ci = _ci(index, n)
    verdict = _verdict(index, ci, n, target)
    more = None
    if verdict == model.TOO_CLOSE:
        variance = ((ci[1] - ci[0]) / 2 / 1.96 / 100) ** 2
        more = scoring.more_responses_needed(index, variance, n, target)
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
                model.Criterion(
                    code=item.code,
                    factor=f.code,
                    text=item.text,
                    share=100 * sat / answers,
                    ci95=_ci(100 * sat / answers, answers),
                    satisfied=sat,
                    answers=answers,
                    no_opinion=rng.randint(0, 9),
                    mean=1 + 4 * share / 100,
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
            model.UnitRow(
                id=int(code),
                code=code,
                name=name,
                own=False,
                summary=_summary(value, n, target, parts=2),
                factors={f.code: value + rng.uniform(-5, 5) for f in factors},
                previous_index=value - 1.5,
                change=1.5,
                previous_n=n,
            )
        )
    own_value = rng.uniform(70, 90)
    rows.append(
        model.UnitRow(
            id=UNIT.id,
            code=UNIT.code,
            name=UNIT.name,
            own=True,
            summary=_summary(own_value, 12, target),
            factors={f.code: own_value for f in factors},
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
        overall = model.Criterion(
            overall_items.code,
            "",
            overall_items.text,
            81.25,
            _ci(81.25, answers),
            round(answers * 0.8125),
            answers,
            4,
            4.1,
        )
    return model.KindReport(
        kind=kind,
        method=q.method,
        title=q.title,
        own_wording=q.own_wording,
        source=q.source,
        summary=_summary(index, n, target, parts=len(rows), pooled=index + 1.37),
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


def sample_report(period_kind: str = "week", seed: int = 7) -> model.Report:
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
        return model.Breakdown(
            kind,
            group,
            responses,
            responses * 5,
            share,
            _ci(share, responses),
            (float(low95), float(high95)),
            (float(low998), float(high998)),
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
    curve = (10, 30, 100, 300, 1000, 5000)
    funnels = tuple(
        model.FunnelPlot(
            dimension,
            "admin",
            funnel.target,
            funnel.design_effect,
            funnel.answers_per_response,
            tuple(
                model.FunnelLimit(
                    n,
                    tuple(float(v) for v in funnel.limits(n, scoring.Z95_LIMIT)),
                    tuple(float(v) for v in funnel.limits(n, scoring.Z998_LIMIT)),
                )
                for n in curve
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
        model.ChannelIndex(k.kind, ch, _summary(v, n * scale, k.summary.target), 2)
        for k in kinds
        for ch, v, n in (("kiosk", 84.25, 120), ("receipt", 76.5, 40), ("poster", 70.0, 9))
    )
    return model.Report(
        period=period,
        unit=UNIT,
        settings=model.Settings(min_responses=30, include_unofficial=False, drop_points=10.0),
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
