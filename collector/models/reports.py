"""Counts kept for the reports: per ISO week (Asia/Ho_Chi_Minh), unit, questionnaire and question.

Derived data: `collector.reports.counts.refresh_counts` fills them from `responses` and can rebuild
them at any time. They let a 12-week trend read a few thousand rows instead of millions of answers.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from collector.models.base import Base, BigIntKey
from shared.db import utcnow

#: The pseudo question code whose row counts respondents rather than answers: `answered` is the
#: number of responses and `satisfied` those whose every answered item is 4 or 5.
RESPONDENTS = "*"


class WeeklyCount(Base):
    __tablename__ = "report_weekly_counts"
    __table_args__ = (
        sa.CheckConstraint("answered >= 0 AND satisfied >= 0 AND no_opinion >= 0", name="counts"),
        sa.Index("ix_report_weekly_counts_unit_id_week", "unit_id", "week"),
    )

    #: Monday of the ISO week, local date in Asia/Ho_Chi_Minh.
    week: Mapped[dt.date] = mapped_column(sa.Date, primary_key=True)
    unit_id: Mapped[int] = mapped_column(
        sa.ForeignKey("units.id", ondelete="CASCADE"), primary_key=True
    )
    questionnaire: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    questionnaire_version: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    #: A question code, or RESPONDENTS.
    code: Mapped[str] = mapped_column(sa.String(16), primary_key=True)
    #: True for responses left out of the official figures (flagged suspicious, or broken chain).
    unofficial: Mapped[bool] = mapped_column(primary_key=True)
    #: Answers 1-5 (for RESPONDENTS: responses).
    answered: Mapped[int] = mapped_column(sa.Integer, default=0)
    #: Answers 4-5 (for RESPONDENTS: responses whose every answered item is 4 or 5).
    satisfied: Mapped[int] = mapped_column(sa.Integer, default=0)
    #: Answers 0, "not used / no opinion".
    no_opinion: Mapped[int] = mapped_column(sa.Integer, default=0)


class CountsState(Base):
    """How far the weekly counts have been brought: the highest response id counted."""

    __tablename__ = "report_counts_state"

    id: Mapped[int] = mapped_column(primary_key=True)
    last_response_id: Mapped[int] = mapped_column(BigIntKey, default=0)


class ReportTarget(Base):
    """A target set in the administration pages for a kind of service from a year on.

    It replaces the configured REPORT_TARGETS for that kind and year; kinds and years without a row
    keep the configured value.
    """

    __tablename__ = "report_targets"
    __table_args__ = (
        sa.CheckConstraint("target > 0 AND target <= 100", name="target_percent"),
        sa.CheckConstraint("year BETWEEN 2000 AND 2100", name="year_range"),
    )

    #: A questionnaire kind: "admin", "health", "education".
    kind: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    #: The first year the target applies; it holds until the next year with a target.
    year: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    #: Percent of satisfied respondents.
    target: Mapped[float] = mapped_column(sa.Float)
    #: Where the figure comes from, e.g. the decision that sets it.
    source: Mapped[str] = mapped_column(sa.String(300))
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
