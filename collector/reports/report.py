"""The weekly report as data: a pure function of the loaded table (`WeekData`) and the settings.

Every renderer (HTML, CSV, XLSX, JSON, the mail) shows this one structure, so they cannot disagree.
Percentages are floats in 0-100, unrounded; renderers round for display.
"""

from __future__ import annotations

import hashlib
import math
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from collector.reports.loader import TREND_WEEKS, WeekData
from collector.reports.stats import (
    DEFAULT_TARGETS,
    Layout,
    bootstrap_unit_indices,
    percentile_interval,
    roll_up,
    scores_from_counts,
    target_for,
    verdict,
)
from collector.reports.weeks import Week
from shared import questionnaires
from shared.questionnaires import KINDS
from shared.scoring import wilson_interval

#: Officers are shown only from this many ratings up (methodology section 7).
MIN_OFFICER_RATINGS = 10
MAX_LISTED = 300


@dataclass(frozen=True)
class Settings:
    min_responses: int = 30
    targets: Mapping[str, Mapping[int | str, float]] = field(
        default_factory=lambda: DEFAULT_TARGETS
    )
    bootstrap_reps: int = 1000
    #: A fall of at least this many points from last week is a sudden drop.
    drop_points: float = 10.0
    include_unofficial: bool = False


def _seed(*parts: object) -> int:
    text = "|".join(str(p) for p in parts).encode()
    return int.from_bytes(hashlib.sha256(text).digest()[:8], "big")


def _num(value: float | None) -> float | None:
    if value is None:
        return None
    value = float(value)
    return None if math.isnan(value) else value


def layout_for(kind: str, versions: list[str]) -> tuple[Layout, dict[str, Any]]:
    """The criteria of a kind over the versions present, and texts for them."""
    found = [q for q in (questionnaires.get(kind, v) for v in sorted(set(versions))) if q]
    if not found:
        found = [questionnaires.current(kind)]
    criteria: list[str] = []
    factor_of: list[str] = []
    factors: list[str] = []
    texts: dict[str, Any] = {"factors": {}, "criteria": {}, "overall": None}
    for q in found:
        if q.overall and texts["overall"] is None:
            texts["overall"] = q.overall
        for factor in q.factors:
            if factor.code not in factors:
                factors.append(factor.code)
                texts["factors"][factor.code] = factor.title
            for item in factor.items:
                if item.code not in criteria:
                    criteria.append(item.code)
                    factor_of.append(factor.code)
                    texts["criteria"][item.code] = item.text
    texts["title"] = found[0].title
    texts["own_wording"] = any(q.own_wording for q in found)
    texts["source"] = found[0].source
    return Layout(found[0].method, tuple(criteria), tuple(factor_of), tuple(factors)), texts


def _answer_matrix(responses: pd.DataFrame, codes: list[str]) -> np.ndarray:
    """respondents x codes, the answer values with NaN where not answered."""
    if responses.empty:
        return np.empty((0, len(codes)))
    frame = pd.DataFrame.from_records(list(responses["answers"]), columns=codes)
    return frame.to_numpy(dtype=float, na_value=np.nan)


def _descendants(units: pd.DataFrame, root_id: int) -> dict[int, int]:
    """unit id -> the root's child above it (the root itself for the root)."""
    parent = dict(zip(units["id"].astype(int), units["parent_id"], strict=True))
    top: dict[int, int] = {}
    for uid in parent:
        node, path = uid, []
        while node != root_id and node is not None and not pd.isna(node) and node in parent:
            path.append(node)
            if parent[node] == root_id:
                break
            node = int(parent[node]) if not pd.isna(parent[node]) else None
        top[uid] = path[-1] if path and parent.get(path[-1]) == root_id else root_id
    return top


class _KindScorer:
    """Scores one kind's responses: per unit, roll-ups over any set of units, and intervals."""

    def __init__(
        self, kind: str, layout: Layout, responses: pd.DataFrame, settings: Settings, week: Week
    ):
        self.kind, self.layout, self.settings, self.week = kind, layout, settings, week
        values = _answer_matrix(responses, list(layout.criteria))
        self.satisfied = (values >= 4).astype(float)
        self.answered = ((values >= 1) & (values <= 5)).astype(float)
        self.no_opinion = (values == 0).astype(float)
        self.unit_of = responses["unit_id"].to_numpy(dtype=int)
        self.units = sorted(set(self.unit_of.tolist()))
        self.rows = {u: np.flatnonzero(self.unit_of == u) for u in self.units}
        self.index: dict[int, float] = {}
        self.factors: dict[int, np.ndarray] = {}
        self.replicates: dict[int, np.ndarray] = {}
        for u, rows in self.rows.items():
            index, factors = scores_from_counts(
                layout, self.satisfied[rows].sum(axis=0), self.answered[rows].sum(axis=0)
            )
            self.index[u] = float(index)
            self.factors[u] = factors
        self.with_data = [u for u in self.units if not math.isnan(self.index[u])]

    def _replicates(self, unit: int) -> np.ndarray:
        if unit not in self.replicates:
            rows = self.rows[unit]
            rng = np.random.default_rng(_seed(self.week, self.kind, unit))
            self.replicates[unit] = bootstrap_unit_indices(
                self.layout,
                self.satisfied[rows],
                self.answered[rows],
                self.settings.bootstrap_reps,
                rng,
            )
        return self.replicates[unit]

    def summary(self, unit_ids: set[int] | None, target: float) -> dict[str, Any]:
        """Index (mean of units' indices), interval, counts and verdict over some units."""
        units = [u for u in self.with_data if unit_ids is None or u in unit_ids]
        all_units = [u for u in self.units if unit_ids is None or u in unit_ids]
        responses = int(sum(len(self.rows[u]) for u in all_units))
        rows = np.concatenate([self.rows[u] for u in all_units]) if all_units else np.array([], int)
        answers = int(self.answered[rows].sum()) if rows.size else 0
        index = roll_up([self.index[u] for u in units])
        interval = None
        if units:
            stacked = np.vstack([self._replicates(u) for u in units])
            interval = percentile_interval(np.nanmean(stacked, axis=0))
        factor_values = (
            np.nanmean(np.vstack([self.factors[u] for u in units]), axis=0)
            if units
            else np.full(len(self.layout.factors), np.nan)
        )
        return {
            "index": _num(index),
            "ci95": list(interval) if interval else None,
            "responses": responses,
            "answers": answers,
            "units_with_data": len(units),
            "verdict": verdict(index, interval, responses, target, self.settings.min_responses),
            "target": target,
            "factor_values": factor_values,
            "rows": rows,
        }


def _criteria_table(scorer: _KindScorer, rows: np.ndarray, texts: dict) -> list[dict]:
    table = []
    for col, code in enumerate(scorer.layout.criteria):
        answered = int(scorer.answered[rows, col].sum()) if rows.size else 0
        satisfied = int(scorer.satisfied[rows, col].sum()) if rows.size else 0
        interval = wilson_interval(satisfied, answered)
        table.append(
            {
                "code": code,
                "factor": scorer.layout.factor_of[col],
                "text": texts["criteria"][code],
                "share": 100.0 * satisfied / answered if answered else None,
                "satisfied": satisfied,
                "answers": answered,
                "no_opinion": int(scorer.no_opinion[rows, col].sum()) if rows.size else 0,
                "ci95": list(interval) if interval else None,
            }
        )
    return table


def _worst_first(items: list[dict], key: str) -> list[dict]:
    return sorted(items, key=lambda d: (d[key] is None, d[key] if d[key] is not None else 0))


def _trend(
    counts: pd.DataFrame, kind: str, layout: Layout, weeks: list[Week], include: bool
) -> list[dict]:
    """Index (mean of units) and responses per week, from the weekly counts."""
    out = []
    frame = counts[counts["kind"] == kind] if not counts.empty else counts
    if not include and not frame.empty:
        frame = frame[~frame["unofficial"].astype(bool)]
    for week in weeks:
        rows = frame[frame["week"] == week.monday] if not frame.empty else frame
        responses = int(rows.loc[rows["code"] == "*", "answered"].sum()) if not rows.empty else 0
        index = None
        items = rows[rows["code"].isin(layout.criteria)] if not rows.empty else rows
        if not items.empty:
            grouped = items.groupby(["unit_id", "code"])[["satisfied", "answered"]].sum()
            sat = grouped["satisfied"].unstack("code").reindex(columns=list(layout.criteria))
            ans = grouped["answered"].unstack("code").reindex(columns=list(layout.criteria))
            unit_index, _ = scores_from_counts(
                layout, sat.fillna(0).to_numpy(), ans.fillna(0).to_numpy()
            )
            index = roll_up(list(unit_index))
        out.append({"week": str(week), "index": _num(index), "responses": responses})
    return out


def _breakdown(responses: pd.DataFrame, by: list[str], all_codes: dict[str, list[str]]) -> list:
    """Responses and the pooled satisfied share of answers per group and kind."""
    out = []
    if responses.empty:
        return out
    for keys, group in responses.groupby(["kind", *by], sort=True):
        kind = keys[0]
        values = _answer_matrix(group, all_codes[kind])
        answered = int(((values >= 1) & (values <= 5)).sum())
        satisfied = int((values >= 4).sum())
        interval = wilson_interval(satisfied, answered)
        out.append(
            {
                "kind": kind,
                "group": list(keys[1:]),
                "responses": len(group),
                "answers": answered,
                "share": 100.0 * satisfied / answered if answered else None,
                "ci95": list(interval) if interval else None,
            }
        )
    return out


def _heatmap(responses: pd.DataFrame) -> dict[str, Any]:
    """Ratings and the dissatisfied share of answers (1-2 of 1-5) by weekday and local hour."""
    cells: dict[tuple[int, int], list[int]] = {}
    for when, answers in zip(responses["local_time"], responses["answers"], strict=True):
        key = (when.weekday(), when.hour)
        cell = cells.setdefault(key, [0, 0, 0])
        cell[0] += 1
        for value in answers.values():
            if 1 <= value <= 5:
                cell[1] += 1
                cell[2] += value <= 2
    hours = sorted({h for _, h in cells})
    hours = list(range(min(hours), max(hours) + 1)) if hours else []
    grid = []
    for day in range(7):
        row = []
        for hour in hours:
            ratings, answered, low = cells.get((day, hour), [0, 0, 0])
            row.append(
                {
                    "ratings": ratings,
                    "dissatisfied": 100.0 * low / answered if answered else None,
                }
            )
        grid.append(row)
    peak = max((c[0] for c in cells.values()), default=0)
    return {"hours": hours, "grid": grid, "peak": peak}


def weekly_report(data: WeekData, settings: Settings = Settings()) -> dict[str, Any]:  # noqa: B008
    """The weekly report of `data.root_id` and its subtree for `data.week`."""
    week = data.week
    units = data.units
    code_of = dict(zip(units["id"].astype(int), units["code"], strict=True))
    name_of = dict(zip(units["id"].astype(int), units["name"], strict=True))
    root_row = units[units["id"] == data.root_id].iloc[0]
    top_of = _descendants(units, data.root_id)
    children = [int(u) for u in units.loc[units["parent_id"] == data.root_id, "id"].astype(int)]
    subtree_of_child = {c: {u for u, t in top_of.items() if t == c} for c in children}

    responses = data.responses
    unofficial = responses[responses["unofficial"]] if not responses.empty else responses
    used = (
        responses
        if settings.include_unofficial or responses.empty
        else responses[~responses["unofficial"]]
    )
    trend_weeks = week.last(TREND_WEEKS)

    kinds: dict[str, Any] = {}
    all_codes: dict[str, list[str]] = {}
    unit_rows: list[dict] = []
    for kind in KINDS:
        of_kind = used[used["kind"] == kind] if not used.empty else used
        versions = list(of_kind["version"].unique()) if not of_kind.empty else []
        if not data.counts.empty:
            versions += list(data.counts.loc[data.counts["kind"] == kind, "version"].unique())
        layout, texts = layout_for(kind, versions)
        overall = texts["overall"].code if texts["overall"] else None
        all_codes[kind] = list(layout.criteria) + ([overall] if overall else [])
        trend = _trend(data.counts, kind, layout, trend_weeks, settings.include_unofficial)
        if of_kind.empty and not any(t["responses"] for t in trend):
            continue
        target = target_for(settings.targets, kind, week.monday.year)
        scorer = _KindScorer(kind, layout, of_kind.reset_index(drop=True), settings, week)
        top = scorer.summary(None, target)
        rows = top.pop("rows")
        factor_values = top.pop("factor_values")
        criteria = _criteria_table(scorer, rows, texts)
        factors = []
        for f_index, code in enumerate(layout.factors):
            factors.append(
                {
                    "code": code,
                    "title": texts["factors"][code],
                    "index": _num(factor_values[f_index]),
                    "criteria": [c for c in criteria if c["factor"] == code],
                }
            )
        trend[-1]["index"] = top["index"]  # this week's point is computed from the responses
        trend[-1]["responses"] = top["responses"]
        previous = trend[-2]["index"] if len(trend) > 1 else None
        change = (
            top["index"] - previous if top["index"] is not None and previous is not None else None
        )
        entry: dict[str, Any] = {
            "kind": kind,
            "method": layout.method,
            "title": texts["title"],
            "own_wording": texts["own_wording"],
            "source": texts["source"],
            **top,
            "previous_index": previous,
            "change": change,
            "rollup": top["units_with_data"] > 1,
            "factors": _worst_first(factors, "index"),
            "criteria": _worst_first(criteria, "share"),
            "trend": trend,
            "targets": {str(y): float(v) for y, v in settings.targets[kind].items()},
        }
        if overall and not of_kind.empty:
            values = _answer_matrix(of_kind, [overall])[:, 0]
            answered = int(((values >= 1) & (values <= 5)).sum())
            satisfied = int((values >= 4).sum())
            interval = wilson_interval(satisfied, answered)
            entry["overall_question"] = {
                "code": overall,
                "text": texts["overall"].text,
                "share": 100.0 * satisfied / answered if answered else None,
                "answers": answered,
                "ci95": list(interval) if interval else None,
            }
        if layout.method == "pooled" and rows.size:
            answered_any = scorer.answered[rows].sum(axis=1) > 0
            all_satisfied = (scorer.answered[rows] == scorer.satisfied[rows]).all(axis=1)
            n = int(answered_any.sum())
            k = int((answered_any & all_satisfied).sum())
            interval = wilson_interval(k, n)
            entry["comprehensive"] = {
                "share": 100.0 * k / n if n else None,
                "respondents": n,
                "ci95": list(interval) if interval else None,
            }
        child_rows = []
        own = scorer.summary({data.root_id}, target)
        if own["responses"] and children:
            own.pop("rows"), own.pop("factor_values")
            child_rows.append(
                {
                    "id": data.root_id,
                    "code": code_of[data.root_id],
                    "name": name_of[data.root_id],
                    "own": True,
                    **own,
                }
            )
        for child in children:
            summary = scorer.summary(subtree_of_child[child], target)
            summary.pop("rows"), summary.pop("factor_values")
            if summary["responses"]:
                child_rows.append(
                    {
                        "id": child,
                        "code": code_of[child],
                        "name": name_of[child],
                        "own": False,
                        **summary,
                    }
                )
        entry["children"] = _worst_first(child_rows, "index")
        # Every unit with its own responses, for the alert list.
        previous_by_unit = _unit_previous(
            data.counts, kind, layout, week.previous(), settings.include_unofficial
        )
        for unit in scorer.units:
            summary = scorer.summary({unit}, target)
            summary.pop("rows"), summary.pop("factor_values")
            before = previous_by_unit.get(unit)
            unit_rows.append(
                {
                    "kind": kind,
                    "id": unit,
                    "code": code_of[unit],
                    "name": name_of[unit],
                    **summary,
                    "previous_index": before[0] if before else None,
                    "previous_responses": before[1] if before else 0,
                    "change": (
                        summary["index"] - before[0]
                        if before and before[0] is not None and summary["index"] is not None
                        else None
                    ),
                }
            )
        kinds[kind] = entry

    alerts = []
    for row in unit_rows:
        below = row["verdict"] == "misses"
        drop = (
            row["change"] is not None
            and row["change"] <= -settings.drop_points
            and row["responses"] >= settings.min_responses
            and row["previous_responses"] >= settings.min_responses
        )
        if below or drop:
            alerts.append({**row, "below_target": below, "sudden_drop": drop})
    alerts.sort(key=lambda a: (a["kind"], a["index"] if a["index"] is not None else 0))

    reasons = Counter(
        code for codes in (used["reasons"] if not used.empty else []) for code in (codes or ())
    )
    with_reasons = int(sum(1 for codes in (used["reasons"] if not used.empty else []) if codes))
    commented = used[used["comment"].fillna("").str.strip() != ""] if not used.empty else used
    commented = commented.sort_values("submitted_at", ascending=False) if not used.empty else used
    return {
        "week": str(week),
        "week_start": week.monday.isoformat(),
        "week_end": week.sunday.isoformat(),
        "unit": {
            "id": data.root_id,
            "code": root_row["code"],
            "name": root_row["name"],
            "kind": root_row["kind"],
        },
        "settings": {
            "min_responses": settings.min_responses,
            "include_unofficial": settings.include_unofficial,
            "bootstrap_reps": settings.bootstrap_reps,
            "drop_points": settings.drop_points,
        },
        "kinds": kinds,
        "units": unit_rows,
        "alerts": alerts,
        "unofficial": {
            "suspect": int(unofficial["suspect"].sum()) if not unofficial.empty else 0,
            "broken": int(unofficial["broken"].sum()) if not unofficial.empty else 0,
            "total": len(unofficial),
            "included": settings.include_unofficial,
            "rows": [
                {
                    "time": row.local_time.strftime("%Y-%m-%d %H:%M"),
                    "unit": code_of[int(row.unit_id)],
                    "kind": row.kind,
                    "channel": row.channel,
                    "counter": row.counter,
                    "suspect": bool(row.suspect),
                    "broken": bool(row.broken),
                }
                for row in unofficial.sort_values("submitted_at").head(MAX_LISTED).itertuples()
            ]
            if not unofficial.empty
            else [],
        },
        "channels": _breakdown(used, ["channel"], all_codes),
        "counters": [
            {**row, "group": [code_of[int(row["group"][0])], row["group"][1]]}
            for row in _breakdown(used, ["unit_id", "counter"], all_codes)
        ],
        #: Responses carry no procedure yet; the hook stays for when they do.
        "procedures": None,
        #: Responses carry no officer yet; shown to managers only, from MIN_OFFICER_RATINGS up.
        "officers": None,
        "heatmap": _heatmap(used) if not used.empty else {"hours": [], "grid": [], "peak": 0},
        "reasons": [
            {"code": code, "count": count, "share": 100.0 * count / with_reasons}
            for code, count in reasons.most_common()
        ],
        "reasons_responses": with_reasons,
        "comments": [
            {
                "time": row.local_time.strftime("%Y-%m-%d %H:%M"),
                "unit": code_of[int(row.unit_id)],
                "kind": row.kind,
                "comment": row.comment,
            }
            for row in commented.head(MAX_LISTED).itertuples()
        ]
        if not commented.empty
        else [],
        "comments_total": len(commented),
    }


def _unit_previous(
    counts: pd.DataFrame, kind: str, layout: Layout, week: Week, include: bool
) -> dict[int, tuple[float | None, int]]:
    """unit id -> (index, responses) of last week, from the weekly counts."""
    if counts.empty:
        return {}
    frame = counts[(counts["kind"] == kind) & (counts["week"] == week.monday)]
    if not include:
        frame = frame[~frame["unofficial"].astype(bool)]
    if frame.empty:
        return {}
    responses = frame[frame["code"] == "*"].groupby("unit_id")["answered"].sum()
    items = frame[frame["code"].isin(layout.criteria)]
    out: dict[int, tuple[float | None, int]] = {
        int(u): (None, int(n)) for u, n in responses.items()
    }
    if not items.empty:
        grouped = items.groupby(["unit_id", "code"])[["satisfied", "answered"]].sum()
        sat = grouped["satisfied"].unstack("code").reindex(columns=list(layout.criteria))
        ans = grouped["answered"].unstack("code").reindex(columns=list(layout.criteria))
        index, _ = scores_from_counts(layout, sat.fillna(0).to_numpy(), ans.fillna(0).to_numpy())
        for unit, value in zip(sat.index, index, strict=True):
            out[int(unit)] = (_num(value), out.get(int(unit), (None, 0))[1])
    return out
