"""Operations on the unit tree (add, rename, move, switch on or off, look up; the depth
limit). Functions take a session and flush; the caller commits. A tree from a CSV file:
`collector.units.imports`."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Hashable, Iterable, Mapping
from typing import TypeVar

import sqlalchemy as sa
from sqlalchemy.orm import Session, aliased

from collector.audit import audit
from collector.i18n import TranslatableError
from collector.models import Unit, User
from shared.i18n import N_

KIND_RE = re.compile(r"[a-z][a-z0-9_-]{0,31}")
CODE_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
#: No real administrative tree is this deep. No unit is more than MAX_DEPTH levels below the top
#: of the tree (adding, importing and moving check it), so the recursive queries, which follow the
#: tree that far and no further (a runaway query on a cycle left in the table ends there too),
#: see every unit.
MAX_DEPTH = 32

K = TypeVar("K", bound=Hashable)


class UnitError(TranslatableError):
    """A unit that cannot be added; the message says why (and on which CSV line)."""


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
