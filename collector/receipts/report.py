"""What only the receipt channel shows, for the weekly report: the response rate (receipts issued,
opened and answered per unit in the week) and the channel comparison (the index of kiosk, receipt
and poster responses side by side, each with its interval).

Self-contained: `load_receipts` is called by the loader, `response_rate` and `channel_comparison`
by `weekly_report`, `report_sections` by the CSV/XLSX renderer and `json_sections` by the JSON API.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
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


def _r2(value: float | None) -> float | None:
    return None if value is None or np.isnan(value) else round(float(value), 2)


def json_sections(report: dict[str, Any]) -> dict[str, Any]:
    rate = report.get("response_rate") or {"units": [], "total": {}}
    return {
        "response_rate": {
            "units": [
                {
                    **row,
                    "answered_share": _r2(row["answered_share"]),
                    "opened_share": _r2(row["opened_share"]),
                }
                for row in rate["units"]
            ],
            "total": {
                **rate["total"],
                "answered_share": _r2(rate["total"].get("answered_share")),
                "opened_share": _r2(rate["total"].get("opened_share")),
            },
        },
        "channel_comparison": [
            {
                **row,
                "index": _r2(row["index"]),
                "ci95": [_r2(v) for v in row["ci95"]] if row["ci95"] else None,
            }
            for row in report.get("channel_comparison") or []
        ],
    }


def report_sections(report: dict[str, Any], _, kind_label, channel_label):
    """(sheet name, headers, rows) for the CSV and XLSX renderers."""
    rate = report.get("response_rate") or {"units": [], "total": {}}
    rate_rows = [
        [
            row["code"],
            row["name"],
            row["issued"],
            row["opened"],
            row["answered"],
            _r2(row["answered_share"]),
            row["expired"],
            row["revoked"],
        ]
        for row in rate["units"]
    ]
    if rate["units"]:
        t = rate["total"]
        rate_rows.append(
            [
                _("Total"),
                "",
                t["issued"],
                t["opened"],
                t["answered"],
                _r2(t["answered_share"]),
                t["expired"],
                t["revoked"],
            ]
        )
    channel_rows = []
    for row in report.get("channel_comparison") or []:
        ci = row["ci95"] or [None, None]
        channel_rows.append(
            [
                kind_label(row["kind"]),
                channel_label(row["channel"]),
                _r2(row["index"]),
                _r2(ci[0]),
                _r2(ci[1]),
                row["responses"],
                row["suspect_left_out"],
            ]
        )
    return [
        (
            _("Response rate"),
            [
                _("Code"),
                _("Unit"),
                _("Receipts issued"),
                _("Opened"),
                _("Answered"),
                _("Answered (%)"),
                _("Expired unanswered"),
                _("Revoked"),
            ],
            rate_rows,
        ),
        (
            _("Channels"),
            [
                _("Kind of service"),
                _("Channel"),
                _("Index (%)"),
                _("Interval (95%), low"),
                _("Interval (95%), high"),
                _("Responses"),
                _("Suspicious, left out"),
            ],
            channel_rows,
        ),
    ]
