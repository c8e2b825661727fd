"""`sipas collector report weekly ...`: the weekly report to a file, for cron, optionally mailed."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app, render_template
from flask.cli import with_appcontext
from flask_babel import gettext
from flask_babel import gettext as translate  # for message ids held in data

from collector.db import get_session
from collector.i18n import gettext as _
from collector.mail import MailError, build_message, send
from collector.opening import silent_in
from collector.reports import charts
from collector.reports.render import (
    kind_label,
    method_label,
    report_csv,
    report_xlsx,
    verdict_label,
)
from collector.reports.service import ReportNotFound, build_weekly_report
from collector.reports.weeks import Week
from shared import questionnaires

FORMATS = (".xlsx", ".csv", ".html")


def render_html(report: dict) -> str:
    """The report page as one self-contained HTML file (styles inlined), in a request context."""

    week = Week.parse(report["week"])
    labels = {"index": gettext("Index (%)"), "target": gettext("Target (%)")}
    return render_template(
        "collector/reports/weekly.html",
        report=report,
        standalone=True,
        silent=silent_in(get_session(), current_app.config, report["unit"]["code"]),
        silent_after=current_app.config["SILENT_AFTER_MINUTES"],
        stylesheet=(Path(current_app.static_folder) / "collector.css").read_text("utf-8"),
        units=[],
        trend_charts={
            kind: charts.trend_chart(
                e["trend"],
                e["target"],
                {**labels, "title": gettext("Index over the last 12 weeks")},
            )
            for kind, e in report["kinds"].items()
        },
        factor_charts={
            kind: charts.factor_chart(
                [{**f, "title": translate(f["title"])} for f in e["factors"]],
                e["target"],
                {
                    **labels,
                    "title": gettext(
                        "Factor indices, worst first (target %(target)s %%)",
                        target=f"{e['target']:.0f}",
                    ),
                },
            )
            for kind, e in report["kinds"].items()
        },
        kind_label=kind_label,
        verdict_label=verdict_label,
        method_label=method_label,
        previous_week=str(week.previous()),
        next_week=None,
        is_manager=True,
        reason_labels={r.code: gettext(r.label) for r in questionnaires.common()[1]},
    )


@click.group(help=_("Satisfaction reports."))
def report() -> None:
    pass


@report.command(
    "weekly", help=_("Write the weekly report of a unit to a file (.xlsx, .csv or .html).")
)
@click.option("--week", default="last", show_default=True, help=_("YYYY-Www, or 'last'."))
@click.option("--unit", "unit_code", required=True, help=_("Code of the unit (with all below it)."))
@click.option(
    "--out",
    "out",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help=_("The file to write; its extension sets the format."),
)
@click.option(
    "--mail", is_flag=True, help=_("Also send the file by email (settings in the config).")
)
@click.option("--to", "recipients", multiple=True, help=_("Recipient; default: REPORT_MAIL_TO."))
@with_appcontext
def weekly(week: str, unit_code: str, out: Path, mail: bool, recipients: tuple[str, ...]) -> None:
    # Translations pick their language from a request; a command has none, so it gets an empty
    # one (the configured default language).
    with current_app.test_request_context("/"):
        _weekly(week, unit_code, out, mail, recipients)


def _weekly(week: str, unit_code: str, out: Path, mail: bool, recipients: tuple[str, ...]) -> None:
    if out.suffix.lower() not in FORMATS:
        raise click.BadParameter(_("the file must end in .xlsx, .csv or .html"), param_hint="--out")
    try:
        parsed = Week.parse(week)
    except ValueError:
        raise click.BadParameter(_("expected YYYY-Www or 'last'"), param_hint="--week") from None
    session = get_session()
    try:
        data = build_weekly_report(
            session, current_app.config, user=None, unit_code=unit_code, week=parsed, via="cli"
        )
    except ReportNotFound:
        raise click.ClickException(_("no unit %(code)s") % {"code": unit_code}) from None
    session.commit()
    suffix = out.suffix.lower()
    if suffix == ".xlsx":
        out.write_bytes(report_xlsx(data))
    elif suffix == ".csv":
        out.write_bytes(report_csv(data))
    else:
        out.write_text(render_html(data), encoding="utf-8")
    click.echo(_("Wrote %(path)s.") % {"path": out})
    if not mail:
        return
    to = list(recipients) or list(current_app.config.get("REPORT_MAIL_TO") or [])
    if not to:
        raise click.ClickException(_("no recipient: pass --to or set REPORT_MAIL_TO"))
    try:
        mail_report(current_app.config, data, out, to)
    except MailError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(_("Sent to %(to)s.") % {"to": ", ".join(to)})


def mail_report(config, data: dict, attachment: Path, to: list[str]) -> None:
    """Mail a built weekly report with its file attached (the CLI and the Monday job)."""
    lines = [
        _("Weekly satisfaction report, week %(week)s, %(unit)s.")
        % {"week": data["week"], "unit": data["unit"]["name"]},
        "",
    ]
    silent = silent_in(get_session(), config, data["unit"]["code"])
    for kind, e in data["kinds"].items():
        index = "-" if e["index"] is None else f"{e['index']:.2f}"
        lines.append(
            f"{kind_label(kind)}: {index} % ({verdict_label(e['verdict'])}, "
            + _("target")
            + f" {e['target']:.0f} %, "
            + _("responses")
            + f" {e['responses']})"
        )
    if silent:
        lines += ["", _("Kiosks silent during opening hours:")]
        lines += [f"- {k.id} {k.label}, {k.unit_code} {k.unit_name}".rstrip() for k in silent]
    message = build_message(
        config.get("MAIL_FROM", "sipas@localhost"),
        to,
        _("SIPAS weekly report %(week)s: %(unit)s")
        % {"week": data["week"], "unit": data["unit"]["name"]},
        "\n".join(lines) + "\n",
        [attachment],
    )
    send(config, message)
