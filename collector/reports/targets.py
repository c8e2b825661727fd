"""Report targets kept in the database: set by a province administrator, with their source.

A row for a kind and year replaces the configured REPORT_TARGETS value for that kind from that
year; where there is no row the configured value stays. Functions flush; the caller commits.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import sqlalchemy as sa
from sqlalchemy.orm import Session

from collector.accounts.scope import administers_everything
from collector.audit import audit
from collector.i18n import TranslatableError
from collector.models import ReportTarget, User
from shared.i18n import N_
from shared.questionnaires import KINDS


class TargetError(TranslatableError):
    """A target that cannot be set; the message says why."""


def effective_targets(
    session: Session, configured: Mapping[str, Mapping[int | str, float]]
) -> dict[str, dict[int, float]]:
    """kind -> year -> target: the configured ones, with the stored rows on top."""
    targets = {kind: {int(y): float(v) for y, v in t.items()} for kind, t in configured.items()}
    for row in session.scalars(sa.select(ReportTarget)):
        targets.setdefault(row.kind, {})[row.year] = float(row.target)
    return targets


def stored_targets(session: Session) -> list[ReportTarget]:
    return list(
        session.scalars(sa.select(ReportTarget).order_by(ReportTarget.kind, ReportTarget.year))
    )


def set_target(
    session: Session,
    kind: str,
    year: int,
    target: float,
    source: str,
    actor: User | None = None,
) -> ReportTarget:
    """Store the target of a kind of service from `year` on. Only an administrator of the whole
    province (no unit, or the top unit) may do it from the pages; None is the command line."""
    if not administers_everything(session, actor):
        raise TargetError(N_("only an administrator of the whole province may set targets"))
    if kind not in KINDS:
        raise TargetError(N_("no kind of service %(kind)s"), kind=kind)
    if not 2000 <= year <= 2100:
        raise TargetError(N_("the year must be between 2000 and 2100"))
    if not (math.isfinite(target) and 0 < target <= 100):
        raise TargetError(N_("the target must be a percentage above 0 and at most 100"))
    source = (source or "").strip()
    if not source or len(source) > 300:
        raise TargetError(N_("name the source of the target (1 to 300 characters)"))
    row = session.get(ReportTarget, (kind, year))
    before = None if row is None else row.target
    if row is None:
        row = ReportTarget(kind=kind, year=year)
        session.add(row)
    row.target, row.source, row.updated_by_id = float(target), source, actor.id if actor else None
    session.flush()
    audit(
        session,
        "target-set",
        actor,
        kind=kind,
        year=year,
        before=before,
        after=float(target),
        source=source,
    )
    return row
