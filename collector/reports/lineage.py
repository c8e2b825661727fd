"""Reports across a reorganisation of units (collector.unit_history): the one step where the
counts of units that ceased are read as those of the units that follow them.

The stated rule (docs/methodology.md, "Units with history"):

- a unit merged into another, or renamed, is counted in it: a merged unit's history is the sum
  of its predecessors' (and of its own, when it kept the code of one of them);
- a unit split into several is counted in the one successor that all the kiosks and integration
  tokens that brought its responses belong to after the split (the kiosk's or the receipt's
  unit). When they belong to several successors, or to none of them, its responses cannot be
  divided from the counts: they are not assigned, and the report says how many there are;
- a report of a period that ends before the change shows the units of its scope as they were;
  from the day of the change on (and always, for predecessors outside the report's scope whose
  successor is in it), the predecessors are read as their successors, in every bucket, so the
  trend stays continuous and its point holding the date is marked.

`lineage_of` works it out once per report from the links (a small table); `Lineage.apply` maps
the unit ids of every frame of `ReportData` and sums rows that come together.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Iterable

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.orm import Session

from collector.accounts.scope import subtree_ids
from collector.models import IntegrationToken, Kiosk, Receipt, Response, Unit, UnitLink
from collector.models.reports import RESPONDENTS
from collector.periods import Period
from collector.reports import model
from collector.reports.data import ReportData

#: Where the responses of a split that could not be assigned go: out of the report's figures.
UNASSIGNED = -1

#: The key columns of the summed frames of ReportData; every other column is a sum.
_KEYS = {
    "counts": ["bucket", "kind", "unit_id", "code"],
    "channel_counts": ["channel", "kind", "unit_id", "code"],
    "groups": ["kind", "dimension", "value", "unit_id"],
    "receipts": ["unit_id"],
}
#: Frames of one row per stored row: only their unit id changes.
_ROWS = ("cross", "left_out", "comments")


@dataclasses.dataclass(frozen=True)
class Lineage:
    #: unit id -> the id it is counted as (UNASSIGNED: left out); ids that stay are absent.
    target: dict[int, int]
    #: Ids read besides the report's units: predecessors of its units and the units under them.
    extra: tuple[int, ...]
    #: Split units whose responses could not be assigned (in the scope or read for it).
    unassigned: frozenset[int]
    #: The reorganisations to show, without their unassigned counts yet.
    changes: tuple[model.Reorganisation, ...]
    #: unit id -> code, for every unit named in `changes`.
    codes: dict[int, str]

    def read_ids(self, ids: Iterable[int]) -> list[int]:
        return [*ids, *self.extra]

    def apply(self, data: ReportData) -> ReportData:
        """The report's data with every predecessor read as its successor."""
        if not self.target and not self.changes:
            return data
        unassigned = self._unassigned_responses(data.counts)
        changes = tuple(
            dataclasses.replace(c, unassigned=unassigned.get(c.before[0]))
            if c.change == "split"
            else c
            for c in self.changes
        )
        mapped = {
            name: _summed(getattr(data, name), self.target, keys) for name, keys in _KEYS.items()
        }
        mapped.update({name: _rows(getattr(data, name), self.target) for name in _ROWS})
        return dataclasses.replace(
            data,
            units=self._units(data.units),
            lineage=dataclasses.replace(self, changes=changes),
            **mapped,
        )

    def _units(self, units: pd.DataFrame) -> pd.DataFrame:
        """The report's units without those read as another; a unit under one of them is put
        under the unit it is read as."""
        if not self.target:
            return units
        kept = units[~units["id"].isin([i for i, t in self.target.items() if t != UNASSIGNED])]
        kept = kept.copy()
        kept["parent_id"] = [
            self.target.get(int(p), p) if not pd.isna(p) else p for p in kept["parent_id"]
        ]
        return kept.reset_index(drop=True)

    def _unassigned_responses(self, counts: pd.DataFrame) -> dict[str, int]:
        """code of a split unit -> its responses of the period that could not be assigned."""
        if not self.unassigned or counts.empty:
            return {}
        rows = counts[
            (counts["bucket"] == 0)
            & (counts["code"] == RESPONDENTS)
            & counts["unit_id"].isin(list(self.unassigned))
        ]
        totals = (rows["answered"] + rows["no_opinion"]).groupby(rows["unit_id"]).sum()
        return {self.codes[int(u)]: int(n) for u, n in totals.items() if int(u) in self.codes}

    def mark(self, report: model.Report) -> model.Report:
        """The report with its reorganisations named and the trend points holding them marked."""
        if not self.changes:
            return report
        days = sorted({c.effective for c in self.changes})
        kinds = tuple(
            dataclasses.replace(
                kind,
                trend=tuple(
                    dataclasses.replace(
                        point, reorganised=tuple(d for d in days if point.start <= d <= point.end)
                    )
                    for point in kind.trend
                ),
            )
            for kind in report.kinds
        )
        return dataclasses.replace(report, kinds=kinds, reorganisations=self.changes)


NONE = Lineage(target={}, extra=(), unassigned=frozenset(), changes=(), codes={})


def _summed(frame: pd.DataFrame, target: dict[int, int], keys: list[str]) -> pd.DataFrame:
    if frame.empty or "unit_id" not in frame.columns or not target:
        return frame
    frame = _rows(frame, target)
    sums = [c for c in frame.columns if c not in keys]
    return frame.groupby(keys, as_index=False, sort=True)[sums].sum()[list(frame.columns)]


def _rows(frame: pd.DataFrame, target: dict[int, int]) -> pd.DataFrame:
    if frame.empty or "unit_id" not in frame.columns or not target:
        return frame
    ids = [target.get(int(u), int(u)) for u in frame["unit_id"]]
    frame = frame.assign(unit_id=pd.Series(ids, index=frame.index, dtype="int64"))
    return frame[frame["unit_id"] != UNASSIGNED].reset_index(drop=True)


def lineage_version(session: Session) -> tuple[int, int]:
    """Changes whenever a reorganisation is recorded (links are only added): for report caches."""
    row = session.execute(sa.select(sa.func.count(UnitLink.id), sa.func.max(UnitLink.id))).one()
    return int(row[0]), int(row[1] or 0)


def lineage_of(
    session: Session, units: pd.DataFrame, period: Period, buckets: list[Period]
) -> Lineage:
    """How the report of `units` (the root and everything below it) for `period`, with the
    buckets of its trend, counts the units that ceased."""
    links = session.execute(
        sa.select(
            UnitLink.predecessor_id, UnitLink.successor_id, UnitLink.change, UnitLink.effective
        ).order_by(UnitLink.effective, UnitLink.id)
    ).all()
    if not links:
        return NONE
    scope = {int(i) for i in units["id"]}
    by_pred: dict[int, list[tuple[int, str, dt.date]]] = {}
    for pred, succ, change, effective in links:
        by_pred.setdefault(pred, []).append((succ, change, effective))
    assigned: dict[int, int | None] = {}

    def step(unit: int) -> tuple[int, dt.date] | None:
        """The unit `unit` is read as after its own change, when it applies to this report."""
        follows = by_pred.get(unit)
        if not follows:
            return None
        effective = follows[0][2]
        if unit in scope and period.end < effective:
            return None  # the period is over before the change: the unit as it was
        if follows[0][1] != "split":
            return follows[0][0], effective
        if unit not in assigned:
            assigned[unit] = _split_successor(session, unit, [s for s, _, _ in follows])
        successor = assigned[unit]
        return (successor, effective) if successor is not None else None

    def final(unit: int) -> int:
        seen = {unit}
        while (nxt := step(unit)) is not None and nxt[0] not in seen:
            unit = nxt[0]
            seen.add(unit)
        return unit

    # Every predecessor that may concern the report, read as the unit that follows it.
    target: dict[int, int] = {}
    unassigned: set[int] = set()
    for pred, follows in by_pred.items():
        if not _reaches_scope(pred, scope, by_pred):
            continue
        end = final(pred)
        if end != pred and end in scope:
            target[pred] = end
        elif (
            follows[0][1] == "split"
            and (pred in scope or any(s in scope for s, _, _ in follows))
            and not (pred in scope and period.end < follows[0][2])
        ):
            unassigned.add(pred)
            if pred not in scope:
                target[pred] = UNASSIGNED
    extra = _below_outside(session, target, scope, final)
    changes, codes = _changes(session, links, target, unassigned, scope, buckets)
    return Lineage(
        target=target,
        extra=tuple(sorted(extra)),
        unassigned=frozenset(unassigned),
        changes=changes,
        codes=codes,
    )


def _reaches_scope(unit: int, scope: set[int], by_pred: dict[int, list]) -> bool:
    """Whether any chain of successors from `unit` (or the unit) is in the report."""
    todo, seen = [unit], {unit}
    while todo:
        here = todo.pop()
        if here in scope:
            return True
        for succ, _, _ in by_pred.get(here, ()):
            if succ not in seen:
                seen.add(succ)
                todo.append(succ)
    return False


def _below_outside(
    session: Session, target: dict[int, int], scope: set[int], final: Callable[[int], int]
) -> set[int]:
    """The units below the predecessors outside the report's tree, each read as the unit that
    follows it or, failing that, as its predecessor is (added to `target`)."""
    extra: set[int] = set()
    for root in [p for p in target if p not in scope]:
        for unit in subtree_ids(session, [root]) - scope:
            extra.add(unit)
            if unit not in target:
                end = final(unit)
                target[unit] = end if end != unit and end in scope else target[root]
    return extra


def _split_successor(session: Session, unit: int, successors: list[int]) -> int | None:
    """The successor that every kiosk and integration token that brought `unit`'s responses
    belongs to now (the unit itself or below it), or None when there is not exactly one."""
    r = Response.__table__.c
    now = sa.func.coalesce(Kiosk.unit_id, IntegrationToken.unit_id)
    found = set(
        session.scalars(
            sa.select(now)
            .select_from(Response)
            .outerjoin(Kiosk, Kiosk.id == r.kiosk_id)
            .outerjoin(Receipt, Receipt.response_id == r.id)
            .outerjoin(IntegrationToken, IntegrationToken.id == Receipt.integration_id)
            .where(r.unit_id == unit)
            .distinct()
        )
    )
    if not found or None in found:
        return None
    holders = set()
    for successor in successors:
        if found & subtree_ids(session, [successor]):
            holders.add(successor)
            if not found <= subtree_ids(session, [successor]):
                return None
    return holders.pop() if len(holders) == 1 else None


def _changes(
    session: Session,
    links,
    target: dict[int, int],
    unassigned: set[int],
    scope: set[int],
    buckets: list[Period],
) -> tuple[tuple[model.Reorganisation, ...], dict[int, str]]:
    """The reorganisations that concern the report: those it applies from the start of its
    buckets on (a report of a period before a change whose new unit is in it says so too), and
    those of its units within its buckets. Merges are grouped by the unit they went into, a
    split by the unit split."""
    first = min(b.start for b in buckets)
    last = max(b.end for b in buckets)
    shown = [
        (pred, succ, change, effective)
        for pred, succ, change, effective in links
        if effective >= first
        and (pred in target or pred in unassigned or (succ in scope and effective <= last))
    ]
    ids = {i for pred, succ, _, _ in shown for i in (pred, succ)}
    codes = dict(session.execute(sa.select(Unit.id, Unit.code).where(Unit.id.in_(ids))).all())
    grouped: dict[tuple, tuple[set[str], set[str]]] = {}
    for pred, succ, change, effective in shown:
        key = (effective, change, pred if change == "split" else succ)
        before, after = grouped.setdefault(key, (set(), set()))
        before.add(codes[pred])
        after.add(codes[succ])
    changes = tuple(
        model.Reorganisation(
            effective=effective, change=change, before=tuple(sorted(b)), after=tuple(sorted(a))
        )
        for (effective, change, _), (b, a) in sorted(grouped.items(), key=lambda i: i[0][:2])
    )
    return changes, codes
