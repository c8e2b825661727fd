"""Administrative units: a tree of any depth whose kinds are data (province, commune, one-stop
centre, health facility, school, counter; districts for older data)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from collector.models.base import Base
from shared.db import utcnow
from shared.i18n import N_

#: The kinds of unit the product knows, in words (docs/translations.md). A kind is a code in the
#: data (the CSV, `units add --kind`); a province may use others, shown as they are written.
UNIT_KINDS = {
    "province": N_("province or city"),
    "district": N_("district"),
    "commune": N_("commune or ward"),
    "one-stop-centre": N_("one-stop centre"),
    "health-facility": N_("health facility"),
    "school": N_("school"),
    "office": N_("office"),
    "counter": N_("counter"),
    "ward": N_("ward"),
    "special-zone": N_("special zone"),
}

#: The changes a reorganisation records between a unit that ceased and one that follows it
#: (collector.lineage; the rule in docs/methodology.md).
UNIT_CHANGES = {
    "merge": N_("merged into"),
    "split": N_("split into"),
    "rename": N_("renamed to"),
}


def unit_kind_label(kind: str, translate: Callable[[str], str]) -> str:
    """A kind of unit in words, in the language of `translate`; an unknown code as it is."""
    label = UNIT_KINDS.get(kind)
    return translate(label) if label else kind


class Unit(Base):
    __tablename__ = "units"
    __table_args__ = (
        sa.CheckConstraint("length(code) BETWEEN 1 AND 64", name="code_length"),
        sa.CheckConstraint("length(kind) BETWEEN 1 AND 32", name="kind_length"),
        sa.CheckConstraint("parent_id <> id", name="not_own_parent"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The unit's code in the national identifier standard (or the province's own list). Codes
    #: never change once responses point at them: the hash chain covers the code as sent.
    code: Mapped[str] = mapped_column(sa.String(64), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    #: A code such as "province", "commune", "one-stop-centre", "health-facility", "school"
    #: (UNIT_KINDS, shown in words); a province may use codes of its own.
    kind: Mapped[str] = mapped_column(sa.String(32))
    parent_id: Mapped[int | None] = mapped_column(sa.ForeignKey("units.id"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    #: Weekly opening hours, local time: {"mon": [["07:30", "11:30"], ["13:30", "17:00"]], ...};
    #: None means the collector's default (OPENING_HOURS). See collector.fleet.opening.
    opening_hours: Mapped[dict[str, Any] | None]
    #: False once deactivated: kept with its responses (a unit is never deleted), but offered no
    #: more for new kiosks and accounts.
    active: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    #: The first day the unit exists as it is now (None: since before the product knew it).
    valid_from: Mapped[dt.date | None] = mapped_column(sa.Date)
    #: The first day it no longer exists (None: it still does); set by a reorganisation.
    valid_to: Mapped[dt.date | None] = mapped_column(sa.Date)

    parent: Mapped[Unit | None] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list[Unit]] = relationship(back_populates="parent")

    def __repr__(self) -> str:
        return f"<Unit {self.code} {self.kind}>"


class UnitLink(Base):
    """One step of a reorganisation: `predecessor` ceased on `effective` and `successor` takes
    its place, wholly (a merge or a renaming) or in part (a split: one link per successor)."""

    __tablename__ = "unit_links"
    __table_args__ = (
        sa.UniqueConstraint("predecessor_id", "successor_id"),
        sa.CheckConstraint("predecessor_id <> successor_id", name="not_own_successor"),
        sa.CheckConstraint("change IN ('merge', 'split', 'rename')", name="change"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    predecessor_id: Mapped[int] = mapped_column(sa.ForeignKey("units.id"), index=True)
    successor_id: Mapped[int] = mapped_column(sa.ForeignKey("units.id"), index=True)
    #: "merge", "split" or "rename" (UNIT_CHANGES).
    change: Mapped[str] = mapped_column(sa.String(16))
    #: The day of the change: the predecessor's valid_to, the successor's valid_from.
    effective: Mapped[dt.date] = mapped_column(sa.Date)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
