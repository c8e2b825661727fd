"""The typed report (`collector.reports.model.Report`) as JSON, CSV (UTF-8 with BOM, for Excel)
and XLSX (openpyxl).

The JSON is the report's dataclasses walked generically (the same types give the OpenAPI schema),
so it carries every field of the model. CSV and XLSX share `table_sections`, one table per part of
the report, covering every figure the page shows.

Figures are rounded to two decimals, as SIPAS results are published. Text cells that a spreadsheet
could read as a formula (starting with =, +, -, @, tab or carriage return) get a leading apostrophe.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import io
from collections.abc import Iterable, Sequence
from typing import Any

from flask_babel import gettext as _
from flask_babel import gettext as translate  # for message ids held in data
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from collector.models.units import UNIT_CHANGES
from collector.reports import model
from collector.reports.labels import (
    channel_label,
    kind_label,
    method_label,
    period_label,
    position_label,
    reason_label,
    verdict_label,
    verdict_text,
    weekday_label,
)

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
BOM = "\ufeff"

#: (sheet name, headers, rows)
Table = tuple[str, list[str], list[list[Any]]]


def neutralise(value: Any) -> Any:
    """A cell value safe from formula injection and writable to XLSX (control characters that
    XML 1.0 forbids are dropped: one in a stored comment must not fail a whole export);
    numbers and empty values pass as they are."""
    if isinstance(value, str):
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
        if value.startswith(FORMULA_START):
            return "'" + value
    return value


def r2(value: float | None) -> float | None:
    return None if value is None else round(float(value), 2)


def _ci(ci: Sequence[float] | None) -> list[float | None]:
    return [r2(ci[0]), r2(ci[1])] if ci else [None, None]


# -- labels (collector.reports.labels; imported here for the renderers' callers) ---------------


def _yes(flag: bool) -> str:
    return _("yes") if flag else _("no")


def _day(value: dt.date | dt.datetime) -> str:
    return (
        value.isoformat(sep=" ", timespec="minutes")
        if isinstance(value, dt.datetime)
        else (value.isoformat())
    )


# -- JSON ----------------------------------------------------------------------------------------


@functools.cache
def _adapter():
    from pydantic import TypeAdapter

    return TypeAdapter(model.Report)


def _rounded(value: Any) -> Any:
    if isinstance(value, float):
        return round(value, 2)
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_rounded(v) for v in value]
    return value


def summaries(report: model.Report) -> Iterable[tuple[tuple, model.Summary]]:
    """Every summary of the report with its path in the JSON document."""
    for i, k in enumerate(report.kinds):
        yield ("kinds", i, "summary"), k.summary
        for j, row in enumerate(k.children):
            yield ("kinds", i, "children", j, "summary"), row.summary
    for i, (_kind, row) in enumerate(report.units):
        yield ("units", i, 1, "summary"), row.summary
    for i, alert in enumerate(report.alerts):
        yield ("alerts", i, "unit", "summary"), alert.unit.summary
    for i, c in enumerate(report.channel_comparison):
        yield ("channel_comparison", i, "summary"), c.summary


def report_json(report: model.Report) -> dict[str, Any]:
    """The report's dataclasses as JSON values (dates ISO, floats to two decimals): every field,
    in the shape `report_schema` describes; each summary also carries its verdict in a sentence
    (`verdict_text`, in the request's language)."""
    doc = _rounded(_adapter().dump_python(report, mode="json"))
    for path, summary in summaries(report):
        node = doc
        for step in path:
            node = node[step]
        node["verdict_text"] = verdict_text(summary, report.settings.min_responses)
    return doc


def report_schema(ref_template: str = "#/components/schemas/{model}") -> dict[str, Any]:
    """The JSON schema of `report_json`'s output, from the same types; `$defs` holds the types
    it refers to (by `ref_template`)."""
    schema = _adapter().json_schema(ref_template=ref_template, mode="serialization")
    summary = schema["$defs"]["Summary"]
    summary["properties"]["verdict_text"] = {
        "type": "string",
        "title": "Verdict Text",
        "description": "The verdict in one sentence, in the request's language.",
    }
    summary.setdefault("required", []).append("verdict_text")
    return schema


# -- tables for CSV and XLSX ---------------------------------------------------------------------


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
        *_ci(b.ci95),
        *_ci(b.limits95),
        *_ci(b.limits998),
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
        [_("First day"), _day(p.start)],
        [_("Last day"), _day(p.end)],
        [_("Previous period"), p.previous],
        [_("Next period"), p.next],
        [_("Trend by"), {model.WEEK: _("week"), model.MONTH: _("month")}.get(p.trend_grain)],
        [_("Minimum responses for a verdict"), s.min_responses],
        [_("Left-out responses included"), _yes(s.include_unofficial)],
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


def _summary_table(report: model.Report) -> Table:
    unit = f"{report.unit.code} {report.unit.name}"
    head = [
        _("Kind of service"),
        _("Unit"),
        _("Period"),
        _("Period, in words"),
        _("Index (%)"),
        _("Interval (95%), low"),
        _("Interval (95%), high"),
        _("Target (%)"),
        _("Verdict"),
        _("Responses with an answer (n)"),
        _("Responses"),
        _("Answers"),
        _("Parts"),
        _("Pooled index (%)"),
        _("Change (points)"),
        _("Previous period (%)"),
        _("Method"),
        _("Questionnaire"),
        _("Verdict in words"),
        _("More responses to settle it"),
        _("Questionnaire versions"),
    ]
    rows = []
    for k in report.kinds:
        s = k.summary
        rows.append(
            [
                kind_label(k.kind),
                unit,
                report.period.key,
                period_label(report.period),
                r2(s.index),
                *_ci(s.ci95),
                r2(s.target),
                verdict_label(s.verdict),
                s.n,
                s.responses,
                s.answers,
                s.parts,
                r2(s.pooled),
                r2(k.change),
                r2(k.previous_index),
                method_label(k.method, k.rollup),
                translate(k.title),
                verdict_text(s, report.settings.min_responses),
                s.more_needed,
                ", ".join(k.versions),
            ]
        )
    return (_("Summary"), head, rows)


def _criterion_cells(c: model.Criterion) -> list[Any]:
    return [r2(c.share), *_ci(c.ci95), c.satisfied, c.answers, c.no_opinion, r2(c.mean)]


def _criterion_head() -> list[str]:
    return [
        _("Satisfied (%)"),
        _("Interval (95%), low"),
        _("Interval (95%), high"),
        _("Satisfied answers"),
        _("Answers"),
        _("No opinion"),
        _("Mean score (1-5)"),
    ]


def _kind_tables(report: model.Report) -> list[Table]:
    overall, comprehensive, targets, pools = [], [], [], []
    factors, criteria, children, child_factors, trend = [], [], [], [], []
    min_n = report.settings.min_responses
    for k in report.kinds:
        kind = kind_label(k.kind)
        if k.overall is not None:
            c = k.overall
            overall.append([kind, c.code, translate(c.text), *_criterion_cells(c)])
        if k.comprehensive is not None:
            comp = k.comprehensive
            comprehensive.append([kind, r2(comp.share), *_ci(comp.ci95), comp.respondents])
        for year, target in sorted(k.targets.items()):
            targets.append([kind, int(year), r2(target)])
        for f in k.factors:
            factors.append(
                [
                    kind,
                    f.code,
                    translate(f.title),
                    r2(f.index),
                    *_ci(f.ci95),
                    r2(f.pooled),
                    r2(f.mean),
                    f.answers,
                    f.parts,
                ]
            )
        for c in k.criteria:
            criteria.append([kind, c.factor, c.code, translate(c.text), *_criterion_cells(c)])
        for row in k.children:
            s = row.summary
            children.append(
                [
                    kind,
                    row.code,
                    row.name,
                    _yes(row.own),
                    r2(s.index),
                    *_ci(s.ci95),
                    s.n,
                    s.responses,
                    s.parts,
                    verdict_label(s.verdict),
                    r2(row.previous_index),
                    r2(row.change),
                    _yes(row.pooled),
                    verdict_text(s, min_n),
                ]
            )
            for code, value in row.factors.items():
                child_factors.append([kind, row.code, _yes(row.own), code, r2(value)])
        if k.pooled_part is not None:
            p = k.pooled_part
            pools.append(
                [
                    kind,
                    ", ".join(p.units),
                    _yes(p.own),
                    p.n,
                    r2(p.index),
                    *_ci(p.ci95),
                    r2(p.weight),
                ]
            )
        for t in k.trend:
            trend.append(
                [
                    kind,
                    t.key,
                    _day(t.start),
                    _day(t.end),
                    r2(t.index),
                    *_ci(t.ci95),
                    t.n,
                    _yes(t.partial),
                    ", ".join(_day(d) for d in t.reorganised),
                ]
            )
    k_ = _("Kind of service")
    return [
        _summary_table(report),
        (
            _("Overall question"),
            [k_, _("Code"), _("Question"), *_criterion_head()],
            overall,
        ),
        (
            _("Comprehensive"),
            [
                k_,
                _("Satisfied with everything (%)"),
                _("Interval (95%), low"),
                _("Interval (95%), high"),
                _("Respondents"),
            ],
            comprehensive,
        ),
        (
            _("Factors"),
            [
                k_,
                _("Code"),
                _("Factor"),
                _("Index (%)"),
                _("Interval (95%), low"),
                _("Interval (95%), high"),
                _("Pooled (%)"),
                _("Mean score (1-5)"),
                _("Answers"),
                _("Parts"),
            ],
            factors,
        ),
        (
            _("Criteria"),
            [k_, _("Factor code"), _("Code"), _("Criterion"), *_criterion_head()],
            criteria,
        ),
        (
            _("Units below"),
            [
                k_,
                _("Code"),
                _("Unit"),
                _("Own responses"),
                _("Index (%)"),
                _("Interval (95%), low"),
                _("Interval (95%), high"),
                _("Responses with an answer (n)"),
                _("Responses"),
                _("Parts"),
                _("Verdict"),
                _("Previous period (%)"),
                _("Change (points)"),
                _("Pooled (too few responses)"),
                _("Verdict in words"),
            ],
            children,
        ),
        (
            _("Pooled parts"),
            [
                k_,
                _("Units pooled"),
                _("Own responses"),
                _("Responses with an answer (n)"),
                _("Index (%)"),
                _("Interval (95%), low"),
                _("Interval (95%), high"),
                _("Weight in the mean"),
            ],
            pools,
        ),
        (
            _("Units below by factor"),
            [k_, _("Code"), _("Own responses"), _("Factor code"), _("Index (%)")],
            child_factors,
        ),
        (
            _("Trend"),
            [
                k_,
                _("Period"),
                _("First day"),
                _("Last day"),
                _("Index (%)"),
                _("Interval (95%), low"),
                _("Interval (95%), high"),
                _("Responses with an answer (n)"),
                _("Partial"),
                _("Units reorganised"),
            ],
            trend,
        ),
        (_("Targets"), [k_, _("Year"), _("Target (%)")], targets),
    ]


def _unit_row_cells(row: model.UnitRow) -> list[Any]:
    s = row.summary
    return [
        row.code,
        row.name,
        r2(s.index),
        *_ci(s.ci95),
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
                    _yes(a.below_target),
                    _yes(a.sudden_drop),
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
                    *_ci(c.limits95),
                    *_ci(c.limits998),
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
                _("Index (%)"),
                _("Interval (95%), low"),
                _("Interval (95%), high"),
                _("Responses with an answer (n)"),
                _("Responses"),
                _("Parts"),
                _("Verdict"),
                _("Suspicious, left out"),
                _("Verdict in words"),
            ],
            [
                [
                    kind_label(c.kind),
                    channel_label(c.channel),
                    r2(c.summary.index),
                    *_ci(c.summary.ci95),
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
        *_kind_tables(report),
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
            [[_day(c.time), c.unit, kind_label(c.kind), c.comment] for c in report.comments],
        ),
        (
            _("Left out"),
            [_("Time"), _("Unit"), k_, _("Channel"), _("Counter"), _("Why")],
            [
                [
                    _day(u.time),
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
                _day(r.effective),
                translate(UNIT_CHANGES.get(r.change, r.change)),
                ", ".join(r.before),
                ", ".join(r.after),
                r.unassigned,
            ]
            for r in report.reorganisations
        ],
    )


# -- files ---------------------------------------------------------------------------------------


def write_csv(rows: Iterable[Sequence[Any]]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf)
    for row in rows:
        writer.writerow([neutralise(v) if v is not None else "" for v in row])
    return buf.getvalue()


def report_csv(report: model.Report) -> bytes:
    """One CSV: each section's name, header and rows, a blank line between sections."""
    out = [BOM]
    for name, head, rows in table_sections(report):
        out.append(write_csv([[name], head, *rows, []]))
    return "".join(out).encode("utf-8")


def sheet_name(name: str) -> str:
    """A valid sheet title: at most 31 characters, none of []:*?/\\."""
    for bad in "[]:*?/\\":
        name = name.replace(bad, " ")
    return name[:31].strip()


def report_xlsx(report: model.Report) -> bytes:
    """One sheet per section, headers bold, figures as numbers."""
    book = Workbook()
    book.remove(book.active)
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="E8EEF4")
    for name, head, rows in table_sections(report):
        sheet = book.create_sheet(sheet_name(name))
        sheet.append([neutralise(h) for h in head])
        for cell in sheet[1]:
            cell.font, cell.fill = bold, fill
        for row in rows:
            sheet.append([neutralise(v) for v in row])
        for col, title in enumerate(head, start=1):
            width = max([len(str(title))] + [len(str(r[col - 1] or "")) for r in rows[:200]])
            sheet.column_dimensions[get_column_letter(col)].width = min(60, max(10, width + 2))
        sheet.freeze_panes = "A2"
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()
