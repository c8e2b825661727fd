"""Charts as SVG, drawn on the server: no script, no CDN, and they print as drawn.

Both charts scale to the width of their box (a viewBox, no fixed size) and are drawn on a narrow
canvas, so that their text stays legible on a 360 px phone and on A4. The target is a thick dashed
orange line with its own label, distinct from the thin grey gridlines. Numbers are written in the
page's locale (decimal comma in Vietnamese).

The trend is a pygal line chart. The factor chart is drawn by hand: each factor's name, wrapped
over as many lines as it needs, sits above its bar over the whole width (a phone has no room for
names beside the bars), the value is printed in white on the bar, and the target line is drawn
over the bars, which pygal cannot do.
"""

from __future__ import annotations

import sys
import textwrap
from collections.abc import Callable, Sequence

import pygal
from markupsafe import Markup, escape
from pygal.style import Style

from collector.reports import model

# pygal appends a legacy import hook (for its map plugins, unused here) to sys.meta_path; every
# failed import anywhere then raises ImportWarning, which the test suite treats as an error.
sys.meta_path[:] = [f for f in sys.meta_path if type(f).__module__ != "pygal"]

INK = "#1d2733"
BLUE = "#1f5fa8"
RED = "#b3261e"
TARGET = "#d35400"  #: the target line: orange, thick, dashed; gridlines are thin grey dots
GRID = "#c5ccd3"
FONT = "DejaVu Sans, sans-serif"

#: Canvas widths: narrow, so that text drawn at 14 units is ~11 px on a 360 px phone.
WIDTH = 400
BARS_WIDTH = 380

STYLE = Style(
    background="white",
    plot_background="white",
    foreground=INK,
    foreground_strong=INK,
    foreground_subtle=GRID,
    guide_stroke_color=GRID,
    opacity="1",
    opacity_hover="1",
    colors=(BLUE, TARGET),
    font_family=FONT,
    label_font_size=14,
    major_label_font_size=14,
    value_font_size=14,
    legend_font_size=14,
    title_font_size=15,
    tooltip_font_size=13,
    stroke_width="3",
)

Number = Callable[[float, str], str]  #: (value, pattern like "0.0") -> text in the locale


def trend_chart(
    trend: Sequence[model.TrendPoint],
    target: float,
    labels: dict[str, str],
    number: Number,
    short_key: Callable[[str], str],
) -> Markup:
    """The index bucket by bucket (weeks or months) with the target as a dashed orange line.

    labels: "title", "index" (series), "target" (series, already carrying the value)."""
    chart = pygal.Line(
        width=WIDTH,
        height=300,
        explicit_size=False,
        js=[],
        disable_xml_declaration=True,
        style=STYLE,
        range=(_floor([t.index for t in trend], target), 100),
        title=labels["title"],
        show_legend=True,
        legend_at_bottom=True,
        legend_at_bottom_columns=1,
        truncate_label=-1,
        truncate_legend=-1,
        x_label_rotation=0,
        show_minor_x_labels=len(trend) <= 7,
        x_labels_major_every=2 if len(trend) > 7 else None,
        allow_interruptions=True,
        dots_size=4,
        margin=10,
        value_formatter=lambda v: number(v, "0.#"),
        formatter=lambda v: number(v, "0.0"),
        css=("file://style.css", "file://graph.css", "inline:" + _GRID_CSS),
    )
    chart.add_xml_filter(_without_scripts)
    chart.x_labels = [short_key(t.key) for t in trend]
    chart.add(labels["index"], [None if t.index is None else round(t.index, 1) for t in trend])
    chart.add(
        labels["target"],
        [target] * len(trend),
        show_dots=False,
        stroke_style={"width": 3, "dasharray": "10, 6"},
    )
    return Markup(chart.render(is_unicode=True))  # noqa: S704 - pygal escapes every text it draws


def _without_scripts(root):
    """pygal writes its settings into an inline <script> even with js=[]: the page's
    Content-Security-Policy (script-src 'self') blocks it with an error; the chart needs none."""
    for parent in list(root.iter()):
        for child in list(parent):
            if isinstance(child.tag, str) and child.tag.rsplit("}", 1)[-1] == "script":
                parent.remove(child)
    return root


#: Gridlines thin and dotted, so the dashed orange target reads as something else.
_GRID_CSS = (
    ".pygal-chart .axis .guide.line{stroke-width:1px;stroke-dasharray:2,3;}"
    ".pygal-chart .axis .line{stroke-width:1px;}"
)


def factor_chart(
    factors: Sequence[model.Factor],
    target: float,
    labels: dict[str, str],
    number: Number,
    translate: Callable[[str], str],
) -> Markup:
    """Factor (or section) indices as bars, worst first, each under its own full name; bars
    below the target are red. labels: "title", "target" (the line's label, with its value),
    "no_data"."""
    width_all = BARS_WIDTH
    pad, bar_h, line_h, gap = 10, 26, 18, 12
    left, right = pad, width_all - pad
    span = right - left
    chars = int(span / 8.4)  # DejaVu Sans at 14 units is ~8.4 units a character on average
    rows: list[str] = []
    values: list[str] = []  # drawn last, over the target line
    y = 34  # below the title
    title_lines = textwrap.wrap(labels["title"], int(width_all / 9)) or [""]
    title = "".join(
        f'<text x="{width_all / 2:.0f}" y="{20 + i * 19}" text-anchor="middle" font-size="15" '
        f'font-weight="bold">{escape(t)}</text>'
        for i, t in enumerate(title_lines)
    )
    y += 19 * (len(title_lines) - 1) + 20  # room for the target's label above the first bar
    target_label_y = y - 6
    top = y
    for f in factors:
        name = f"{f.code}. {translate(f.title)}"
        for line in textwrap.wrap(name, chars) or [name]:
            y += line_h
            rows.append(f'<text x="{left}" y="{y - 4}" font-size="14">{escape(line)}</text>')
        if f.index is None:
            rows.append(
                f'<text x="{left}" y="{y + bar_h - 8}" font-size="14" fill="#5f6b77">'
                f"{escape(labels['no_data'])}</text>"
            )
        else:
            width = max(0.0, min(100.0, f.index)) / 100 * span
            colour = RED if f.index < target else BLUE
            value = escape(number(f.index, "0.0"))
            rows.append(
                f'<rect x="{left}" y="{y}" width="{width:.1f}" height="{bar_h}" fill="{colour}">'
                f"<title>{escape(name)}: {value}</title></rect>"
            )
            inside = width > 52
            values.append(
                f'<text x="{left + width - 6 if inside else left + width + 6:.1f}" '
                f'y="{y + bar_h - 8}" font-size="14" font-weight="bold" '
                f'text-anchor="{"end" if inside else "start"}" '
                f'fill="{"#fff" if inside else INK}">{value}</text>'
            )
        y += bar_h + gap
    bottom = y - gap + 4
    # Gridlines every 20 points under the bars, with their values below.
    grid = []
    for v in range(0, 101, 20):
        x = left + v / 100 * span
        grid.append(
            f'<line x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{bottom}" stroke="{GRID}" '
            f'stroke-width="1" stroke-dasharray="2,3"/>'
            f'<text x="{x:.1f}" y="{bottom + 16}" font-size="13" fill="#5f6b77" '
            f'text-anchor="{"start" if v == 0 else ("end" if v == 100 else "middle")}">'
            f"{v}</text>"
        )
    tx = left + max(0.0, min(100.0, target)) / 100 * span
    anchor = "end" if tx > left + span * 0.6 else "start"
    target_line = (
        f'<line x1="{tx:.1f}" y1="{top - 4}" x2="{tx:.1f}" y2="{bottom}" stroke="{TARGET}" '
        f'stroke-width="3" stroke-dasharray="8,5"/>'
        f'<text x="{tx + (-4 if anchor == "end" else 4):.1f}" y="{target_label_y}" font-size="14" '
        f'font-weight="bold" fill="{TARGET}" text-anchor="{anchor}">{escape(labels["target"])}'
        f"</text>"
    )
    height = bottom + 24
    return Markup(  # noqa: S704 - every text above is escaped
        f'<svg xmlns="http://www.w3.org/2000/svg" class="bars-chart" '
        f'viewBox="0 0 {width_all} {height}" '
        f'role="img" aria-label="{escape(labels["title"])}" font-family="{FONT}" fill="{INK}">'
        f'<rect width="{width_all}" height="{height}" fill="white"/>{title}{"".join(grid)}'
        f"{''.join(rows)}{target_line}{''.join(values)}</svg>"
    )


def _floor(values: Sequence[float | None], target: float) -> int:
    known = [v for v in values if v is not None] + [target]
    return max(0, int(min(known) // 10 * 10) - 10)
