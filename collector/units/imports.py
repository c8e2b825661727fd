"""A unit tree from a CSV file (code, name, parent, kind): the rows read and checked, the import
planned (added, updated, unchanged, with every problem on its line) and applied; and the one
CSV reader of the unit files (`read_csv_rows`, also used by `sipas collector units reorganise`).
Functions take a session and flush; the caller commits."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from collector.audit import audit
from collector.models import Unit, User
from collector.units import (
    MAX_DEPTH,
    UnitError,
    _levels_above,
    _levels_below,
    _too_deep,
    check_unit,
)
from shared.i18n import N_

CSV_COLUMNS = ("code", "name", "parent", "kind")


@dataclass(frozen=True)
class ImportSummary:
    """What an import of units or of procedures did."""

    added: int
    updated: int
    unchanged: int

    def counts(self) -> dict[str, int]:
        """The three counts by name, for a message or an audit entry."""
        return {"added": self.added, "updated": self.updated, "unchanged": self.unchanged}


@dataclass(frozen=True)
class PlannedRow:
    """What importing one CSV row would do: add a unit, update it (with the values before), or
    nothing."""

    line: int
    code: str
    name: str
    kind: str
    parent: str | None
    #: "add", "update" or "unchanged".
    change: str
    before: tuple[str, str, str | None] | None = None


@dataclass(frozen=True)
class ImportPlan:
    rows: list[PlannedRow]
    #: (line, problem) for every bad row; nothing is imported while there is one.
    errors: list[tuple[int, UnitError]]

    def count(self, change: str) -> int:
        return sum(1 for row in self.rows if row.change == change)

    @property
    def summary(self) -> ImportSummary:
        return ImportSummary(self.count("add"), self.count("update"), self.count("unchanged"))


def _read_rows(
    rows: Iterable[Mapping[str, str | None]],
) -> tuple[dict[str, tuple[int, str, str, str | None]], list[tuple[int, UnitError]]]:
    """Each good row by its code (line, name, kind, parent), and the bad rows' errors, each on
    its CSV line (counted from the header)."""
    wanted: dict[str, tuple[int, str, str, str | None]] = {}
    errors: list[tuple[int, UnitError]] = []
    for line, row in enumerate(rows, start=2):
        code = (row.get("code") or "").strip()
        name = (row.get("name") or "").strip()
        kind = (row.get("kind") or "").strip()
        parent = (row.get("parent") or "").strip() or None
        try:
            check_unit(code, name, kind)
            if code in wanted:
                raise UnitError(N_("unit %(code)s appears twice"), code=code)
            if parent == code:
                raise UnitError(N_("unit %(code)s cannot be its own parent"), code=code)
        except UnitError as exc:
            errors.append((line, on_line(line, exc)))
            continue
        wanted[code] = (line, name, kind, parent)
    return wanted, errors


def plan_import(
    session: Session,
    rows: Iterable[Mapping[str, str | None]],
    within: set[int] | None = None,
) -> ImportPlan:
    """What importing rows with code, name, parent (a code or empty) and kind would change.

    Parents may come later in the rows or exist already. A unit already present gets the row's
    name, kind and parent; its code never changes. Every bad row gets its own error, naming its
    CSV line (counted from the header). With `within` (unit ids), only units inside it may be
    changed, and new units must go below one of them.
    """
    wanted, errors = _read_rows(rows)
    existing = {unit.code: unit for unit in session.scalars(sa.select(Unit))}
    parent_of = {code: (u.parent.code if u.parent else None) for code, u in existing.items()}
    parent_of.update({code: parent for code, (_, _, _, parent) in wanted.items()})
    for code, (line, _, _, parent) in list(wanted.items()):
        problem = None
        if parent is not None and parent not in parent_of:
            problem = UnitError(
                N_("unit %(code)s: no parent unit %(parent)s"), code=code, parent=parent
            )
        elif within is not None and not _inside(code, parent, existing, wanted, within):
            problem = UnitError(N_("unit %(code)s is outside the units you administer"), code=code)
        if problem is not None:
            errors.append((line, on_line(line, problem)))
            del wanted[code]
            if code in existing:
                parent_of[code] = existing[code].parent.code if existing[code].parent else None
            else:
                parent_of.pop(code)
    for code, through in _cycles(parent_of):
        if code in wanted:
            line = wanted.pop(code)[0]
            errors.append(
                (
                    line,
                    on_line(
                        line,
                        UnitError(
                            N_("unit %(code)s: its parents form a cycle through %(through)s"),
                            code=code,
                            through=through,
                        ),
                    ),
                )
            )

    heights = _levels_below(parent_of)
    for code in list(wanted):
        if _levels_above(parent_of, code) + heights.get(code, 0) > MAX_DEPTH:
            line = wanted.pop(code)[0]
            errors.append((line, on_line(line, _too_deep(code))))

    planned = []
    for code, (line, name, kind, parent) in wanted.items():
        unit = existing.get(code)
        if unit is None:
            change, before = "add", None
        else:
            before = (unit.name, unit.kind, unit.parent.code if unit.parent else None)
            change = "unchanged" if before == (name, kind, parent) else "update"
        planned.append(PlannedRow(line, code, name, kind, parent, change, before))
    errors.sort(key=lambda item: item[0])
    return ImportPlan(planned, errors)


def import_units(
    session: Session,
    rows: Iterable[Mapping[str, str | None]],
    within: set[int] | None = None,
    actor: User | None = None,
) -> ImportSummary:
    """Add or update units as `plan_import` plans it. Raises UnitError on the first bad row,
    before anything is written."""
    plan = plan_import(session, rows, within)
    if plan.errors:
        raise plan.errors[0][1]
    existing = {unit.code: unit for unit in session.scalars(sa.select(Unit))}
    for row in plan.rows:
        if row.change == "add":
            existing[row.code] = Unit(code=row.code, name=row.name, kind=row.kind)
            session.add(existing[row.code])
        elif row.change == "update":
            existing[row.code].name, existing[row.code].kind = row.name, row.kind
    for row in plan.rows:
        existing[row.code].parent = existing[row.parent] if row.parent else None
    session.flush()
    summary = plan.summary
    audit(
        session,
        "units-imported",
        actor,
        **summary.counts(),
        codes=[row.code for row in plan.rows if row.change != "unchanged"][:200],
    )
    return summary


def on_line(line: int, problem: UnitError) -> UnitError:
    """A file's problem, with the line it is on."""
    return UnitError(N_("line %(line)d: %(problem)s"), line=line, problem=problem)


def _inside(
    code: str,
    parent: str | None,
    existing: Mapping[str, Unit],
    wanted: Mapping[str, tuple[int, str, str, str | None]],
    within: set[int],
) -> bool:
    """Whether a row stays inside `within`: the unit (if it exists) and its new parent are in it,
    where a parent added by the same file counts when it is itself placed inside."""
    if code in existing and existing[code].id not in within:
        return False
    seen = {code}
    while parent is not None:
        if parent in existing:
            return existing[parent].id in within
        if parent in seen or parent not in wanted:
            return False
        seen.add(parent)
        parent = wanted[parent][3]
    return False


def read_units_csv(text: str) -> list[dict[str, str | None]]:
    """The rows of a units CSV file (header: code,name,parent,kind)."""
    return read_csv_rows(text, CSV_COLUMNS)


def read_csv_rows(
    text: str, required: Sequence[str], optional: Sequence[str] = ()
) -> list[dict[str, str | None]]:
    """The rows of a CSV file whose header holds every `required` column and perhaps some
    `optional` ones, each once (the units and the reorganisation files)."""
    reader = csv.DictReader(text.splitlines())
    try:
        header = tuple((name or "").strip() for name in reader.fieldnames or ())
        allowed = set(required) | set(optional)
        if not set(required) <= set(header) <= allowed or len(set(header)) != len(header):
            raise UnitError(
                N_("the CSV header must be %(expected)s, not %(found)s"),
                expected=",".join(required) + "".join(f"[,{name}]" for name in optional),
                found=",".join(header),
            )
        return [{k.strip(): v for k, v in row.items() if k is not None} for row in reader]
    except csv.Error:
        # The csv module's own limits (a field over csv.field_size_limit(), a stray quote).
        raise on_line(
            reader.line_num,
            UnitError(
                N_(
                    "this line cannot be read as CSV (a field longer than %(num)d characters, "
                    "or a quote that is not closed)"
                ),
                num=csv.field_size_limit(),
            ),
        ) from None


def _cycles(parent_of: Mapping[str, str | None]) -> list[tuple[str, str]]:
    """(code, a code on the cycle) for every unit whose chain of parents loops."""
    found = []
    for start in parent_of:
        seen = {start}
        code = parent_of[start]
        while code is not None:
            if code in seen:
                found.append((start, code))
                break
            seen.add(code)
            code = parent_of.get(code)
    return found
