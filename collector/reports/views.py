"""Report pages and downloads for logged-in users, each limited to the user's unit subtree."""

from __future__ import annotations

import datetime as dt

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    send_file,
    stream_with_context,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import Session

from collector.accounts import role_required
from collector.accounts.scope import units_visible
from collector.db import get_db, get_session
from collector.fleet.opening import silent_in
from collector.limits import limiter
from collector.models import ExportJob, User
from collector.periods import Period, PeriodError
from collector.reports import model, service
from collector.reports.exports import (
    ExportRefused,
    app_exports_dir,
    create_export_job,
    finish_job,
    get_job,
    job_file,
    stream_raw_csv,
)
from collector.reports.page import TEMPLATE, kind_label, page_context, period_from_args
from collector.reports.render import report_csv, report_xlsx
from collector.reports.service import ReportNotFound, reader_rights, resolve_unit
from collector.reports.targets import effective_targets
from collector.tasks import enqueue_export
from shared.scoring import target_for

bp = Blueprint("reports", __name__)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _user() -> User:
    return get_session().get(User, current_user.id)


def _week_arg(name: str = "week", default: str = "last") -> Period:
    try:
        return Period.parse_week(request.args.get(name) or default)
    except ValueError:
        abort(400)


def _include_arg(user: User) -> bool:
    """The switch that puts suspicious and broken-chain responses back in (not for viewers)."""
    wanted = request.args.get("include") == "1"
    if wanted and user.role == "viewer":
        abort(403)
    return wanted


def _period_key() -> str:
    """The period asked for: ?period=, the picker's fields, the old ?week=, else last week."""
    return (
        request.args.get("period")
        or period_from_args(request.args)
        or request.args.get("week")
        or "last"
    )


def _period_messages() -> dict[str, str]:
    return {
        "invalid": _(
            "This is not a period: use a week (2026-W48), a month (2026-11), a quarter (2026-Q3),"
            " a year (2026) or a date range (2026-10-01..2026-11-15)."
        ),
        "out-of-range": _("This period is outside the calendar this report covers."),
        "reversed": _("This date range ends before it starts."),
        "future": _("This period has not begun yet."),
    }


def _period() -> Period:
    """The period of the request; a clear page for one that cannot be (400) or has not begun
    (404)."""
    try:
        return Period.parse(_period_key())
    except PeriodError as exc:
        status = 404 if exc.code == "future" else 400
        message = _period_messages().get(exc.code, _("The request could not be handled."))
        page = render_template(
            "collector/reports/period_error.html", status=status, message=message
        )
        abort(Response(page, status=status))


def _report(user: User) -> model.Report:
    session = get_session()
    try:
        report = service.build_report_for(
            session,
            current_app.config,
            user=user,
            unit_code=request.args.get("unit"),
            period=_period(),
            include_unofficial=_include_arg(user),
            via="page",
        )
    except ReportNotFound:
        abort(404)
    session.commit()
    return report


def _page(report: model.Report, user: User) -> dict:
    return page_context(
        report,
        units=units_visible(get_session(), user),
        silent=silent_in(get_session(), current_app.config, report.unit.code),
        silent_after=current_app.config["SILENT_AFTER_MINUTES"],
    )


@bp.get("/reports")
@bp.get("/reports/weekly", endpoint="weekly")  # the old address; ?week= is read as the period
@role_required()
def report():
    """The report page of a unit and everything below it, for any period (?period=)."""
    user = _user()
    return render_template(TEMPLATE, **_page(_report(user), user))


def _download_name(report: model.Report, ext: str) -> str:
    return f"sipas-{report.unit.code}-{report.period.key}.{ext}"


@bp.get("/reports/report.csv", endpoint="report_csv")
@bp.get("/reports/weekly.csv", endpoint="report_csv")
@role_required()
def report_csv_download():
    """The report as CSV (UTF-8 with BOM)."""
    report = _report(_user())
    name = _download_name(report, "csv")
    return Response(
        report_csv(report),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@bp.get("/reports/report.xlsx", endpoint="report_xlsx")
@bp.get("/reports/weekly.xlsx", endpoint="report_xlsx")
@role_required()
def report_xlsx_download():
    """The report as an Excel workbook."""
    report = _report(_user())
    name = _download_name(report, "xlsx")
    return Response(
        report_xlsx(report),
        mimetype=XLSX,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@bp.get("/reports/alerts")
@role_required()
def alerts():
    """Units whose whole interval is below target in the period, and units with a sudden drop."""
    user = _user()
    return render_template("collector/reports/alerts.html", **_page(_report(user), user))


def _raw_range() -> tuple[Period, Period]:
    last = _week_arg("to", "last")
    first = _week_arg("from", str(last.plus(-51)))
    if first > last:
        abort(400)
    return first, last


@bp.get("/reports/raw.csv")
@role_required()
def raw_csv():
    """Raw responses in the user's scope, streamed as CSV."""
    session = get_session()
    user = _user()
    try:
        unit = resolve_unit(session, user, request.args.get("unit"))
    except ReportNotFound:
        abort(404)
    first, last = _raw_range()
    name = f"sipas-raw-{unit.code}-{first}-{last}.csv"
    engine, root_id = get_db().engine, unit.id
    logger = current_app.logger
    rights = reader_rights(user, current_app.config)

    def rows():
        # The stream outlives the request's own session (closed when the view returns): it reads
        # through a session of its own, closed when the last row is sent or the client goes.
        with Session(engine) as stream_session:
            try:
                yield from stream_raw_csv(
                    stream_session, root_id, first, last, rights.officers, rights.comments
                )
            except Exception:
                # The 200 is sent already: log, say so in the file, and raise, so that the
                # server cuts the connection before the end of the chunked body and the client
                # sees a failed download rather than a short file that looks complete.
                logger.exception("raw CSV export of %s failed mid-stream", name)
                yield ("\n" + _("EXPORT FAILED: this file is incomplete.") + "\n").encode()
                raise

    return Response(
        stream_with_context(rows()),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def _per_user() -> str:
    return f"user:{current_user.get_id()}"


@bp.post("/reports/raw.xlsx")
@role_required()
@limiter.limit(lambda: current_app.config["EXPORT_RATE_LIMIT"], key_func=_per_user)
def raw_xlsx():
    """Queue the raw responses' XLSX for the worker; go to the job's page."""
    session = get_session()
    user = _user()
    try:
        unit = resolve_unit(session, user, request.form.get("unit") or request.args.get("unit"))
    except ReportNotFound:
        abort(404)
    first, last = _raw_range()
    app = current_app._get_current_object()
    try:
        job = create_export_job(
            session, app.config, user.id, unit, first, last, str(get_locale() or "vi")
        )
    except ExportRefused as exc:
        session.rollback()
        return render_template(
            "collector/reports/export_job.html", job=None, refused=exc.translate(_)
        ), 429
    job_id = job.id
    session.commit()
    try:
        enqueue_export(app, job_id)
    except Exception:  # noqa: BLE001 - an unreachable queue must show on the job's page
        current_app.logger.exception("cannot queue export %s", job_id)
        finish_job(session, session.get(ExportJob, job_id), None)
        session.commit()
    return redirect(url_for("reports.export_job", job=job_id))


@bp.get("/reports/exports/<job>")
@role_required()
def export_job(job: str):
    """A background export: a page that refreshes itself until the file is ready."""
    found = get_job(get_session(), job)
    if found is None or found.user_id != current_user.id:
        abort(404)
    path = job_file(app_exports_dir(current_app._get_current_object()), found.id)
    if found.state == "done" and request.args.get("download") == "1":
        if not path.exists():
            abort(404)
        return send_file(
            path,
            mimetype=XLSX,
            as_attachment=True,
            download_name=(
                f"sipas-raw-{found.unit_code}-{found.first_week}-{found.last_week}.xlsx"
            ),
        )
    return render_template("collector/reports/export_job.html", job=found, refused=None)


def _targets_table() -> dict[str, dict[int, float]]:
    """Kind -> year -> the target in force, over every year any kind has one (stored or set)."""
    targets = effective_targets(get_session(), current_app.config["REPORT_TARGETS"])
    years = sorted({year for by_year in targets.values() for year in by_year})
    return {kind: {year: target_for(targets, kind, year) for year in years} for kind in targets}


@bp.get("/methodology")
def methodology():
    """How every figure is computed, with its source (public)."""
    return render_template(
        "collector/reports/methodology.html",
        today=dt.date.today(),
        targets=_targets_table(),
        min_responses=current_app.config["REPORT_MIN_RESPONSES"],
        kind_label=kind_label,
    )
