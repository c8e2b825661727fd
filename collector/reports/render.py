"""The weekly report as JSON, CSV (UTF-8 with BOM, for Excel) and XLSX (openpyxl).

Figures are rounded to two decimals, as SIPAS results are published. Text cells that a spreadsheet
could read as a formula (starting with =, +, -, @, tab or carriage return) get a leading apostrophe.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any

from flask_babel import gettext as _
from flask_babel import gettext as translate  # for message ids held in data
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from collector.receipts.report import json_sections, report_sections

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


def r2(value: float | None) -> float | None:
    return None if value is None else round(float(value), 2)


def _ci(ci: Sequence[float] | None) -> list[float] | None:
    return [r2(ci[0]), r2(ci[1])] if ci else None


def _summary_json(entry: dict[str, Any]) -> dict[str, Any]:
    return {
        "index": r2(entry["index"]),
        "target": r2(entry["target"]),
        "verdict": entry["verdict"],
        "responses": entry["responses"],
        "answers": entry["answers"],
        "ci95": _ci(entry["ci95"]),
        "units_with_data": entry["units_with_data"],
    }


def report_json(report: dict[str, Any]) -> dict[str, Any]:
    """The API's shape of a weekly report."""
    kinds = {}
    for kind, entry in report["kinds"].items():
        out = _summary_json(entry)
        out.update(
            {
                "method": entry["method"],
                "rollup": "mean-of-units" if entry["rollup"] else "single-unit",
                "change": r2(entry["change"]),
                "previous_index": r2(entry["previous_index"]),
                "factors": {
                    f["code"]: {
                        "index": r2(f["index"]),
                        "criteria": {
                            c["code"]: {
                                "satisfied_share": r2(c["share"]),
                                "answers": c["answers"],
                                "no_opinion": c["no_opinion"],
                            }
                            for c in f["criteria"]
                        },
                    }
                    for f in entry["factors"]
                },
                "children": {c["code"]: _summary_json(c) for c in entry["children"]},
                "trend": [
                    {"week": t["week"], "index": r2(t["index"]), "responses": t["responses"]}
                    for t in entry["trend"]
                ],
            }
        )
        if "comprehensive" in entry:
            comp = entry["comprehensive"]
            out["comprehensive"] = {
                "share": r2(comp["share"]),
                "respondents": comp["respondents"],
                "ci95": _ci(comp["ci95"]),
            }
        if "overall_question" in entry:
            oq = entry["overall_question"]
            out["overall_question"] = {
                "code": oq["code"],
                "satisfied_share": r2(oq["share"]),
                "answers": oq["answers"],
            }
        kinds[kind] = out
    return {
        "week": report["week"],
        "week_start": report["week_start"],
        "week_end": report["week_end"],
        "unit": {k: report["unit"][k] for k in ("code", "name", "kind")},
        "min_responses": report["settings"]["min_responses"],
        "includes_unofficial": report["settings"]["include_unofficial"],
        "unofficial": {
            "suspect": report["unofficial"]["suspect"],
            "broken": report["unofficial"]["broken"],
            "total": report["unofficial"]["total"],
        },
        "kinds": kinds,
        **procedures_and_officers_json(report),
        **json_sections(report),
    }


def _group_json(row: dict[str, Any], names: Sequence[str]) -> dict[str, Any]:
    return {
        "kind": row["kind"],
        **dict(zip(names, row["group"], strict=True)),
        "responses": row["responses"],
        "answers": row["answers"],
        "satisfied_share": r2(row["share"]),
        "ci95": _ci(row["ci95"]),
    }


def procedures_and_officers_json(report: dict[str, Any]) -> dict[str, Any]:
    """Results by procedure, and by officer when the reader may see them (managers, admins)."""
    out: dict[str, Any] = {
        "procedures": [_group_json(p, ["procedure"]) for p in report["procedures"]]
    }
    if report["officers"] is not None:
        out["officers"] = [_group_json(o, ["unit", "officer"]) for o in report["officers"]]
        out["officers_hidden"] = report["officers_hidden"]
        out["officers_min_responses"] = report["officers_min"]
    return out


def kind_label(kind: str) -> str:
    return {
        "admin": _("Administrative services"),
        "health": _("Health services"),
        "education": _("Education services"),
    }.get(kind, kind)


def verdict_label(verdict: str) -> str:
    return {
        "meets": _("meets the target"),
        "misses": _("misses the target"),
        "not-enough-data": _("not enough data"),
    }.get(verdict, verdict)


def method_label(method: str, rollup: bool) -> str:
    text = {
        "sipas": _("SIPAS chain: criteria, factor means, mean of factors"),
        "pooled": _("Pooled rate of satisfied answers (Ministry of Health)"),
    }.get(method, method)
    if rollup:
        text += " · " + _("mean of the units' indices")
    return text


def procedures_and_officers_sections(
    report: dict[str, Any],
) -> list[tuple[str, list[str], list[list[Any]]]]:
    """The tables by procedure and, for managers and admins, by officer."""
    figures = [
        _("Responses"),
        _("Answers"),
        _("Satisfied (%)"),
        _("Interval (95%), low"),
        _("Interval (95%), high"),
    ]

    def cells(row: dict[str, Any]) -> list[Any]:
        ci = _ci(row["ci95"]) or [None, None]
        return [row["responses"], row["answers"], r2(row["share"]), ci[0], ci[1]]

    sections = [
        (
            _("By procedure"),
            [_("Kind of service"), _("Procedure code"), *figures],
            [[kind_label(p["kind"]), p["group"][0], *cells(p)] for p in report["procedures"]],
        )
    ]
    if report["officers"] is not None:
        sections.append(
            (
                _("By officer"),
                [_("Kind of service"), _("Unit"), _("Officer code"), *figures],
                [
                    [kind_label(o["kind"]), o["group"][0], o["group"][1], *cells(o)]
                    for o in report["officers"]
                ],
            )
        )
    return sections


def table_sections(report: dict[str, Any]) -> list[tuple[str, list[str], list[list[Any]]]]:
    """The report as (sheet name, headers, rows) tables, shared by CSV and XLSX."""
    unit = f"{report['unit']['code']} {report['unit']['name']}"
    summary_head = [
        _("Kind of service"),
        _("Unit"),
        _("Week"),
        _("Index (%)"),
        _("Interval (95%), low"),
        _("Interval (95%), high"),
        _("Target (%)"),
        _("Verdict"),
        _("Responses"),
        _("Answers"),
        _("Change from last week (points)"),
        _("Method"),
    ]
    summary = []
    factors = []
    criteria = []
    children = []
    trend = []
    for kind, e in report["kinds"].items():
        ci = _ci(e["ci95"]) or [None, None]
        summary.append(
            [
                kind_label(kind),
                unit,
                report["week"],
                r2(e["index"]),
                ci[0],
                ci[1],
                r2(e["target"]),
                verdict_label(e["verdict"]),
                e["responses"],
                e["answers"],
                r2(e["change"]),
                method_label(e["method"], e["rollup"]),
            ]
        )
        for f in e["factors"]:
            factors.append([kind_label(kind), f["code"], translate(f["title"]), r2(f["index"])])
        for c in e["criteria"]:
            cci = _ci(c["ci95"]) or [None, None]
            criteria.append(
                [
                    kind_label(kind),
                    c["code"],
                    translate(c["text"]),
                    r2(c["share"]),
                    cci[0],
                    cci[1],
                    c["answers"],
                    c["no_opinion"],
                ]
            )
        for c in e["children"]:
            cci = _ci(c["ci95"]) or [None, None]
            children.append(
                [
                    kind_label(kind),
                    c["code"],
                    c["name"],
                    r2(c["index"]),
                    cci[0],
                    cci[1],
                    c["responses"],
                    verdict_label(c["verdict"]),
                ]
            )
        for t in e["trend"]:
            trend.append([kind_label(kind), t["week"], r2(t["index"]), t["responses"]])
    return [
        (_("Summary"), summary_head, summary),
        (_("Factors"), [_("Kind of service"), _("Code"), _("Factor"), _("Index (%)")], factors),
        (
            _("Criteria"),
            [
                _("Kind of service"),
                _("Code"),
                _("Criterion"),
                _("Satisfied (%)"),
                _("Interval (95%), low"),
                _("Interval (95%), high"),
                _("Answers"),
                _("No opinion"),
            ],
            criteria,
        ),
        (
            _("Units below"),
            [
                _("Kind of service"),
                _("Code"),
                _("Unit"),
                _("Index (%)"),
                _("Interval (95%), low"),
                _("Interval (95%), high"),
                _("Responses"),
                _("Verdict"),
            ],
            children,
        ),
        (_("Trend"), [_("Kind of service"), _("Week"), _("Index (%)"), _("Responses")], trend),
        *procedures_and_officers_sections(report),
        (
            _("Comments"),
            [_("Time"), _("Unit"), _("Kind of service"), _("Comment")],
            [
                [c["time"], c["unit"], kind_label(c["kind"]), c["comment"]]
                for c in report["comments"]
            ],
        ),
        (
            _("Left out"),
            [_("Time"), _("Unit"), _("Kind of service"), _("Counter"), _("Why")],
            [
                [
                    u["time"],
                    u["unit"],
                    kind_label(u["kind"]),
                    u["counter"],
                    ", ".join(
                        ([_("suspicious")] if u["suspect"] else [])
                        + ([_("broken chain")] if u["broken"] else [])
                    ),
                ]
                for u in report["unofficial"]["rows"]
            ],
        ),
        *report_sections(report, _, kind_label, channel_label),
    ]


def channel_label(channel: str) -> str:
    return {
        "kiosk": _("Kiosk at the counter"),
        "receipt": _("QR on the receipt"),
        "poster": _("QR poster"),
    }.get(channel, channel)


def write_csv(rows: Iterable[Sequence[Any]]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf)
    for row in rows:
        writer.writerow([neutralise(v) if v is not None else "" for v in row])
    return buf.getvalue()


def report_csv(report: dict[str, Any]) -> bytes:
    """One CSV: each section's header and rows, a blank line between sections."""
    out = [BOM]
    for name, head, rows in table_sections(report):
        out.append(write_csv([[name], head, *rows, []]))
    return "".join(out).encode("utf-8")


def report_xlsx(report: dict[str, Any]) -> bytes:
    """One sheet per section, headers bold, figures as numbers."""
    book = Workbook()
    book.remove(book.active)
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="E8EEF4")
    for name, head, rows in table_sections(report):
        sheet = book.create_sheet(name[:31])
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
