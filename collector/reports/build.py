"""The report, built from counts (`ReportData`) by small section builders into the typed report
(`collector.reports.model`). Every figure comes from `shared.scoring`; this module only arranges
counts into arrays and the results into the types.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping

import numpy as np

from collector.periods import local_today
from collector.reports import model, sections
from collector.reports.arrays import (
    CrossSource,
    Scored,
    Units,
    counts_arrays,
    interval_of,
    value_of,
)
from collector.reports.data import ReportData
from collector.reports.voices import voice_use
from shared import scoring
from shared.questionnaires import KINDS

#: Officers are shown only from this many responses up (methodology section 7).
MIN_OFFICER_RATINGS = 10
CHANNEL_ORDER = ("kiosk", "receipt", "poster")

Targets = Mapping[str, Mapping[int | str, float]]


def _worst_first(items, key):
    """Lowest figure first, those without data last (stable for ties)."""

    def sort_key(item):
        value = key(item)
        return (value is None, value if value is not None else 0.0)

    return tuple(sorted(items, key=sort_key))


def _criterion(code, factor, text, counts: scoring.Counts, scores: scoring.Scores, at, col):
    return model.Criterion(
        code=code,
        factor=factor,
        text=text,
        share=value_of(scores.share[(*at, col)]),
        ci95=interval_of(scores.share_ci[(*at, col)]),
        satisfied=int(counts.satisfied[(*at, col)]),
        answers=int(counts.answered[(*at, col)]),
        no_opinion=int(counts.no_opinion[(*at, col)]),
        mean=value_of(scores.mean[(*at, col)]),
    )


def _overall(data: ReportData, kind: str, texts, units: Units) -> model.Criterion | None:
    question = texts["overall"]
    if question is None:
        return None
    layout = scoring.Layout("sipas", (question.code,), ("",), ("",))
    frame = data.counts[(data.counts["kind"] == kind) & (data.counts["bucket"] == 0)]
    counts = counts_arrays(frame, layout, units, 1, "bucket").total(axis=0)
    if not counts.answered.sum() and not counts.no_opinion.sum():
        return None
    scores = scoring.score_counts(layout, counts)
    return _criterion(question.code, "", question.text, counts, scores, (0,), 0)


def _unit_row(scored: Scored, units: Units, unit: int, own: bool, target, settings):
    group, before = 0, 1
    if own:
        summary = scored.own_summary(unit, group, target, settings.min_responses)
        previous = value_of(scored.own.index[unit, before])
        previous_n = int(scored.own.n[unit, before])
        factors = scored.own.factor[unit, group]
    else:
        summary = scored.summary(unit, group, target, settings.min_responses)
        previous = value_of(scored.rolled.value[unit, before])
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
        factors={code: value_of(factors[f]) for f, code in enumerate(scored.layout.factors)},
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


def _pooled_part(scored: Scored, units: Units, root: int):
    r = scored.rolled
    n = int(r.pool_n[root, 0])
    if not n:
        return None
    return model.PooledPart(
        units=tuple(units.codes[c] for c in units.children if r.pooled[c, 0]),
        own=bool(r.own_pooled[root, 0]),
        n=n,
        index=value_of(r.pool_index[root, 0]),
        ci95=interval_of(r.pool_interval[root, 0]),
        weight=float(r.pool_weight[root, 0]),
    )


def _criteria_and_factors(scored: Scored, layout, texts, root: int):
    """A kind's criteria (pooled shares) and factors (rolled up), worst first within each."""
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
            index=value_of(r.factor[root, 0, f]),
            ci95=interval_of(r.factor_interval[root, 0, f]),
            pooled=value_of(scored.pooled.factor[root, 0, f]),
            mean=value_of(scored.pooled.factor_mean[root, 0, f]),
            answers=int(scored.pooled.factor_answers[root, 0, f]),
            parts=int(r.factor_parts[root, 0, f]),
            criteria=_worst_first([c for c in criteria if c.factor == code], lambda c: c.share),
        )
        for f, code in enumerate(layout.factors)
    ]
    return criteria, factors


def _trend(scored: Scored, root: int, buckets) -> tuple[model.TrendPoint, ...]:
    """The root's index in each trend bucket (the buckets after the period and the previous)."""
    r = scored.rolled
    today = local_today()
    return tuple(
        model.TrendPoint(
            key=bucket.key,
            start=bucket.start,
            end=bucket.end,
            index=value_of(r.value[root, b]),
            n=int(scored.subtree.respondents[root, b]),
            ci95=interval_of(r.interval[root, b]),
            partial=_partial(bucket, today),
        )
        for b, bucket in enumerate(buckets)
        if b >= 2
    )


def _kind_report(
    data: ReportData, kind: str, all_units: Units, settings: model.Settings, targets: Targets
) -> tuple[model.KindReport, list[model.UnitRow]] | None:
    frame = data.counts[data.counts["kind"] == kind]
    if frame.empty:
        return None
    units = all_units.around(frame["unit_id"].unique())
    layout, texts = scoring.layout_for(kind, data.versions.get(kind, []))
    counts = counts_arrays(frame, layout, units, len(data.buckets), "bucket")
    if not counts.responses.sum():
        return None
    target = scoring.target_for(targets, kind, data.period.start.year)
    min_n = settings.min_responses
    source = CrossSource(data.cross[data.cross["kind"] == kind], layout, units, "bucket")
    scored = Scored.of(layout, counts, units, source, min_n)
    root = units.root
    top = scored.summary(root, 0, target, min_n)
    criteria, factors = _criteria_and_factors(scored, layout, texts, root)
    r = scored.rolled
    comprehensive = None
    if layout.method == "pooled":
        comprehensive = model.Comprehensive(
            share=value_of(scored.pooled.comprehensive[root, 0]),
            respondents=int(scored.subtree.respondents[root, 0]),
            ci95=interval_of(scored.pooled.comprehensive_ci[root, 0]),
        )
    children = []
    if len(units.children):
        if not math.isnan(scored.own.index[root, 0]) or counts.responses[root, 0]:
            children.append(_unit_row(scored, units, root, True, target, settings))
        for child in units.children:
            if scored.subtree.responses[child, 0]:
                children.append(_unit_row(scored, units, int(child), False, target, settings))
    previous = value_of(r.value[root, 1])
    trend = _trend(scored, root, data.buckets)
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
    data: ReportData, all_units: Units, settings: model.Settings, targets: Targets
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
        counts = counts_arrays(grouped, layout, units, len(channels), "group")
        kind_cross = official[official["kind"] == kind]
        kind_cross = kind_cross.assign(group=kind_cross["channel"].map(number))
        kind_cross = kind_cross[kind_cross["group"].notna()]
        source = CrossSource(kind_cross, layout, units, "group")
        scored = Scored.of(layout, counts, units, source, settings.min_responses)
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


def build_report(
    data: ReportData,
    settings: model.Settings,
    targets: Targets,
    *,
    show_officers: bool = True,
    viewer_role: str = "system",
) -> model.Report:
    """The report of `data.root_id` and everything below it for `data.period`."""
    units = Units.of(data.units, data.root_id)
    root = data.units.iloc[units.root]
    kinds, unit_rows = [], []
    for kind in KINDS:
        built = _kind_report(data, kind, units, settings, targets)
        if built is not None:
            kinds.append(built[0])
            unit_rows += [(kind, row) for row in built[1]]
    year = data.period.start.year
    kind_targets = {k: scoring.target_for(targets, k, year) for k in targets}
    officers_all, officer_funnels = sections.breakdowns(
        data.groups, "officer", units, by_unit=True, targets=kind_targets
    )
    officers = [o for o in officers_all if o.responses >= MIN_OFFICER_RATINGS]
    counters, counter_funnels = sections.breakdowns(
        data.groups, "counter", units, by_unit=True, targets=kind_targets
    )
    procedures, _ = sections.breakdowns(
        data.groups, "procedure", units, by_unit=False, targets=kind_targets
    )
    reasons, with_reasons = sections.reasons_of(data.groups)
    comments, left_out = sections.lists(data, units, settings)
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
        alerts=sections.alerts(unit_rows, settings),
        left_out=left_out,
        counters=_worst_first(counters, lambda b: b.share),
        procedures=_worst_first(procedures, lambda b: b.share),
        officers=_worst_first(officers, lambda b: b.share) if show_officers else None,
        officers_hidden=len(officers_all) - len(officers) if show_officers else None,
        officers_min=MIN_OFFICER_RATINGS,
        heatmap=sections.heatmap(data.groups),
        reasons=reasons,
        reasons_responses=with_reasons,
        comments=comments,
        comments_total=int(data.comments_total),
        response_rate=sections.response_rate(data, units),
        channel_comparison=_channel_comparison(data, units, settings, targets),
        viewer_role=viewer_role,
        funnels=tuple(counter_funnels + (officer_funnels if show_officers else [])),
        voices=voice_use(data),
    )
