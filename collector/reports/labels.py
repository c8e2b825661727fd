"""The words for the report's codes (kinds, verdicts, methods, channels, reasons, periods), in
the current Babel locale: one place for the page, the files, the CLI and the mail."""

from __future__ import annotations

import functools

from flask_babel import gettext as _
from flask_babel import gettext as translate  # for message ids held in data

from collector.reports import model, periods


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


def period_label(period: model.PeriodRef) -> str:
    """The period in words, in the current locale ("Quý 3/2026 (01/07 - 30/09/2026)")."""
    return periods.label(period)


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
