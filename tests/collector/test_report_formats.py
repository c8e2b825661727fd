"""Every figure of one report, the same in the JSON, the CSV, the XLSX and the page.

Each format is parsed on its own (the JSON document, the CSV text, the XLSX workbook, the page's
HTML) into a dict of figures keyed by the scheme below, and each dict is compared with the figures
read straight from the typed report, figure by figure.

Key scheme (the page marks each figure it shows with `data-fig="<key>"`; K is a kind code such as
`admin` or `health`, U a unit code, F a factor or section code, C a criterion code):

- summary of a kind: `K.index`, `K.ci95`, `K.target`, `K.verdict`, `K.n`, `K.responses`,
  `K.answers`, `K.parts`, `K.pooled`, `K.change`, `K.previous`; `K.target.<year>` for each year's
  target
- overall question: `K.overall` (satisfied share), `K.overall.ci95`, `K.overall.satisfied`,
  `K.overall.answers`, `K.overall.no_opinion`, `K.overall.mean`
- comprehensive satisfaction (health): `K.comprehensive`, `K.comprehensive.ci95`,
  `K.comprehensive.respondents`
- factors / sections: `K.factor.F` (index), `K.factor.F.pooled`, `K.factor.F.mean` (1-5),
  `K.factor.F.answers`, `K.factor.F.parts`
- criteria: `K.criterion.C` (share), `K.criterion.C.ci95`, `.satisfied`, `.answers`,
  `.no_opinion`, `.mean`
- units below (the report unit's own row too, under its own code): `K.child.U` (index),
  `K.child.U.ci95`, `.n`, `.responses`, `.parts`, `.verdict`, `.previous`, `.change`,
  `K.child.U.factor.F`
- trend: `trend.K.<bucket key>` (index), `trend.K.<bucket key>.n`
- alerts: `alert.K.U` (index), `alert.K.U.ci95`, `.n`, `.responses`, `.verdict`, `.previous`,
  `.change`; every unit with its own responses: `unit.K.U` and the same suffixes
- breakdowns: `counter.K.U.<counter>`, `procedure.K.<procedure>`, `officer.K.U.<officer>` (the
  pooled satisfied share) and `.responses`, `.answers`, `.ci95`, `.limits95`, `.limits998`,
  `.position` after them
- funnel plots: `funnel.<dimension>.K.target`, `.design_effect`, `.answers_per_response`, and
  `funnel.<dimension>.K.<responses>.limits95`, `.limits998` for each point of the curve
- verdicts in words: `K.verdict_text`, `K.child.U.verdict_text`, `channel.K.<channel>.verdict_text`;
  `K.more_needed`, `K.versions` (text); the pooled part `K.pool`, `K.pool.ci95`, `K.pool.n`,
  `K.pool.units`; `K.child.U.pooled` and `trend.K.<bucket key>.partial` (True or False; the page
  marks only the True ones); `trend.K.<bucket key>.ci95`; `K.factor.F.ci95`
- index per channel: `channel.K.<channel>` (index), `channel.K.<channel>.ci95`, `.n`,
  `.responses`, `.parts`, `.verdict`, `.suspect`
- hours: `heat.<weekday 0-6, Monday 0>.<hour>.ratings`, `heat.<d>.<h>.dissatisfied`, `heat.peak`
- reasons: `reason.<code>` (share of the responses giving a reason), `reason.<code>.count`;
  `reasons.responses`
- response rate: `rate.U.issued`, `.opened`, `.answered`, `.answered_share`, `.opened_share`,
  `.expired`, `.revoked`; the total as `rate.total.*`
- outcomes of the dossiers: `outcome.K.<outcome>` (index), `.ci95`, `.n`, `.responses`;
  `outcome.rate.<outcome>.issued`, `.answered`, `.answered_share`; the national index beside
  SIPAS: `national.U.<field>` (U a unit code, `total` for the scope) for NATIONAL_FIELDS and
  `national.U.sipas`
- the rest: `leftout.suspect`, `leftout.broken`, `leftout.total`, `comments.total`,
  `officers.hidden`, `officers.min`, `settings.min_responses`

Values: numbers rounded to two decimals (counts are numbers too), intervals (low, high), verdicts
as their codes, None for no data. The page writes numbers the Vietnamese way (decimal comma, dot
for thousands), a percent sign or "điểm" after them if it likes, "–" for no data, an interval as
"low – high", and a verdict in words.
"""

from __future__ import annotations

import csv
import io
import json
import re
from html.parser import HTMLParser
from typing import Any

import openpyxl
import pytest
from flask_babel import gettext

from collector.models.units import UNIT_CHANGES
from collector.reports import model
from collector.reports.outcome_tables import national_headers
from collector.reports.render import (
    channel_label,
    dimension_label,
    kind_label,
    position_label,
    report_csv,
    report_json,
    report_xlsx,
    verdict_label,
    verdict_text,
)
from tests.collector.report_fixture import sample_report


@pytest.fixture
def backend() -> str:
    """These reports are built by hand (or the service is replaced): the database is not under
    test, so SQLite alone serves."""
    return "sqlite"


Figures = dict[str, Any]
RATE_FIELDS = (
    "issued",
    "opened",
    "answered",
    "answered_share",
    "opened_share",
    "expired",
    "revoked",
)

NATIONAL_FIELDS = (
    "settled",
    "on_time",
    "late",
    "disliked",
    "on_time_rate",
    "on_time_points",
    "late_share",
    "disliked_share",
    "item_54_rate",
    "item_54_points",
)


def num(value: Any) -> float | None:
    if value is None or value == "":
        return None
    return round(float(value), 2)


def interval(low: Any, high: Any) -> tuple[float, float] | None:
    if num(low) is None and num(high) is None:
        return None
    return (num(low), num(high))


# -- from the model ------------------------------------------------------------------------------


def _summary(out: Figures, key: str, s: model.Summary, index: str | None = None) -> None:
    out[index or key] = num(s.index)
    out[f"{key}.ci95"] = interval(*s.ci95) if s.ci95 else None
    out[f"{key}.n"] = num(s.n)
    out[f"{key}.responses"] = num(s.responses)
    out[f"{key}.verdict"] = s.verdict


def _unit_row(out: Figures, key: str, row: model.UnitRow) -> None:
    _summary(out, key, row.summary)
    out[f"{key}.previous"] = num(row.previous_index)
    out[f"{key}.change"] = num(row.change)


def _criterion(out: Figures, key: str, c: model.Criterion) -> None:
    out[key] = num(c.share)
    out[f"{key}.ci95"] = interval(*c.ci95) if c.ci95 else None
    for name in ("satisfied", "answers", "no_opinion", "mean"):
        out[f"{key}.{name}"] = num(getattr(c, name))


def _breakdown(out: Figures, key: str, b: model.Breakdown) -> None:
    out[key] = num(b.share)
    out[f"{key}.responses"] = num(b.responses)
    out[f"{key}.answers"] = num(b.answers)
    out[f"{key}.ci95"] = interval(*b.ci95) if b.ci95 else None
    out[f"{key}.limits95"] = interval(*b.limits95) if b.limits95 else None
    out[f"{key}.limits998"] = interval(*b.limits998) if b.limits998 else None
    out[f"{key}.position"] = b.position


def _pair(value) -> tuple[float, float] | None:
    return interval(*value) if value else None


def figures_from_model(report: model.Report) -> Figures:
    out: Figures = {}
    min_n = report.settings.min_responses
    for k in report.kinds:
        kk, s = k.kind, k.summary
        _summary(out, kk, s, f"{kk}.index")
        out[f"{kk}.verdict_text"] = verdict_text(s, min_n)
        out[f"{kk}.more_needed"] = num(s.more_needed)
        out[f"{kk}.versions"] = ", ".join(k.versions)
        if k.pooled_part is not None:
            p = k.pooled_part
            out[f"{kk}.pool"] = num(p.index)
            out[f"{kk}.pool.ci95"] = _pair(p.ci95)
            out[f"{kk}.pool.n"] = num(p.n)
            out[f"{kk}.pool.units"] = ", ".join(p.units)
            out[f"{kk}.pool.weight"] = num(p.weight)
        out[f"{kk}.target"] = num(s.target)
        out[f"{kk}.answers"] = num(s.answers)
        out[f"{kk}.parts"] = num(s.parts)
        out[f"{kk}.pooled"] = num(s.pooled)
        out[f"{kk}.change"] = num(k.change)
        out[f"{kk}.previous"] = num(k.previous_index)
        for year, target in k.targets.items():
            out[f"{kk}.target.{year}"] = num(target)
        if k.overall is not None:
            _criterion(out, f"{kk}.overall", k.overall)
        if k.comprehensive is not None:
            c = k.comprehensive
            out[f"{kk}.comprehensive"] = num(c.share)
            out[f"{kk}.comprehensive.ci95"] = interval(*c.ci95) if c.ci95 else None
            out[f"{kk}.comprehensive.respondents"] = num(c.respondents)
        for f in k.factors:
            key = f"{kk}.factor.{f.code}"
            out[key] = num(f.index)
            out[f"{key}.ci95"] = _pair(f.ci95)
            for name in ("pooled", "mean", "answers", "parts"):
                out[f"{key}.{name}"] = num(getattr(f, name))
        for c in k.criteria:
            _criterion(out, f"{kk}.criterion.{c.code}", c)
        for row in k.children:
            key = f"{kk}.child.{row.code}"
            _unit_row(out, key, row)
            out[f"{key}.parts"] = num(row.summary.parts)
            out[f"{key}.pooled"] = row.pooled
            out[f"{key}.verdict_text"] = verdict_text(row.summary, min_n)
            for code, value in row.factors.items():
                out[f"{key}.factor.{code}"] = num(value)
        for t in k.trend:
            out[f"trend.{kk}.{t.key}"] = num(t.index)
            out[f"trend.{kk}.{t.key}.n"] = num(t.n)
            out[f"trend.{kk}.{t.key}.ci95"] = _pair(t.ci95)
            out[f"trend.{kk}.{t.key}.partial"] = t.partial
            out[f"trend.{kk}.{t.key}.reorganised"] = bool(t.reorganised)
    for a in report.alerts:
        _unit_row(out, f"alert.{a.kind}.{a.unit.code}", a.unit)
    for kind, row in report.units:
        _unit_row(out, f"unit.{kind}.{row.code}", row)
    for f in report.funnels:
        key = f"funnel.{f.dimension}.{f.kind}"
        out[f"{key}.target"] = num(f.target)
        out[f"{key}.design_effect"] = num(f.design_effect)
        out[f"{key}.answers_per_response"] = num(f.answers_per_response)
        for c in f.curve:
            out[f"{key}.{c.responses}.limits95"] = _pair(c.limits95)
            out[f"{key}.{c.responses}.limits998"] = _pair(c.limits998)
    for b in report.counters:
        _breakdown(out, f"counter.{b.kind}.{b.group[0]}.{b.group[1]}", b)
    for b in report.procedures:
        _breakdown(out, f"procedure.{b.kind}.{b.group[0]}", b)
    for b in report.officers or ():
        _breakdown(out, f"officer.{b.kind}.{b.group[0]}.{b.group[1]}", b)
    for c in report.channel_comparison:
        key = f"channel.{c.kind}.{c.channel}"
        _summary(out, key, c.summary)
        out[f"{key}.parts"] = num(c.summary.parts)
        out[f"{key}.suspect"] = num(c.suspect_left_out)
        out[f"{key}.verdict_text"] = verdict_text(c.summary, min_n)
    heat = report.heatmap
    for day, cells in enumerate(heat.grid):
        for hour, cell in zip(heat.hours, cells, strict=True):
            out[f"heat.{day}.{hour}.ratings"] = num(cell.ratings)
            out[f"heat.{day}.{hour}.dissatisfied"] = num(cell.dissatisfied)
    out["heat.peak"] = num(heat.peak)
    for r in report.reasons:
        out[f"reason.{r.code}"] = num(r.share)
        out[f"reason.{r.code}.count"] = num(r.count)
    out["reasons.responses"] = num(report.reasons_responses)
    rates = [(u.code, u) for u in report.response_rate.units]
    if rates:
        rates.append(("total", report.response_rate.total))
    for code, u in rates:
        for name in RATE_FIELDS:
            out[f"rate.{code}.{name}"] = num(getattr(u, name))
    if report.outcomes is not None:
        for r in report.outcomes.ratings:
            key = f"outcome.{r.kind}.{r.outcome}"
            out[key] = num(r.index)
            out[f"{key}.ci95"] = _pair(r.ci95)
            out[f"{key}.n"] = num(r.n)
            out[f"{key}.responses"] = num(r.responses)
        for r in report.outcomes.response_rates:
            for name in ("issued", "answered", "answered_share"):
                out[f"outcome.rate.{r.outcome}.{name}"] = num(getattr(r, name))
        for row in report.outcomes.national:
            key = f"national.{row.code or 'total'}"
            for name in NATIONAL_FIELDS:
                out[f"{key}.{name}"] = num(getattr(row.national, name))
            out[f"{key}.refused"] = num(row.refused)
            out[f"{key}.sipas"] = num(row.sipas_index)
    out["leftout.suspect"] = num(report.left_out.suspect)
    out["leftout.broken"] = num(report.left_out.broken)
    out["leftout.total"] = num(report.left_out.total)
    for r in report.reorganisations:
        key = f"reorganisation.{r.effective.isoformat()}.{'+'.join(r.before)}"
        out[f"{key}.change"] = r.change
        out[f"{key}.after"] = ", ".join(r.after)
        out[f"{key}.unassigned"] = num(r.unassigned)
    out["comments.total"] = num(report.comments_total)
    out["settings.min_responses"] = num(report.settings.min_responses)
    if report.officers is not None:
        out["officers.hidden"] = num(report.officers_hidden)
        out["officers.min"] = num(report.officers_min)
    return out


# -- from the JSON -------------------------------------------------------------------------------


def _j_interval(value) -> tuple[float, float] | None:
    return None if value is None else interval(value[0], value[1])


def _j_summary(out: Figures, key: str, s: dict, index: str | None = None) -> None:
    out[index or key] = num(s["index"])
    out[f"{key}.ci95"] = _j_interval(s["ci95"])
    out[f"{key}.n"] = num(s["n"])
    out[f"{key}.responses"] = num(s["responses"])
    out[f"{key}.verdict"] = s["verdict"]


def _j_row(out: Figures, key: str, row: dict) -> None:
    _j_summary(out, key, row["summary"])
    out[f"{key}.previous"] = num(row["previous_index"])
    out[f"{key}.change"] = num(row["change"])


def _j_criterion(out: Figures, key: str, c: dict) -> None:
    out[key] = num(c["share"])
    out[f"{key}.ci95"] = _j_interval(c["ci95"])
    for name in ("satisfied", "answers", "no_opinion", "mean"):
        out[f"{key}.{name}"] = num(c[name])


def _j_breakdown(out: Figures, key: str, b: dict) -> None:
    out[key] = num(b["share"])
    for name in ("responses", "answers"):
        out[f"{key}.{name}"] = num(b[name])
    out[f"{key}.ci95"] = _j_interval(b["ci95"])
    out[f"{key}.limits95"] = _j_interval(b["limits95"])
    out[f"{key}.limits998"] = _j_interval(b["limits998"])
    out[f"{key}.position"] = b["position"]


def figures_from_json(doc: dict) -> Figures:
    out: Figures = {}
    for k in doc["kinds"]:
        kk, s = k["kind"], k["summary"]
        _j_summary(out, kk, s, f"{kk}.index")
        out[f"{kk}.verdict_text"] = s["verdict_text"]
        out[f"{kk}.more_needed"] = num(s["more_needed"])
        out[f"{kk}.versions"] = ", ".join(k["versions"])
        if k["pooled_part"] is not None:
            p = k["pooled_part"]
            out[f"{kk}.pool"] = num(p["index"])
            out[f"{kk}.pool.ci95"] = _j_interval(p["ci95"])
            out[f"{kk}.pool.n"] = num(p["n"])
            out[f"{kk}.pool.units"] = ", ".join(p["units"])
            out[f"{kk}.pool.weight"] = num(p["weight"])
        for name in ("target", "answers", "parts", "pooled"):
            out[f"{kk}.{name}"] = num(s[name])
        out[f"{kk}.change"] = num(k["change"])
        out[f"{kk}.previous"] = num(k["previous_index"])
        for year, target in k["targets"].items():
            out[f"{kk}.target.{year}"] = num(target)
        if k["overall"] is not None:
            _j_criterion(out, f"{kk}.overall", k["overall"])
        if k["comprehensive"] is not None:
            c = k["comprehensive"]
            out[f"{kk}.comprehensive"] = num(c["share"])
            out[f"{kk}.comprehensive.ci95"] = _j_interval(c["ci95"])
            out[f"{kk}.comprehensive.respondents"] = num(c["respondents"])
        for f in k["factors"]:
            key = f"{kk}.factor.{f['code']}"
            out[key] = num(f["index"])
            out[f"{key}.ci95"] = _j_interval(f["ci95"])
            for name in ("pooled", "mean", "answers", "parts"):
                out[f"{key}.{name}"] = num(f[name])
        for c in k["criteria"]:
            _j_criterion(out, f"{kk}.criterion.{c['code']}", c)
        for row in k["children"]:
            key = f"{kk}.child.{row['code']}"
            _j_row(out, key, row)
            out[f"{key}.parts"] = num(row["summary"]["parts"])
            out[f"{key}.pooled"] = row["pooled"]
            out[f"{key}.verdict_text"] = row["summary"]["verdict_text"]
            for code, value in row["factors"].items():
                out[f"{key}.factor.{code}"] = num(value)
        for t in k["trend"]:
            out[f"trend.{kk}.{t['key']}"] = num(t["index"])
            out[f"trend.{kk}.{t['key']}.n"] = num(t["n"])
            out[f"trend.{kk}.{t['key']}.ci95"] = _j_interval(t["ci95"])
            out[f"trend.{kk}.{t['key']}.partial"] = t["partial"]
            out[f"trend.{kk}.{t['key']}.reorganised"] = bool(t["reorganised"])
    for a in doc["alerts"]:
        _j_row(out, f"alert.{a['kind']}.{a['unit']['code']}", a["unit"])
    for kind, row in doc["units"]:
        _j_row(out, f"unit.{kind}.{row['code']}", row)
    for f in doc["funnels"]:
        key = f"funnel.{f['dimension']}.{f['kind']}"
        for name in ("target", "design_effect", "answers_per_response"):
            out[f"{key}.{name}"] = num(f[name])
        for c in f["curve"]:
            out[f"{key}.{c['responses']}.limits95"] = _j_interval(c["limits95"])
            out[f"{key}.{c['responses']}.limits998"] = _j_interval(c["limits998"])
    for b in doc["counters"]:
        _j_breakdown(out, f"counter.{b['kind']}.{b['group'][0]}.{b['group'][1]}", b)
    for b in doc["procedures"]:
        _j_breakdown(out, f"procedure.{b['kind']}.{b['group'][0]}", b)
    for b in doc["officers"] or ():
        _j_breakdown(out, f"officer.{b['kind']}.{b['group'][0]}.{b['group'][1]}", b)
    for c in doc["channel_comparison"]:
        key = f"channel.{c['kind']}.{c['channel']}"
        _j_summary(out, key, c["summary"])
        out[f"{key}.parts"] = num(c["summary"]["parts"])
        out[f"{key}.suspect"] = num(c["suspect_left_out"])
        out[f"{key}.verdict_text"] = c["summary"]["verdict_text"]
    heat = doc["heatmap"]
    for day, cells in enumerate(heat["grid"]):
        for hour, cell in zip(heat["hours"], cells, strict=True):
            out[f"heat.{day}.{hour}.ratings"] = num(cell["ratings"])
            out[f"heat.{day}.{hour}.dissatisfied"] = num(cell["dissatisfied"])
    out["heat.peak"] = num(heat["peak"])
    for r in doc["reasons"]:
        out[f"reason.{r['code']}"] = num(r["share"])
        out[f"reason.{r['code']}.count"] = num(r["count"])
    out["reasons.responses"] = num(doc["reasons_responses"])
    rate = doc["response_rate"]
    rows = [(u["code"], u) for u in rate["units"]]
    if rows:
        rows.append(("total", rate["total"]))
    for code, u in rows:
        for name in RATE_FIELDS:
            out[f"rate.{code}.{name}"] = num(u[name])
    if doc["outcomes"] is not None:
        for r in doc["outcomes"]["ratings"]:
            key = f"outcome.{r['kind']}.{r['outcome']}"
            out[key] = num(r["index"])
            out[f"{key}.ci95"] = _j_interval(r["ci95"])
            out[f"{key}.n"] = num(r["n"])
            out[f"{key}.responses"] = num(r["responses"])
        for r in doc["outcomes"]["response_rates"]:
            for name in ("issued", "answered", "answered_share"):
                out[f"outcome.rate.{r['outcome']}.{name}"] = num(r[name])
        for row in doc["outcomes"]["national"]:
            key = f"national.{row['code'] or 'total'}"
            for name in NATIONAL_FIELDS:
                out[f"{key}.{name}"] = num(row["national"][name])
            out[f"{key}.refused"] = num(row["refused"])
            out[f"{key}.sipas"] = num(row["sipas_index"])
    for name in ("suspect", "broken", "total"):
        out[f"leftout.{name}"] = num(doc["left_out"][name])
    out["comments.total"] = num(doc["comments_total"])
    for r in doc["reorganisations"]:
        key = f"reorganisation.{r['effective']}.{'+'.join(r['before'])}"
        out[f"{key}.change"] = r["change"]
        out[f"{key}.after"] = ", ".join(r["after"])
        out[f"{key}.unassigned"] = num(r["unassigned"])
    out["settings.min_responses"] = num(doc["settings"]["min_responses"])
    if doc["officers"] is not None:
        out["officers.hidden"] = num(doc["officers_hidden"])
        out["officers.min"] = num(doc["officers_min"])
    return out


# -- from the CSV and XLSX tables ----------------------------------------------------------------

#: A table: its rows as dicts by (translated) header.
Tables = dict[str, list[dict[str, Any]]]


def tables_from_csv(data: bytes) -> Tables:
    assert data.startswith("\ufeff".encode())
    lines = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    tables: Tables = {}
    i = 0
    while i < len(lines):
        name, head = lines[i][0], lines[i + 1]
        i += 2
        rows = []
        while i < len(lines) and lines[i]:
            rows.append(dict(zip(head, [v if v != "" else None for v in lines[i]], strict=True)))
            i += 1
        tables[name] = rows
        i += 1  # the blank line after a section
    return tables


def tables_from_xlsx(data: bytes) -> Tables:
    book = openpyxl.load_workbook(io.BytesIO(data))
    tables: Tables = {}
    for sheet in book.worksheets:
        values = list(sheet.iter_rows(values_only=True))
        head = values[0]
        tables[sheet.title] = [dict(zip(head, row, strict=True)) for row in values[1:]]
    return tables


def _table(tables: Tables, name: str) -> list[dict[str, Any]]:
    """A table by its (translated) name; sheet titles are cut to 31 characters."""
    title = gettext(name)
    return tables.get(title, tables.get(title[:31].strip(), []))


def figures_from_tables(tables: Tables) -> Figures:
    t = gettext
    kinds = {kind_label(k): k for k in ("admin", "health", "education")}
    channels = {channel_label(c): c for c in ("kiosk", "receipt", "poster")}
    verdicts = {verdict_label(v): v for v in model.VERDICTS}
    low, high = t("Interval (95%), low"), t("Interval (95%), high")
    kind_h, code_h = t("Kind of service"), t("Code")
    n_h = t("Responses with an answer (n)")
    words_h = t("Verdict in words")
    yes = {t("yes"): True, t("no"): False}
    positions = {
        position_label(p): p for p in (model.ALARM, model.WARNING, model.WITHIN, model.ABOVE)
    }
    dimensions = {dimension_label(d): d for d in ("officer", "counter")}
    out: Figures = {}

    def summary(key: str, row: dict, index: str | None = None) -> None:
        out[index or key] = num(row[t("Index (%)")])
        out[f"{key}.ci95"] = interval(row[low], row[high])
        out[f"{key}.n"] = num(row[n_h])
        out[f"{key}.responses"] = num(row[t("Responses")])
        out[f"{key}.verdict"] = verdicts[row[t("Verdict")]]

    def unit_row(key: str, row: dict) -> None:
        summary(key, row)
        out[f"{key}.previous"] = num(row[t("Previous period (%)")])
        out[f"{key}.change"] = num(row[t("Change (points)")])

    def criterion(key: str, row: dict) -> None:
        out[key] = num(row[t("Satisfied (%)")])
        out[f"{key}.ci95"] = interval(row[low], row[high])
        out[f"{key}.satisfied"] = num(row[t("Satisfied answers")])
        out[f"{key}.answers"] = num(row[t("Answers")])
        out[f"{key}.no_opinion"] = num(row[t("No opinion")])
        out[f"{key}.mean"] = num(row[t("Mean score (1-5)")])

    def breakdown(key: str, row: dict) -> None:
        out[key] = num(row[t("Satisfied answers, pooled (%)")])
        out[f"{key}.responses"] = num(row[t("Responses")])
        out[f"{key}.answers"] = num(row[t("Answers")])
        out[f"{key}.ci95"] = interval(row[low], row[high])
        out[f"{key}.limits95"] = interval(row[t("Limit (95%), low")], row[t("Limit (95%), high")])
        out[f"{key}.limits998"] = interval(
            row[t("Limit (99.8%), low")], row[t("Limit (99.8%), high")]
        )
        out[f"{key}.position"] = positions.get(row[t("Against the target")] or "")

    for row in _table(tables, "Summary"):
        k = kinds[row[kind_h]]
        summary(k, row, f"{k}.index")
        out[f"{k}.target"] = num(row[t("Target (%)")])
        out[f"{k}.answers"] = num(row[t("Answers")])
        out[f"{k}.parts"] = num(row[t("Parts")])
        out[f"{k}.pooled"] = num(row[t("Pooled index (%)")])
        out[f"{k}.change"] = num(row[t("Change (points)")])
        out[f"{k}.previous"] = num(row[t("Previous period (%)")])
        out[f"{k}.verdict_text"] = row[words_h]
        out[f"{k}.more_needed"] = num(row[t("More responses to settle it")])
        out[f"{k}.versions"] = row[t("Questionnaire versions")] or ""
    for row in _table(tables, "Pooled parts"):
        k = kinds[row[kind_h]]
        out[f"{k}.pool"] = num(row[t("Index (%)")])
        out[f"{k}.pool.ci95"] = interval(row[low], row[high])
        out[f"{k}.pool.n"] = num(row[n_h])
        out[f"{k}.pool.units"] = row[t("Units pooled")] or ""
        out[f"{k}.pool.weight"] = num(row[t("Weight in the mean")])
    for row in _table(tables, "Funnel plot limits"):
        key = f"funnel.{dimensions[row[t('Breakdown')]]}.{kinds[row[kind_h]]}"
        out[f"{key}.target"] = num(row[t("Target (%)")])
        out[f"{key}.design_effect"] = num(row[t("Design effect")])
        out[f"{key}.answers_per_response"] = num(row[t("Answers per response")])
        n = int(float(row[t("Responses")]))
        out[f"{key}.{n}.limits95"] = interval(
            row[t("Limit (95%), low")], row[t("Limit (95%), high")]
        )
        out[f"{key}.{n}.limits998"] = interval(
            row[t("Limit (99.8%), low")], row[t("Limit (99.8%), high")]
        )
    for row in _table(tables, "Targets"):
        out[f"{kinds[row[kind_h]]}.target.{int(float(row[t('Year')]))}"] = num(row[t("Target (%)")])
    for row in _table(tables, "Overall question"):
        criterion(f"{kinds[row[kind_h]]}.overall", row)
    for row in _table(tables, "Comprehensive"):
        key = f"{kinds[row[kind_h]]}.comprehensive"
        out[key] = num(row[t("Satisfied with everything (%)")])
        out[f"{key}.ci95"] = interval(row[low], row[high])
        out[f"{key}.respondents"] = num(row[t("Respondents")])
    for row in _table(tables, "Factors"):
        key = f"{kinds[row[kind_h]]}.factor.{row[code_h]}"
        out[key] = num(row[t("Index (%)")])
        out[f"{key}.ci95"] = interval(row[low], row[high])
        out[f"{key}.pooled"] = num(row[t("Pooled (%)")])
        out[f"{key}.mean"] = num(row[t("Mean score (1-5)")])
        out[f"{key}.answers"] = num(row[t("Answers")])
        out[f"{key}.parts"] = num(row[t("Parts")])
    for row in _table(tables, "Criteria"):
        criterion(f"{kinds[row[kind_h]]}.criterion.{row[code_h]}", row)
    for row in _table(tables, "Units below"):
        key = f"{kinds[row[kind_h]]}.child.{row[code_h]}"
        unit_row(key, row)
        out[f"{key}.parts"] = num(row[t("Parts")])
        out[f"{key}.pooled"] = yes[row[t("Pooled (too few responses)")]]
        out[f"{key}.verdict_text"] = row[words_h]
    for row in _table(tables, "Units below by factor"):
        key = f"{kinds[row[kind_h]]}.child.{row[code_h]}.factor.{row[t('Factor code')]}"
        out[key] = num(row[t("Index (%)")])
    for row in _table(tables, "Trend"):
        key = f"trend.{kinds[row[kind_h]]}.{row[t('Period')]}"
        out[key] = num(row[t("Index (%)")])
        out[f"{key}.n"] = num(row[n_h])
        out[f"{key}.ci95"] = interval(row[low], row[high])
        out[f"{key}.partial"] = yes[row[t("Partial")]]
        out[f"{key}.reorganised"] = bool(row[t("Units reorganised")])
    for row in _table(tables, "Alerts"):
        unit_row(f"alert.{kinds[row[kind_h]]}.{row[code_h]}", row)
    for row in _table(tables, "Every unit"):
        unit_row(f"unit.{kinds[row[kind_h]]}.{row[code_h]}", row)
    for row in _table(tables, "By counter"):
        breakdown(f"counter.{kinds[row[kind_h]]}.{row[t('Unit')]}.{row[t('Counter')]}", row)
    for row in _table(tables, "By procedure"):
        breakdown(f"procedure.{kinds[row[kind_h]]}.{row[t('Procedure code')]}", row)
    for row in _table(tables, "By officer"):
        breakdown(f"officer.{kinds[row[kind_h]]}.{row[t('Unit')]}.{row[t('Officer code')]}", row)
    for row in _table(tables, "Channels"):
        key = f"channel.{kinds[row[kind_h]]}.{channels[row[t('Channel')]]}"
        summary(key, row)
        out[f"{key}.parts"] = num(row[t("Parts")])
        out[f"{key}.suspect"] = num(row[t("Suspicious, left out")])
        out[f"{key}.verdict_text"] = row[words_h]
    days = [t(d) for d in ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday")] + [
        t("Saturday"),
        t("Sunday"),
    ]
    for row in _table(tables, "Hours"):
        key = f"heat.{days.index(row[t('Weekday')])}.{int(float(row[t('Hour')]))}"
        out[f"{key}.ratings"] = num(row[t("Ratings")])
        out[f"{key}.dissatisfied"] = num(row[t("Dissatisfied (%)")])
    for row in _table(tables, "Reasons"):
        out[f"reason.{row[code_h]}"] = num(row[t("Share (%)")])
        out[f"reason.{row[code_h]}.count"] = num(row[t("Responses")])
    for row in _table(tables, "Response rate"):
        code = "total" if row[code_h] == t("Total") else row[code_h]
        key = f"rate.{code}"
        out[f"{key}.issued"] = num(row[t("Receipts issued")])
        out[f"{key}.opened"] = num(row[t("Opened")])
        out[f"{key}.answered"] = num(row[t("Answered")])
        out[f"{key}.answered_share"] = num(row[t("Answered (%)")])
        out[f"{key}.opened_share"] = num(row[t("Opened (%)")])
        out[f"{key}.expired"] = num(row[t("Expired unanswered")])
        out[f"{key}.revoked"] = num(row[t("Revoked")])
    changes = {t(label): code for code, label in UNIT_CHANGES.items()}
    for row in _table(tables, "Units reorganised"):
        before = "+".join(row[t("Units that ceased")].split(", "))
        key = f"reorganisation.{row[t('Date')]}.{before}"
        out[f"{key}.change"] = changes[row[t("Kind of change")]]
        out[f"{key}.after"] = row[t("Units that follow them")]
        out[f"{key}.unassigned"] = num(row[t("Not assigned")])
    for row in _table(tables, "Index by outcome"):
        key = f"outcome.{kinds[row[kind_h]]}.{row[t('Outcome code')]}"
        out[key] = num(row[t("Index (%)")])
        out[f"{key}.ci95"] = interval(row[low], row[high])
        out[f"{key}.n"] = num(row[n_h])
        out[f"{key}.responses"] = num(row[t("Responses")])
    for row in _table(tables, "Response rate by outcome"):
        key = f"outcome.rate.{row[t('Outcome code')]}"
        out[f"{key}.issued"] = num(row[t("Receipts issued")])
        out[f"{key}.answered"] = num(row[t("Answered")])
        out[f"{key}.answered_share"] = num(row[t("Answered (%)")])
    for row in _table(tables, "National service index"):
        key = "national." + ("total" if row[code_h] == t("Total") else row[code_h])
        heads = national_headers()
        values = dict(zip(heads, [row[h] for h in heads], strict=True))
        for name, head in zip(
            ("settled", "on_time", "late", "refused", "disliked", *NATIONAL_FIELDS[4:], "sipas"),
            heads[2:],
            strict=True,
        ):
            out[f"{key}.{name}"] = num(values[head])
    items = {row[t("Item")]: row[t("Value")] for row in _table(tables, "Report")}
    for key, item in [
        ("leftout.suspect", "Left out: suspicious"),
        ("leftout.broken", "Left out: broken chain"),
        ("leftout.total", "Left out: total"),
        ("comments.total", "Comments"),
        ("reasons.responses", "Responses giving a reason"),
        ("heat.peak", "Busiest hour: ratings"),
        ("settings.min_responses", "Minimum responses for a verdict"),
        ("officers.hidden", "Officers not listed (too few responses)"),
        ("officers.min", "Minimum responses to list an officer"),
    ]:
        if t(item) in items:
            out[key] = num(items[t(item)])
    return out


# -- from the page -------------------------------------------------------------------------------


class _Figures(HTMLParser):
    """The text of every element carrying data-fig (nested markup included)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.open: list[list] = []  # [key, depth, text parts]
        self.depth = 0
        self.found: dict[str, str] = {}

    def handle_starttag(self, tag, attrs):
        if tag in ("br", "img", "input", "meta", "link", "hr", "wbr", "col", "source"):
            return
        self.depth += 1
        key = dict(attrs).get("data-fig")
        if key:
            self.open.append([key, self.depth, []])

    def handle_endtag(self, tag):
        if tag in ("br", "img", "input", "meta", "link", "hr", "wbr", "col", "source"):
            return
        if self.open and self.open[-1][1] == self.depth:
            key, _, parts = self.open.pop()
            self.found[key] = "".join(parts)
            if self.open:
                self.open[-1][2].extend(parts)
        self.depth -= 1

    def handle_data(self, data):
        if self.open:
            self.open[-1][2].append(data)


_NUMBER = re.compile(r"[-−+]?\d[\d.]*(?:,\d+)?")


def vi_numbers(text: str) -> list[float]:
    """Numbers written the Vietnamese way: 1.234,56; −4,47; +2,27."""
    return [
        round(float(m.replace("−", "-").replace(".", "").replace(",", ".")), 2)
        for m in _NUMBER.findall(text)
    ]


def figures_from_page(html: str) -> Figures:
    """The figures a page marks with data-fig, as values comparable with the other formats."""
    parser = _Figures()
    parser.feed(html)
    verdicts = {verdict_label(v): v for v in model.VERDICTS}
    positions = {
        position_label(p): p for p in (model.ALARM, model.WARNING, model.WITHIN, model.ABOVE)
    }
    out: Figures = {}
    for key, raw in parser.found.items():
        text = " ".join(raw.replace("\xa0", " ").split())
        if key.endswith(".verdict"):
            out[key] = verdicts.get(text, text)
            continue
        if key.endswith(".position"):
            out[key] = positions.get(text, text or None)
            continue
        if key.endswith((".partial", ".reorganised")) or (
            ".child." in key and key.endswith(".pooled")
        ):
            out[key] = bool(text)  # a marker shown only when true
            continue
        if key.endswith((".verdict_text", ".versions", ".units", ".after")):
            out[key] = text
            continue
        numbers = vi_numbers(text)
        if key.endswith(".ci95"):
            out[key] = tuple(numbers) if len(numbers) == 2 else None
        else:
            out[key] = numbers[0] if len(numbers) == 1 else (None if not numbers else text)
    return out


# -- the tests -----------------------------------------------------------------------------------


def _diff(found: Figures, expected: Figures) -> list[str]:
    keys = sorted(set(found) | set(expected))
    return [
        f"{k}: {found.get(k, '<missing>')!r} != {expected.get(k, '<missing>')!r}"
        for k in keys
        if found.get(k, "<missing>") != expected.get(k, "<missing>")
    ]


@pytest.fixture(params=[True, False], ids=["manager", "viewer"])
def report(request):
    return sample_report(officers=request.param)


@pytest.fixture
def ctx(app):
    with app.test_request_context("/"):
        yield


def test_the_figures_cover_the_whole_report(report, ctx):
    expected = figures_from_model(report)
    # Something of every part of the report, so that no part can drop out of the comparison.
    for key in (
        "admin.index",
        "admin.overall",
        "health.comprehensive",
        "admin.factor.A.mean",
        "admin.child.P01.factor.A",
        "trend.admin.2026-W28.n",
        "alert.admin.D02",
        "unit.health.H01",
        "admin.verdict_text",
        "admin.child.D03.pooled",
        "admin.pool.ci95",
        "trend.admin.2026-W27.partial",
        "funnel.counter.admin.30.limits998",
        "counter.admin.D02.Q1.position",
        "counter.admin.D01.Q1",
        "procedure.admin.1.001234.ci95",
        "channel.admin.kiosk.suspect",
        "heat.6.10.dissatisfied",
        "reason.waiting",
        "rate.total.answered_share",
        "outcome.admin.late.ci95",
        "outcome.rate.pending.answered_share",
        "national.total.item_54_points",
        "national.D01.sipas",
        "leftout.total",
        "trend.admin.2026-W28.reorganised",
        "reorganisation.2026-07-01.D02+D03.after",
        "reorganisation.2026-07-01.D04.unassigned",
    ):
        assert key in expected
    assert ("officer.admin.D01.CB07" in expected) == (report.officers is not None)
    assert len(expected) > 250


def test_json_carries_every_figure(report, ctx):
    doc = json.loads(json.dumps(report_json(report)))
    assert _diff(figures_from_json(doc), figures_from_model(report)) == []


def test_csv_carries_every_figure(report, ctx):
    tables = tables_from_csv(report_csv(report))
    assert _diff(figures_from_tables(tables), figures_from_model(report)) == []


def test_xlsx_carries_every_figure(report, ctx):
    tables = tables_from_xlsx(report_xlsx(report))
    assert _diff(figures_from_tables(tables), figures_from_model(report)) == []


def test_the_formats_agree_with_each_other(ctx):
    report = sample_report()
    from_json = figures_from_json(json.loads(json.dumps(report_json(report))))
    from_csv = figures_from_tables(tables_from_csv(report_csv(report)))
    from_xlsx = figures_from_tables(tables_from_xlsx(report_xlsx(report)))
    assert from_json == from_csv == from_xlsx


def test_the_page_parser_reads_vietnamese_figures(ctx):
    html = (
        '<p data-fig="admin.index">71,40<small>%</small></p>'
        '<dd data-fig="admin.ci95">65,12 – 77,46</dd>'
        '<td data-fig="admin.change"><span class="down">−2,10</span> điểm</td>'
        '<td data-fig="admin.responses">1.234</td><td data-fig="admin.previous">–</td>'
        f'<span data-fig="admin.verdict">{verdict_label(model.TOO_CLOSE)}</span>'
    )
    assert figures_from_page(html) == {
        "admin.index": 71.4,
        "admin.ci95": (65.12, 77.46),
        "admin.change": -2.1,
        "admin.responses": 1234.0,
        "admin.previous": None,
        "admin.verdict": model.TOO_CLOSE,
    }


#: Figures the page must mark at least (the others it marks are compared too).
PAGE_CORE = (
    "admin.index",
    "admin.ci95",
    "admin.target",
    "admin.n",
    "admin.factor.A",
    "admin.criterion.A1",
    "admin.child.D01",
    "admin.child.P01",
    "admin.overall",
    "health.index",
    "health.comprehensive",
    "health.factor.A",
    "channel.admin.kiosk",
    "rate.total.answered_share",
    "procedure.admin.1.001234",
    "trend.admin.2026-W27",
    "reason.waiting",
    "outcome.admin.on-time",
    "outcome.rate.late.answered_share",
    "national.total.on_time_points",
    "national.total.item_54_points",
    "national.D01.sipas",
)


class _NumberCells(HTMLParser):
    """Table cells holding a figure (class "num", or any cell of a heatmap) without data-fig."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.heatmap = 0
        self.unmarked: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        classes = (attrs.get("class") or "").split()
        if tag == "table":
            self.heatmap += "heatmap" in classes
        if tag == "td":
            self.cell = ("num" in classes or self.heatmap) and "data-fig" not in attrs
            self.text = []

    def handle_data(self, data):
        if getattr(self, "cell", False):
            self.text.append(data)

    def handle_endtag(self, tag):
        if tag == "td" and getattr(self, "cell", False):
            if "".join(self.text).strip():  # an empty cell holds no figure
                self.unmarked.append("".join(self.text).strip())
            self.cell = False
        if tag == "table" and self.heatmap:
            self.heatmap -= 1


def _decimals(text: str) -> int:
    """How many decimals the page wrote its figure with (it may round, e.g. a heatmap cell)."""
    places = [len(m.split(",")[1]) if "," in m else 0 for m in _NUMBER.findall(text)]
    return max(places) if places else 2


def _agrees(found: Any, want: Any, decimals: int) -> bool:
    if found == want:
        return True
    if isinstance(want, float) and isinstance(found, float):
        return round(want, decimals) == found
    if isinstance(want, tuple) and isinstance(found, tuple) and len(want) == len(found):
        return all(round(w, decimals) == f for w, f in zip(want, found, strict=True))
    return False


def test_the_page_shows_the_same_figures(report, ctx):
    page = pytest.importorskip("collector.reports.page")
    html = page.render_report_page(report, standalone=True)
    found = figures_from_page(html)
    expected = figures_from_model(report)
    assert set(PAGE_CORE) <= set(found)
    unknown = sorted(set(found) - set(expected))
    assert unknown == [], f"figures on the page that no other format has: {unknown}"
    # Every figure in a table is marked, so that none escapes the comparison.
    cells = _NumberCells()
    cells.feed(html)
    assert cells.unmarked == []
    parser = _Figures()
    parser.feed(html)
    differ = [
        f"{key}: {found[key]!r} != {expected[key]!r}"
        for key in found
        if not _agrees(found[key], expected[key], _decimals(parser.found[key]))
    ]
    assert differ == []
    officer_keys = [k for k in found if k.startswith("officer.")]
    assert bool(officer_keys) == (report.officers is not None)
