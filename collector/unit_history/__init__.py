"""Units with history: a reorganisation (units merged, split or renamed on a date) recorded as
links from the units that ceased to those that follow them. Functions take a session and flush;
the caller commits. How reports count across a change: collector.reports.lineage."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from collector.audit import audit
from collector.models import Unit, UnitLink, User
from collector.models.units import UNIT_CHANGES
from collector.units import UnitError
from collector.units.imports import on_line, read_csv_rows
from shared.i18n import N_

#: The columns of a reorganisation file; `note` (free text, e.g. the old and new names) may
#: follow them and is not stored.
CSV_COLUMNS = ("date", "from", "to", "change")
OPTIONAL_COLUMNS = ("note",)


@dataclass(frozen=True)
class PlannedLink:
    line: int
    predecessor: str
    successor: str
    change: str


@dataclass(frozen=True)
class ReorganisationSummary:
    effective: dt.date
    links: int
    #: Codes of the units that ceased on `effective`, sorted.
    ceased: list[str]
    #: Codes of the units that follow them, sorted.
    successors: list[str]


def read_reorganisation_csv(text: str) -> list[dict[str, str | None]]:
    """The rows of a reorganisation CSV file (header: date,from,to,change[,note])."""
    rows = read_csv_rows(text, CSV_COLUMNS, OPTIONAL_COLUMNS)
    if not rows:
        raise UnitError(N_("the file has no reorganisation rows"))
    return rows


def _row_day(raw_date: str, change: str) -> dt.date:
    """A row's date, its change checked."""
    try:
        day = dt.date.fromisoformat(raw_date)
    except ValueError:
        raise UnitError(N_("bad date %(value)r: write it as YYYY-MM-DD"), value=raw_date) from None
    if change not in UNIT_CHANGES:
        raise UnitError(
            N_("bad change %(value)r: one of %(choices)s"),
            value=change,
            choices=", ".join(UNIT_CHANGES),
        )
    return day


def _check_pair(
    pred: str, succ: str, units: Mapping[str, Unit], linked: set[int], seen: set[tuple[str, str]]
) -> None:
    """A row's two units: both exist, differ, are not paired before, and have not ceased."""
    for code in (pred, succ):
        if code not in units:
            raise UnitError(N_("no unit %(code)s"), code=code)
    if pred == succ:
        raise UnitError(N_("unit %(code)s cannot follow itself"), code=pred)
    if (pred, succ) in seen:
        raise UnitError(
            N_("units %(code)s and %(other)s appear together twice"),
            code=pred,
            other=succ,
        )
    if units[pred].valid_to is not None or units[pred].id in linked:
        raise UnitError(N_("unit %(code)s ceased already"), code=pred)
    if units[succ].valid_to is not None:
        raise UnitError(N_("unit %(code)s ceased already"), code=succ)


def _date_errors(dates: Mapping[dt.date, int]) -> list[tuple[int, UnitError]]:
    """Every date but the first one given (each on the line it first stands on)."""
    if len(dates) <= 1:
        return []
    first, *others = sorted(dates, key=dates.get)
    return [
        (
            dates[day],
            on_line(
                dates[day],
                UnitError(
                    N_("all rows must have the same date (%(date)s), not %(other)s"),
                    date=first.isoformat(),
                    other=day.isoformat(),
                ),
            ),
        )
        for day in others
    ]


def _shape_problem(
    link: PlannedLink,
    by_pred: Mapping[str, list[PlannedLink]],
    by_succ: Mapping[str, list[PlannedLink]],
) -> UnitError | None:
    """What is wrong with a good row among the others: a unit that both ceases and follows, more
    than one kind of change, a merge or renaming into several units, a split into one, a renamed
    unit's successor with another predecessor."""
    mine = by_pred[link.predecessor]
    if link.predecessor in by_succ:
        return UnitError(
            N_("unit %(code)s cannot both cease and follow a unit on the same date"),
            code=link.predecessor,
        )
    if len({other.change for other in mine}) > 1:
        return UnitError(
            N_("unit %(code)s has more than one kind of change"), code=link.predecessor
        )
    if link.change in ("merge", "rename") and len(mine) > 1:
        return UnitError(
            N_("unit %(code)s is merged or renamed into one unit only; a split is 'split'"),
            code=link.predecessor,
        )
    if link.change == "split" and len(mine) < 2:
        return UnitError(
            N_("unit %(code)s is split into one unit only: that is a merge or a renaming"),
            code=link.predecessor,
        )
    if link.change == "rename" and len(by_succ[link.successor]) > 1:
        return UnitError(
            N_("unit %(code)s follows more than one unit: that is a merge, not a renaming"),
            code=link.successor,
        )
    return None


def plan_reorganisation(
    session: Session, rows: Iterable[Mapping[str, str | None]]
) -> tuple[list[PlannedLink], dt.date | None, list[tuple[int, UnitError]]]:
    """The links a reorganisation file would record, its date, and (line, problem) for every bad
    row: nothing is recorded while there is one.

    Every row names a unit that ceases on the date (`from`) and one that follows it (`to`), both
    existing already (`units import` adds the new ones first). A unit merged or renamed has one
    successor; a unit split has two or more; a renamed unit's successor has no other
    predecessor. All rows share one date; no unit both ceases and follows in the same file, and
    a unit that ceased before cannot cease again."""
    rows = list(rows)
    errors: list[tuple[int, UnitError]] = []
    planned: list[PlannedLink] = []
    dates: dict[dt.date, int] = {}
    codes = {(row.get(name) or "").strip() for row in rows for name in ("from", "to")}
    units = {u.code: u for u in session.scalars(sa.select(Unit).where(Unit.code.in_(codes)))}
    linked = set(session.scalars(sa.select(UnitLink.predecessor_id)))
    seen: set[tuple[str, str]] = set()
    for line, row in enumerate(rows, start=2):
        pred, succ, change = ((row.get(name) or "").strip() for name in ("from", "to", "change"))
        try:
            day = _row_day((row.get("date") or "").strip(), change)
            _check_pair(pred, succ, units, linked, seen)
        except UnitError as exc:
            errors.append((line, on_line(line, exc)))
            continue
        seen.add((pred, succ))
        dates.setdefault(day, line)
        planned.append(PlannedLink(line, pred, succ, change))
    errors.extend(_date_errors(dates))

    by_pred: dict[str, list[PlannedLink]] = {}
    by_succ: dict[str, list[PlannedLink]] = {}
    for link in planned:
        by_pred.setdefault(link.predecessor, []).append(link)
        by_succ.setdefault(link.successor, []).append(link)
    for link in planned:
        problem = _shape_problem(link, by_pred, by_succ)
        if problem is not None:
            errors.append((link.line, on_line(link.line, problem)))
    errors.sort(key=lambda item: item[0])
    effective = next(iter(dates)) if len(dates) == 1 else None
    return planned, effective, errors


def reorganise_units(
    session: Session, rows: Iterable[Mapping[str, str | None]], actor: User | None = None
) -> ReorganisationSummary:
    """Record a reorganisation as `plan_reorganisation` plans it: each link, the date the units
    that ceased stop (their valid_to; they are deactivated, never deleted: responses point at
    them) and the date the units that follow them start (their valid_from). Raises UnitError on
    the first bad row, before anything is written."""
    rows = list(rows)
    planned, effective, errors = plan_reorganisation(session, rows)
    if errors:
        raise errors[0][1]
    assert effective is not None  # every row is good and there is one
    codes = {link.predecessor for link in planned} | {link.successor for link in planned}
    units = {u.code: u for u in session.scalars(sa.select(Unit).where(Unit.code.in_(codes)))}
    for link in planned:
        pred, succ = units[link.predecessor], units[link.successor]
        session.add(
            UnitLink(
                predecessor_id=pred.id,
                successor_id=succ.id,
                change=link.change,
                effective=effective,
            )
        )
        pred.valid_to = effective
        pred.active = False
        succ.valid_from = effective
    session.flush()
    summary = ReorganisationSummary(
        effective=effective,
        links=len(planned),
        ceased=sorted({link.predecessor for link in planned}),
        successors=sorted({link.successor for link in planned}),
    )
    audit(
        session,
        "units-reorganised",
        actor,
        effective=effective.isoformat(),
        links=summary.links,
        codes=summary.ceased[:200],
        successors=summary.successors[:200],
    )
    return summary
