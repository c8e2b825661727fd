"""The report, built from counts (`ReportData`) by small section builders into the typed report
(`collector.reports.model`). Every figure comes from `shared.scoring`; this module only arranges
counts into arrays and the results into the types.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from collector.models.reports import RESPONDENTS
from collector.reports import cross, model
from collector.reports.counts import ANY_REASON
from collector.reports.data import ReportData
from collector.reports.weeks import local_today
from shared import scoring
from shared.questionnaires import KINDS
from shared.text import normalise_text

#: Officers are shown only from this many responses up (methodology section 7).
MIN_OFFICER_RATINGS = 10
#: At most this many rows in the lists (comments, left-out responses).
MAX_LISTED = 300
CHANNEL_ORDER = ("kiosk", "receipt", "poster")

Targets = Mapping[str, Mapping[int | str, float]]


def _num(value: float | np.floating | None) -> float | None:
    if value is None:
        return None
    value = float(value)
    return None if math.isnan(value) else value


def _interval(bounds: np.ndarray) -> model.Interval | None:
    low, high = float(bounds[0]), float(bounds[1])
    return None if math.isnan(low) or math.isnan(high) else (low, high)


def _worst_first(items, key):
    """Lowest figure first, those without data last (stable for ties)."""

    def sort_key(item):
        value = key(item)
        return (value is None, value if value is not None else 0.0)

    return tuple(sorted(items, key=sort_key))


@dataclass(frozen=True)
class _Units:
    """The report's units as positions in arrays, with their tree."""

    ids: np.ndarray
    codes: list[str]
    names: list[str]
    tree: scoring.Tree
    root: int
    children: np.ndarray  #: positions of the root's direct children, in code order

    @classmethod
    def of(cls, units: pd.DataFrame, root_id: int) -> _Units:
        ids = units["id"].astype(int).to_numpy()
        position = {int(u): i for i, u in enumerate(ids)}
        parent = np.array(
            [
                position.get(int(p), -1) if not pd.isna(p) and int(u) != root_id else -1
                for u, p in zip(ids, units["parent_id"], strict=True)
            ],
            dtype=int,
        )
        root = position[root_id]
        return cls(
            ids=ids,
            codes=[str(c) for c in units["code"]],
            names=[str(n) for n in units["name"]],
            tree=scoring.Tree(parent),
            root=root,
            children=np.flatnonzero(parent == root),
        )

    def position(self, unit_ids: pd.Series) -> np.ndarray:
        lookup = pd.Series(np.arange(len(self.ids)), index=self.ids)
        return lookup.reindex(unit_ids.astype(int)).to_numpy()

    def around(self, unit_ids) -> _Units:
        """The units of `unit_ids` with their ancestors and the root, in the same order: a
        kind's arrays need only the units that have its responses and those above them."""
        keep = np.zeros(len(self.ids), dtype=bool)
        keep[self.root] = True
        parent = self.tree.parent
        for start in self.position(pd.Series(sorted(set(unit_ids)), dtype=int)):
            if np.isnan(start):
                continue
            node = int(start)
            while node >= 0 and not keep[node]:
                keep[node] = True
                node = int(parent[node])
        positions = np.flatnonzero(keep)
        renumber = np.full(len(self.ids), -1)
        renumber[positions] = np.arange(len(positions))
        sub_parent = np.where(parent[positions] >= 0, renumber[parent[positions]], -1)
        root = int(renumber[self.root])
        return _Units(
            ids=self.ids[positions],
            codes=[self.codes[i] for i in positions],
            names=[self.names[i] for i in positions],
            tree=scoring.Tree(sub_parent),
            root=root,
            children=np.flatnonzero(sub_parent == root),
        )


def _counts_arrays(
    frame: pd.DataFrame,
    layout: scoring.Layout,
    units: _Units,
    groups: int,
    group_column: str,
) -> scoring.Counts:
    """Long count rows -> `Counts` of shape (units, groups, criteria)."""
    shape = (len(units.ids), groups)
    counts = scoring.Counts.zeros(shape, len(layout.criteria))
    if frame.empty:
        return counts
    pos = units.position(frame["unit_id"])
    group = frame[group_column].to_numpy(dtype=int)
    keep = ~np.isnan(pos.astype(float))
    column = pd.Series(np.arange(len(layout.criteria)), index=list(layout.criteria))
    col = column.reindex(frame["code"]).to_numpy()
    items = keep & ~pd.isna(col)
    where = (pos[items].astype(int), group[items], col[items].astype(int))
    for name in ("satisfied", "answered", "no_opinion", "value_sum"):
        np.add.at(getattr(counts, name), where, frame[name].to_numpy(dtype=float)[items])
    people = keep & (frame["code"].to_numpy() == RESPONDENTS)
    at = (pos[people].astype(int), group[people])
    answered = frame["answered"].to_numpy(dtype=float)[people]
    np.add.at(counts.respondents, at, answered)
    np.add.at(counts.all_satisfied, at, frame["satisfied"].to_numpy(dtype=float)[people])
    np.add.at(counts.responses, at, answered + frame["no_opinion"].to_numpy(dtype=float)[people])
    return counts


class _CrossSource:
    """A kind's stored cross-products, decoded and summed per unit position and group (the
    rows of the channels, versions and days that serve it), then laid out as the arrays
    `shared.scoring` reads."""

    def __init__(self, frame: pd.DataFrame, layout: scoring.Layout, units: _Units, column: str):
        self.criteria = len(layout.criteria)
        self.units = len(units.ids)
        self.parts: list[tuple[np.ndarray, np.ndarray, np.ndarray, int, np.ndarray]] = []
        if frame.empty:
            return
        pos = units.position(frame["unit_id"])
        keep = ~np.isnan(pos.astype(float))
        frame = frame[keep].assign(position=pos[keep].astype(int))
        column_of = {code: j for j, code in enumerate(layout.criteria)}
        for codes_text, rows in frame.groupby("codes", sort=False):
            codes = tuple(str(codes_text).split(",")) if codes_text else ()
            if not codes or any(c not in column_of for c in codes):
                continue  # not this kind's criteria (written straight into the database)
            packed, good = cross.decode(codes, list(rows["data"]))
            rows = rows[good]
            if rows.empty:
                continue
            # Sum the rows serving the same unit and group (channels, versions, days).
            target = rows["position"].to_numpy() * 1_000_003 + rows[column].to_numpy(dtype=int)
            order = np.argsort(target, kind="stable")
            target, packed = target[order], packed[order]
            starts = np.flatnonzero(np.r_[True, target[1:] != target[:-1]])
            sums = np.add.reduceat(packed, starts, axis=0)
            chosen = target[starts]
            cols = np.array([column_of[c] for c in codes], dtype=int)
            self.parts.append((chosen // 1_000_003, chosen % 1_000_003, cols, len(codes), sums))

    def arrays(self, groups: int) -> scoring.Cross:
        """Every unit's cross-products in every group: (units, groups, criteria, criteria)."""
        out = scoring.Cross.zeros((self.units, groups), self.criteria)
        for number, (positions, group, cols, count, sums) in enumerate(self.parts):
            part = cross.unpack(sums, count)
            if count == self.criteria and (cols == np.arange(count)).all():
                # The kind's own order: whole matrices, set (faster) where nothing is yet.
                for target, matrices in ((out.yy, part.yy), (out.ya, part.ya), (out.aa, part.aa)):
                    if number == 0:
                        target[positions, group] = matrices
                    else:
                        target[positions, group] += matrices
                continue
            index = (
                positions[:, None, None],
                group[:, None, None],
                cols[None, :, None],
                cols[None, None, :],
            )
            out.yy[index] += part.yy  # (unit, group) unique in a part: no repeated index
            out.ya[index] += part.ya
            out.aa[index] += part.aa
        return out


@dataclass(frozen=True)
class _Scored:
    """One kind's counts scored: each unit on its own and with all below it."""

    layout: scoring.Layout
    counts: scoring.Counts  #: (units, groups): each unit's own
    own: scoring.Scores  #: `counts` scored, with intervals
    subtree: scoring.Counts  #: (units, groups): the unit's counts with all below it
    pooled: scoring.Scores  #: `subtree` scored: the pooled figures (no intervals)
    rolled: scoring.RolledUp  #: (units, groups): the mean of the parts, and factors

    @classmethod
    def of(
        cls,
        layout: scoring.Layout,
        counts: scoring.Counts,
        units: _Units,
        source: _CrossSource,
        min_n: int,
    ) -> _Scored:
        measured = dataclasses.replace(counts, cross=source.arrays(counts.responses.shape[1]))
        subtree = scoring.subtree_totals(units.tree, counts)
        # Every group's index with its interval; the factors' intervals of the first group
        # only (the period: the trend and the previous period show the index alone).
        rolled = scoring.roll_up(units.tree, layout, measured, min_n, factor_spread=False)
        first = scoring.roll_up(units.tree, layout, measured.take((slice(None), [0])), min_n)
        spread = {
            name: np.concatenate([getattr(first, name), getattr(rolled, name)[:, 1:]], axis=1)
            for name in ("factor_variance", "factor_interval")
        }
        return cls(
            layout=layout,
            counts=counts,
            own=scoring.score_counts(layout, measured, factor_spread=False),
            subtree=subtree,
            pooled=scoring.score_counts(layout, subtree),
            rolled=dataclasses.replace(rolled, **spread),
        )

    def summary(self, unit: int, group: int, target: float, min_n: int) -> model.Summary:
        """A unit with everything below it: the mean of its parts."""
        r = self.rolled
        return self._summary(
            r.value[unit, group],
            r.variance[unit, group],
            r.interval[unit, group],
            int(r.parts[unit, group]),
            self.subtree,
            self.pooled,
            (unit, group),
            target,
            min_n,
        )

    def own_summary(self, unit: int, group: int, target: float, min_n: int) -> model.Summary:
        """A unit's own responses only."""
        value = self.own.index[unit, group]
        return self._summary(
            value,
            self.own.index_variance[unit, group],
            self.own.index_ci[unit, group],
            0 if math.isnan(value) else 1,
            self.counts,
            self.own,
            (unit, group),
            target,
            min_n,
        )

    @staticmethod
    def _summary(
        value, variance, interval, parts, counts, scores, at, target, min_n
    ) -> model.Summary:
        n = int(counts.respondents[at])
        index, ci = _num(value), _interval(interval)
        verdict = scoring.verdict(index, ci, n, target, min_n)
        more = (
            scoring.more_responses_needed(index, _num(variance), n, target)
            if verdict == scoring.TOO_CLOSE
            else None
        )
        return model.Summary(
            index=index,
            ci95=ci,
            n=n,
            responses=int(counts.responses[at]),
            answers=int(scores.answers[at]),
            parts=parts,
            pooled=_num(scores.index[at]),
            verdict=verdict,
            target=target,
            more_needed=more,
        )


def _criterion(code, factor, text, counts: scoring.Counts, scores: scoring.Scores, at, col):
    return model.Criterion(
        code=code,
        factor=factor,
        text=text,
        share=_num(scores.share[(*at, col)]),
        ci95=_interval(scores.share_ci[(*at, col)]),
        satisfied=int(counts.satisfied[(*at, col)]),
        answers=int(counts.answered[(*at, col)]),
        no_opinion=int(counts.no_opinion[(*at, col)]),
        mean=_num(scores.mean[(*at, col)]),
    )


def _overall(data: ReportData, kind: str, texts, units: _Units) -> model.Criterion | None:
    question = texts["overall"]
    if question is None:
        return None
    layout = scoring.Layout("sipas", (question.code,), ("",), ("",))
    frame = data.counts[(data.counts["kind"] == kind) & (data.counts["bucket"] == 0)]
    counts = _counts_arrays(frame, layout, units, 1, "bucket").total(axis=0)
    if not counts.answered.sum() and not counts.no_opinion.sum():
        return None
    scores = scoring.score_counts(layout, counts)
    return _criterion(question.code, "", question.text, counts, scores, (0,), 0)


def _unit_row(scored: _Scored, units: _Units, unit: int, own: bool, target, settings):
    group, before = 0, 1
    if own:
        summary = scored.own_summary(unit, group, target, settings.min_responses)
        previous = _num(scored.own.index[unit, before])
        previous_n = int(scored.own.n[unit, before])
        factors = scored.own.factor[unit, group]
    else:
        summary = scored.summary(unit, group, target, settings.min_responses)
        previous = _num(scored.rolled.value[unit, before])
        previous_n = int(scored.subtree.respondents[unit, before])
        factors = scored.rolled.factor[unit, group]
    change = (
        summary.index - previous if summary.index is not None and previous is not None else None
    )
    return model.UnitRow(
        id=int(units.ids[unit]),
        code=units.codes[unit],
        name=units.names[unit],
        own=own,
        summary=summary,
        factors={code: _num(factors[f]) for f, code in enumerate(scored.layout.factors)},
        previous_index=previous,
        change=change,
        previous_n=previous_n,
        pooled=bool((scored.rolled.own_pooled if own else scored.rolled.pooled)[unit, group]),
    )


def _partial(bucket, today) -> bool:
    """A trend bucket that is not a whole ISO week or month, or not yet over."""
    if bucket.end >= today:
        return True
    if bucket.kind == "week":
        return bucket.start.weekday() != 0 or bucket.end.weekday() != 6
    if bucket.kind == "month":
        after = bucket.end + dt.timedelta(days=1)
        return bucket.start.day != 1 or after.day != 1
    return False


def _pooled_part(scored: _Scored, units: _Units, root: int):
    r = scored.rolled
    n = int(r.pool_n[root, 0])
    if not n:
        return None
    return model.PooledPart(
        units=tuple(units.codes[c] for c in units.children if r.pooled[c, 0]),
        own=bool(r.own_pooled[root, 0]),
        n=n,
        index=_num(r.pool_index[root, 0]),
        ci95=_interval(r.pool_interval[root, 0]),
        weight=float(r.pool_weight[root, 0]),
    )


def _kind_report(
    data: ReportData, kind: str, all_units: _Units, settings: model.Settings, targets: Targets
) -> tuple[model.KindReport, list[model.UnitRow]] | None:
    frame = data.counts[data.counts["kind"] == kind]
    if frame.empty:
        return None
    units = all_units.around(frame["unit_id"].unique())
    layout, texts = scoring.layout_for(kind, data.versions.get(kind, []))
    counts = _counts_arrays(frame, layout, units, len(data.buckets), "bucket")
    if not counts.responses.sum():
        return None
    target = scoring.target_for(targets, kind, data.period.start.year)
    min_n = settings.min_responses
    source = _CrossSource(data.cross[data.cross["kind"] == kind], layout, units, "bucket")
    scored = _Scored.of(layout, counts, units, source, min_n)
    root = units.root
    top = scored.summary(root, 0, target, min_n)
    at = (root, 0)
    criteria = [
        _criterion(
            code,
            layout.factor_of[j],
            texts["criteria"][code],
            scored.subtree,
            scored.pooled,
            at,
            j,
        )
        for j, code in enumerate(layout.criteria)
    ]
    r = scored.rolled
    factors = [
        model.Factor(
            code=code,
            title=texts["factors"][code],
            index=_num(r.factor[root, 0, f]),
            ci95=_interval(r.factor_interval[root, 0, f]),
            pooled=_num(scored.pooled.factor[root, 0, f]),
            mean=_num(scored.pooled.factor_mean[root, 0, f]),
            answers=int(scored.pooled.factor_answers[root, 0, f]),
            parts=int(r.factor_parts[root, 0, f]),
            criteria=_worst_first([c for c in criteria if c.factor == code], lambda c: c.share),
        )
        for f, code in enumerate(layout.factors)
    ]
    comprehensive = None
    if layout.method == "pooled":
        comprehensive = model.Comprehensive(
            share=_num(scored.pooled.comprehensive[root, 0]),
            respondents=int(scored.subtree.respondents[root, 0]),
            ci95=_interval(scored.pooled.comprehensive_ci[root, 0]),
        )
    children = []
    if len(units.children):
        if not math.isnan(scored.own.index[root, 0]) or counts.responses[root, 0]:
            children.append(_unit_row(scored, units, root, True, target, settings))
        for child in units.children:
            if scored.subtree.responses[child, 0]:
                children.append(_unit_row(scored, units, int(child), False, target, settings))
    previous = _num(r.value[root, 1])
    today = local_today()
    trend = tuple(
        model.TrendPoint(
            key=bucket.key,
            start=bucket.start,
            end=bucket.end,
            index=_num(r.value[root, b]),
            n=int(scored.subtree.respondents[root, b]),
            ci95=_interval(r.interval[root, b]),
            partial=_partial(bucket, today),
        )
        for b, bucket in enumerate(data.buckets)
        if b >= 2
    )
    own_rows = [
        _unit_row(scored, units, int(u), True, target, settings)
        for u in np.flatnonzero(counts.responses[:, 0] > 0)
    ]
    report = model.KindReport(
        kind=kind,
        method=layout.method,
        title=texts["title"],
        own_wording=texts["own_wording"],
        source=texts["source"],
        summary=top,
        previous_index=previous,
        change=top.index - previous if top.index is not None and previous is not None else None,
        factors=_worst_first(factors, lambda f: f.index),
        criteria=_worst_first(criteria, lambda c: c.share),
        overall=_overall(data, kind, texts, units),
        comprehensive=comprehensive,
        children=_worst_first(children, lambda c: c.summary.index),
        trend=trend,
        targets={str(y): float(v) for y, v in targets[kind].items()},
        versions=tuple(data.period_versions.get(kind, ())),
        pooled_part=_pooled_part(scored, units, root) if len(units.children) else None,
    )
    return report, own_rows


def _channel_comparison(
    data: ReportData, all_units: _Units, settings: model.Settings, targets: Targets
) -> tuple[model.ChannelIndex, ...]:
    """Each kind's index over each channel's official responses (methodology section 9)."""
    out = []
    frame = data.channel_counts
    if frame.empty:
        return ()
    official = data.cross[(data.cross["bucket"] == 0) & ~data.cross["unofficial"]]
    for kind in KINDS:
        of_kind = frame[frame["kind"] == kind]
        if of_kind.empty:
            continue
        units = all_units.around(of_kind["unit_id"].unique())
        layout, _ = scoring.layout_for(kind, data.versions.get(kind, []))
        target = scoring.target_for(targets, kind, data.period.start.year)
        channels = [c for c in CHANNEL_ORDER if c in set(of_kind["channel"])]
        channels += sorted(set(of_kind["channel"]) - set(CHANNEL_ORDER))
        number = {c: i for i, c in enumerate(channels)}
        grouped = of_kind.assign(group=of_kind["channel"].map(number))
        counts = _counts_arrays(grouped, layout, units, len(channels), "group")
        kind_cross = official[official["kind"] == kind]
        kind_cross = kind_cross.assign(group=kind_cross["channel"].map(number))
        kind_cross = kind_cross[kind_cross["group"].notna()]
        source = _CrossSource(kind_cross, layout, units, "group")
        scored = _Scored.of(layout, counts, units, source, settings.min_responses)
        for g, channel in enumerate(channels):
            if not scored.subtree.responses[units.root, g]:
                continue
            out.append(
                model.ChannelIndex(
                    kind=kind,
                    channel=channel,
                    summary=scored.summary(units.root, g, target, settings.min_responses),
                    suspect_left_out=int(data.suspect_by_channel.get((kind, channel), 0)),
                )
            )
    return tuple(out)


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


def _breakdowns(
    groups: pd.DataFrame,
    dimension: str,
    units: _Units,
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
                        model.FunnelLimit(int(c), _interval(low), _interval(high))
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
            share = _num(shares[i])
            l95 = _interval(limits95[i]) if plot is not None else None
            l998 = _interval(limits998[i]) if plot is not None else None
            out.append(
                model.Breakdown(
                    kind=str(kind),
                    group=group,
                    responses=int(row["responses"]),
                    answers=int(row["answered"]),
                    share=share,
                    ci95=_interval(intervals[i]),
                    limits95=l95,
                    limits998=l998,
                    position=_position(share, l95, l998),
                )
            )
    return out, funnels


def _heatmap(groups: pd.DataFrame) -> model.Heatmap:
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


def _reasons(groups: pd.DataFrame) -> tuple[tuple[model.Reason, ...], int]:
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


def _lists(data: ReportData, units: _Units, settings: model.Settings):
    code_of = dict(zip(units.ids.tolist(), units.codes, strict=True))
    comments = (
        tuple(
            model.Comment(
                time=_local(row.local_time),
                unit=code_of.get(int(row.unit_id), str(row.unit_id)),
                kind=str(row.kind),
                comment=str(row.comment),
            )
            for row in data.comments.head(MAX_LISTED).itertuples()
        )
        if not data.comments.empty
        else ()
    )
    left_rows = (
        tuple(
            model.LeftOutRow(
                time=_local(row.local_time),
                unit=code_of.get(int(row.unit_id), str(row.unit_id)),
                kind=str(row.kind),
                channel=str(row.channel),
                counter=None if pd.isna(row.counter) else normalise_text(str(row.counter)),
                suspect=bool(row.suspect),
                broken=bool(row.broken),
            )
            for row in data.left_out.head(MAX_LISTED).itertuples()
        )
        if not data.left_out.empty
        else ()
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


def _response_rate(data: ReportData, units: _Units) -> model.ResponseRate:
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


def _alerts(rows: list[tuple[str, model.UnitRow]], settings: model.Settings):
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


def build_report(
    data: ReportData,
    settings: model.Settings,
    targets: Targets,
    *,
    show_officers: bool = True,
    viewer_role: str = "system",
) -> model.Report:
    """The report of `data.root_id` and everything below it for `data.period`."""
    units = _Units.of(data.units, data.root_id)
    root = data.units.iloc[units.root]
    kinds, unit_rows = [], []
    for kind in KINDS:
        built = _kind_report(data, kind, units, settings, targets)
        if built is not None:
            kinds.append(built[0])
            unit_rows += [(kind, row) for row in built[1]]
    year = data.period.start.year
    kind_targets = {k: scoring.target_for(targets, k, year) for k in targets}
    officers_all, officer_funnels = _breakdowns(
        data.groups, "officer", units, by_unit=True, targets=kind_targets
    )
    officers = [o for o in officers_all if o.responses >= MIN_OFFICER_RATINGS]
    counters, counter_funnels = _breakdowns(
        data.groups, "counter", units, by_unit=True, targets=kind_targets
    )
    procedures, _ = _breakdowns(
        data.groups, "procedure", units, by_unit=False, targets=kind_targets
    )
    reasons, with_reasons = _reasons(data.groups)
    comments, left_out = _lists(data, units, settings)
    return model.Report(
        period=data.period.ref(),
        unit=model.UnitRef(
            id=int(root["id"]),
            code=str(root["code"]),
            name=str(root["name"]),
            kind=str(root["kind"]),
        ),
        settings=settings,
        kinds=tuple(kinds),
        units=tuple(unit_rows),
        alerts=_alerts(unit_rows, settings),
        left_out=left_out,
        counters=_worst_first(counters, lambda b: b.share),
        procedures=_worst_first(procedures, lambda b: b.share),
        officers=_worst_first(officers, lambda b: b.share) if show_officers else None,
        officers_hidden=len(officers_all) - len(officers) if show_officers else None,
        officers_min=MIN_OFFICER_RATINGS,
        heatmap=_heatmap(data.groups),
        reasons=reasons,
        reasons_responses=with_reasons,
        comments=comments,
        comments_total=int(data.comments_total),
        response_rate=_response_rate(data, units),
        channel_comparison=_channel_comparison(data, units, settings, targets),
        viewer_role=viewer_role,
        funnels=tuple(counter_funnels + (officer_funnels if show_officers else [])),
    )
