"""Background jobs whose state every collector instance must be able to report: raw exports.

The queue (Huey) carries the work; this table carries what a user is shown and what bounds a user's
jobs, so any instance (and a restarted one) answers the same.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from collector.models.accounts import User
from collector.models.base import Base
from shared.db import utcnow

JOB_STATES = ("queued", "running", "done", "failed", "expired")
#: States that count against a user's bound of jobs in progress.
ACTIVE_STATES = ("queued", "running")


class ExportJob(Base):
    """One raw XLSX export asked for by a user; its file lives in the exports folder."""

    __tablename__ = "export_jobs"
    __table_args__ = (
        sa.CheckConstraint(
            "state IN ({})".format(", ".join(f"'{s}'" for s in JOB_STATES)), name="state"
        ),
        sa.CheckConstraint("attempts >= 0", name="attempts_not_negative"),
        sa.Index("ix_export_jobs_user_id_state", "user_id", "state"),
    )

    #: A random URL-safe id: also the file's name, so it must not be guessable.
    id: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    #: The top unit of the export (the user's scope was checked when it was asked for).
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("units.id"))
    unit_code: Mapped[str] = mapped_column(sa.String(64))
    first_week: Mapped[str] = mapped_column(sa.String(8))
    last_week: Mapped[str] = mapped_column(sa.String(8))
    #: The language of the file's headers.
    locale: Mapped[str] = mapped_column(sa.String(16))
    state: Mapped[str] = mapped_column(sa.String(16), default="queued")
    #: How many times a worker started it (a job whose worker died is queued again).
    attempts: Mapped[int] = mapped_column(default=0)
    rows: Mapped[int | None]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    started_at: Mapped[dt.datetime | None]
    finished_at: Mapped[dt.datetime | None]

    user: Mapped[User] = relationship()
