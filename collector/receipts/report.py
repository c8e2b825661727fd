"""What only the receipt channel shows, for the weekly report: the response rate (receipts issued,
opened and answered per unit in the week) and the channel comparison (the index of kiosk, receipt
and poster responses side by side, each with its interval).

Self-contained: `load_receipts` is called by the loader, `response_rate` and `channel_comparison`
by `weekly_report`; the renderers (`collector.reports.render`) show them from the typed report.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.orm import Session

from collector.models import Receipt

CHANNEL_ORDER = ("kiosk", "receipt", "poster")
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


def _share(part: int, whole: int) -> float | None:
    return 100.0 * part / whole if whole else None


def response_rate(receipts: pd.DataFrame, code_of: dict[int, str], name_of: dict[int, str]):
    """Rows per unit (by code) and the total: issued, opened, answered, the share answered."""
    rows = []
    if receipts is not None and not receipts.empty:
        for row in receipts.sort_values("unit_id").itertuples(index=False):
            uid = int(row.unit_id)
            rows.append(
                {
                    "code": code_of.get(uid, str(uid)),
                    "name": name_of.get(uid, ""),
                    "issued": int(row.issued),
                    "opened": int(row.opened),
                    "answered": int(row.answered),
                    "expired": int(row.expired),
                    "revoked": int(row.revoked),
                    "answered_share": _share(int(row.answered), int(row.issued)),
                    "opened_share": _share(int(row.opened), int(row.issued)),
                }
            )
    rows.sort(key=lambda r: r["code"])
    total = {
        key: sum(r[key] for r in rows)
        for key in ("issued", "opened", "answered", "expired", "revoked")
    }
    total["answered_share"] = _share(total["answered"], total["issued"])
    total["opened_share"] = _share(total["opened"], total["issued"])
    return {"units": rows, "total": total}


def channel_comparison(data, settings) -> list[dict[str, Any]]:
    """Per kind and channel: the index computed exactly as the kind's headline index (the
    questionnaire's method, mean of units, bootstrap interval), over that channel's responses."""
    from collector.reports.report import _answer_values, _KindScorer
    from collector.reports.stats import layout_for, target_for
    from shared.questionnaires import KINDS

    responses = data.responses
    if responses.empty:
        return []
    if not settings.include_unofficial:
        responses = responses[~responses["unofficial"]]
    out = []
    for kind in KINDS:
        of_kind = responses[responses["kind"] == kind]
        if of_kind.empty:
            continue
        layout, _ = layout_for(kind, data.versions.get(kind, []))
        target = target_for(settings.targets, kind, data.week.monday.year)
        for channel in CHANNEL_ORDER:
            part = of_kind[of_kind["channel"] == channel]
            if part.empty:
                continue
            values = _answer_values(part, list(layout.criteria))
            scorer = _KindScorer(
                kind, layout, values, part["unit_id"].to_numpy(dtype=int), settings, data.week
            )
            summary = scorer.summary(None, target)
            out.append(
                {
                    "kind": kind,
                    "channel": channel,
                    "index": summary["index"],
                    "ci95": summary["ci95"],
                    "responses": summary["responses"],
                    "units_with_data": summary["units_with_data"],
                    "suspect_left_out": int(
                        data.responses[
                            (data.responses["kind"] == kind)
                            & (data.responses["channel"] == channel)
                            & data.responses["suspect"]
                        ].shape[0]
                    ),
                }
            )
    return out
