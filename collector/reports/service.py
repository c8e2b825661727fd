"""What pages, the JSON API and the CLI share: find the unit in the user's scope, load, compute.

The caller commits (loading brings the report counts up to date, and including the responses left
out of the official figures writes a row to the audit log).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session
from threadpoolctl import threadpool_limits

from collector.accounts.scope import can_see, home_unit
from collector.accounts.service import audit
from collector.models import Response, Unit, User
from collector.receipts.report import receipts_version
from collector.reports.counts import refresh_counts
from collector.reports.loader import load_week
from collector.reports.report import Settings, weekly_report
from collector.reports.stats import DEFAULT_TARGETS
from collector.reports.targets import effective_targets
from collector.reports.weeks import Week

CONFIG_DEFAULTS: dict[str, Any] = {
    #: Fewer responses than this: "not enough data" whatever the interval.
    "REPORT_MIN_RESPONSES": 30,
    #: kind -> year -> target in percent; the target of a year is that of the latest year not after.
    "REPORT_TARGETS": DEFAULT_TARGETS,
    "REPORT_BOOTSTRAP_REPS": 1000,
    #: A fall of this many points from last week puts a unit on the alert list.
    "REPORT_DROP_POINTS": 10.0,
}


class ReportNotFound(LookupError):
    """No such unit, or one outside the user's scope (the two look the same from outside)."""


def settings_from(
    config: Mapping[str, Any],
    include_unofficial: bool = False,
    session: Session | None = None,
) -> Settings:
    """The report settings of the configuration; with a session, the targets stored in the
    database replace the configured ones for their kind and year."""
    targets = config.get("REPORT_TARGETS", DEFAULT_TARGETS)
    if session is not None:
        targets = effective_targets(session, targets)
    return Settings(
        min_responses=int(config.get("REPORT_MIN_RESPONSES", 30)),
        targets={kind: {int(y): float(v) for y, v in t.items()} for kind, t in targets.items()},
        bootstrap_reps=int(config.get("REPORT_BOOTSTRAP_REPS", 1000)),
        drop_points=float(config.get("REPORT_DROP_POINTS", 10.0)),
        include_unofficial=include_unofficial,
    )


def resolve_unit(session: Session, user: User | None, code: str | None) -> Unit:
    """The unit a report is asked for, checked against the user's scope (None: no user, the CLI)."""
    if code:
        unit = session.scalar(sa.select(Unit).where(Unit.code == code))
    elif user is not None:
        unit = home_unit(session, user)
    else:
        unit = session.scalar(sa.select(Unit).where(Unit.parent_id.is_(None)).order_by(Unit.code))
    if unit is None or (user is not None and not can_see(session, user, unit)):
        raise ReportNotFound(code)
    return unit


def build_weekly_report(
    session: Session,
    config: Mapping[str, Any],
    *,
    user: User | None,
    unit_code: str | None,
    week: Week,
    include_unofficial: bool = False,
    via: str = "page",
) -> dict[str, Any]:
    """The weekly report of a unit in the user's scope (any unit without a user, for the CLI).

    Transactions: the report counts are derived data and are committed as soon as they are
    brought up to date, and the reading transaction ends before the report is computed. On SQLite
    every transaction holds the one write lock, which kiosk uploads must not wait a second for.
    The audit row of the switch is left for the caller to commit.
    """
    unit = resolve_unit(session, user, unit_code)
    unit_id, unit_code = unit.id, unit.code
    settings = settings_from(config, include_unofficial, session)
    refresh_counts(session)
    session.commit()
    # A report depends only on the stored responses, which only grow (a chain status changes
    # only when a new response arrives): the highest response id tells whether it is current.
    newest = session.scalar(sa.select(sa.func.max(Response.id))) or 0
    key = (
        str(session.get_bind().url),
        unit_id,
        str(week),
        repr(settings),
        newest,
        receipts_version(session),
    )
    report = _CACHE.get(key)
    if report is None:
        data = load_week(session, unit_id, week, include_unofficial)
        session.rollback()  # only read: end the transaction before the long part
        # Hundreds of small matrix products (a bootstrap per unit): threads in the BLAS only
        # get in each other's way, several times slower than one thread on a 2-core machine.
        with threadpool_limits(limits=1, user_api="blas"):
            report = weekly_report(data, settings)
        _CACHE.put(key, report)
    if include_unofficial:
        audit(
            session,
            "report-included-unofficial",
            user,
            unit=unit_code,
            week=str(week),
            via=via,
        )
    return {
        **report,
        **_officers_for(user, report),
        "viewer_role": user.role if user is not None else "system",
    }


#: Roles that see results per officer (methodology section 7: managers only, never viewers).
OFFICER_ROLES = frozenset({"admin", "manager"})


def _officers_for(user: User | None, report: dict[str, Any]) -> dict[str, Any]:
    """Per-officer results are removed here, once, for every renderer (page, CSV, XLSX, JSON)."""
    if user is None or user.role in OFFICER_ROLES:
        return {}
    return {"officers": None, "officers_hidden": None}


class _ReportCache:
    """The last few reports computed in this process (they are read, never changed)."""

    def __init__(self, size: int = 16):
        self.size = size
        self.items: OrderedDict[tuple, dict[str, Any]] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: tuple) -> dict[str, Any] | None:
        with self.lock:
            if key in self.items:
                self.items.move_to_end(key)
                return self.items[key]
        return None

    def put(self, key: tuple, report: dict[str, Any]) -> None:
        with self.lock:
            self.items[key] = report
            self.items.move_to_end(key)
            while len(self.items) > self.size:
                self.items.popitem(last=False)

    def clear(self) -> None:
        with self.lock:
            self.items.clear()


_CACHE = _ReportCache()
