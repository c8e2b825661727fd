"""What pages, the JSON API and the CLI share: find the unit in the user's scope, load, compute.

Reports only read the counts: the worker refreshes them (`collector.tasks`), asked to after each
commit that stores responses, and on its schedule. The caller commits (including the responses
left out of the official figures writes a row to the audit log).
"""

from __future__ import annotations

import dataclasses
import threading
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from collector.accounts.scope import can_see, home_unit
from collector.accounts.service import audit
from collector.models import CountsState, Response, Unit, User
from collector.periods import Period
from collector.receipts.report import receipts_version
from collector.reports import model
from collector.reports.build import build_report
from collector.reports.lineage import NONE, lineage_version
from collector.reports.loader import load_report_data
from collector.reports.outcomes import build_outcomes, load_for, outcomes_version
from collector.reports.targets import effective_targets

#: Targets in percent by kind and the year from which they apply (methodology section 1).
DEFAULT_TARGETS: dict[str, dict[int, float]] = {
    "admin": {2025: 90.0, 2030: 95.0},
    "health": {2025: 85.0, 2030: 90.0},
    "education": {2025: 85.0, 2030: 90.0},
}

CONFIG_DEFAULTS: dict[str, Any] = {
    #: Fewer responses with a valid answer than this: "too few responses" whatever the interval.
    "REPORT_MIN_RESPONSES": 30,
    #: kind -> year -> target in percent; the target of a year is that of the latest year not after.
    "REPORT_TARGETS": DEFAULT_TARGETS,
    #: A fall of this many points from the previous period puts a unit on the alert list.
    "REPORT_DROP_POINTS": 10.0,
}


class ReportNotFound(LookupError):
    """No such unit, or one outside the user's scope (the two look the same from outside)."""


@dataclasses.dataclass(frozen=True)
class ReportSettings:
    """The settings a report is computed with: the model's, and the targets in force."""

    report: model.Settings
    targets: Mapping[str, Mapping[int, float]]


def settings_from(
    config: Mapping[str, Any],
    include_unofficial: bool = False,
    session: Session | None = None,
) -> ReportSettings:
    """The report settings of the configuration; with a session, the targets stored in the
    database replace the configured ones for their kind and year."""
    targets = config.get("REPORT_TARGETS", DEFAULT_TARGETS)
    if session is not None:
        targets = effective_targets(session, targets)
    return ReportSettings(
        report=model.Settings(
            min_responses=int(config.get("REPORT_MIN_RESPONSES", 30)),
            include_unofficial=include_unofficial,
            drop_points=float(config.get("REPORT_DROP_POINTS", 10.0)),
        ),
        targets={kind: {int(y): float(v) for y, v in t.items()} for kind, t in targets.items()},
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


def build_report_for(
    session: Session,
    config: Mapping[str, Any],
    *,
    user: User | None,
    unit_code: str | None,
    period: Period,
    include_unofficial: bool = False,
    via: str = "page",
) -> model.Report:
    """The report of a unit in the user's scope (any unit without a user, for the CLI) for any
    period; the one path of the page, the exports, the JSON API, the CLI and the mail.

    Transactions: the report only reads (the counts are refreshed after the responses' commit,
    `collector.tasks.request_refresh`), and the reading transaction ends before the report is
    computed (on SQLite every transaction holds the one write lock, which kiosk uploads must not
    wait for). The audit row of including the left-out responses is left for the caller to
    commit.
    """
    unit = resolve_unit(session, user, unit_code)
    unit_id, unit_code = unit.id, unit.code
    settings = settings_from(config, include_unofficial, session)
    # A report depends only on the stored responses, which only grow (a chain status changes
    # only when a new response arrives), how far the counts have taken them in, and on the
    # receipts: they tell whether it is current.
    newest = session.scalar(sa.select(sa.func.max(Response.id))) or 0
    counted = session.scalar(sa.select(sa.func.max(CountsState.last_response_id))) or 0
    key = (
        str(session.get_bind().url),
        unit_id,
        period.key,
        period.next() is None,  # a period still running changes with the day
        repr(settings),
        newest,
        counted,
        receipts_version(session),
        lineage_version(session),
        outcomes_version(session),
    )
    report = _CACHE.get(key)
    if report is None:
        data = load_report_data(session, unit_id, period, include_unofficial)
        data.outcomes = load_for(session, data)
        session.rollback()  # only read: end the transaction before computing
        report = build_report(data, settings.report, settings.targets)
        report = dataclasses.replace(report, outcomes=build_outcomes(data, report.kinds))
        report = (data.lineage or NONE).mark(report)
        _CACHE.put(key, report)
    if include_unofficial:
        audit(
            session,
            "report-included-unofficial",
            user,
            unit=unit_code,
            period=period.key,
            via=via,
        )
    return for_reader(report, user, config)


#: Roles that see results per officer (methodology section 7: managers only, never viewers).
OFFICER_ROLES = frozenset({"admin", "manager"})


@dataclasses.dataclass(frozen=True)
class ReaderRights:
    """What a reader may see beyond the figures."""

    officers: bool
    comments: bool


def reader_rights(user: User | None, config: Mapping[str, Any]) -> ReaderRights:
    """The one answer to "may this reader see officers, comments?", for the report (page, CSV,
    XLSX, JSON) and the raw exports alike: managers, administrators and the system (CLI, mail
    to configured addresses) see both; viewers see no officer, and comments only where the
    province allows it (VIEWERS_SEE_COMMENTS)."""
    if user is None or user.role in OFFICER_ROLES:
        return ReaderRights(officers=True, comments=True)
    return ReaderRights(officers=False, comments=bool(config.get("VIEWERS_SEE_COMMENTS", False)))


def for_reader(
    report: model.Report, user: User | None, config: Mapping[str, Any] | None = None
) -> model.Report:
    """The report as `user` may read it: what `reader_rights` withholds is removed here, once,
    for every renderer (page, CSV, XLSX, JSON)."""
    role = user.role if user is not None else "system"
    rights = reader_rights(user, config or {})
    report = dataclasses.replace(report, viewer_role=role)
    if not rights.officers:
        report = dataclasses.replace(
            report,
            officers=None,
            officers_hidden=None,
            funnels=tuple(f for f in report.funnels if f.dimension != "officer"),
        )
    if not rights.comments:
        report = dataclasses.replace(report, comments=(), comments_hidden=True)
    return report


class _ReportCache:
    """The last few reports computed in this process (they are read, never changed)."""

    def __init__(self, size: int = 16):
        self.size = size
        self.items: OrderedDict[tuple, model.Report] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: tuple) -> model.Report | None:
        with self.lock:
            if key in self.items:
                self.items.move_to_end(key)
                return self.items[key]
        return None

    def put(self, key: tuple, report: model.Report) -> None:
        with self.lock:
            self.items[key] = report
            self.items.move_to_end(key)
            while len(self.items) > self.size:
                self.items.popitem(last=False)

    def clear(self) -> None:
        with self.lock:
            self.items.clear()


_CACHE = _ReportCache()
