"""The report's sections that are not a kind's index: the breakdowns by counter, procedure and
officer with their funnel plots, the hour-by-weekday heatmap, the reasons, the comment and
left-out lists, the receipts' response rate and the alerts.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from collector.counts.refresh import ANY_REASON
from collector.reports import model
from collector.reports.arrays import Units, interval_of, value_of
from collector.reports.data import ReportData
from shared import scoring
from shared.text import normalise_text

#: At most this many rows in the lists (comments, left-out responses).
MAX_LISTED = 300


def _dimension(groups: pd.DataFrame, dimension: str) -> pd.DataFrame:
    """The group rows of one dimension, their values as every report shows text from a device:
    normalised (a row written straight into the database may hold control characters), and rows
    left without a value dropped."""
    if groups.empty:
        return groups
    rows = groups[groups["dimension"] == dimension]
    values = rows["value"].map(lambda v: normalise_text(v) if isinstance(v, str) else "")
    rows = rows.assign(value=values)
    return rows[rows["value"] != ""]


_SUMS = ["responses", "answered", "satisfied", "satisfied_sq", "satisfied_answered", "answered_sq"]
#: The funnel's curve is drawn at these numbers of responses (and at each group's own).
_CURVE = (5, 10, 15, 20, 30, 40, 50, 75, 100, 150, 200, 300, 500, 750, 1000, 2000, 5000)


def _ratio_counts(sums: pd.DataFrame) -> scoring.RatioCounts:
    return scoring.RatioCounts(
        responses=sums["responses"].to_numpy(dtype=float),
        satisfied=sums["satisfied"].to_numpy(dtype=float),
        answered=sums["answered"].to_numpy(dtype=float),
        satisfied_sq=sums["satisfied_sq"].to_numpy(dtype=float),
        cross=sums["satisfied_answered"].to_numpy(dtype=float),
        answered_sq=sums["answered_sq"].to_numpy(dtype=float),
    )


def _position(share: float | None, limits95, limits998) -> str | None:
    if share is None or limits95 is None:
        return None
    if share < limits998[0]:
        return model.ALARM
    if share < limits95[0]:
        return model.WARNING
    if share > limits95[1]:
        return model.ABOVE
    return model.WITHIN


def breakdowns(
    groups: pd.DataFrame,
    dimension: str,
    units: Units,
    by_unit: bool,
    targets: Mapping[str, float],
) -> tuple[list[model.Breakdown], list[model.FunnelPlot]]:
    """The pooled satisfied share of every answer per group value (and unit), with its
    response-clustered interval, and where it stands in the kind's funnel around the target."""
    rows = _dimension(groups, dimension)
    if rows.empty:
        return [], []
    keys = ["kind", "unit_id", "value"] if by_unit else ["kind", "value"]
    code_of = dict(zip(units.ids.tolist(), units.codes, strict=True))
    out, funnels = [], []
    for kind, of_kind in rows.groupby("kind", sort=True):
        sums = of_kind.groupby(keys, sort=True)[_SUMS].sum()
        ratio = _ratio_counts(sums)
        shares, _, intervals = scoring.ratio_share(ratio)
        target = targets.get(str(kind))
        plot = scoring.funnel(ratio, target) if target is not None else None
        if plot is not None:
            n = sums["responses"].to_numpy(dtype=float)
            limits95 = plot.limits(n, scoring.Z95_LIMIT)
            limits998 = plot.limits(n, scoring.Z998_LIMIT)
            curve = np.array(_CURVE, dtype=float)
            funnels.append(
                model.FunnelPlot(
                    dimension=dimension,
                    kind=str(kind),
                    target=float(target),
                    design_effect=plot.design_effect,
                    answers_per_response=plot.answers_per_response,
                    curve=tuple(
                        model.FunnelLimit(int(c), interval_of(low), interval_of(high))
                        for c, low, high in zip(
                            curve,
                            plot.limits(curve, scoring.Z95_LIMIT),
                            plot.limits(curve, scoring.Z998_LIMIT),
                            strict=True,
                        )
                    ),
                )
            )
        for i, (key, row) in enumerate(sums.iterrows()):
            group = (
                (code_of.get(int(key[1]), str(key[1])), str(key[2])) if by_unit else (str(key[1]),)
            )
            share = value_of(shares[i])
            l95 = interval_of(limits95[i]) if plot is not None else None
            l998 = interval_of(limits998[i]) if plot is not None else None
            out.append(
                model.Breakdown(
                    kind=str(kind),
                    group=group,
                    responses=int(row["responses"]),
                    answers=int(row["answered"]),
                    share=share,
                    ci95=interval_of(intervals[i]),
                    limits95=l95,
                    limits998=l998,
                    position=_position(share, l95, l998),
                )
            )
    return out, funnels


def heatmap(groups: pd.DataFrame) -> model.Heatmap:
    rows = groups[groups["dimension"] == "hour"] if not groups.empty else groups
    if rows.empty:
        return model.Heatmap(hours=(), grid=(), peak=0)
    # Summed per "D-HH" value first (at most 7 x 24 of them, whatever the number of units and
    # buckets), then the values are read as a weekday and an hour.
    by_value = rows.groupby("value")[["responses", "answered", "low"]].sum()
    day_hour = by_value.index.to_series().str.split("-", expand=True).astype(int)
    cells = by_value.set_index([day_hour[0].rename("day"), day_hour[1].rename("hour")])
    found = {key: row for key, row in cells.iterrows()}
    hours = list(range(int(day_hour[1].min()), int(day_hour[1].max()) + 1))
    grid = []
    for day in range(7):
        row = []
        for hour in hours:
            cell = found.get((day, hour))
            ratings = int(cell["responses"]) if cell is not None else 0
            answered = int(cell["answered"]) if cell is not None else 0
            low = int(cell["low"]) if cell is not None else 0
            row.append(model.HeatCell(ratings, 100.0 * low / answered if answered else None))
        grid.append(tuple(row))
    return model.Heatmap(hours=tuple(hours), grid=tuple(grid), peak=int(cells["responses"].max()))


def reasons_of(groups: pd.DataFrame) -> tuple[tuple[model.Reason, ...], int]:
    rows = _dimension(groups, "reason")
    if rows.empty:
        return (), 0
    totals = rows.groupby("value")["responses"].sum()
    with_reasons = int(totals.get(ANY_REASON, 0))
    listed = totals.drop(ANY_REASON, errors="ignore").sort_values(ascending=False, kind="stable")
    reasons = tuple(
        model.Reason(
            str(code), int(count), 100.0 * int(count) / with_reasons if with_reasons else 0.0
        )
        for code, count in sorted(listed.items(), key=lambda kv: (-kv[1], kv[0]))
    )
    return reasons, with_reasons


def _local(value) -> object:
    return pd.Timestamp(value).to_pydatetime()


def lists(data: ReportData, units: Units, settings: model.Settings):
    code_of = dict(zip(units.ids.tolist(), units.codes, strict=True))

    def listed(frame: pd.DataFrame, make) -> tuple:
        """The first MAX_LISTED rows of `frame`, each made with its time in local time and its
        unit's code (or id, for a unit no longer in the tree)."""
        return tuple(
            make(
                row,
                time=_local(row.local_time),
                unit=code_of.get(int(row.unit_id), str(row.unit_id)),
                kind=str(row.kind),
            )
            for row in frame.head(MAX_LISTED).itertuples()
        )

    comments = listed(
        data.comments, lambda row, **common: model.Comment(**common, comment=str(row.comment))
    )
    left_rows = listed(
        data.left_out,
        lambda row, **common: model.LeftOutRow(
            **common,
            channel=str(row.channel),
            counter=None if pd.isna(row.counter) else normalise_text(str(row.counter)),
            suspect=bool(row.suspect),
            broken=bool(row.broken),
        ),
    )
    left_out = model.LeftOut(
        suspect=int(data.left_out_suspect),
        broken=int(data.left_out_broken),
        total=int(data.left_out_total),
        included=settings.include_unofficial,
        rows=left_rows,
    )
    return comments, left_out


def _share(part: int, whole: int) -> float | None:
    return 100.0 * part / whole if whole else None


def response_rate(data: ReportData, units: Units) -> model.ResponseRate:
    code_of = dict(zip(units.ids.tolist(), units.codes, strict=True))
    name_of = dict(zip(units.ids.tolist(), units.names, strict=True))
    rows = []
    keys = ("issued", "opened", "answered", "expired", "revoked")
    receipts = data.receipts
    if receipts is not None and not receipts.empty:
        for row in receipts.itertuples(index=False):
            uid = int(row.unit_id)
            values = {k: int(getattr(row, k)) for k in keys}
            rows.append(
                model.ReceiptRate(
                    code=code_of.get(uid, str(uid)),
                    name=name_of.get(uid, ""),
                    **values,
                    answered_share=_share(values["answered"], values["issued"]),
                    opened_share=_share(values["opened"], values["issued"]),
                )
            )
    rows.sort(key=lambda r: r.code)
    total = {k: sum(getattr(r, k) for r in rows) for k in keys}
    return model.ResponseRate(
        units=tuple(rows),
        total=model.ReceiptRate(
            code="",
            name="",
            **total,
            answered_share=_share(total["answered"], total["issued"]),
            opened_share=_share(total["opened"], total["issued"]),
        ),
    )


def alerts(rows: list[tuple[str, model.UnitRow]], settings: model.Settings):
    alerts = []
    for kind, row in rows:
        below = row.summary.verdict == scoring.MISSES
        drop = (
            row.change is not None
            and row.change <= -settings.drop_points
            and row.summary.n >= settings.min_responses
            and row.previous_n >= settings.min_responses
        )
        if below or drop:
            alerts.append(model.Alert(kind, row, below, drop))
    alerts.sort(key=lambda a: (a.kind, a.unit.summary.index or 0.0))
    return tuple(alerts)
