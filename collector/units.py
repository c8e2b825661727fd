"""Operations on the unit tree. Functions take a session and flush; the caller commits."""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session, aliased

from collector.i18n import TranslatableError
from collector.models import Unit
from shared.i18n import N_

KIND_RE = re.compile(r"[a-z][a-z0-9_-]{0,31}")
CODE_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
CSV_COLUMNS = ("code", "name", "parent", "kind")
#: No real administrative tree is this deep; the limit stops a runaway recursive query.
MAX_DEPTH = 32


class UnitError(TranslatableError):
    """A unit that cannot be added; the message says why (and on which CSV line)."""


@dataclass(frozen=True)
class ImportSummary:
    added: int
    updated: int
    unchanged: int


def check_unit(code: str, name: str, kind: str) -> None:
    if not CODE_RE.fullmatch(code or ""):
        raise UnitError(
            N_("bad unit code %(code)r: letters, digits, '.', '_' or '-', at most 64"), code=code
        )
    if not name or not name.strip() or len(name) > 200:
        raise UnitError(N_("unit %(code)s: the name must be 1 to 200 characters"), code=code)
    if not KIND_RE.fullmatch(kind or ""):
        raise UnitError(
            N_("unit %(code)s: bad kind %(kind)r (lower-case, e.g. 'commune')"),
            code=code,
            kind=kind,
        )


def add_unit(session: Session, code: str, name: str, kind: str, parent: str | None = None) -> Unit:
    """Add one unit under `parent` (a unit code), or at the top of the tree."""
    check_unit(code, name, kind)
    if session.scalar(sa.select(Unit.id).where(Unit.code == code)) is not None:
        raise UnitError(N_("unit %(code)s exists already"), code=code)
    parent_unit = None
    if parent:
        parent_unit = session.scalar(sa.select(Unit).where(Unit.code == parent))
        if parent_unit is None:
            raise UnitError(N_("no parent unit %(code)s"), code=parent)
    unit = Unit(code=code, name=name.strip(), kind=kind, parent=parent_unit)
    session.add(unit)
    session.flush()
    return unit


def import_units(session: Session, rows: Iterable[Mapping[str, str | None]]) -> ImportSummary:
    """Add or update units from rows with code, name, parent (a code or empty) and kind.

    Parents may come later in the rows or exist already. A unit already present gets the row's
    name, kind and parent; its code never changes. Raises UnitError (naming the CSV line, counted
    from the header) on the first bad row, before anything is written, or if the parents form a
    cycle.
    """
    wanted: dict[str, tuple[str, str, str | None]] = {}
    for line, row in enumerate(rows, start=2):
        code = (row.get("code") or "").strip()
        name = (row.get("name") or "").strip()
        kind = (row.get("kind") or "").strip()
        parent = (row.get("parent") or "").strip() or None
        try:
            check_unit(code, name, kind)
        except UnitError as exc:
            raise UnitError(N_("line %(line)d: %(problem)s"), line=line, problem=exc) from None
        if code in wanted:
            raise UnitError(N_("line %(line)d: unit %(code)s appears twice"), line=line, code=code)
        if parent == code:
            raise UnitError(
                N_("line %(line)d: unit %(code)s cannot be its own parent"), line=line, code=code
            )
        wanted[code] = (name, kind, parent)

    existing = {unit.code: unit for unit in session.scalars(sa.select(Unit))}
    parent_of = {code: (u.parent.code if u.parent else None) for code, u in existing.items()}
    parent_of.update({code: parent for code, (_, _, parent) in wanted.items()})
    for code, (_, _, parent) in wanted.items():
        if parent is not None and parent not in parent_of:
            raise UnitError(
                N_("unit %(code)s: no parent unit %(parent)s"), code=code, parent=parent
            )
    _check_acyclic(parent_of)

    added = updated = unchanged = 0
    for code, (name, kind, _) in wanted.items():
        unit = existing.get(code)
        if unit is None:
            existing[code] = Unit(code=code, name=name, kind=kind)
            session.add(existing[code])
            added += 1
        elif (unit.name, unit.kind) != (name, kind) or parent_of[code] != (
            unit.parent.code if unit.parent else None
        ):
            unit.name, unit.kind = name, kind
            updated += 1
        else:
            unchanged += 1
    for code, (_, _, parent) in wanted.items():
        existing[code].parent = existing[parent] if parent else None
    session.flush()
    return ImportSummary(added, updated, unchanged)


def read_units_csv(text: str) -> list[dict[str, str | None]]:
    """The rows of a units CSV file (header: code,name,parent,kind)."""
    reader = csv.DictReader(text.splitlines())
    header = tuple(name.strip() for name in reader.fieldnames or ())
    if set(header) != set(CSV_COLUMNS):
        raise UnitError(
            N_("the CSV header must be %(expected)s, not %(found)s"),
            expected=",".join(CSV_COLUMNS),
            found=",".join(header),
        )
    return [{k.strip(): v for k, v in row.items() if k is not None} for row in reader]


def _check_acyclic(parent_of: Mapping[str, str | None]) -> None:
    for start in parent_of:
        seen = {start}
        code = parent_of[start]
        while code is not None:
            if code in seen:
                raise UnitError(
                    N_("unit %(code)s: its parents form a cycle through %(through)s"),
                    code=start,
                    through=code,
                )
            seen.add(code)
            code = parent_of.get(code)


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
