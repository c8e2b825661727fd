"""Operations on the unit tree. Functions take a session and flush; the caller commits."""

from __future__ import annotations

import csv
import re
import unicodedata
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

import sqlalchemy as sa
from sqlalchemy.orm import Session, aliased

from collector.audit import audit
from collector.i18n import TranslatableError
from collector.models import Unit, User
from shared.i18n import N_

KIND_RE = re.compile(r"[a-z][a-z0-9_-]{0,31}")
CODE_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
CSV_COLUMNS = ("code", "name", "parent", "kind")
#: No real administrative tree is this deep. No unit is more than MAX_DEPTH levels below the top
#: of the tree (adding, importing and moving check it), so the recursive queries, which follow the
#: tree that far and no further (a runaway query on a cycle left in the table ends there too),
#: see every unit.
MAX_DEPTH = 32

K = TypeVar("K", bound=Hashable)


class UnitError(TranslatableError):
    """A unit that cannot be added; the message says why (and on which CSV line)."""


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


def check_unit(code: str, name: str, kind: str) -> None:
    if not CODE_RE.fullmatch(code or ""):
        raise UnitError(
            N_("bad unit code %(code)r: letters, digits, '.', '_' or '-', at most 64"), code=code
        )
    if not name or not name.strip() or len(name) > 200:
        raise UnitError(N_("unit %(code)s: the name must be 1 to 200 characters"), code=code)
    if any(unicodedata.category(c) in ("Cc", "Cs") for c in name):
        # A NUL cannot be stored on PostgreSQL; no control character belongs in a name.
        raise UnitError(
            N_("unit %(code)s: the name must not contain control characters"), code=code
        )
    if not KIND_RE.fullmatch(kind or ""):
        raise UnitError(
            N_(
                "unit %(code)s: bad kind %(kind)r (a code without accents or spaces: lower-case "
                "letters, digits, '-' or '_', e.g. 'commune')"
            ),
            code=code,
            kind=kind,
        )


def add_unit(
    session: Session,
    code: str,
    name: str,
    kind: str,
    parent: str | None = None,
    actor: User | None = None,
) -> Unit:
    """Add one unit under `parent` (a unit code), or at the top of the tree."""
    check_unit(code, name, kind)
    if session.scalar(sa.select(Unit.id).where(Unit.code == code)) is not None:
        raise UnitError(N_("unit %(code)s exists already"), code=code)
    parent_unit = None
    if parent:
        parent_unit = session.scalar(sa.select(Unit).where(Unit.code == parent))
        if parent_unit is None:
            raise UnitError(N_("no parent unit %(code)s"), code=parent)
        tree = _parent_ids(session)
        if _levels_above(tree, parent_unit.id) + 1 > MAX_DEPTH:
            raise _too_deep(code)
    unit = Unit(code=code, name=name.strip(), kind=kind, parent=parent_unit)
    session.add(unit)
    session.flush()
    audit(session, "unit-added", actor, code=code, name=unit.name, kind=kind, parent=parent)
    return unit


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


def find_unit(session: Session, code: str) -> Unit:
    unit = session.scalar(sa.select(Unit).where(Unit.code == code))
    if unit is None:
        raise UnitError(N_("no unit %(code)s"), code=code)
    return unit


def rename_unit(session: Session, code: str, name: str, actor: User | None = None) -> Unit:
    """Give a unit a new name (its code never changes)."""
    unit = find_unit(session, code)
    check_unit(code, name, unit.kind)
    before = unit.name
    unit.name = name.strip()
    session.flush()
    audit(session, "unit-renamed", actor, code=code, before=before, after=unit.name)
    return unit


def move_unit(session: Session, code: str, parent: str | None, actor: User | None = None) -> Unit:
    """Put a unit (with everything below it) under another parent, or at the top with None.

    The new parent's whole ancestry is checked, however deep: the unit must not be in it (a
    cycle), and the unit's subtree must stay within MAX_DEPTH levels of the top."""
    unit = find_unit(session, code)
    new_parent = find_unit(session, parent) if parent else None
    if new_parent is not None:
        tree = _parent_ids(session)
        node: int | None = new_parent.id
        seen: set[int] = set()
        while node is not None:
            if node == unit.id:
                raise UnitError(
                    N_("unit %(code)s cannot go under %(parent)s, which is below it"),
                    code=code,
                    parent=parent,
                )
            if node in seen:  # a cycle left in the table above the new parent
                raise UnitError(
                    N_("unit %(code)s: its parents form a cycle through %(through)s"),
                    code=parent,
                    through=session.get(Unit, node).code,
                )
            seen.add(node)
            node = tree.get(node)
        tree[unit.id] = new_parent.id
        if _levels_above(tree, unit.id) + _levels_below(tree).get(unit.id, 0) > MAX_DEPTH:
            raise _too_deep(code)
    before = unit.parent.code if unit.parent else None
    unit.parent = new_parent
    session.flush()
    audit(session, "unit-moved", actor, code=code, before=before, after=parent)
    return unit


def _parent_ids(session: Session) -> dict[int, int | None]:
    """Every unit's parent, by id: one query, then the tree is walked in memory."""
    return dict(session.execute(sa.select(Unit.id, Unit.parent_id)).all())


def _levels_above(parent_of: Mapping[K, K | None], start: K) -> int:
    """How many levels `start` is below the top of the tree; more than MAX_DEPTH on a cycle."""
    levels, node, seen = 0, parent_of.get(start), {start}
    while node is not None:
        if node in seen:
            return MAX_DEPTH + 1
        seen.add(node)
        levels += 1
        node = parent_of.get(node)
    return levels


def _levels_below(parent_of: Mapping[K, K | None]) -> dict[K, int]:
    """How many levels of units each unit has below it (units without children are left out)."""
    below: dict[K, int] = {}
    for start in parent_of:
        levels, node, seen = 1, parent_of[start], {start}
        while node is not None and node not in seen and levels <= MAX_DEPTH + 1:
            seen.add(node)
            if below.get(node, 0) < levels:
                below[node] = levels
            levels += 1
            node = parent_of.get(node)
    return below


def _too_deep(code: str) -> UnitError:
    return UnitError(
        N_("unit %(code)s would be more than %(num)d levels below the top of the tree"),
        code=code,
        num=MAX_DEPTH,
    )


def set_unit_active(session: Session, code: str, active: bool, actor: User | None = None) -> Unit:
    """Deactivate a unit or bring it back. Units are never deleted: responses point at them."""
    unit = find_unit(session, code)
    if unit.active != active:
        unit.active = active
        session.flush()
        audit(session, "unit-activated" if active else "unit-deactivated", actor, code=code)
    return unit


def units_within(session: Session, root_id: int, codes: Iterable[str]) -> dict[str, int | None]:
    """For each code: the unit's id when it is `root_id` or below it, None when it exists
    elsewhere in the tree; unknown codes are left out. One recursive query up the tree."""
    codes = set(codes)
    if not codes:
        return {}
    start = (
        sa.select(
            Unit.code.label("code"),
            Unit.id.label("unit_id"),
            Unit.id.label("ancestor_id"),
            Unit.parent_id.label("parent_id"),
            sa.literal_column("0").label("depth"),
        )
        .where(Unit.code.in_(codes))
        .cte("ancestry", recursive=True)
    )
    parent = aliased(Unit)
    ancestry = start.union_all(
        sa.select(start.c.code, start.c.unit_id, parent.id, parent.parent_id, start.c.depth + 1)
        .join(parent, parent.id == start.c.parent_id)
        .where(start.c.depth < MAX_DEPTH)
    )
    found: dict[str, int | None] = {}
    for code, unit_id, ancestor_id in session.execute(
        sa.select(ancestry.c.code, ancestry.c.unit_id, ancestry.c.ancestor_id)
    ):
        if ancestor_id == root_id:
            found[code] = unit_id
        else:
            found.setdefault(code, None)
    return found
