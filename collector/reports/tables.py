"""The report as tables: one table (sheet name, headers, rows) per part of the report, covering
every figure the page shows; `collector.reports.render` writes the CSV and the XLSX from them.

Figures are rounded to two decimals, as SIPAS results are published.
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_babel import gettext as translate  # for message ids held in data

from collector.models.units import UNIT_CHANGES
from collector.reports import model
from collector.reports.kind_tables import kind_tables
from collector.reports.labels import (
    channel_label,
    kind_label,
    period_label,
    position_label,
    reason_label,
    verdict_label,
    verdict_text,
    weekday_label,
)
from collector.reports.outcome_tables import outcome_tables
from collector.reports.tables_cells import Table, ci_cells, day, r2, summary_head, yes


def _figures() -> list[str]:
    return [
        _("Responses"),
        _("Answers"),
        _("Satisfied answers, pooled (%)"),
        _("Interval (95%), low"),
        _("Interval (95%), high"),
        _("Limit (95%), low"),
        _("Limit (95%), high"),
        _("Limit (99.8%), low"),
        _("Limit (99.8%), high"),
        _("Against the target"),
    ]


def _breakdown_cells(b: model.Breakdown) -> list[Any]:
    return [
        b.responses,
        b.answers,
        r2(b.share),
        *ci_cells(b.ci95),
        *ci_cells(b.limits95),
        *ci_cells(b.limits998),
        position_label(b.position),
    ]


def _report_table(report: model.Report) -> Table:
    """Key-value rows: the report's scope, period and settings, and the counts of its lists."""
    p, s = report.period, report.settings
    rows = [
        [_("Unit code"), report.unit.code],
        [_("Unit"), report.unit.name],
        [_("Period"), p.key],
        [_("Period, in words"), period_label(p)],
        [_("First day"), day(p.start)],
        [_("Last day"), day(p.end)],
        [_("Previous period"), p.previous],
        [_("Next period"), p.next],
        [_("Trend by"), {model.WEEK: _("week"), model.MONTH: _("month")}.get(p.trend_grain)],
        [_("Minimum responses for a verdict"), s.min_responses],
        [_("Left-out responses included"), yes(s.include_unofficial)],
        [_("Drop that raises an alert (points)"), r2(s.drop_points)],
        [_("Left out: suspicious"), report.left_out.suspect],
        [_("Left out: broken chain"), report.left_out.broken],
        [_("Left out: total"), report.left_out.total],
        [_("Responses giving a reason"), report.reasons_responses],
        [_("Comments"), report.comments_total],
        [_("Busiest hour: ratings"), report.heatmap.peak],
    ]
    if report.officers is not None:
        rows += [
            [_("Officers not listed (too few responses)"), report.officers_hidden],
            [_("Minimum responses to list an officer"), report.officers_min],
        ]
    return (_("Report"), [_("Item"), _("Value")], rows)


def _unit_row_cells(row: model.UnitRow) -> list[Any]:
    s = row.summary
    return [
        row.code,
        row.name,
        r2(s.index),
        *ci_cells(s.ci95),
        s.n,
        s.responses,
        verdict_label(s.verdict),
        r2(row.previous_index),
        r2(row.change),
        row.previous_n,
    ]


def _unit_row_head() -> list[str]:
    return [
        _("Code"),
        _("Unit"),
        _("Index (%)"),
        _("Interval (95%), low"),
        _("Interval (95%), high"),
        _("Responses with an answer (n)"),
        _("Responses"),
        _("Verdict"),
        _("Previous period (%)"),
        _("Change (points)"),
        _("Previous period: n"),
    ]


def _unit_tables(report: model.Report) -> list[Table]:
    k_ = _("Kind of service")
    return [
        (
            _("Alerts"),
            [k_, *_unit_row_head(), _("Below the target"), _("Sudden drop")],
            [
                [
                    kind_label(a.kind),
                    *_unit_row_cells(a.unit),
                    yes(a.below_target),
                    yes(a.sudden_drop),
                ]
                for a in report.alerts
            ],
        ),
        (
            _("Every unit"),
            [k_, *_unit_row_head()],
            [[kind_label(kind), *_unit_row_cells(row)] for kind, row in report.units],
        ),
    ]


def _breakdown_tables(report: model.Report) -> list[Table]:
    k_ = _("Kind of service")
    tables = [
        (
            _("By counter"),
            [k_, _("Unit"), _("Counter"), *_figures()],
            [[kind_label(b.kind), *b.group[:2], *_breakdown_cells(b)] for b in report.counters],
        ),
        (
            _("By procedure"),
            [k_, _("Procedure code"), *_figures()],
            [[kind_label(b.kind), b.group[0], *_breakdown_cells(b)] for b in report.procedures],
        ),
    ]
    if report.officers is not None:
        tables.append(
            (
                _("By officer"),
                [k_, _("Unit"), _("Officer code"), *_figures()],
                [[kind_label(b.kind), *b.group[:2], *_breakdown_cells(b)] for b in report.officers],
            )
        )
    tables.append(
        (
            _("Funnel plot limits"),
            [
                k_,
                _("Breakdown"),
                _("Target (%)"),
                _("Design effect"),
                _("Answers per response"),
                _("Responses"),
                _("Limit (95%), low"),
                _("Limit (95%), high"),
                _("Limit (99.8%), low"),
                _("Limit (99.8%), high"),
            ],
            [
                [
                    kind_label(f.kind),
                    dimension_label(f.dimension),
                    r2(f.target),
                    r2(f.design_effect),
                    r2(f.answers_per_response),
                    c.responses,
                    *ci_cells(c.limits95),
                    *ci_cells(c.limits998),
                ]
                for f in report.funnels
                for c in f.curve
            ],
        )
    )
    return tables


def dimension_label(dimension: str) -> str:
    return {"officer": _("By officer"), "counter": _("By counter")}.get(dimension, dimension)


def _heatmap_table(report: model.Report) -> Table:
    heat = report.heatmap
    rows = [
        [weekday_label(day), hour, cell.ratings, r2(cell.dissatisfied)]
        for day, cells in enumerate(heat.grid)
        for hour, cell in zip(heat.hours, cells, strict=True)
    ]
    return (
        _("Hours"),
        [_("Weekday"), _("Hour"), _("Ratings"), _("Dissatisfied (%)")],
        rows,
    )


def _receipt_cells(row: model.ReceiptRate, code: str) -> list[Any]:
    return [
        code,
        row.name,
        row.issued,
        row.opened,
        row.answered,
        r2(row.answered_share),
        r2(row.opened_share),
        row.expired,
        row.revoked,
    ]


def _receipt_tables(report: model.Report) -> list[Table]:
    """The response rate (receipts issued, opened, answered) and the channel comparison."""
    rate = report.response_rate
    rate_rows = [_receipt_cells(row, row.code) for row in rate.units]
    if rate.units:
        rate_rows.append(_receipt_cells(rate.total, _("Total")))
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
                _("Opened (%)"),
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
                *summary_head(),
                _("Suspicious, left out"),
                _("Verdict in words"),
            ],
            [
                [
                    kind_label(c.kind),
                    channel_label(c.channel),
                    r2(c.summary.index),
                    *ci_cells(c.summary.ci95),
                    c.summary.n,
                    c.summary.responses,
                    c.summary.parts,
                    verdict_label(c.summary.verdict),
                    c.suspect_left_out,
                    verdict_text(c.summary, report.settings.min_responses),
                ]
                for c in report.channel_comparison
            ],
        ),
    ]


def _why(row: model.LeftOutRow) -> str:
    return ", ".join(
        ([_("suspicious")] if row.suspect else []) + ([_("broken chain")] if row.broken else [])
    )


def table_sections(report: model.Report) -> list[Table]:
    """The report as (sheet name, headers, rows) tables, shared by CSV and XLSX: every figure of
    the model (officers only when the reader may see them)."""
    k_ = _("Kind of service")
    return [
        _report_table(report),
        *kind_tables(report),
        *_unit_tables(report),
        *_breakdown_tables(report),
        _heatmap_table(report),
        (
            _("Reasons"),
            [_("Code"), _("Reason"), _("Responses"), _("Share (%)")],
            [[r.code, reason_label(r.code), r.count, r2(r.share)] for r in report.reasons],
        ),
        (
            _("Comments"),
            [_("Time"), _("Unit"), k_, _("Comment")],
            [[day(c.time), c.unit, kind_label(c.kind), c.comment] for c in report.comments],
        ),
        (
            _("Left out"),
            [_("Time"), _("Unit"), k_, _("Channel"), _("Counter"), _("Why")],
            [
                [
                    day(u.time),
                    u.unit,
                    kind_label(u.kind),
                    channel_label(u.channel),
                    u.counter,
                    _why(u),
                ]
                for u in report.left_out.rows
            ],
        ),
        *_receipt_tables(report),
        _reorganisation_table(report),
        _voice_table(report),
        *outcome_tables(report),
    ]


def _reorganisation_table(report: model.Report) -> Table:
    """The reorganisations of the report's units in its period and trend
    (collector.reports.lineage)."""
    return (
        _("Units reorganised"),
        [
            _("Date"),
            _("Kind of change"),
            _("Units that ceased"),
            _("Units that follow them"),
            _("Not assigned"),
        ],
        [
            [
                day(r.effective),
                translate(UNIT_CHANGES.get(r.change, r.change)),
                ", ".join(r.before),
                ", ".join(r.after),
                r.unassigned,
            ]
            for r in report.reorganisations
        ],
    )


# -- files ---------------------------------------------------------------------------------------


def _voice_table(report: model.Report) -> Table:
    """Kiosk responses per unit and language heard, with "listen" use
    (collector.reports.voices)."""
    return (
        _("Responses by language"),
        [_("Unit code"), _("Unit"), _("Language heard"), _("Responses"), _("Pressed listen")],
        [
            [v.unit_code, v.unit_name, v.voice or _("not recorded"), v.responses, v.listened]
            for v in report.voices
        ],
    )
