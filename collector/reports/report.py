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

from collector.receipts.report import channel_comparison, response_rate
from collector.reports.loader import TREND_WEEKS, WeekData
from collector.reports.stats import (
    DEFAULT_TARGETS,
    Layout,
    bootstrap_unit_indices,
    layout_for,
    percentile_interval,
    roll_up,
    scores_from_counts,
    target_for,
    verdict,
)
from collector.reports.weeks import Week
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
        self,
        kind: str,
        layout: Layout,
        values: np.ndarray,
        unit_of: np.ndarray,
        settings: Settings,
        week: Week,
    ):
        self.kind, self.layout, self.settings, self.week = kind, layout, settings, week
        self.satisfied = (values >= 4).astype(float)
        self.answered = ((values >= 1) & (values <= 5)).astype(float)
        self.no_opinion = (values == 0).astype(float)
        self.unit_of = unit_of
        order = np.argsort(unit_of, kind="stable")
        units, starts, sizes = np.unique(unit_of[order], return_index=True, return_counts=True)
        self.units = [int(u) for u in units]
        self.rows = {
            int(u): order[start : start + size]
            for u, start, size in zip(units, starts, sizes, strict=True)
        }
        self.size = {int(u): int(n) for u, n in zip(units, sizes, strict=True)}
        if self.units:
            sat = np.add.reduceat(self.satisfied[order], starts, axis=0)
            ans = np.add.reduceat(self.answered[order], starts, axis=0)
            index, factors = scores_from_counts(layout, sat, ans)
            self.answers = dict(zip(self.units, ans.sum(axis=1).astype(int).tolist(), strict=True))
        else:
            index, factors = np.array([]), np.empty((0, len(layout.factors)))
            self.answers = {}
        self.index = dict(zip(self.units, index.tolist(), strict=True))
        self.factors = dict(zip(self.units, factors, strict=True))
        self.with_data = [u for u in self.units if not math.isnan(self.index[u])]
        self.replicates: dict[int, np.ndarray] = {}

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

    def unit_summary(self, unit: int, target: float) -> dict[str, Any]:
        """The summary of one unit's own responses."""
        index = self.index[unit]
        interval = None
        if not math.isnan(index):
            interval = percentile_interval(self._replicates(unit))
        index_or_none = None if math.isnan(index) else index
        return {
            "index": index_or_none,
            "ci95": list(interval) if interval else None,
            "responses": self.size[unit],
            "answers": self.answers[unit],
            "units_with_data": 0 if index_or_none is None else 1,
            "verdict": verdict(
                index_or_none, interval, self.size[unit], target, self.settings.min_responses
            ),
            "target": target,
        }

    def summary(self, unit_ids: set[int] | None, target: float) -> dict[str, Any]:
        """Index (mean of units' indices), interval, counts and verdict over some units."""
        units = [u for u in self.with_data if unit_ids is None or u in unit_ids]
        all_units = [u for u in self.units if unit_ids is None or u in unit_ids]
        responses = sum(self.size[u] for u in all_units)
        answers = sum(self.answers[u] for u in all_units)
        index = roll_up([self.index[u] for u in units])
        interval = None
        if len(units) == 1:
            interval = percentile_interval(self._replicates(units[0]))
        elif units:
            total = np.zeros(self.settings.bootstrap_reps)
            for u in units:
                total += self._replicates(u)
            interval = percentile_interval(total / len(units))
        return {
            "index": _num(index),
            "ci95": list(interval) if interval else None,
            "responses": int(responses),
            "answers": int(answers),
            "units_with_data": len(units),
            "verdict": verdict(index, interval, responses, target, self.settings.min_responses),
            "target": target,
        }

    def factor_values(self, unit_ids: set[int] | None) -> np.ndarray:
        units = [u for u in self.with_data if unit_ids is None or u in unit_ids]
        if not units:
            return np.full(len(self.layout.factors), np.nan)
        stacked = np.vstack([self.factors[u] for u in units])
        with np.errstate(invalid="ignore"):
            counts = np.sum(~np.isnan(stacked), axis=0)
            return np.where(counts > 0, np.nansum(stacked, axis=0) / np.maximum(counts, 1), np.nan)


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


def _trend(unit_index: pd.Series, responses: pd.Series, weeks: list[Week]) -> list[dict[str, Any]]:
    """Index (mean of units) and responses per week."""
    by_week = unit_index.groupby(level="week").mean() if not unit_index.empty else unit_index
    n_by_week = responses.groupby(level="week").sum() if not responses.empty else responses
    return [
        {
            "week": str(week),
            "index": _num(by_week.get(week.monday.isoformat())) if not by_week.empty else None,
            "responses": (
                int(n_by_week.get(week.monday.isoformat(), 0)) if not n_by_week.empty else 0
            ),
        }
        for week in weeks
    ]


def _breakdown(responses: pd.DataFrame, by: list[str]) -> list[dict[str, Any]]:
    """Responses and the pooled satisfied share of answers per group and kind."""
    if responses.empty:
        return []
    sums = responses.groupby(["kind", *by], sort=True).agg(
        responses=("id", "size"), answered=("n_answered", "sum"), satisfied=("n_satisfied", "sum")
    )
    out = []
    for keys, row in zip(sums.index, sums.itertuples(index=False), strict=True):
        answered, satisfied = int(row.answered), int(row.satisfied)
        interval = wilson_interval(satisfied, answered)
        out.append(
            {
                "kind": keys[0],
                "group": list(keys[1:]),
                "responses": int(row.responses),
                "answers": answered,
                "share": 100.0 * satisfied / answered if answered else None,
                "ci95": list(interval) if interval else None,
            }
        )
    return out


def _procedures_and_officers(used: pd.DataFrame, code_of: dict[int, str]) -> dict[str, Any]:
    """Results by procedure code and by officer code, from the responses' own columns (whatever
    the channel). Officers are listed only from MIN_OFFICER_RATINGS responses up; the report
    service removes them for anyone but managers and admins."""
    procedures = [{**row, "group": [row["group"][0]]} for row in _breakdown(used, ["procedure"])]
    officers, hidden = [], 0
    for row in _breakdown(used, ["unit_id", "officer"]):
        if row["responses"] < MIN_OFFICER_RATINGS:
            hidden += 1
        else:
            officers.append({**row, "group": [code_of[int(row["group"][0])], row["group"][1]]})
    return {
        "procedures": _worst_first(procedures, "share"),
        "officers": _worst_first(officers, "share"),
        #: Officers with fewer than MIN_OFFICER_RATINGS responses this week, not listed.
        "officers_hidden": hidden,
        "officers_min": MIN_OFFICER_RATINGS,
    }


def _heatmap(responses: pd.DataFrame) -> dict[str, Any]:
    """Ratings and the dissatisfied share of answers (1-2 of 1-5) by weekday and local hour."""
    if responses.empty:
        return {"hours": [], "grid": [], "peak": 0}
    local = responses["local_time"]
    sums = responses.groupby(
        [local.dt.day_of_week.rename("day"), local.dt.hour.rename("hour")]
    ).agg(ratings=("id", "size"), answered=("n_answered", "sum"), low=("n_low", "sum"))
    cells = {key: row for key, row in zip(sums.index, sums.itertuples(index=False), strict=True)}
    hours_seen = sorted({int(h) for _, h in cells})
    hours = list(range(hours_seen[0], hours_seen[-1] + 1))
    grid = []
    for day in range(7):
        row = []
        for hour in hours:
            cell = cells.get((day, hour))
            ratings = int(cell.ratings) if cell is not None else 0
            answered = int(cell.answered) if cell is not None else 0
            low = int(cell.low) if cell is not None else 0
            row.append(
                {"ratings": ratings, "dissatisfied": 100.0 * low / answered if answered else None}
            )
        grid.append(row)
    return {"hours": hours, "grid": grid, "peak": int(sums["ratings"].max())}


def _answer_values(responses: pd.DataFrame, codes: list[str]) -> np.ndarray:
    """respondents x codes, the answer values with NaN where not answered."""
    column = {code: j for j, code in enumerate(codes)}
    values = np.full((len(responses), len(codes)), np.nan)
    for i, answers in enumerate(responses["answers"]):
        for code, value in answers.items():
            j = column.get(code)
            if j is not None:
                values[i, j] = value
    return values


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
    unit_rows: list[dict] = []
    # Per response, over every question of its kind: answers 1-5, 4-5 and 1-2 (for breakdowns).
    used = used.assign(n_answered=0, n_satisfied=0, n_low=0) if not used.empty else used
    for kind in KINDS:
        of_kind = used[used["kind"] == kind] if not used.empty else used
        layout, texts = layout_for(kind, data.versions.get(kind, []))
        overall = texts["overall"].code if texts["overall"] else None
        unit_week, unit_week_n = data.trend[kind]
        trend = _trend(unit_week, unit_week_n, trend_weeks)
        if of_kind.empty and not any(t["responses"] for t in trend):
            continue
        codes = list(layout.criteria) + ([overall] if overall else [])
        values = _answer_values(of_kind, codes)
        if not of_kind.empty:
            scale = (values >= 1) & (values <= 5)
            used.loc[of_kind.index, "n_answered"] = scale.sum(axis=1)
            used.loc[of_kind.index, "n_satisfied"] = (values >= 4).sum(axis=1)
            used.loc[of_kind.index, "n_low"] = (scale & (values <= 2)).sum(axis=1)
        target = target_for(settings.targets, kind, week.monday.year)
        scorer = _KindScorer(
            kind,
            layout,
            values[:, : len(layout.criteria)],
            of_kind["unit_id"].to_numpy(dtype=int),
            settings,
            week,
        )
        top = scorer.summary(None, target)
        rows = np.arange(len(of_kind))
        factor_values = scorer.factor_values(None)
        criteria = _worst_first(_criteria_table(scorer, rows, texts), "share")
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
            "criteria": criteria,
            "trend": trend,
            "targets": {str(y): float(v) for y, v in settings.targets[kind].items()},
        }
        if overall and not of_kind.empty:
            column = values[:, len(layout.criteria)]
            answered = int(((column >= 1) & (column <= 5)).sum())
            satisfied = int((column >= 4).sum())
            interval = wilson_interval(satisfied, answered)
            entry["overall_question"] = {
                "code": overall,
                "text": texts["overall"].text,
                "share": 100.0 * satisfied / answered if answered else None,
                "answers": answered,
                "ci95": list(interval) if interval else None,
            }
        if layout.method == "pooled" and rows.size:
            answered_any = scorer.answered.sum(axis=1) > 0
            all_satisfied = (scorer.answered == scorer.satisfied).all(axis=1)
            n = int(answered_any.sum())
            k = int((answered_any & all_satisfied).sum())
            interval = wilson_interval(k, n)
            entry["comprehensive"] = {
                "share": 100.0 * k / n if n else None,
                "respondents": n,
                "ci95": list(interval) if interval else None,
            }
        child_rows = []
        if data.root_id in scorer.size and children:
            own = scorer.unit_summary(data.root_id, target)
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
        before_week = week.previous().monday.isoformat()
        for unit in scorer.units:
            summary = scorer.unit_summary(unit, target)
            before = _num(unit_week.get((before_week, unit))) if not unit_week.empty else None
            before_n = int(unit_week_n.get((before_week, unit), 0)) if not unit_week_n.empty else 0
            unit_rows.append(
                {
                    "kind": kind,
                    "id": unit,
                    "code": code_of[unit],
                    "name": name_of[unit],
                    **summary,
                    "previous_index": before,
                    "previous_responses": before_n,
                    "change": (
                        summary["index"] - before
                        if before is not None and summary["index"] is not None
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
        "channels": _breakdown(used, ["channel"]),
        "counters": _worst_first(
            [
                {**row, "group": [code_of[int(row["group"][0])], row["group"][1]]}
                for row in _breakdown(used, ["unit_id", "counter"])
            ],
            "share",
        ),
        **_procedures_and_officers(used, code_of),
        "heatmap": _heatmap(used),
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
        "response_rate": response_rate(data.receipts, code_of, name_of),
        "channel_comparison": channel_comparison(data, settings),
    }
