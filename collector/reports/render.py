"""The typed report (`collector.reports.model.Report`) as JSON, CSV (UTF-8 with BOM, for Excel)
and XLSX (openpyxl).

The JSON is the report's dataclasses walked generically (the same types give the OpenAPI schema),
so it carries every field of the model. CSV and XLSX share `collector.reports.tables`, one table
per part of the report, covering every figure the page shows.

Figures are rounded to two decimals, as SIPAS results are published. Text cells that a spreadsheet
could read as a formula (starting with =, +, -, @, tab or carriage return) get a leading apostrophe.
"""

from __future__ import annotations

import csv
import functools
import io
from collections.abc import Iterable, Sequence
from typing import Any

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

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
from collector.reports.tables import dimension_label, table_sections

__all__ = [  # the labels and tables are read from here by the CLI and the tests too
    "channel_label",
    "dimension_label",
    "kind_label",
    "method_label",
    "period_label",
    "position_label",
    "reason_label",
    "table_sections",
    "verdict_label",
    "verdict_text",
    "weekday_label",
]

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
BOM = "\ufeff"


def neutralise(value: Any) -> Any:
    """A cell value safe from formula injection and writable to XLSX (control characters that
    XML 1.0 forbids are dropped: one in a stored comment must not fail a whole export);
    numbers and empty values pass as they are."""
    if isinstance(value, str):
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
        if value.startswith(FORMULA_START):
            return "'" + value
    return value


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
