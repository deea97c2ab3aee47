"""The geometry of the HTML report's charts: plain data the page template draws as inline SVG.

Pure functions from shares to coordinates (formatted here, one decimal), labels and
legends; the template (``templates/report.html.j2``) only writes them out, escaped.

* :func:`bar_chart` — one horizontal bar per phase or kind, with its target as a
  dashed line across the bar.
* :func:`trend_chart` — one line per phase over past scans, 0-100 %. Fixed defects of
  the first hand-drawn version: a scan is labelled by its date **and time** when two
  scans fall on the same day (they used to look identical); every series has its own
  dash pattern and marker shape, so lines that lie on top of each other stay visible
  (they used to hide each other); each phase's target is a thin dashed line in its
  colour, labelled in the legend.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import NamedTuple

from ..locales import day, percent, when

Trend = Sequence[tuple[str, Mapping[str, float]]]  # (when the scan started, ISO; phase id -> share attaining it)

BAR_X, BAR_W, NOTE_W, ROW_H = 260, 420, 130, 26
LABEL_MAX = 40
COLOURS = ("#0969da", "#cf222e", "#1a7f37", "#8250df", "#9a6700", "#57606a")
DASHES = ("", "8 4", "2 3", "10 3 2 3", "4 4", "1 2")  # one per series: overlapping lines stay told apart
MARKERS = ("circle", "square", "triangle", "diamond")
PLOT_X, PLOT_W, PLOT_Y, PLOT_H, LEGEND_W = 50, 520, 10, 200, 300
DATE_LABELS = 8  # at most this many scans are labelled under the x axis


def short(text: str) -> str:
    return text if len(text) <= LABEL_MAX else text[: LABEL_MAX - 1] + "…"


def _clamp(share: float) -> float:
    return min(max(share, 0.0), 1.0)


def _n(x: float) -> str:
    return f"{x:.1f}"


class Bar(NamedTuple):
    label: str  # left of the bar (cut to LABEL_MAX; the whole label is its tooltip)
    share: float | None  # None: no bar (nothing could be judged)
    css: str
    target: float | None = None  # a dashed line across the bar
    note: str = ""  # right of the bar


class BarRow(NamedTuple):
    label: str
    short: str
    text_y: str
    bar: dict[str, str] | None  # x, y, width, css
    target: dict[str, str] | None  # x, y1, y2
    note: str
    note_x: str


class BarChart(NamedTuple):
    caption: str
    width: int
    height: int
    axis_x: int
    rows: list[BarRow]


def bar_chart(caption: str, bars: list[Bar]) -> BarChart:
    height = ROW_H * len(bars) + 10
    rows = []
    for i, bar in enumerate(bars):
        y = i * ROW_H + 5
        rect = None if bar.share is None else {
            "x": str(BAR_X), "y": str(y + 3), "width": _n(_clamp(bar.share) * BAR_W), "css": bar.css}
        target = None
        if bar.target is not None:
            x = _n(BAR_X + _clamp(bar.target) * BAR_W)
            target = {"x": x, "y1": str(y), "y2": str(y + 22)}
        rows.append(BarRow(bar.label, short(bar.label), str(y + 15), rect, target, bar.note, str(BAR_X + BAR_W + 8)))
    return BarChart(caption, BAR_X + BAR_W + NOTE_W, height, BAR_X, rows)


class Tick(NamedTuple):
    y: str
    label: str


class XLabel(NamedTuple):
    x: str
    label: str


class Point(NamedTuple):
    x: str
    y: str
    tip: str
    shape: str  # the SVG of the marker's outline: a circle's r, or a polygon's points
    kind: str  # "circle" or "polygon"


class Series(NamedTuple):
    name: str
    short: str
    colour: str
    dash: str
    points: str  # polyline points
    markers: list[Point]
    target: dict[str, str] | None  # a horizontal line: y, x1, x2, label
    legend_y: str
    latest: str  # the last share, for the legend


class TrendChart(NamedTuple):
    caption: str
    width: int
    height: int
    ticks: list[Tick]
    labels: list[XLabel]
    series: list[Series]
    plot_x1: int
    plot_x2: int
    legend_x: int
    label_y: int


def scan_labels(moments: Sequence[str], lang: str) -> list[str]:
    """A label per scan: its date, with the time where another scan has the same date (``16/11/2026 08:30``)."""
    days = [day(m, lang) for m in moments]
    return [when(m, lang) if days.count(d) > 1 and _has_time(m) else d for m, d in zip(moments, days, strict=True)]


def _has_time(text: str) -> bool:
    try:
        datetime.fromisoformat(text)
    except ValueError:
        return False
    return len(text) > 10


def _marker(kind: str, x: float, y: float) -> tuple[str, str]:
    if kind == "circle":
        return "circle", "3.5"
    r = 4.0
    corners = {
        "square": [(x - r, y - r), (x + r, y - r), (x + r, y + r), (x - r, y + r)],
        "triangle": [(x, y - r - 1), (x + r + 1, y + r), (x - r - 1, y + r)],
        "diamond": [(x, y - r - 1), (x + r + 1, y), (x, y + r + 1), (x - r - 1, y)],
    }[kind]
    return "polygon", " ".join(f"{_n(a)},{_n(b)}" for a, b in corners)


def trend_chart(caption: str, trend: Trend, phases: list[tuple[str, str, float | None]], lang: str,
                target_word: str) -> TrendChart:
    """``phases``: (id, name, target share or None) in policy order; any other phase the trend has comes after."""
    known = {p for p, _, _ in phases}
    extra = [(p, p, None) for p in dict.fromkeys(p for _, shares in trend for p in shares) if p not in known]
    width, height = PLOT_X + PLOT_W + LEGEND_W, PLOT_Y + PLOT_H + 40
    step = PLOT_W / max(len(trend) - 1, 1)

    def x(i: int) -> float:
        return PLOT_X + (i * step if len(trend) > 1 else PLOT_W / 2)

    def y(share: float) -> float:
        return PLOT_Y + (1 - _clamp(share)) * PLOT_H

    ticks = [Tick(_n(y(t)), percent(t, lang)) for t in (0, 0.25, 0.5, 0.75, 1)]
    names = scan_labels([moment for moment, _ in trend], lang)
    every = -(-len(trend) // DATE_LABELS) if trend else 1
    labels = [XLabel(_n(x(i)), name) for i, name in enumerate(names) if i % every == 0 or i == len(trend) - 1]
    series = []
    for n, (phase, name, target) in enumerate([*phases, *extra]):
        points = [(i, names[i], shares[phase]) for i, (_, shares) in enumerate(trend) if phase in shares]
        if not points:
            continue
        shape = MARKERS[n % len(MARKERS)]
        markers = []
        for i, label, share in points:
            kind, outline = _marker(shape, x(i), y(share))
            markers.append(Point(_n(x(i)), _n(y(share)), f"{name} · {label}: {percent(share, lang)}", outline, kind))
        line = None if target is None else {
            "y": _n(y(target)), "x1": str(PLOT_X), "x2": str(PLOT_X + PLOT_W),
            "label": f"{target_word} {percent(target, lang)}"}
        series.append(Series(name, short(name), COLOURS[n % len(COLOURS)], DASHES[n % len(DASHES)],
                             " ".join(f"{_n(x(i))},{_n(y(s))}" for i, _, s in points), markers, line,
                             str(PLOT_Y + 14 + len(series) * 34), percent(points[-1][2], lang)))
    return TrendChart(caption, width, height, ticks, labels, series, PLOT_X, PLOT_X + PLOT_W, width - LEGEND_W + 10,
                      PLOT_Y + PLOT_H + 18)
