"""Who may see which units: a unit and everything below it, found with one recursive query that
runs the same on SQLite and PostgreSQL."""

from __future__ import annotations

import functools
from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.orm import Session, aliased

from collector.models import Unit, User
from collector.units import MAX_DEPTH


@functools.cache
def _subtree() -> sa.CTE:
    """The given units (bound as `roots`) and every unit below them, at any depth. Built once:
    putting the recursive query together costs more than running it."""
    start = (
        sa.select(Unit.id.label("id"), sa.literal_column("0").label("depth"))
        .where(Unit.id.in_(sa.bindparam("roots", expanding=True)))
        .cte("subtree", recursive=True)
    )
    child = aliased(Unit)
    return start.union_all(
        sa.select(child.id, start.c.depth + 1)
        .join(child, child.parent_id == start.c.id)
        .where(start.c.depth < MAX_DEPTH)
    )


@functools.cache
def _subtree_ids_statement() -> sa.Select:
    return sa.select(_subtree().c.id)


@functools.cache
def _in_subtree_statement() -> sa.Select:
    tree = _subtree()
    return sa.select(tree.c.id).where(tree.c.id == sa.bindparam("unit")).limit(1)


def subtree_ids(session: Session, root_ids: Iterable[int]) -> set[int]:
    """The ids of the given units and of every unit below them, at any depth."""
    roots = list(root_ids)
    if not roots:
        return set()
    return set(session.scalars(_subtree_ids_statement(), {"roots": roots}))


def in_subtree(session: Session, root_id: int, unit_id: int) -> bool:
    """Whether the unit is the root or below it (the same query as `subtree_ids`, for one unit)."""
    if root_id == unit_id:
        return True
    found = session.execute(_in_subtree_statement(), {"roots": [root_id], "unit": unit_id})
    return found.first() is not None


def is_only_root(session: Session, unit_id: int) -> bool:
    """Whether the unit is the top of the whole tree: no parent, and no other unit without one."""
    roots = session.scalars(sa.select(Unit.id).where(Unit.parent_id.is_(None)).limit(2)).all()
    return list(roots) == [unit_id]


def visible_unit_ids(session: Session, user: User) -> set[int] | None:
    """Every unit the user may see; None means all of them: an admin without a unit, or of the
    top of the tree (the province), whose subtree is everything.

    Any other admin is limited to its subtree, like managers, viewers and counter officers."""
    if user.unit_id is None:
        return None if user.role == "admin" else set()
    if user.role == "admin" and is_only_root(session, user.unit_id):
        return None
    return subtree_ids(session, [user.unit_id])


def administers_everything(session: Session, user: User | None) -> bool:
    """Whether `user` may do what only a whole-province administrator may (targets, the procedure
    list, units at the top); None is the command line, which may."""
    return user is None or (user.role == "admin" and visible_unit_ids(session, user) is None)


def can_see(session: Session, user: User, unit: Unit) -> bool:
    visible = visible_unit_ids(session, user)
    return visible is None or unit.id in visible


def home_unit(session: Session, user: User) -> Unit | None:
    """The unit a user's reports open on: their own, or for an admin the first top-level unit."""
    if user.unit_id is not None:
        return session.get(Unit, user.unit_id)
    return session.scalar(sa.select(Unit).where(Unit.parent_id.is_(None)).order_by(Unit.code))


def units_visible(session: Session, user: User) -> list[Unit]:
    """The units the user may choose in a report, ordered by code."""
    query = sa.select(Unit).order_by(Unit.code)
    visible = visible_unit_ids(session, user)
    if visible is not None:
        query = query.where(Unit.id.in_(visible))
    return list(session.scalars(query))
