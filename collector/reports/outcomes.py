"""The report's section on what became of the dossiers (methodology section 11): each kind's
index by the dossier's outcome (on time, late, refused, not yet settled...), the response rate by
outcome, and the national index's on-time group and item 5.4 beside the SIPAS index.

`load_outcomes` reads (queries only); `build_outcomes` computes, through `shared.scoring` (the
same index and respondent-clustered interval as every other figure) and
`collector.dossiers.national`. Ratings are read from the responses, not the report's counts:
a dossier's outcome changes after its rating was counted, and receipt ratings are few.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from collector.dossiers.national import DISLIKE_ANSWERS, NOT_COMPUTED, service_index
from collector.models import Dossier, DossierEvent, Receipt, Response
from collector.reports import model
from collector.reports.arrays import interval_of, value_of
from collector.reports.data import OutcomeData
from collector.reports.listed import answers_of
from shared import questionnaires, scoring
from shared.questionnaires import KINDS
from shared.responses import SUSPECT_FLAG

if TYPE_CHECKING:
    from collector.reports.data import ReportData

UNREPORTED = "unreported"


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def _disliked(kind: str, version: str, answers: dict[str, int]) -> bool:
    q = questionnaires.get(kind, version)
    return bool(q and q.overall and answers.get(q.overall.code) in DISLIKE_ANSWERS)


def load_outcomes(
    session: Session, unit_ids: list[int], start: dt.datetime, end: dt.datetime
) -> OutcomeData:
    """Receipts, their ratings and the dossiers of `unit_ids` for the period [start, end)."""
    d, rc, r = Dossier.__table__.c, Receipt.__table__.c, Response.__table__.c
    out = OutcomeData()
    out.reported = (
        session.execute(
            sa.select(d.id).where(d.receiving_unit_id.in_(unit_ids), d.state != "none").limit(1)
        ).first()
        is not None
    )
    if not out.reported:
        return out
    outcome = sa.func.coalesce(d.outcome, UNREPORTED)
    with_dossier = sa.outerjoin(
        Receipt.__table__, Dossier.__table__, d.dossier_hmac == rc.dossier_hmac
    )
    rows = session.execute(
        sa.select(r.questionnaire, r.questionnaire_version, outcome, r.answers, r.flags, r.chain_ok)
        .select_from(with_dossier.join(Response.__table__, r.id == rc.response_id))
        .where(rc.unit_id.in_(unit_ids), r.submitted_at >= start, r.submitted_at < end)
    )
    for kind, version, ended, answers, flags, chain_ok in rows:
        if chain_ok is False or SUSPECT_FLAG in (_json(flags) or []):
            continue
        out.ratings.append((kind, version, ended, answers_of(answers)))
    rates = session.execute(
        sa.select(outcome, sa.func.count(), sa.func.count(rc.answered_at))
        .select_from(with_dossier)
        .where(rc.unit_id.in_(unit_ids), rc.issued_at >= start, rc.issued_at < end)
        .group_by(outcome)
    )
    out.rates = {ended: (int(issued), int(answered)) for ended, issued, answered in rates}
    decided = sa.select(d.receiving_unit_id, d.outcome, sa.func.count()).where(
        d.receiving_unit_id.in_(unit_ids),
        d.outcome.in_(("on-time", "late", "refused")),
        d.settled_at >= start,
        d.settled_at < end,
    )
    column = {"on-time": 0, "late": 1, "refused": 2}
    for unit_id, ended, n in session.execute(decided.group_by(d.receiving_unit_id, d.outcome)):
        out.settled.setdefault(int(unit_id), [0, 0, 0, 0])[column[ended]] += int(n)
    rated = session.execute(
        sa.select(d.receiving_unit_id, r.questionnaire, r.questionnaire_version, r.answers)
        .select_from(
            Dossier.__table__.join(Receipt.__table__, rc.dossier_hmac == d.dossier_hmac).join(
                Response.__table__, r.id == rc.response_id
            )
        )
        .where(
            d.receiving_unit_id.in_(unit_ids),
            d.outcome.in_(("on-time", "late")),
            d.settled_at >= start,
            d.settled_at < end,
        )
    )
    for unit_id, kind, version, answers in rated:
        if _disliked(kind, version, answers_of(answers)):
            out.settled[int(unit_id)][3] += 1
    return out


def load_for(session: Session, data: ReportData) -> OutcomeData:
    """The section's data for a report's units and period (the report service's one hook)."""
    ids = [int(u) for u in data.units["id"]]
    return load_outcomes(session, ids, data.period.start_utc(), data.period.end_utc())


def outcomes_version(session: Session) -> tuple[int, int]:
    """Changes whenever a status event is recorded: the report cache keys on it."""
    row = session.execute(
        sa.select(sa.func.count(), sa.func.max(DossierEvent.__table__.c.id))
    ).one()
    return int(row[0]), int(row[1] or 0)


def _ratings(data: OutcomeData, versions: dict[str, list[str]]) -> list[model.OutcomeIndex]:
    out = []
    number = {o: i for i, o in enumerate(model.OUTCOME_ORDER)}
    for kind in KINDS:
        of_kind = [row for row in data.ratings if row[0] == kind]
        if not of_kind:
            continue
        layout, _ = scoring.layout_for(kind, [*versions.get(kind, []), *(r[1] for r in of_kind)])
        counts = scoring.respondent_counts(
            layout,
            [row[3] for row in of_kind],
            [number[row[2]] for row in of_kind],
            len(model.OUTCOME_ORDER),
        )
        scores = scoring.score_counts(layout, counts, factor_spread=False)
        for g, ended in enumerate(model.OUTCOME_ORDER):
            if not counts.responses[g]:
                continue
            out.append(
                model.OutcomeIndex(
                    kind=kind,
                    outcome=ended,
                    index=value_of(scores.index[g]),
                    ci95=interval_of(scores.index_ci[g]),
                    n=int(counts.respondents[g]),
                    responses=int(counts.responses[g]),
                )
            )
    return out


def _national(data: OutcomeData, report_data: ReportData, kinds) -> list[model.NationalRow]:
    units = report_data.units
    parent = {
        int(u): (None if p is None or p != p else int(p))
        for u, p in zip(units["id"], units["parent_id"], strict=True)
    }
    code = dict(zip(units["id"].astype(int), units["code"], strict=True))
    name = dict(zip(units["id"].astype(int), units["name"], strict=True))
    root = report_data.root_id
    children = sorted((u for u, p in parent.items() if p == root and u != root), key=code.get)

    def top(unit: int) -> int | None:
        """The root's direct child the unit is under (None for the root's own)."""
        while unit != root and parent.get(unit) not in (root, None):
            unit = parent[unit]  # type: ignore[assignment]
        return None if unit == root else unit

    sums: dict[int | None, list[int]] = {}
    for unit, values in data.settled.items():
        for key in ("all", top(unit)):
            into = sums.setdefault(key, [0, 0, 0, 0])  # type: ignore[arg-type]
            for i, v in enumerate(values):
                into[i] += v
    admin = next((k for k in kinds if k.kind == "admin"), None)
    sipas = {row.code: row.summary.index for row in admin.children if not row.own} if admin else {}

    def row(key, row_code: str, row_name: str, sipas_index) -> model.NationalRow:
        on_time, late, refused, disliked = sums.get(key, [0, 0, 0, 0])
        return model.NationalRow(
            code=row_code,
            name=row_name,
            national=service_index(on_time, late, disliked),
            refused=refused,
            sipas_index=sipas_index,
        )

    rows = [row("all", "", "", admin.summary.index if admin else None)]
    rows += [row(u, code[u], name[u], sipas.get(code[u])) for u in children if u in sums]
    return rows


def build_outcomes(report_data: ReportData, kinds) -> model.Outcomes | None:
    """The section, or None when no dossier in scope has a status event."""
    data = report_data.outcomes
    if data is None or not data.reported:
        return None
    rates = []
    for ended in model.OUTCOME_ORDER:
        issued, answered = data.rates.get(ended, (0, 0))
        if issued:
            rates.append(model.OutcomeRate(ended, issued, answered, 100.0 * answered / issued))
    return model.Outcomes(
        ratings=tuple(_ratings(data, report_data.period_versions)),
        response_rates=tuple(rates),
        national=tuple(_national(data, report_data, kinds)),
        not_computed=NOT_COMPUTED,
    )
