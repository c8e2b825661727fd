"""The kinds' tables of the report (summary, overall question, comprehensive share, factors,
criteria, units below, pooled parts, trend, targets) for the CSV and the XLSX."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_babel import gettext as translate  # for message ids held in data

from collector.reports import model
from collector.reports.labels import (
    kind_label,
    method_label,
    period_label,
    verdict_label,
    verdict_text,
)
from collector.reports.tables_cells import Table, ci_cells, day, r2, summary_head, yes


def summary_table(report: model.Report) -> Table:
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
                *ci_cells(s.ci95),
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


def criterion_cells(c: model.Criterion) -> list[Any]:
    return [r2(c.share), *ci_cells(c.ci95), c.satisfied, c.answers, c.no_opinion, r2(c.mean)]


def criterion_head() -> list[str]:
    return [
        _("Satisfied (%)"),
        _("Interval (95%), low"),
        _("Interval (95%), high"),
        _("Satisfied answers"),
        _("Answers"),
        _("No opinion"),
        _("Mean score (1-5)"),
    ]


def kind_tables(report: model.Report) -> list[Table]:
    """The summary, then one table per part of the kinds' reports (every kind in each)."""
    rows: dict[str, list[list[Any]]] = {name: [] for name in _KIND_TABLES}
    for k in report.kinds:
        kind = kind_label(k.kind)
        _add_kind_rows(rows, k, kind)
        _add_unit_and_trend_rows(rows, k, kind, report.settings.min_responses)
    return [summary_table(report), *_kind_heads_a(rows), *_kind_heads_b(rows)]


_KIND_TABLES = (
    "overall",
    "comprehensive",
    "targets",
    "pools",
    "factors",
    "criteria",
    "children",
    "child_factors",
    "trend",
)


def _add_kind_rows(rows: dict[str, list[list[Any]]], k: model.KindReport, kind: str) -> None:
    if k.overall is not None:
        c = k.overall
        rows["overall"].append([kind, c.code, translate(c.text), *criterion_cells(c)])
    if k.comprehensive is not None:
        comp = k.comprehensive
        rows["comprehensive"].append([kind, r2(comp.share), *ci_cells(comp.ci95), comp.respondents])
    for year, target in sorted(k.targets.items()):
        rows["targets"].append([kind, int(year), r2(target)])
    for f in k.factors:
        rows["factors"].append(
            [
                kind,
                f.code,
                translate(f.title),
                r2(f.index),
                *ci_cells(f.ci95),
                r2(f.pooled),
                r2(f.mean),
                f.answers,
                f.parts,
            ]
        )
    for c in k.criteria:
        rows["criteria"].append([kind, c.factor, c.code, translate(c.text), *criterion_cells(c)])


def _add_unit_and_trend_rows(
    rows: dict[str, list[list[Any]]], k: model.KindReport, kind: str, min_n: int
) -> None:
    for row in k.children:
        s = row.summary
        rows["children"].append(
            [
                kind,
                row.code,
                row.name,
                yes(row.own),
                r2(s.index),
                *ci_cells(s.ci95),
                s.n,
                s.responses,
                s.parts,
                verdict_label(s.verdict),
                r2(row.previous_index),
                r2(row.change),
                yes(row.pooled),
                verdict_text(s, min_n),
            ]
        )
        for code, value in row.factors.items():
            rows["child_factors"].append([kind, row.code, yes(row.own), code, r2(value)])
    if k.pooled_part is not None:
        p = k.pooled_part
        rows["pools"].append(
            [
                kind,
                ", ".join(p.units),
                yes(p.own),
                p.n,
                r2(p.index),
                *ci_cells(p.ci95),
                r2(p.weight),
            ]
        )
    for t in k.trend:
        rows["trend"].append(
            [
                kind,
                t.key,
                day(t.start),
                day(t.end),
                r2(t.index),
                *ci_cells(t.ci95),
                t.n,
                yes(t.partial),
                ", ".join(day(d) for d in t.reorganised),
            ]
        )


def _kind_heads_a(rows: dict[str, list[list[Any]]]) -> list[Table]:
    k_ = _("Kind of service")
    return [
        (
            _("Overall question"),
            [k_, _("Code"), _("Question"), *criterion_head()],
            rows["overall"],
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
            rows["comprehensive"],
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
            rows["factors"],
        ),
        (
            _("Criteria"),
            [k_, _("Factor code"), _("Code"), _("Criterion"), *criterion_head()],
            rows["criteria"],
        ),
    ]


def _kind_heads_b(rows: dict[str, list[list[Any]]]) -> list[Table]:
    k_ = _("Kind of service")
    return [
        (
            _("Units below"),
            [
                k_,
                _("Code"),
                _("Unit"),
                _("Own responses"),
                *summary_head(),
                _("Previous period (%)"),
                _("Change (points)"),
                _("Pooled (too few responses)"),
                _("Verdict in words"),
            ],
            rows["children"],
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
            rows["pools"],
        ),
        (
            _("Units below by factor"),
            [k_, _("Code"), _("Own responses"), _("Factor code"), _("Index (%)")],
            rows["child_factors"],
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
            rows["trend"],
        ),
        (_("Targets"), [k_, _("Year"), _("Target (%)")], rows["targets"]),
    ]
