"""A hand-built typed report (`collector.reports.model.Report`) for renderer tests: two kinds
(administrative services, SIPAS method, a province with two districts and its own responses;
health, pooled, with comprehensive satisfaction), every section non-empty. The figures are made
up (they need not add up): renderers only show them.

`sample_report()` is what a manager sees; `sample_report(officers=False)` what a viewer sees
(no per-officer results)."""

from __future__ import annotations

import dataclasses
import datetime as dt

from collector.dossiers.national import NOT_COMPUTED, service_index
from collector.reports import model

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
SETTINGS = model.Settings(min_responses=30, include_unofficial=False, drop_points=10.0)


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


def _breakdown(kind, group, responses, answers, share, ci, limits=None, position=None):
    low95, low998 = limits or (None, None)
    return model.Breakdown(
        kind, tuple(group), responses, answers, share, ci, low95, low998, position
    )


def _funnel(dimension: str) -> model.FunnelPlot:
    return model.FunnelPlot(
        dimension=dimension,
        kind="admin",
        target=80.0,
        design_effect=2.345,
        answers_per_response=4.75,
        curve=(
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
            _breakdown(
                "admin",
                ["D02", "Q1"],
                31,
                155,
                58.0,
                (50.1, 65.5),
                ((74.0, 86.0), (70.5, 89.5)),
                model.ALARM,
            ),
            _breakdown(
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
            _breakdown(
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
            _breakdown(
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
