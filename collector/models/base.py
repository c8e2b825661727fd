"""The declarative base of the collector's tables, with the project's naming convention."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column

from shared.db import UTCDateTime, new_metadata, utcnow

#: JSON everywhere; JSONB on PostgreSQL so reports can index into it.
JSONType = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
#: 64-bit keys on PostgreSQL; SQLite only auto-increments an INTEGER PRIMARY KEY.
BigIntKey = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


class Base(DeclarativeBase):
    metadata = new_metadata()
    type_annotation_map = {
        dt.datetime: UTCDateTime(),
        dict[str, Any]: JSONType,
        list[Any]: JSONType,
    }


class UnitToken:
    """The first columns of a bearer token that acts for a unit and every unit below it (a kiosk,
    an integration): id, unit, label, the token's SHA-256 (hex; the token itself is shown once and
    never stored) and when it was made, in that order, before the table's own (`sort_order`)."""

    @declared_attr.directive
    def __table_args__(cls) -> tuple[Any, ...]:
        return (sa.CheckConstraint("length(token_hash) = 64", name="token_hash_length"),)

    id: Mapped[int] = mapped_column(primary_key=True, sort_order=-1)
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("units.id"), index=True, sort_order=-1)
    label: Mapped[str] = mapped_column(sa.String(100), default="", sort_order=-1)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True, sort_order=-1)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow, sort_order=-1)
