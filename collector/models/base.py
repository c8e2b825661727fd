"""The declarative base of the collector's tables, with the project's naming convention."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import DeclarativeBase

from shared.db import UTCDateTime, new_metadata

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
