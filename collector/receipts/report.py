"""What the report reads of the receipts: how many were issued per unit in a period and how many
of them were opened and answered (the response rate, built in `collector.reports.build`), and a
version number the report cache keys on."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.orm import Session

from collector.models import Receipt

RECEIPT_COLUMNS = ["unit_id", "issued", "opened", "answered", "expired", "revoked"]


def load_receipts(
    session: Session, unit_ids: list[int], start: dt.datetime, end: dt.datetime
) -> pd.DataFrame:
    """Per unit: the receipts issued from `start` to before `end` (UTC) and how many of them were
    opened, answered, expired unanswered or revoked by now."""
    r = Receipt.__table__.c

    def counted(condition) -> sa.ColumnElement:
        return sa.func.sum(sa.case((condition, 1), else_=0))

    rows = (
        session.connection()
        .execute(
            sa.select(
                r.unit_id,
                sa.func.count(),
                counted(r.opened_at.is_not(None)),
                counted(r.answered_at.is_not(None)),
                counted(r.state == "expired"),
                counted(r.state == "revoked"),
            )
            .where(
                r.unit_id.in_(unit_ids),
                r.issued_at >= start,
                r.issued_at < end,
            )
            .group_by(r.unit_id)
        )
        .all()
    )
    frame = pd.DataFrame([tuple(row) for row in rows], columns=RECEIPT_COLUMNS)
    return frame.astype(int) if not frame.empty else frame


def receipts_version(session: Session) -> tuple[int, int, int, int]:
    """Changes whenever a receipt is issued, opened, answered, expires or is revoked: the report
    cache keys on it."""
    r = Receipt.__table__.c
    row = session.execute(
        sa.select(
            sa.func.count(),
            sa.func.count(r.opened_at),
            sa.func.count(r.answered_at),
            sa.func.count(r.revoked_at),
        )
    ).one()
    expired = session.scalar(sa.select(sa.func.count()).where(r.state == "expired"))
    return (*[int(v) for v in row][:3], int(row[3]) + int(expired or 0))
