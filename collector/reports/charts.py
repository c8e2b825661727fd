"""Charts as SVG, drawn on the server with pygal: no script, no CDN, and they print as drawn."""

from __future__ import annotations

import sys
from typing import Any

import pygal
from markupsafe import Markup
from pygal.style import Style

# pygal appends a legacy import hook (for its map plugins, unused here) to sys.meta_path; every
# failed import anywhere then raises ImportWarning, which the test suite treats as an error.
sys.meta_path[:] = [f for f in sys.meta_path if type(f).__module__ != "pygal"]

STYLE = Style(
    background="white",
    plot_background="white",
    foreground="#1d2733",
    foreground_strong="#1d2733",
    foreground_subtle="#8a96a3",
    opacity="1",
    opacity_hover="1",
    colors=("#1f5fa8", "#b3261e", "#2e7d32", "#8e6c00"),
    font_family="DejaVu Sans, sans-serif",
    label_font_size=13,
    major_label_font_size=13,
    value_font_size=12,
    legend_font_size=13,
    title_font_size=15,
    tooltip_font_size=12,
)

_COMMON = {
    "style": STYLE,
    "js": [],  # pygal's default loads a script from a CDN: never
    "disable_xml_declaration": True,
    "explicit_size": False,
    "show_legend": True,
    "legend_at_bottom": True,
    "legend_at_bottom_columns": 2,
    "print_values": False,
    "dots_size": 4,
}


def _render(chart: pygal.graph.graph.Graph) -> Markup:
    return Markup(chart.render(is_unicode=True))  # noqa: S704 - pygal escapes every text it draws


def trend_chart(trend: list[dict[str, Any]], target: float, labels: dict[str, str]) -> Markup:
    """The index week by week with the target as a dashed line."""
    chart = pygal.Line(
        width=760,
        height=320,
        range=(_floor(trend, target), 100),
        x_label_rotation=0,
        show_minor_x_labels=True,
        truncate_label=-1,
        title=labels["title"],
        y_title="%",
        allow_interruptions=True,
        **_COMMON,
    )
    chart.x_labels = [t["week"].split("-")[1] for t in trend]
    chart.add(
        labels["index"],
        [None if t["index"] is None else round(t["index"], 1) for t in trend],
    )
    chart.add(
        labels["target"],
        [target] * len(trend),
        show_dots=False,
        stroke_style={"width": 2, "dasharray": "6, 4"},
    )
    return _render(chart)


def factor_chart(factors: list[dict[str, Any]], target: float, labels: dict[str, str]) -> Markup:
    """Factor indices as horizontal bars, worst first; bars below the target are red."""
    chart = pygal.HorizontalBar(
        width=760,
        height=80 + 40 * max(len(factors), 1),
        range=(0, 100),
        title=labels["title"],
        print_values=True,
        truncate_label=-1,
        value_formatter=lambda v: f"{v:.0f}",
        **{k: v for k, v in _COMMON.items() if k not in ("print_values", "show_legend")},
        show_legend=False,
    )
    ordered = list(reversed(factors))  # pygal draws the first value at the bottom
    chart.x_labels = [f"{f['code']}. {f['title']}"[:44] for f in ordered]
    chart.add(
        labels["index"],
        [
            None
            if f["index"] is None
            else {
                "value": round(f["index"], 1),
                "color": STYLE.colors[1] if f["index"] < target else STYLE.colors[0],
            }
            for f in ordered
        ],
        formatter=lambda v: f"{v:.1f}",
    )
    return _render(chart)


def _floor(trend: list[dict[str, Any]], target: float) -> int:
    values = [t["index"] for t in trend if t["index"] is not None] + [target]
    low = min(values)
    return max(0, int(low // 10 * 10) - 10)
