"""`sipas collector dossiers import FILE.csv`: status events exported by one-stop software that
cannot call the API; recorded row by row through the API's own `Recorder`."""

from __future__ import annotations

import csv
from collections import Counter

import click
from flask.cli import AppGroup

from collector.db import get_session
from collector.dossiers.parse import FIELDS, EventError
from collector.dossiers.service import Recorder
from collector.i18n import gettext as _
from collector.receipts.settings import app_key
from shared.i18n import N_

dossiers = AppGroup("dossiers", help=_("Dossiers: status events from the one-stop software."))


def read_events_csv(text: str) -> list[tuple[int, dict[str, str]]]:
    """(line number, row) of an events CSV; its header names some of FIELDS, id, kind and at
    among them."""
    reader = csv.DictReader(text.splitlines())
    try:
        header = [name.strip() for name in reader.fieldnames or ()]
        unknown = [name for name in header if name not in FIELDS]
        if unknown or not {"id", "kind", "at"} <= set(header):
            raise EventError(
                "unknown-field",
                N_("the CSV header must name some of %(expected)s (id, kind and at among them)"),
                expected=",".join(FIELDS),
            )
        rows = []
        for row in reader:
            cells = {key.strip(): (value or "") for key, value in row.items() if key is not None}
            rows.append((reader.line_num, cells))
        return rows
    except csv.Error:
        raise EventError(
            "invalid-value",
            N_("line %(line)d cannot be read as CSV (a quote that is not closed?)"),
            line=reader.line_num,
        ) from None


@dossiers.command(
    "import",
    help=_(
        "Record dossier status events from a CSV file (columns: id, kind, at, receipt or "
        "dossier and unit, settling_unit, due_date). A bad row is reported and none of it is "
        "stored; the other rows are."
    ),
)
@click.argument("file", type=click.File("r", encoding="utf-8-sig"))
def dossiers_import(file) -> None:
    try:
        rows = read_events_csv(file.read())
    except EventError as exc:
        raise click.ClickException(exc.translate(_)) from None
    session = get_session()
    recorder = Recorder(session, app_key())
    counts: Counter[str] = Counter()
    bad: list[tuple[int, EventError]] = []
    results = recorder.record_each([row for _line, row in rows])
    for (line, _row), (status, error) in zip(rows, results, strict=True):
        counts[status] += 1
        if error is not None:
            bad.append((line, error))
    session.commit()
    click.echo(
        _("Events recorded: %(accepted)d, already there: %(duplicate)d, refused: %(rejected)d.")
        % {key: counts[key] for key in ("accepted", "duplicate", "rejected")}
    )
    for line, error in bad:
        click.echo(
            _("Line %(line)d: %(error)s") % {"line": line, "error": error.translate(_)}, err=True
        )
    if bad:
        raise SystemExit(1)
