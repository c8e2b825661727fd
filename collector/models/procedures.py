"""The province's list of administrative procedures, offered on the counter page."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from collector.models.base import Base
from shared.db import utcnow


class Procedure(Base):
    """A procedure a counter officer picks when issuing a receipt (mã thủ tục hành chính, as in
    the national list, e.g. 1.004227). Never deleted: receipts and responses keep its code."""

    __tablename__ = "procedures"
    __table_args__ = (
        sa.CheckConstraint("length(code) BETWEEN 1 AND 64", name="code_length"),
        sa.CheckConstraint("length(name) BETWEEN 1 AND 300", name="name_length"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The procedure code as receipts and responses carry it (letters, digits, '.', '_', '-').
    code: Mapped[str] = mapped_column(sa.String(64), unique=True)
    name: Mapped[str] = mapped_column(sa.String(300))
    #: The questionnaire its receipts ask: "admin", "health" or "education".
    kind: Mapped[str] = mapped_column(sa.String(32), default="admin")
    #: False once withdrawn: no longer offered, still named where its code appears.
    active: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    def __repr__(self) -> str:
        return f"<Procedure {self.code}>"
