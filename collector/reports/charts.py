"""Charts as SVG, drawn on the server by hand: no script, no CDN, no inline style, and they print
as drawn.

Every chart scales to the width of its box (a viewBox, no fixed size) and is drawn on a narrow
canvas, so that its text stays legible on a 360 px phone and on A4. The target is a thick dashed
orange line with its own label, distinct from the thin grey gridlines. Numbers are written in the
page's locale (decimal comma in Vietnamese).

- the trend: the index per week or month with its interval as a whisker; a partial bucket is an
  open circle on a dotted line;
- the factor chart: each factor's name, wrapped over as many lines as it needs, above its bar over
  the whole width (a phone has no room for names beside the bars), the value in white on the bar,
  the target line over the bars;
- the funnel plot: officers or counters by their number of responses, with control limits.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Sequence

import numpy as np
from markupsafe import Markup, escape

from collector.reports import model
from shared import scoring

INK = "#1d2733"
BLUE = "#1f5fa8"
RED = "#b3261e"
TARGET = "#d35400"  #: the target line: orange, thick, dashed; gridlines are thin grey dots
GRID = "#c5ccd3"
FONT = "DejaVu Sans, sans-serif"

#: Canvas widths: narrow, so that text drawn at 14 units is ~11 px on a 360 px phone.
WIDTH = 400
BARS_WIDTH = 380

Number = Callable[[float, str], str]  #: (value, pattern like "0.0") -> text in the locale


def _axis_text(x: float, y: float, text: str, anchor: str = "middle", size: int = 13) -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" fill="#5f6b77" '
        f'text-anchor="{anchor}">{escape(text)}</text>'
    )


def _svg(width: int, height: int, title: str, body: str, css_class: str) -> Markup:
    return Markup(  # noqa: S704 - every text in `body` is escaped by its maker
        f'<svg xmlns="http://www.w3.org/2000/svg" class="{css_class}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}" '
        f'font-family="{FONT}" fill="{INK}"><rect width="{width}" height="{height}" '
        f'fill="white"/>{body}</svg>'
    )


def _title(text: str, width: int) -> tuple[str, int]:
    lines = textwrap.wrap(text, int(width / 9)) or [""]
    svg = "".join(
        f'<text x="{width / 2:.0f}" y="{20 + i * 19}" text-anchor="middle" font-size="15" '
        f'font-weight="bold">{escape(t)}</text>'
        for i, t in enumerate(lines)
    )
    return svg, 20 + 19 * (len(lines) - 1)


def _grid(left: float, right: float, floor: int, y_of) -> list[str]:
    """The dotted horizontal grid from `floor` to 100 with its axis labels."""
    parts = []
    for v in range(floor, 101, 10 if 100 - floor <= 60 else 20):
        y = y_of(v)
        parts.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{right}" y2="{y:.1f}" stroke="{GRID}" '
            f'stroke-width="1" stroke-dasharray="2,3"/>'
        )
        parts.append(_axis_text(left - 6, y + 4, str(v), "end"))
    return parts


def _target_line(left: float, right: float, y: float) -> str:
    """The target as a thick dashed orange line."""
    return (
        f'<line x1="{left}" y1="{y:.1f}" x2="{right}" y2="{y:.1f}" stroke="{TARGET}" '
        f'stroke-width="3" stroke-dasharray="10,6"/>'
    )


def _legend(left: float, ly: float, legend: list[tuple[str, str]]) -> list[str]:
    """The legend's marks and texts below a chart, one row of 20 units each."""
    parts = []
    for j, (mark, text) in enumerate(legend):
        parts.append(mark)
        parts.append(
            f'<text x="{left + 22}" y="{ly + j * 20:.0f}" font-size="14">{escape(text)}</text>'
        )
    return parts


def trend_chart(
    trend: Sequence[model.TrendPoint],
    target: float,
    labels: dict[str, str],
    number: Number,
    short_key: Callable[[str], str],
) -> Markup:
    """The index bucket by bucket (weeks or months) with its 95 % interval as a whisker, the
    target as a dashed orange line. A partial bucket (cut by the period, or not yet over) is an
    open circle joined by a dotted line: never drawn as a full point.

    labels: "title", "index", "partial", "interval", "target" (with its value)."""
    width, pad, left = WIDTH, 10, 44
    title, bottom_of_title = _title(labels["title"], width)
    top, plot_h = bottom_of_title + 28, 180
    bottom = top + plot_h
    right = width - pad
    known = [t.index for t in trend if t.index is not None]
    lows = [t.ci95[0] for t in trend if t.ci95 is not None]
    floor = _floor([*known, *lows], target)

    def y_of(value: float) -> float:
        return bottom - (max(floor, min(100.0, value)) - floor) / (100 - floor) * plot_h

    count = max(1, len(trend))
    step = (right - left) / count

    def x_of(i: int) -> float:
        return left + step * (i + 0.5)

    parts: list[str] = [title]
    parts += _grid(left, right, floor, y_of)
    every = 1 if count <= 7 else 2
    for i, t in enumerate(trend):
        if (count - 1 - i) % every == 0:  # the last bucket always labelled
            parts.append(_axis_text(x_of(i), bottom + 18, short_key(t.key)))
    parts.append(_target_line(left, right, y_of(target)))
    parts += _trend_marks(trend, x_of, y_of, labels, number, short_key)
    # A reorganisation of the units (collector.reports.lineage): a dashed line through its bucket.
    for i, t in enumerate(trend):
        if t.reorganised and labels.get("reorganised"):
            parts.append(
                f'<line x1="{x_of(i):.1f}" y1="{top:.1f}" x2="{x_of(i):.1f}" y2="{bottom:.1f}" '
                f'stroke="{GRID}" stroke-width="2" stroke-dasharray="4,4" '
                f'data-reorganised="{t.reorganised[0].isoformat()}">'
                f"<title>{escape(labels['reorganised'])}</title></line>"
            )
    ly = bottom + 42  # the legend, below the axis
    legend = _trend_legend(left, ly, labels)
    parts += legend
    height = ly + 20 * (len(legend) // 2)
    return _svg(width, height, labels["title"], "".join(parts), "trend-chart")


def _trend_marks(trend, x_of, y_of, labels, number: Number, short_key) -> list[str]:
    """The trend's line (solid between whole buckets, dotted where either end is partial), its
    whiskers and its points (open circles for partial buckets)."""
    parts: list[str] = []
    previous = None
    for i, t in enumerate(trend):
        if t.index is None:
            previous = None
            continue
        here = (x_of(i), y_of(t.index), t.partial)
        if previous is not None:
            dash = ' stroke-dasharray="3,4"' if previous[2] or here[2] else ""
            parts.append(
                f'<line x1="{previous[0]:.1f}" y1="{previous[1]:.1f}" x2="{here[0]:.1f}" '
                f'y2="{here[1]:.1f}" stroke="{BLUE}" stroke-width="3"{dash}/>'
            )
        previous = here
    for i, t in enumerate(trend):
        if t.index is None:
            continue
        x, y = x_of(i), y_of(t.index)
        if t.ci95 is not None:
            lo, hi = y_of(t.ci95[0]), y_of(t.ci95[1])
            parts.append(
                f'<line x1="{x:.1f}" y1="{lo:.1f}" x2="{x:.1f}" y2="{hi:.1f}" stroke="{BLUE}" '
                f'stroke-width="1.5" opacity="0.6"/>'
            )
            for yy in (lo, hi):
                parts.append(
                    f'<line x1="{x - 4:.1f}" y1="{yy:.1f}" x2="{x + 4:.1f}" y2="{yy:.1f}" '
                    f'stroke="{BLUE}" stroke-width="1.5" opacity="0.6"/>'
                )
        what = f"{short_key(t.key)}: {number(t.index, '0.0')} (n = {t.n})"
        if t.partial:
            what += f" · {labels['partial']}"
        fill = "white" if t.partial else BLUE
        parts.append(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="5" fill="{fill}" stroke="{BLUE}" '
            f'stroke-width="2.5"><title>{escape(what)}</title></circle>'
        )
    return parts


def _trend_legend(left: float, ly: float, labels: dict[str, str]) -> list[str]:
    """The legend's marks and texts, one row each."""
    legend = [
        (f'<circle cx="{left + 6}" cy="{ly - 4}" r="5" fill="{BLUE}"/>', labels["index"]),
        (
            f'<circle cx="{left + 6}" cy="{ly + 16}" r="5" fill="white" stroke="{BLUE}" '
            f'stroke-width="2.5"/>',
            labels["partial"],
        ),
        (
            f'<line x1="{left + 6}" y1="{ly + 28}" x2="{left + 6}" y2="{ly + 44}" '
            f'stroke="{BLUE}" stroke-width="1.5"/>',
            labels["interval"],
        ),
        (
            f'<line x1="{left}" y1="{ly + 56}" x2="{left + 14}" y2="{ly + 56}" '
            f'stroke="{TARGET}" stroke-width="3" stroke-dasharray="6,3"/>',
            labels["target"],
        ),
    ]
    return _legend(left, ly, legend)


def _funnel_points(points, x_of, y_of, number: Number) -> list[str]:
    """Each group as a dot: red below the 99.8 % lower limit, orange below 95 %."""
    parts = []
    for p in points:
        if p.share is None:
            continue
        colour = {model.ALARM: RED, model.WARNING: TARGET}.get(p.position or "", BLUE)
        what = f"{' · '.join(p.group)}: {number(p.share, '0.0')} (n = {p.responses})"
        parts.append(
            f'<circle cx="{x_of(p.responses):.1f}" cy="{y_of(p.share):.1f}" r="4.5" '
            f'fill="{colour}" stroke="white" stroke-width="1">'
            f"<title>{escape(what)}</title></circle>"
        )
    return parts


def funnel_chart(
    plot: model.FunnelPlot,
    points: Sequence[model.Breakdown],
    labels: dict[str, str],
    number: Number,
) -> Markup:
    """Each group's share against its number of responses, with the 95 % and 99.8 % control
    limits around the target (Spiegelhalter 2005): a small group is never ranked as if its
    figure were certain. Groups below the 99.8 % lower limit are red; below 95 %, orange.

    labels: "title", "x" (responses), "target", "limit95", "limit998"."""
    width, pad, left = WIDTH, 10, 44
    title, bottom_of_title = _title(labels["title"], width)
    top, plot_h = bottom_of_title + 20, 200
    bottom, right = top + plot_h, width - pad
    funnel = scoring.Funnel(plot.target, plot.answers_per_response, plot.design_effect)
    most = max([p.responses for p in points] + [10])
    largest = _nice(most * 1.25)
    grid_n = np.unique(np.r_[np.geomspace(2, largest, 60), largest])
    limits = {
        "limits95": funnel.limits(grid_n, scoring.Z95_LIMIT),
        "limits998": funnel.limits(grid_n, scoring.Z998_LIMIT),
    }
    shares = [p.share for p in points if p.share is not None]
    floor = _floor([*shares, float(limits["limits998"][-1][0])], plot.target)

    def x_of(n: float) -> float:  # a square-root scale: small groups are not crowded
        return left + (max(n, 0) ** 0.5) / (largest**0.5) * (right - left)

    def y_of(v: float) -> float:
        return bottom - (max(floor, min(100.0, v)) - floor) / (100 - floor) * plot_h

    parts = [title]
    parts += _grid(left, right, floor, y_of)
    ticks = [n for n in (10, 30, 100, 300, 1000, 3000, 10000) if n < largest * 0.8]
    for n in [*ticks, largest]:
        parts.append(_axis_text(x_of(n), bottom + 16, format(n, ",").replace(",", " ")))
    parts.append(_axis_text((left + right) / 2, bottom + 34, labels["x"]))
    for which, stroke, dash in (("limits998", RED, "2,3"), ("limits95", GRID, "6,3")):
        for index in (0, 1):  # the lower and the upper limits
            line = " ".join(
                f"{x_of(n):.1f},{y_of(v):.1f}"
                for n, v in zip(grid_n, limits[which][:, index], strict=True)
                if v > floor
            )
            parts.append(
                f'<polyline points="{line}" fill="none" stroke="{stroke}" '
                f'stroke-width="1.5" stroke-dasharray="{dash}"/>'
            )
    parts.append(_target_line(left, right, y_of(plot.target)))
    parts += _funnel_points(points, x_of, y_of, number)
    ly = bottom + 56
    legend = [
        (
            f'<line x1="{left}" y1="{ly - 4}" x2="{left + 14}" y2="{ly - 4}" stroke="{TARGET}" '
            f'stroke-width="3" stroke-dasharray="6,3"/>',
            labels["target"],
        ),
        (
            f'<line x1="{left}" y1="{ly + 16}" x2="{left + 14}" y2="{ly + 16}" stroke="{GRID}" '
            f'stroke-width="1.5" stroke-dasharray="6,3"/>',
            labels["limit95"],
        ),
        (
            f'<line x1="{left}" y1="{ly + 36}" x2="{left + 14}" y2="{ly + 36}" stroke="{RED}" '
            f'stroke-width="1.5" stroke-dasharray="2,3"/>',
            labels["limit998"],
        ),
    ]
    parts += _legend(left, ly, legend)
    height = ly + 20 * len(legend)
    return _svg(width, height, labels["title"], "".join(parts), "funnel-chart")


def _nice(value: float) -> int:
    """A round number at least `value`: 1, 2 or 5 times a power of ten."""
    power = 10 ** max(0, len(str(int(max(value, 1)))) - 1)
    for step in (1, 2, 5, 10):
        if step * power >= value:
            return int(step * power)
    return int(10 * power)


def _bar_grid(left: float, span: float, top: float, bottom: float) -> list[str]:
    """Gridlines every 20 points under the bars, with their values below."""
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
    return grid


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
    grid = _bar_grid(left, span, top, bottom)
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
