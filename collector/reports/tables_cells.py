"""The cells every report table shares: figures rounded to two decimals (as SIPAS results are
published), intervals as two cells, yes/no and days in words."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from flask_babel import gettext as _

#: (sheet name, headers, rows)
Table = tuple[str, list[str], list[list[Any]]]


def r2(value: float | None) -> float | None:
    return None if value is None else round(float(value), 2)


def ci_cells(ci: Sequence[float] | None) -> list[float | None]:
    return [r2(ci[0]), r2(ci[1])] if ci else [None, None]


def summary_head() -> list[str]:
    """The headers of a summary's columns where a table lists summaries (units, channels)."""
    return [
        _("Index (%)"),
        _("Interval (95%), low"),
        _("Interval (95%), high"),
        _("Responses with an answer (n)"),
        _("Responses"),
        _("Parts"),
        _("Verdict"),
    ]


# -- labels (collector.reports.labels; imported here for the renderers' callers) ---------------


def yes(flag: bool) -> str:
    return _("yes") if flag else _("no")


def day(value: dt.date | dt.datetime) -> str:
    return (
        value.isoformat(sep=" ", timespec="minutes")
        if isinstance(value, dt.datetime)
        else (value.isoformat())
    )


# -- JSON ----------------------------------------------------------------------------------------
