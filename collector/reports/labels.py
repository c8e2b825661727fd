"""The words for the report's codes (kinds, verdicts, methods, channels, reasons, periods), in
the current Babel locale: one place for the page, the files, the CLI and the mail."""

from __future__ import annotations

import datetime as dt
import functools

from babel.numbers import LC_NUMERIC
from flask_babel import gettext as _
from flask_babel import gettext as translate  # for message ids held in data

from collector.periods import Period, PeriodRef
from collector.reports import model
from shared.web_i18n import current_locale, number_pattern


def kind_label(kind: str) -> str:
    return {
        "admin": _("Administrative services"),
        "health": _("Health services"),
        "education": _("Education services"),
    }.get(kind, kind)


def verdict_label(verdict: str) -> str:
    return {
        model.MEETS: _("meets the target"),
        model.MISSES: _("misses the target"),
        model.TOO_CLOSE: _("too close to call"),
        model.TOO_FEW: _("too few responses"),
        model.NO_DATA: _("no data"),
    }.get(verdict, verdict)


def number(value: float, pattern: str = "0.00") -> str:
    """A figure in the current locale (decimal comma in Vietnamese), as the templates'
    `decimalformat` writes it; outside a request (the CLI) in Babel's default locale."""
    locale = current_locale() or LC_NUMERIC
    return number_pattern(pattern, locale).apply(value, locale)


def _one(value: float) -> str:
    return number(round(float(value), 1), "0.0")


def verdict_text(s: model.Summary, min_responses: int) -> str:
    """The verdict in one sentence, with the figure, its interval and its n (methodology
    section 7): what a manager reads first, the same on the page, in the mail, the files and
    the JSON (`verdict_text`)."""
    if s.verdict == model.NO_DATA or s.index is None:
        return _("No responses with an answer yet.")
    values = {
        "target": number(s.target, "0.#"),
        "index": _one(s.index),
        "low": _one(s.ci95[0]) if s.ci95 else "–",
        "high": _one(s.ci95[1]) if s.ci95 else "–",
        "n": number(s.n, "#,##0"),
        "min": number(min_responses, "#,##0"),
        "gap": _one(abs(s.index - s.target)),
        "more": number(s.more_needed or 0, "#,##0"),
    }
    if s.verdict == model.TOO_FEW:
        return _(
            "Too few responses for a verdict: %(n)s, at least %(min)s needed (%(index)s %%).",
            **values,
        )
    if s.verdict == model.MEETS:
        return _(
            "Meets the %(target)s %% target: %(index)s %% (95 %% interval %(low)s-%(high)s %%, "
            "%(n)s responses).",
            **values,
        )
    if s.verdict == model.MISSES:
        return _(
            "Below the %(target)s %% target: %(index)s %% (95 %% interval %(low)s-%(high)s %%, "
            "%(n)s responses).",
            **values,
        )
    if round(abs(s.index - s.target), 1) == 0:
        return _(
            "At the %(target)s %% target (%(index)s %%, 95 %% interval %(low)s-%(high)s %%): "
            "more responses at this share would not settle it.",
            **values,
        )
    above = s.index > s.target
    if s.more_needed is None:  # the variance is not known
        if above:
            return _(
                "%(gap)s points above the %(target)s %% target but not yet certain (95 %% "
                "interval %(low)s-%(high)s %%, %(n)s responses).",
                **values,
            )
        return _(
            "%(gap)s points below the %(target)s %% target but not yet certain (95 %% "
            "interval %(low)s-%(high)s %%, %(n)s responses).",
            **values,
        )
    if above:
        return _(
            "%(gap)s points above the %(target)s %% target but not yet certain (95 %% interval "
            "%(low)s-%(high)s %%, %(n)s responses): about %(more)s more responses would settle it.",
            **values,
        )
    return _(
        "%(gap)s points below the %(target)s %% target but not yet certain (95 %% interval "
        "%(low)s-%(high)s %%, %(n)s responses): about %(more)s more responses would settle it.",
        **values,
    )


def position_label(position: str | None) -> str:
    """Where an officer or counter stands in its funnel plot."""
    level = {
        model.ALARM: "99.8",
        model.WARNING: "95",
        model.ABOVE: "95",
    }.get(position or "")
    text = number(float(level), "0.#") + " %" if level else ""
    return {
        model.ALARM: _("below the %(level)s limit", level=text),
        model.WARNING: _("below the %(level)s limit", level=text),
        model.WITHIN: _("within the limits"),
        model.ABOVE: _("above the %(level)s limit", level=text),
    }.get(position or "", "")


def method_label(method: str, rollup: bool = False) -> str:
    text = {
        "sipas": _("SIPAS chain: criteria, factor means, mean of factors"),
        "pooled": _("Pooled rate of satisfied answers (Ministry of Health)"),
    }.get(method, method)
    if rollup:
        text += " · " + _("mean of the direct parts' indices")
    return text


def channel_label(channel: str) -> str:
    return {
        "kiosk": _("Kiosk at the counter"),
        "receipt": _("QR on the receipt"),
        "poster": _("QR poster"),
    }.get(channel, channel)


def reason_label(code: str) -> str:
    """A reason code in words, translated."""
    label = _reason_labels().get(code)
    return translate(label) if label else code


@functools.cache
def _reason_labels() -> dict[str, str]:
    """Reason code -> message id (translated when shown)."""
    from shared import questionnaires

    return {r.code: r.label for r in questionnaires.common()[1]}


def period_kind_label(kind: str) -> str:
    return {
        "week": _("Week"),
        "month": _("Month"),
        "quarter": _("Quarter"),
        "year": _("Year"),
        "range": _("Date range"),
    }[kind]


def _day_month(day: dt.date) -> str:
    return f"{day.day:02d}/{day.month:02d}"


def _full_date(day: dt.date) -> str:
    return f"{day.day:02d}/{day.month:02d}/{day.year}"


def _span(start: dt.date, end: dt.date) -> tuple[str, str]:
    """The two ends as "dd/mm" and "dd/mm/yyyy" (both with the year when the years differ)."""
    return (_day_month(start) if start.year == end.year else _full_date(start)), _full_date(end)


def period_label(period: Period | PeriodRef) -> str:
    """The period as a reader reads it, in the current locale: "Tuần 48 (23/11 - 29/11/2026)",
    "Tháng 11/2026", "Quý 3/2026 (01/07 - 30/09/2026)", "Năm 2026", "01/10/2026 - 15/11/2026"."""
    start, end, kind = period.start, period.end, period.kind
    if kind == "week":
        first, last = _span(start, end)
        return _(
            "Week %(number)d (%(start)s - %(end)s)",
            number=start.isocalendar()[1],
            start=first,
            end=last,
        )
    if kind == "month":
        return _("Month %(month)d/%(year)d", month=start.month, year=start.year)
    if kind == "quarter":
        first, last = _span(start, end)
        return _(
            "Quarter %(number)d/%(year)d (%(start)s - %(end)s)",
            number=(start.month - 1) // 3 + 1,
            year=start.year,
            start=first,
            end=last,
        )
    if kind == "year":
        return _("Year %(year)d", year=start.year)
    return _("%(start)s - %(end)s", start=_full_date(start), end=_full_date(end))


def weekday_label(day: int) -> str:
    return [
        _("Monday"),
        _("Tuesday"),
        _("Wednesday"),
        _("Thursday"),
        _("Friday"),
        _("Saturday"),
        _("Sunday"),
    ][day]


def outcome_label(outcome: str) -> str:
    """What became of a dossier (`model.OUTCOME_ORDER`)."""
    return {
        "on-time": _("settled on time"),
        "late": _("settled late"),
        "refused": _("refused"),
        "pending": _("not yet settled"),
        "withdrawn": _("withdrawn by the applicant"),
        "unreported": _("no status reported"),
    }.get(outcome, outcome)


def not_computed_label(code: str) -> str:
    """What the national index counts and the product cannot know."""
    return {
        "portal-complaints": _("complaints and feedback handled on the national portal"),
        "online-payment": _("online payment"),
        "digitisation": _("digitisation of dossiers and results"),
    }.get(code, code)
