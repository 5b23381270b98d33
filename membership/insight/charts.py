"""The retention report's charts, drawn on the server as inline SVG: no JavaScript, no
library, nothing fetched. Each chart is an image with a title and a description
(``role="img"``, ``aria-labelledby``); the page puts the same figures in a table beside it,
and no figure is told by colour alone (values are written on the chart; series differ in
dash pattern, marker shape or hatching as well as colour).

Every function takes plain numbers and already translated, already formatted labels, and
returns markup in which every piece of text is escaped."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

Format = Callable[[float], str]

INK = "#1f2933"
GRID = "#d5dbe1"
MUTED = "#5c6670"
# Two series: a dark teal (solid line, circles, plain bars) and a dark orange (dashed line,
# squares, hatched bars); both keep 4.5:1 against white for their labels.
SERIES = (
    {"color": "#00676b", "dash": "", "marker": "circle", "hatch": False},
    {"color": "#a5430a", "dash": "6 4", "marker": "square", "hatch": True},
)
FONT = 'font-family="system-ui, -apple-system, Segoe UI, Roboto, sans-serif"'


@dataclass(frozen=True)
class Series:
    label: str
    values: Sequence[float | None]


def _num(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".") if value != int(value) else str(int(value))


def _open(*, chart_id: str, width: int, height: int, title: str, desc: str) -> list[str]:
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="retention-chart" '
        f'width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img" '
        f'aria-labelledby="{escape(chart_id)}-title {escape(chart_id)}-desc" {FONT} font-size="12">',
        f'<title id="{escape(chart_id)}-title">{escape(title)}</title>',
        f'<desc id="{escape(chart_id)}-desc">{escape(desc)}</desc>',
    ]


def _text(x: float, y: float, text: str, *, anchor: str = "start", fill: str = INK, extra: str = "") -> str:
    return (
        f'<text x="{_num(x)}" y="{_num(y)}" text-anchor="{anchor}" fill="{fill}"{extra}>{escape(text)}</text>'
    )


def nice_ceiling(value: float) -> float:
    """The smallest of 1, 2, 2.5 or 5 times a power of ten at or above ``value`` (an axis' top)."""
    return nice_ticks(value)[-1]


def nice_ticks(value: float) -> list[float]:
    """Round axis ticks from 0 to a top at or above ``value``: 0, 0.1 … 0.5 or 0, 50 … 200."""
    if value <= 0:
        value = 1.0
    power = 10 ** math.floor(math.log10(value))
    tops = ((1, 5), (2, 4), (2.5, 5), (5, 5), (10, 5))
    top, parts = next((choice for choice in tops if choice[0] * power >= value - 1e-12), tops[-1])
    step = top * power / parts
    return [round(step * n, 12) for n in range(parts + 1)]


def _hatch(chart_id: str, index: int) -> str:
    color = SERIES[index]["color"]
    return (
        f'<pattern id="{escape(chart_id)}-hatch-{index}" patternUnits="userSpaceOnUse" width="6" height="6" '
        f'patternTransform="rotate(45)"><rect width="6" height="6" fill="#ffffff"/>'
        f'<line x1="0" y1="0" x2="0" y2="6" stroke="{color}" stroke-width="3"/></pattern>'
    )


def _fill(chart_id: str, index: int) -> str:
    style = SERIES[index % len(SERIES)]
    if style["hatch"]:
        return f'fill="url(#{escape(chart_id)}-hatch-{index % len(SERIES)})" stroke="{style["color"]}"'
    return f'fill="{style["color"]}"'


def _marker(x: float, y: float, index: int) -> str:
    style = SERIES[index % len(SERIES)]
    if style["marker"] == "square":
        return f'<rect x="{_num(x - 4)}" y="{_num(y - 4)}" width="8" height="8" fill="{style["color"]}"/>'
    return f'<circle cx="{_num(x)}" cy="{_num(y)}" r="4" fill="{style["color"]}"/>'


def _legend_line(x: float, y: float, index: int, label: str) -> list[str]:
    style = SERIES[index % len(SERIES)]
    dash = f' stroke-dasharray="{style["dash"]}"' if style["dash"] else ""
    return [
        f'<line x1="{_num(x)}" y1="{_num(y)}" x2="{_num(x + 28)}" y2="{_num(y)}" '
        f'stroke="{style["color"]}" stroke-width="2.5"{dash}/>',
        _marker(x + 14, y, index),
        _text(x + 36, y + 4, label),
    ]


def _legend_box(chart_id: str, x: float, y: float, index: int, label: str) -> list[str]:
    return [
        f'<rect x="{_num(x)}" y="{_num(y - 9)}" width="14" height="14" {_fill(chart_id, index)}/>',
        _text(x + 20, y + 3, label),
    ]


def heatmap(
    *,
    chart_id: str,
    title: str,
    desc: str,
    row_labels: Sequence[str],
    column_labels: Sequence[str],
    values: Sequence[Sequence[float | None]],
    fmt: Format,
) -> SafeString:
    """Rows of shares (0 to 1), each cell shaded by its value and showing it as text; a None
    cell (a month that has not ended yet) stays empty."""
    cell_w, cell_h, label_w, head_h = 48, 26, 150, 24
    width = label_w + cell_w * len(column_labels) + 4
    height = head_h + cell_h * len(row_labels) + 4
    top = max((v for row in values for v in row if v is not None), default=0.0) or 1.0
    parts = _open(chart_id=chart_id, width=width, height=height, title=title, desc=desc)
    for col, label in enumerate(column_labels):
        parts.append(
            _text(label_w + col * cell_w + cell_w / 2, head_h - 8, label, anchor="middle", fill=MUTED)
        )
    for row, label in enumerate(row_labels):
        y = head_h + row * cell_h
        parts.append(_text(label_w - 8, y + cell_h / 2 + 4, label, anchor="end"))
        for col, value in enumerate(values[row]):
            x = label_w + col * cell_w
            if value is None:
                parts.append(
                    f'<rect x="{x + 1}" y="{y + 1}" width="{cell_w - 2}" height="{cell_h - 2}" fill="none" '
                    f'stroke="{GRID}" stroke-dasharray="2 3"/>'
                )
                continue
            share = max(0.0, min(1.0, value / top))
            # From a pale teal to the series teal; text turns white once the cell is dark.
            r, g, b = (round(a + (z - a) * share) for a, z in ((232, 0), (244, 103), (243, 107)))
            text_fill = "#ffffff" if share > 0.55 else INK
            parts.append(
                f'<rect x="{x + 1}" y="{y + 1}" width="{cell_w - 2}" height="{cell_h - 2}" '
                f'fill="rgb({r},{g},{b})"/>'
            )
            parts.append(
                _text(x + cell_w / 2, y + cell_h / 2 + 4, fmt(value), anchor="middle", fill=text_fill)
            )
    parts.append("</svg>")
    return mark_safe("".join(parts))


def line_chart(
    *,
    chart_id: str,
    title: str,
    desc: str,
    x_labels: Sequence[str],
    series: Sequence[Series],
    fmt: Format,
    y_max: float | None = None,
    x_title: str = "",
    y_title: str = "",
) -> SafeString:
    """Lines over shared x labels, each with its own dash pattern and marker shape; a None
    value breaks its line. Optional axis titles go under the x labels and up the y axis."""
    left, right, top_pad, bottom, legend_h = (
        56 + (20 if y_title else 0),
        16,
        12,
        44 + (20 if x_title else 0),
        24,
    )
    gaps = max(1, len(x_labels) - 1)
    step = max(28, min(64, 640 // gaps))
    # Never narrower than the legend, however few the points.
    legend_w = sum(60 + 7 * len(one.label) for one in series)
    plot_w = max(step * gaps, 360, legend_w - 24)
    step = plot_w // gaps
    plot_h = 200
    width = left + plot_w + right + 24
    height = legend_h + top_pad + plot_h + bottom
    values = [v for s in series for v in s.values if v is not None]
    ticks = nice_ticks(y_max if y_max is not None else max(values, default=0.0))
    ceiling = ticks[-1]
    origin_y = legend_h + top_pad + plot_h

    def x_at(i: int) -> float:
        return left + 12 + i * step

    def y_at(v: float) -> float:
        return origin_y - (v / ceiling) * plot_h if ceiling else origin_y

    parts = _open(chart_id=chart_id, width=width, height=height, title=title, desc=desc)
    legend_x = left
    for index, one in enumerate(series):
        parts += _legend_line(legend_x, 12, index, one.label)
        legend_x += 60 + 7 * len(one.label)
    for value in ticks:
        y = y_at(value)
        parts.append(
            f'<line x1="{left}" y1="{_num(y)}" x2="{_num(left + plot_w + 24)}" y2="{_num(y)}" '
            f'stroke="{GRID}"/>'
        )
        parts.append(_text(left - 6, y + 4, fmt(value), anchor="end", fill=MUTED))
    # Label every month when they fit, otherwise every other one.
    label_every = 1 if step >= 44 else 2
    for i, label in enumerate(x_labels):
        if i % label_every == 0 or i == len(x_labels) - 1:
            parts.append(_text(x_at(i), origin_y + 18, label, anchor="middle", fill=MUTED))
    if x_title:
        parts.append(_text(left + 12 + plot_w / 2, origin_y + 40, x_title, anchor="middle", fill=MUTED))
    if y_title:
        middle = legend_h + top_pad + plot_h / 2
        parts.append(
            _text(
                14,
                middle,
                y_title,
                anchor="middle",
                fill=MUTED,
                extra=f' transform="rotate(-90 14 {_num(middle)})"',
            )
        )
    for index, one in enumerate(series):
        style = SERIES[index % len(SERIES)]
        dash = f' stroke-dasharray="{style["dash"]}"' if style["dash"] else ""
        run: list[str] = []
        segments: list[list[str]] = []
        for i, point in enumerate(one.values):
            if point is None:
                if run:
                    segments.append(run)
                run = []
                continue
            run.append(f"{_num(x_at(i))},{_num(y_at(point))}")
        if run:
            segments.append(run)
        for segment in segments:
            if len(segment) > 1:
                parts.append(
                    f'<polyline points="{" ".join(segment)}" fill="none" stroke="{style["color"]}" '
                    f'stroke-width="2.5"{dash}/>'
                )
        for i, point in enumerate(one.values):
            if point is not None:
                parts.append(_marker(x_at(i), y_at(point), index))
    parts.append("</svg>")
    return mark_safe("".join(parts))


def grouped_bars(
    *,
    chart_id: str,
    title: str,
    desc: str,
    groups: Sequence[str],
    series: Sequence[Series],
    fmt: Format,
    missing: str = "—",
) -> SafeString:
    """Vertical bars per group, one per series (plain, then hatched), each labelled with
    its value; a None value draws no bar and is labelled ``missing``."""
    left, right, legend_h, bottom, plot_h = 16, 16, 28, 40, 200
    bar_w, gap = 34, 28
    group_w = bar_w * len(series) + gap
    legend_w = sum(40 + 7 * len(one.label) for one in series)
    width = max(320, left + group_w * len(groups) + right, left + legend_w + right)
    height = legend_h + 18 + plot_h + bottom
    values = [v for s in series for v in s.values if v is not None]
    ceiling = nice_ceiling(max(values, default=0.0))
    origin_y = legend_h + 18 + plot_h
    parts = _open(chart_id=chart_id, width=width, height=height, title=title, desc=desc)
    parts.append("<defs>" + "".join(_hatch(chart_id, i) for i in range(len(SERIES))) + "</defs>")
    legend_x = left
    for index, one in enumerate(series):
        parts += _legend_box(chart_id, legend_x, 14, index, one.label)
        legend_x += 40 + 7 * len(one.label)
    parts.append(f'<line x1="{left}" y1="{origin_y}" x2="{width - right}" y2="{origin_y}" stroke="{MUTED}"/>')
    for g, group in enumerate(groups):
        gx = left + gap / 2 + g * group_w
        for index, one in enumerate(series):
            value = one.values[g]
            x = gx + index * bar_w
            if value is None:
                parts.append(_text(x + bar_w / 2, origin_y - 6, missing, anchor="middle", fill=MUTED))
                continue
            h = (value / ceiling) * plot_h if ceiling else 0
            parts.append(
                f'<rect x="{_num(x + 2)}" y="{_num(origin_y - h)}" width="{bar_w - 4}" height="{_num(h)}" '
                f"{_fill(chart_id, index)}/>"
            )
            parts.append(
                _text(x + bar_w / 2, origin_y - h - 5, fmt(value), anchor="middle", extra=' font-size="11"')
            )
        parts.append(_text(gx + bar_w * len(series) / 2, origin_y + 18, group, anchor="middle"))
    parts.append("</svg>")
    return mark_safe("".join(parts))


def bars(
    *,
    chart_id: str,
    title: str,
    desc: str,
    labels: Sequence[str],
    values: Sequence[float | None],
    fmt: Format,
    missing: str = "—",
) -> SafeString:
    """Horizontal bars, one per label, each with its value written after it."""
    # Room for the longest label (about 7 px a character at 12 px).
    label_w, bar_h, gap, value_w = (
        max(120, 16 + 7 * max((len(label) for label in labels), default=0)),
        22,
        10,
        90,
    )
    plot_w = 300
    width = label_w + plot_w + value_w
    height = len(labels) * (bar_h + gap) + gap
    ceiling = nice_ceiling(max((v for v in values if v is not None), default=0.0))
    parts = _open(chart_id=chart_id, width=width, height=height, title=title, desc=desc)
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        y = gap + i * (bar_h + gap)
        parts.append(_text(label_w - 8, y + bar_h / 2 + 4, label, anchor="end"))
        if value is None:
            parts.append(_text(label_w + 4, y + bar_h / 2 + 4, missing, fill=MUTED))
            continue
        w = max(0.0, (value / ceiling) * plot_w) if ceiling else 0.0
        parts.append(
            f'<rect x="{label_w}" y="{y}" width="{_num(w)}" height="{bar_h}" fill="{SERIES[0]["color"]}"/>'
        )
        parts.append(_text(label_w + w + 6, y + bar_h / 2 + 4, fmt(value)))
    parts.append("</svg>")
    return mark_safe("".join(parts))
