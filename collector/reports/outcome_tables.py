"""The outcomes section (`model.Outcomes`) as the tables of the CSV and XLSX files (appended by
`collector.reports.tables.table_sections`) and as lines of the mail (`reports.cli.mail_body`)."""

from __future__ import annotations

from flask_babel import gettext as _

from collector.reports import model
from collector.reports.labels import kind_label, not_computed_label, number, outcome_label
from collector.reports.tables_cells import Table, ci_cells, r2


def national_headers() -> list[str]:
    return [
        _("Code"),
        _("Unit"),
        _("Dossiers settled"),
        _("On time"),
        _("Late"),
        _("Refused"),
        _("Disliked (overall 1-2)"),
        _("On-time rate (%)"),
        _("On-time points (of 20)"),
        _("Late share (%)"),
        _("Disliked share (%)"),
        _("Item 5.4 rate (%)"),
        _("Item 5.4 points (of 6)"),
        _("SIPAS index (%)"),
    ]


def outcome_tables(report: model.Report) -> list[Table]:
    """The index and the response rate by outcome, and the national index beside SIPAS; none
    when the report has no outcomes section."""
    o = report.outcomes
    if o is None:
        return []
    national = []
    for row in o.national:
        n = row.national
        national.append(
            [
                row.code or _("Total"),
                row.name,
                n.settled,
                n.on_time,
                n.late,
                row.refused,
                n.disliked,
                r2(n.on_time_rate),
                r2(n.on_time_points),
                r2(n.late_share),
                r2(n.disliked_share),
                r2(n.item_54_rate),
                r2(n.item_54_points),
                r2(row.sipas_index),
            ]
        )
    return [
        (
            _("Index by outcome"),
            [
                _("Kind of service"),
                _("Outcome code"),
                _("Outcome"),
                _("Index (%)"),
                _("Interval (95%), low"),
                _("Interval (95%), high"),
                _("Responses with an answer (n)"),
                _("Responses"),
            ],
            [
                [
                    kind_label(r.kind),
                    r.outcome,
                    outcome_label(r.outcome),
                    r2(r.index),
                    *ci_cells(r.ci95),
                    r.n,
                    r.responses,
                ]
                for r in o.ratings
            ],
        ),
        (
            _("Response rate by outcome"),
            [
                _("Outcome code"),
                _("Outcome"),
                _("Receipts issued"),
                _("Answered"),
                _("Answered (%)"),
            ],
            [
                [r.outcome, outcome_label(r.outcome), r.issued, r.answered, r2(r.answered_share)]
                for r in o.response_rates
            ],
        ),
        (_("National service index"), national_headers(), national),
        (
            _("Not computed"),
            [_("Code"), _("What the national index also counts")],
            [[code, not_computed_label(code)] for code in o.not_computed],
        ),
    ]


def _figure(value: float | None, pattern: str = "#,##0.00") -> str:
    return "–" if value is None else number(value, pattern)


def outcome_mail_lines(report: model.Report) -> list[str]:
    """The mail's lines on the outcomes: the scope's national figures beside SIPAS, and each
    outcome's index; none without the section."""
    o = report.outcomes
    if o is None or not o.national:
        return []
    total = o.national[0]
    n = total.national
    lines = [
        "",
        _(
            "Dossiers settled: %(settled)s, late: %(late)s %%. National service index: on-time "
            "%(on_time)s of 20 points, item 5.4 %(item)s of 6 points; SIPAS %(sipas)s %%."
        )
        % {
            "settled": _figure(n.settled, "#,##0"),
            "late": _figure(n.late_share),
            "on_time": _figure(n.on_time_points),
            "item": _figure(n.item_54_points),
            "sipas": _figure(total.sipas_index),
        },
    ]
    for r in o.ratings:
        lines.append(
            "  "
            + _("%(kind)s, %(outcome)s: %(index)s %% (%(n)s responses)")
            % {
                "kind": kind_label(r.kind),
                "outcome": outcome_label(r.outcome),
                "index": _figure(r.index),
                "n": _figure(r.n, "#,##0"),
            }
        )
    return lines
