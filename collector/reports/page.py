"""The report page: one context for the web page and for the CLI's self-contained HTML file.

Everything the template shows comes from the typed report (collector.reports.model) and the
labels here; the charts are drawn here once, for both.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from flask import current_app, render_template
from flask_babel import format_date, get_locale
from flask_babel import gettext as _
from flask_babel import gettext as translate  # for message ids held in the report

from collector.models.units import UNIT_CHANGES
from collector.periods import Period
from collector.reports import charts, model
from collector.reports.labels import (
    channel_label,
    kind_label,
    method_label,
    not_computed_label,
    number,
    outcome_label,
    period_kind_label,
    period_label,
    position_label,
    verdict_label,
    verdict_text,
)
from shared import questionnaires

TEMPLATE = "collector/reports/report.html"

#: The picker's kinds of period, in its order.
PERIOD_KINDS = ("week", "month", "quarter", "year", "range")


def short_key(key: str) -> str:
    """A trend bucket's key as a chart's axis reads it: "T48" (week 48), "Th11" (November)."""
    if "-W" in key:
        return _("W%(week)s", week=int(key.split("-W")[1]))
    year, month = (int(part) for part in key.split("-")[:2])
    if str(get_locale() or "vi") == "vi":
        return _("M%(month)s", month=month)  # "Th11"
    return format_date(dt.date(year, month, 1), "MMM")


def _neighbours(ref: model.PeriodRef) -> tuple[Period | None, Period | None]:
    """The periods before and after the report's (for their labels), those its view names."""
    period = ref.period
    return (period.previous() if ref.previous else None, period.plus(1) if ref.next else None)


def picker(ref: model.PeriodRef) -> dict[str, Any]:
    """The period picker's current values: kind, year, week, month, quarter, range."""
    start, end = ref.start, ref.end
    iso = start.isocalendar()
    this_year = dt.date.today().year
    return {
        "kind": ref.kind,
        "kinds": [(k, period_kind_label(k)) for k in PERIOD_KINDS],
        "year": iso[0] if ref.kind == "week" else start.year,
        "years": list(range(this_year, 2019, -1)),
        "week": iso[1],
        "month": start.month,
        "quarter": (start.month - 1) // 3 + 1,
        "start": start.isoformat(),
        "end": end.isoformat(),
    }


def period_from_args(args: Mapping[str, str]) -> str | None:
    """The period key the picker's form asks for (pk, py, pw, pm, pq, pfrom, pto), else None."""
    kind = args.get("pk")
    if kind not in PERIOD_KINDS:
        return None
    year = (args.get("py") or "").strip()
    if kind == "week":
        return f"{year}-W{(args.get('pw') or '').strip().zfill(2)}"
    if kind == "month":
        return f"{year}-{(args.get('pm') or '').strip().zfill(2)}"
    if kind == "quarter":
        return f"{year}-Q{(args.get('pq') or '').strip()}"
    if kind == "year":
        return year
    return f"{(args.get('pfrom') or '').strip()}..{(args.get('pto') or '').strip()}"


def _target_text(target: float) -> str:
    return _("Target %(value)s %%", value=number(target, "0.#"))


def kind_charts(kind: model.KindReport) -> dict[str, Any]:
    """The trend and the factor chart of one kind."""
    target = kind.summary.target
    weeks = bool(kind.trend) and "-W" in kind.trend[0].key
    trend_title = (
        _("Index over the last %(num)d weeks", num=len(kind.trend))
        if weeks
        else _("Index over the last %(num)d months", num=len(kind.trend))
    )
    factor_title = (
        _("Sections, worst first") if kind.method == "pooled" else _("Factors, worst first")
    )
    return {
        "trend": charts.trend_chart(
            kind.trend,
            target,
            {
                "title": trend_title,
                "index": _("Index, %"),
                "partial": _("partial week or month"),
                "reorganised": _("units reorganised: counted as the units that follow them"),
                "interval": _("Interval (95%)"),
                "target": _target_text(target),
            },
            number,
            short_key,
        ),
        "factors": charts.factor_chart(
            kind.factors,
            target,
            {"title": factor_title, "target": _target_text(target), "no_data": _("no data")},
            number,
            translate,
        ),
    }


def funnel_charts(report: model.Report) -> dict[tuple[str, str], Any]:
    """The funnel plot of each breakdown and kind that has one."""
    groups = {"officer": report.officers or (), "counter": report.counters}
    titles = {
        "officer": _("Officers against the target"),
        "counter": _("Counters against the target"),
    }
    out = {}
    for plot in report.funnels:
        points = [b for b in groups.get(plot.dimension, ()) if b.kind == plot.kind]
        out[(plot.dimension, plot.kind)] = charts.funnel_chart(
            plot,
            points,
            {
                "title": f"{titles.get(plot.dimension, plot.dimension)} · {kind_label(plot.kind)}",
                "x": _("Responses"),
                "target": _target_text(plot.target),
                "limit95": _("Control limits (95%)"),
                "limit998": _("Control limits (99.8%)"),
            },
            number,
        )
    return out


def page_context(
    report: model.Report,
    *,
    standalone: bool = False,
    units: Iterable[Any] = (),
    silent: Any = None,
    silent_after: int | None = None,
) -> dict[str, Any]:
    """What report.html reads: the report, its labels and its charts."""
    ref = report.period
    previous, following = _neighbours(ref)
    return {
        "report": report,
        "standalone": standalone,
        "units": list(units),
        "silent": silent,
        "silent_after": silent_after,
        "period_label": period_label(ref),
        "previous": previous and {"key": previous.key, "label": period_label(previous)},
        "next": following and {"key": following.key, "label": period_label(following)},
        "picker": picker(ref),
        "charts": {k.kind: kind_charts(k) for k in report.kinds},
        "funnel_charts": funnel_charts(report),
        "verdict_text": verdict_text,
        "position_label": position_label,
        "kind_label": kind_label,
        "verdict_label": verdict_label,
        "method_label": method_label,
        "change_label": lambda change: translate(UNIT_CHANGES.get(change, change)),
        "channel_label": channel_label,
        "outcome_label": outcome_label,
        "not_computed_label": not_computed_label,
        "number": number,
        "is_manager": report.viewer_role in ("admin", "manager", "system"),
        "reason_labels": {r.code: _(r.label) for r in questionnaires.common()[1]},
        "lang": str(get_locale() or "vi"),
    }


def render_report_page(report: model.Report, *, standalone: bool = True, silent: Any = None) -> str:
    """The report page as HTML; standalone: one file with the stylesheet inlined (the CLI's and
    the mail's), without the site's header, picker or links. Needs a request context."""
    context = page_context(
        report,
        standalone=standalone,
        silent=silent,
        silent_after=current_app.config.get("SILENT_AFTER_MINUTES"),
    )
    if standalone:
        context["stylesheet"] = (Path(current_app.static_folder) / "collector.css").read_text(
            "utf-8"
        )
    return render_template(TEMPLATE, **context)
