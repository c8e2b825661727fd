"""A kind's counts laid out as the arrays `shared.scoring` reads: the report's units as positions
with their tree (`Units`), the counts (`counts_arrays`), the stored cross-products
(`CrossSource`), and the counts scored each unit on its own and with all below it (`Scored`).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from collector.counts import cross
from collector.models.reports import RESPONDENTS
from collector.reports import model
from shared import scoring


def value_of(value: float | np.floating | None) -> float | None:
    if value is None:
        return None
    value = float(value)
    return None if math.isnan(value) else value


def interval_of(bounds: np.ndarray) -> model.Interval | None:
    low, high = float(bounds[0]), float(bounds[1])
    return None if math.isnan(low) or math.isnan(high) else (low, high)


@dataclass(frozen=True)
class Units:
    """The report's units as positions in arrays, with their tree."""

    ids: np.ndarray
    codes: list[str]
    names: list[str]
    tree: scoring.Tree
    root: int
    children: np.ndarray  #: positions of the root's direct children, in code order

    @classmethod
    def of(cls, units: pd.DataFrame, root_id: int) -> Units:
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

    def around(self, unit_ids) -> Units:
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
        return Units(
            ids=self.ids[positions],
            codes=[self.codes[i] for i in positions],
            names=[self.names[i] for i in positions],
            tree=scoring.Tree(sub_parent),
            root=root,
            children=np.flatnonzero(sub_parent == root),
        )


def counts_arrays(
    frame: pd.DataFrame,
    layout: scoring.Layout,
    units: Units,
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


class CrossSource:
    """A kind's stored cross-products, decoded and summed per unit position and group (the
    rows of the channels, versions and days that serve it), then laid out as the arrays
    `shared.scoring` reads."""

    def __init__(self, frame: pd.DataFrame, layout: scoring.Layout, units: Units, column: str):
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
class Scored:
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
        units: Units,
        source: CrossSource,
        min_n: int,
    ) -> Scored:
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
        index, ci = value_of(value), interval_of(interval)
        verdict = scoring.verdict(index, ci, n, target, min_n)
        more = (
            scoring.more_responses_needed(index, value_of(variance), n, target)
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
            pooled=value_of(scores.index[at]),
            verdict=verdict,
            target=target,
            more_needed=more,
        )
