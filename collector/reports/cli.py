"""`sipas collector report show --period ...`: the report of a unit for any period to a file, for
cron, optionally mailed (`report weekly --week ...` is the older name). The Monday job mails with
`mail_report` too."""

from __future__ import annotations

import json
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from collector.db import get_session
from collector.fleet.opening import silent_in
from collector.i18n import gettext as _
from collector.mail import MailError, build_message, send
from collector.periods import Period
from collector.reports import model, service
from collector.reports.labels import number
from collector.reports.outcome_tables import outcome_mail_lines
from collector.reports.render import (
    kind_label,
    period_label,
    report_csv,
    report_json,
    report_xlsx,
    verdict_label,
    verdict_text,
)

FORMATS = (".xlsx", ".csv", ".html", ".json")


def render_html(report: model.Report) -> str:
    """The report page as one self-contained HTML file (styles inlined), in a request context."""
    from collector.reports.page import render_report_page

    return render_report_page(report, standalone=True)


def render_file(report: model.Report, suffix: str) -> bytes:
    """The report in the format of a file extension (.xlsx, .csv, .html or .json)."""
    if suffix == ".xlsx":
        return report_xlsx(report)
    if suffix == ".csv":
        return report_csv(report)
    if suffix == ".json":
        return json.dumps(report_json(report), ensure_ascii=False, indent=2).encode("utf-8")
    return render_html(report).encode("utf-8")


def parse_period(text: str, param_hint: str):
    """The period of an option, or a usage error (exit code 2) that says what is wrong."""
    try:
        return Period.parse(text)
    except ValueError as exc:  # PeriodError, or any other value the calendar has not
        message = {
            "future": _("the period %(text)s has not begun"),
            "out-of-range": _("the period %(text)s is outside the calendar"),
            "reversed": _("the range %(text)s ends before it starts"),
        }.get(
            getattr(exc, "code", "invalid"),
            _(
                "not a period: %(text)s (expected a week 2026-W48, a month 2026-11, a quarter "
                "2026-Q3, a year 2026, a range 2026-10-01..2026-11-15, 'last' or 'this')"
            ),
        )
        raise click.BadParameter(message % {"text": text}, param_hint=param_hint) from None


@click.group(help=_("Satisfaction reports."))
def report() -> None:
    pass


def _options(period_option: str, period_help: str):
    def wrap(command):
        for option in reversed(
            [
                click.option(
                    period_option, "period", default="last", show_default=True, help=period_help
                ),
                click.option(
                    "--unit",
                    "unit_code",
                    required=True,
                    help=_("Code of the unit (with all below it)."),
                ),
                click.option(
                    "--out",
                    "out",
                    required=True,
                    type=click.Path(dir_okay=False, path_type=Path),
                    help=_("The file to write; its extension sets the format."),
                ),
                click.option(
                    "--mail",
                    is_flag=True,
                    help=_("Also send the file by email (settings in the config)."),
                ),
                click.option(
                    "--to",
                    "recipients",
                    multiple=True,
                    help=_("Recipient; default: REPORT_MAIL_TO."),
                ),
                with_appcontext,
            ]
        ):
            command = option(command)
        return command

    return wrap


@report.command(
    "show",
    help=_("Write the report of a unit for a period to a file (.xlsx, .csv, .html or .json)."),
)
@_options(
    "--period",
    _(
        "A week (2026-W48), month (2026-11), quarter (2026-Q3), year (2026), a range "
        "(2026-10-01..2026-11-15), 'last' (the last complete week) or 'this'."
    ),
)
def show(period: str, unit_code: str, out: Path, mail: bool, recipients: tuple[str, ...]) -> None:
    # Translations pick their language from a request; a command has none, so it gets an empty
    # one (the configured default language).
    with current_app.test_request_context("/"):
        _write(period, "--period", unit_code, out, mail, recipients)


@report.command("weekly", help=_("The same as 'report show', with --week for --period."))
@_options("--week", _("YYYY-Www, 'last', or any period of 'report show'."))
def weekly(period: str, unit_code: str, out: Path, mail: bool, recipients: tuple[str, ...]) -> None:
    with current_app.test_request_context("/"):
        _write(period, "--week", unit_code, out, mail, recipients)


def _write(
    text: str, hint: str, unit_code: str, out: Path, mail: bool, recipients: tuple[str, ...]
) -> None:
    suffix = out.suffix.lower()
    if suffix not in FORMATS:
        raise click.BadParameter(
            _("the file must end in .xlsx, .csv, .html or .json"), param_hint="--out"
        )
    period = parse_period(text, hint)
    session = get_session()
    try:
        built = service.build_report_for(
            session, current_app.config, user=None, unit_code=unit_code, period=period, via="cli"
        )
    except service.ReportNotFound:
        raise click.ClickException(_("no unit %(code)s") % {"code": unit_code}) from None
    session.commit()
    out.write_bytes(render_file(built, suffix))
    click.echo(_("Wrote %(path)s.") % {"path": out})
    if not mail:
        return
    to = list(recipients) or list(current_app.config.get("REPORT_MAIL_TO") or [])
    if not to:
        raise click.ClickException(_("no recipient: pass --to or set REPORT_MAIL_TO"))
    try:
        mail_report(current_app.config, built, out, to)
    except MailError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(_("Sent to %(to)s.") % {"to": ", ".join(to)})


def _number(value: float | None, pattern: str = "#,##0.00") -> str:
    return "–" if value is None else number(value, pattern)


def mail_body(report: model.Report) -> str:
    """The mail's text: the period in words, then per kind its index, verdict, target and n."""
    lines = [
        _("Satisfaction report, %(period)s, %(unit)s.")
        % {"period": period_label(report.period), "unit": report.unit.name},
        "",
    ]
    for k in report.kinds:
        s = k.summary
        lines.append(
            _("%(kind)s: %(index)s %% (%(verdict)s, target %(target)s %%, %(n)s responses)")
            % {
                "kind": kind_label(k.kind),
                "index": _number(s.index),
                "verdict": verdict_label(s.verdict),
                "target": _number(s.target, "#,##0.##"),
                "n": _number(s.n, "#,##0"),
            }
        )
        lines.append("  " + verdict_text(s, report.settings.min_responses))
    lines += outcome_mail_lines(report)
    return "\n".join(lines)


def mail_report(config, report: model.Report, attachment: Path, to: list[str]) -> None:
    """Mail a built report with its file attached (the CLI and the Monday job), in a request
    context (the labels are translated through it)."""
    lines = [mail_body(report)]
    silent = silent_in(get_session(), config, report.unit.code)
    if silent:
        lines += ["", _("Kiosks silent during opening hours:")]
        lines += [f"- {k.id} {k.label}, {k.unit_code} {k.unit_name}".rstrip() for k in silent]
    message = build_message(
        config.get("MAIL_FROM", "sipas@localhost"),
        to,
        _("SIPAS report %(period)s: %(unit)s")
        % {"period": period_label(report.period), "unit": report.unit.name},
        "\n".join(lines) + "\n",
        [attachment],
    )
    send(config, message)
