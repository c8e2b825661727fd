"""Counts kept for the reports: per local day, ISO week and month (Asia/Ho_Chi_Minh), unit,
questionnaire and question (`ReportCount`), and per group of a breakdown (`ReportGroupCount`).

Derived data: `collector.counts.refresh.refresh_counts` fills them from `responses` and can rebuild
them at any time. They let a report of any period read counts instead of millions of answers: the
days serve any span, the weeks a week and its trend at a seventh of the rows, the months a year
at a thirtieth.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from collector.models.base import Base, BigIntKey
from shared.db import utcnow

#: The pseudo question code whose row counts respondents rather than answers: `answered` is the
#: number of responses with a valid answer to a factor item and `satisfied` those whose every such
#: answer is 4 or 5 (the overall question is not a factor item).
RESPONDENTS = "*"


#: Grains of the counts: per local day, per local ISO week (bucket = its Monday) and per local
#: month (bucket = its first day). Weeks and months are sums of their days.
GRAINS = ("day", "week", "month")


class _BucketKey:
    """The leading primary-key columns of every table of counts: grain, unit, bucket and
    questionnaire, in that order, before the table's own (`sort_order`)."""

    #: "day", "week" or "month".
    grain: Mapped[str] = mapped_column(sa.String(8), primary_key=True, sort_order=-1)
    unit_id: Mapped[int] = mapped_column(
        sa.ForeignKey("units.id", ondelete="CASCADE"), primary_key=True, sort_order=-1
    )
    #: The local day (Asia/Ho_Chi_Minh), the Monday of the local ISO week, or the first day of
    #: the local month.
    bucket: Mapped[dt.date] = mapped_column(sa.Date, primary_key=True, sort_order=-1)
    questionnaire: Mapped[str] = mapped_column(sa.String(32), primary_key=True, sort_order=-1)


class ReportCount(_BucketKey, Base):
    """Answers per question (and respondents, code RESPONDENTS) of one bucket, unit,
    questionnaire version, channel and official status."""

    __tablename__ = "report_counts"
    __table_args__ = (
        sa.CheckConstraint(
            "answered >= 0 AND satisfied >= 0 AND no_opinion >= 0 AND value_sum >= 0",
            name="counts",
        ),
        sa.CheckConstraint("grain IN ('day', 'week', 'month')", name="grain"),
        # Recounts and whole-table reads go by bucket; reports by unit (the primary key).
        sa.Index("ix_report_counts_grain_bucket", "grain", "bucket"),
        # On SQLite the rows are kept in primary-key order: a report's range of buckets of a
        # unit is read in one run, not row by row through a separate index.
        {"sqlite_with_rowid": False},
    )

    questionnaire_version: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    channel: Mapped[str] = mapped_column(sa.String(16), primary_key=True)
    #: A question code, or RESPONDENTS.
    code: Mapped[str] = mapped_column(sa.String(16), primary_key=True)
    #: True for responses left out of the official figures (flagged suspicious, or broken chain).
    unofficial: Mapped[bool] = mapped_column(primary_key=True)
    #: Answers 1-5 (RESPONDENTS: responses with at least one valid answer to a factor item).
    answered: Mapped[int] = mapped_column(sa.Integer, default=0)
    #: Answers 4-5 (RESPONDENTS: of those, the responses whose every valid factor-item answer
    #: is 4 or 5).
    satisfied: Mapped[int] = mapped_column(sa.Integer, default=0)
    #: Answers 0, "not used / no opinion" (RESPONDENTS: responses without a valid factor-item
    #: answer: empty, all "no opinion", or only the overall question).
    no_opinion: Mapped[int] = mapped_column(sa.Integer, default=0)
    #: The sum of the answers 1-5 (RESPONDENTS: 0).
    value_sum: Mapped[int] = mapped_column(sa.BigInteger, default=0)


class ReportGroupCount(_BucketKey, Base):
    """Responses and their answers per group of one dimension (channel, counter, procedure,
    officer, hour "D-HH", reason) of one bucket, unit, questionnaire and official status.
    `answered`/`satisfied`/`low` count every valid answer of the responses (all questions).

    Two more dimensions serve the report's totals: "comment" (value "": the responses with a
    comment) and "left-out" (value "<channel>/suspect" or "<channel>/broken": the responses
    flagged suspicious, or with a broken chain link, a response both being in both)."""

    __tablename__ = "report_group_counts"
    __table_args__ = (
        sa.CheckConstraint(
            "responses >= 0 AND answered >= 0 AND satisfied >= 0 AND low >= 0", name="counts"
        ),
        sa.CheckConstraint(
            "satisfied_sq >= 0 AND satisfied_answered >= 0 AND answered_sq >= 0", name="squares"
        ),
        sa.CheckConstraint("grain IN ('day', 'week', 'month')", name="grain"),
        sa.Index("ix_report_group_counts_grain_bucket", "grain", "bucket"),
        {"sqlite_with_rowid": False},
    )

    dimension: Mapped[str] = mapped_column(sa.String(16), primary_key=True)
    value: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    unofficial: Mapped[bool] = mapped_column(primary_key=True)
    #: Responses in the group (reason: responses giving that reason).
    responses: Mapped[int] = mapped_column(sa.Integer, default=0)
    #: Their answers 1-5, 4-5 and 1-2.
    answered: Mapped[int] = mapped_column(sa.Integer, default=0)
    satisfied: Mapped[int] = mapped_column(sa.Integer, default=0)
    low: Mapped[int] = mapped_column(sa.Integer, default=0)
    #: Over the responses, with s and n each one's answers 4-5 and 1-5: the sums of s^2, s n
    #: and n^2, for the group's respondent-clustered interval (methodology section 7).
    satisfied_sq: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    satisfied_answered: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    answered_sq: Mapped[int] = mapped_column(sa.BigInteger, default=0)


class ReportCross(_BucketKey, Base):
    """The respondents' cross-products (`shared.scoring.Cross`) of one bucket, unit,
    questionnaire version, channel and official status: what a respondent-clustered interval
    needs beyond the counts (methodology section 7). Derived like the counts, at the same grains.

    `data` is zlib-compressed little-endian int32: the upper triangle (diagonal included, row by
    row) of `yy`, then every cell of `ya` (row by row), then the upper triangle of `aa`, over the
    criteria `codes` in that order (`collector.counts.cross`)."""

    __tablename__ = "report_cross"
    __table_args__ = (
        sa.CheckConstraint("grain IN ('day', 'week', 'month')", name="grain"),
        sa.Index("ix_report_cross_grain_bucket", "grain", "bucket"),
    )

    questionnaire_version: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    channel: Mapped[str] = mapped_column(sa.String(16), primary_key=True)
    unofficial: Mapped[bool] = mapped_column(primary_key=True)
    #: The factor items' codes, comma-separated, in the order of the arrays in `data`.
    codes: Mapped[str] = mapped_column(sa.Text)
    data: Mapped[bytes] = mapped_column(sa.LargeBinary)


class CountsState(Base):
    """How far the report counts have been brought: the highest response id counted."""

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
