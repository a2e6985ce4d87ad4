"""Inline SVG charts for the static report, drawn in Python: no scripts, no
external files, so the page opens anywhere, offline.

Every chart is an `<svg class="chart" data-chart="...">`, so a test or a reader
can find it, and every mark carries a `<title>` with its exact figures, which
the browser shows on hover. Values are passed in already computed; this module
only draws.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from html import escape

# Okabe-Ito: distinguishable with the common colour-vision deficiencies
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]
PRECISION_COLOUR, RECALL_COLOUR = PALETTE[0], PALETTE[5]
MATURED_COLOUR, PROVISIONAL_COLOUR = PALETTE[0], "#9ccbea"
# ColorBrewer Blues, light to dark
_BLUES = [(247, 251, 255), (198, 219, 239), (107, 174, 214), (33, 113, 181), (8, 48, 107)]
GRID = "#e3e6ea"
AXIS_TEXT = "#555"
FONT = "font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif"


def attr(value) -> str:
    return escape(str(value), quote=True)


def blues(share: float) -> str:
    """Colour of a share in [0, 1] on a light-to-dark blue scale."""
    share = min(max(float(share), 0.0), 1.0)
    position = share * (len(_BLUES) - 1)
    i = min(int(position), len(_BLUES) - 2)
    f = position - i
    r, g, b = (round(lo + (hi - lo) * f) for lo, hi in zip(_BLUES[i], _BLUES[i + 1]))
    return f"#{r:02x}{g:02x}{b:02x}"


def short_count(n: int) -> str:
    """A count that fits a heatmap cell: 987, 12.3k, 4.5M."""
    if n < 10_000:
        return f"{n:,}"
    if n < 1_000_000:
        return f"{n / 1000:.1f}k" if n < 100_000 else f"{n / 1000:.0f}k"
    return f"{n / 1_000_000:.1f}M"


def _fmt(value, digits: int = 3) -> str:
    return "–" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:.{digits}f}"


def _svg(chart: str, width: float, height: float, body: list[str], label: str, extra: dict | None = None) -> str:
    attrs = "".join(f' data-{attr(key)}="{attr(value)}"' for key, value in (extra or {}).items())
    return (f'<svg class="chart" data-chart="{attr(chart)}"{attrs} xmlns="http://www.w3.org/2000/svg" '
            f'width="{width:.0f}" height="{height:.0f}" viewBox="0 0 {width:.0f} {height:.0f}" role="img" '
            f'aria-label="{attr(label)}" style="{FONT}">' + "".join(body) + "</svg>")


def _clip_label(text: str, limit: int = 16) -> str:
    return text if len(text) <= limit else text[:limit - 1] + "…"


# --------------------------------------------------------------------------- heatmap

def heatmap_svg(classes: list[str], counts: list[list[int]]) -> str:
    """Confusion matrix: true classes as rows, predicted classes as columns.

    The cell colour is the cell's share of its row (what fraction of that true
    class went where), so a rare class's confusions are as visible as a common
    one's; the cell prints the count. The right column is each row's recall,
    the bottom row each column's precision.
    """
    k = len(classes)
    cell, left, top, right, bottom = 46, 120, 104, 92, 76
    width, height = left + k * cell + right, top + k * cell + bottom
    row_totals = [sum(row) for row in counts]
    col_totals = [sum(counts[i][j] for i in range(k)) for j in range(k)]
    body = [f'<text x="{left + k * cell / 2:.0f}" y="14" text-anchor="middle" font-size="12" fill="{AXIS_TEXT}">'
            f'predicted class</text>',
            f'<text x="14" y="{top + k * cell / 2:.0f}" text-anchor="middle" font-size="12" fill="{AXIS_TEXT}" '
            f'transform="rotate(-90 14 {top + k * cell / 2:.0f})">true class</text>']
    for j, name in enumerate(classes):
        x = left + j * cell + cell / 2
        body.append(f'<text x="{x:.1f}" y="{top - 8}" font-size="11" fill="#222" '
                    f'transform="rotate(-45 {x:.1f} {top - 8})"><title>{attr(name)}</title>'
                    f'{attr(_clip_label(name))}</text>')
    for i, actual in enumerate(classes):
        y = top + i * cell
        body.append(f'<text x="{left - 8}" y="{y + cell / 2 + 4:.1f}" text-anchor="end" font-size="11" fill="#222">'
                    f'<title>{attr(actual)}</title>{attr(_clip_label(actual))}</text>')
        for j, predicted in enumerate(classes):
            n = int(counts[i][j])
            share = n / row_totals[i] if row_totals[i] else 0.0
            x = left + j * cell
            text = "#fff" if share > 0.5 else "#222"
            outline = ' stroke="#333" stroke-width="1.5"' if i == j else ""     # the diagonal: right answers
            body.append(
                f'<g class="cell" data-actual="{attr(actual)}" data-predicted="{attr(predicted)}" data-n="{n}">'
                f'<rect x="{x}" y="{y}" width="{cell - 1}" height="{cell - 1}" fill="{blues(share)}"{outline}>'
                f'<title>true {attr(actual)}, predicted {attr(predicted)}: {n:,} ({share:.1%} of the row)</title>'
                f'</rect>'
                + (f'<text x="{x + cell / 2:.1f}" y="{y + cell / 2 + 4:.1f}" text-anchor="middle" font-size="11" '
                   f'fill="{text}" pointer-events="none">{short_count(n)}</text>' if n else "")
                + "</g>")
        recall = counts[i][i] / row_totals[i] if row_totals[i] else float("nan")
        body.append(f'<text class="row-recall" data-class="{attr(actual)}" x="{left + k * cell + 10}" '
                    f'y="{y + cell / 2 + 4:.1f}" font-size="11" fill="#222">'
                    f'<title>recall of {attr(actual)}: {counts[i][i]:,} of {row_totals[i]:,}</title>'
                    f'{_fmt(recall)} <tspan fill="{AXIS_TEXT}">({short_count(row_totals[i])})</tspan></text>')
    body.append(f'<text x="{left + k * cell + 10}" y="{top - 8}" font-size="11" font-weight="600" fill="#222">'
                f'recall (n)</text>')
    y = top + k * cell + 18
    body.append(f'<text x="{left - 8}" y="{y}" text-anchor="end" font-size="11" font-weight="600" fill="#222">'
                f'precision</text>')
    for j, predicted in enumerate(classes):
        precision = counts[j][j] / col_totals[j] if col_totals[j] else float("nan")
        body.append(f'<text class="col-precision" data-class="{attr(predicted)}" x="{left + j * cell + cell / 2:.1f}" '
                    f'y="{y}" text-anchor="middle" font-size="10" fill="#222">'
                    f'<title>precision of {attr(predicted)}: {counts[j][j]:,} of {col_totals[j]:,}</title>'
                    f'{_fmt(precision, 2)}</text>')
    body += _share_legend(left, top + k * cell + 40)
    return _svg("confusion-heatmap", width, height, body, "confusion matrix heatmap")


def _share_legend(x: float, y: float, steps: int = 10, size: int = 16) -> list[str]:
    """The colour scale of the heatmap, 0% to 100% of the row, in steps."""
    out = [f'<text x="{x}" y="{y + 12}" font-size="11" fill="{AXIS_TEXT}">share of the true class: 0%</text>']
    x0 = x + 160
    for step in range(steps):
        out.append(f'<rect x="{x0 + step * size}" y="{y}" width="{size}" height="{size}" '
                   f'fill="{blues((step + 0.5) / steps)}"/>')
    out.append(f'<text x="{x0 + steps * size + 6}" y="{y + 12}" font-size="11" fill="{AXIS_TEXT}">100%</text>')
    return out


# --------------------------------------------------------------------------- time axes

@dataclass
class Series:
    """One line on a chart; lower/upper (optional) draw its interval band."""
    name: str
    colour: str
    values: list[float]
    lower: list[float] | None = None
    upper: list[float] | None = None
    notes: list[str] = field(default_factory=list)     # hover text per point


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _runs(values: list[float]) -> list[list[int]]:
    """Indices of consecutive present values: lines and bands break at gaps."""
    runs, current = [], []
    for i, value in enumerate(values):
        if _missing(value):
            if current:
                runs.append(current)
            current = []
        else:
            current.append(i)
    if current:
        runs.append(current)
    return runs


def _day_ticks(days: list[datetime], x_of, baseline: float) -> list[str]:
    step = max(1, math.ceil(len(days) / 7))
    out = []
    for i in range(0, len(days), step):
        out.append(f'<text x="{x_of(i):.1f}" y="{baseline + 14:.1f}" text-anchor="middle" font-size="10" '
                   f'fill="{AXIS_TEXT}">{days[i]:%m-%d}</text>')
    return out


def _y_grid(y_of, lo: float, hi: float, left: float, right: float, ticks: list[float], percent: bool) -> list[str]:
    out = []
    for tick in ticks:
        if lo - 1e-9 <= tick <= hi + 1e-9:
            y = y_of(tick)
            label = f"{tick:.0%}" if percent else f"{tick:g}"
            out.append(f'<line x1="{left}" x2="{right}" y1="{y:.1f}" y2="{y:.1f}" stroke="{GRID}"/>'
                       f'<text x="{left - 6}" y="{y + 3.5:.1f}" text-anchor="end" font-size="10" '
                       f'fill="{AXIS_TEXT}">{label}</text>')
    return out


def interval_chart_svg(chart: str, title: str, days: list[datetime], series: list[Series],
                       extra: dict | None = None, width: int = 380, height: int = 200) -> str:
    """Daily ratios in [0, 1] as lines with points, each with its interval as a
    shaded band (an error bar where a point stands alone)."""
    left, right, top, bottom = 40, 12, 34, 24
    plot_w, plot_h = width - left - right, height - top - bottom
    n = max(len(days), 1)

    def x_of(i: float) -> float:
        return left + (i + 0.5) * plot_w / n

    def y_of(v: float) -> float:
        return top + (1 - v) * plot_h

    body = [f'<text x="{left}" y="16" font-size="13" font-weight="600" fill="#222">{attr(title)}</text>']
    body += _y_grid(y_of, 0, 1, left, width - right, [0, 0.25, 0.5, 0.75, 1], percent=False)
    body += _day_ticks(days, x_of, top + plot_h)
    for s in series:
        if s.lower is not None and s.upper is not None:
            for run in _runs(s.values):
                if len(run) == 1:
                    i = run[0]
                    body.append(f'<line x1="{x_of(i):.1f}" x2="{x_of(i):.1f}" y1="{y_of(s.lower[i]):.1f}" '
                                f'y2="{y_of(s.upper[i]):.1f}" stroke="{s.colour}" stroke-width="2" opacity="0.45"/>')
                    continue
                upper = [f"{x_of(i):.1f},{y_of(s.upper[i]):.1f}" for i in run]
                lower = [f"{x_of(i):.1f},{y_of(s.lower[i]):.1f}" for i in reversed(run)]
                body.append(f'<polygon class="band" points="{" ".join(upper + lower)}" fill="{s.colour}" '
                            f'fill-opacity="0.16" stroke="none"/>')
    for s in series:
        for run in _runs(s.values):
            if len(run) > 1:
                points = " ".join(f"{x_of(i):.1f},{y_of(s.values[i]):.1f}" for i in run)
                body.append(f'<polyline points="{points}" fill="none" stroke="{s.colour}" stroke-width="1.8"/>')
        for i, value in enumerate(s.values):
            if not _missing(value):
                note = s.notes[i] if i < len(s.notes) else f"{s.name} {value:.3f}"
                body.append(f'<circle cx="{x_of(i):.1f}" cy="{y_of(value):.1f}" r="2.6" fill="{s.colour}">'
                            f'<title>{attr(note)}</title></circle>')
    return _svg(chart, width, height, body, title, extra)


def coverage_chart_svg(days: list[datetime], coverage: list[float], matured: list[bool | None],
                       notes: list[str], width: int = 1130, height: int = 200) -> str:
    """Label coverage per day as bars; days whose labels have not matured yet
    (more labels may still arrive) are drawn lighter."""
    left, right, top, bottom = 44, 12, 12, 24
    plot_w, plot_h = width - left - right, height - top - bottom
    n = max(len(days), 1)
    slot = plot_w / n
    bar = max(min(slot * 0.72, 40), 1)

    def y_of(v: float) -> float:
        return top + (1 - v) * plot_h

    body = _y_grid(y_of, 0, 1, left, width - right, [0, 0.25, 0.5, 0.75, 1], percent=True)
    body += _day_ticks(days, lambda i: left + (i + 0.5) * slot, top + plot_h)
    for i, value in enumerate(coverage):
        if _missing(value):
            continue
        x = left + (i + 0.5) * slot - bar / 2
        fill = PROVISIONAL_COLOUR if matured[i] is False else MATURED_COLOUR
        body.append(f'<rect class="bar" x="{x:.1f}" y="{y_of(value):.1f}" width="{bar:.1f}" '
                    f'height="{max(plot_h * value, 0.5):.1f}" fill="{fill}"><title>{attr(notes[i])}</title></rect>')
        if slot >= 34:      # room for the figure above the bar
            body.append(f'<text x="{x + bar / 2:.1f}" y="{y_of(value) - 4:.1f}" text-anchor="middle" font-size="10" '
                        f'fill="{AXIS_TEXT}">{value:.0%}</text>')
    return _svg("label-coverage", width, height, body, "label coverage per day")


def budget_chart_svg(start: datetime, end: datetime, series: list[Series], times: list[list[datetime]],
                     width: int = 1130, height: int = 230) -> str:
    """Error budget left (1 = untouched, 0 = spent, below 0 = overspent) of each
    SLO over the period, on a continuous time axis."""
    left, right, top, bottom = 44, 12, 12, 24
    plot_w, plot_h = width - left - right, height - top - bottom
    present = [v for s in series for v in s.values if not _missing(v)]
    lo = min([0.0] + present)
    lo = math.floor(lo * 4) / 4 if lo < 0 else 0.0      # a whole quarter below the lowest point
    span = max((end - start).total_seconds(), 1.0)

    def x_of(t: datetime) -> float:
        return left + (t - start).total_seconds() / span * plot_w

    def y_of(v: float) -> float:
        return top + (1 - v) / (1 - lo) * plot_h

    step = 0.25 if 1 - lo <= 1.5 else 0.5 if 1 - lo <= 3 else math.ceil((1 - lo) / 6)
    ticks = [1 - step * k for k in range(int((1 - lo) / step) + 1)]
    body = _y_grid(y_of, lo, 1, left, width - right, ticks, percent=True)
    body.append(f'<line x1="{left}" x2="{width - right}" y1="{y_of(0):.1f}" y2="{y_of(0):.1f}" stroke="#c0392b" '
                f'stroke-dasharray="4 3"><title>budget spent</title></line>')
    days = []
    day = datetime(start.year, start.month, start.day)
    while day < end:
        days.append(day)
        day += timedelta(days=1)
    stride = max(1, math.ceil(len(days) / 7))
    for d in days[::stride]:
        if d >= start:
            body.append(f'<text x="{x_of(d):.1f}" y="{top + plot_h + 14:.1f}" text-anchor="middle" font-size="10" '
                        f'fill="{AXIS_TEXT}">{d:%m-%d}</text>')
    for s, at in zip(series, times):
        for run in _runs(s.values):
            points = " ".join(f"{x_of(at[i]):.1f},{y_of(s.values[i]):.1f}" for i in run)
            body.append(f'<polyline class="budget-line" data-slo="{attr(s.name)}" points="{points}" fill="none" '
                        f'stroke="{s.colour}" stroke-width="1.8"><title>{attr(s.name)}</title></polyline>')
        last = _runs(s.values)[-1][-1] if _runs(s.values) else None
        if last is not None:
            body.append(f'<circle cx="{x_of(at[last]):.1f}" cy="{y_of(s.values[last]):.1f}" r="3" '
                        f'fill="{s.colour}"><title>{attr(s.notes[0] if s.notes else s.name)}</title></circle>')
    return _svg("slo-budget", width, height, body, "error budget left per SLO")


def budget_bar_svg(ratio: float | None, width: int = 90) -> str:
    """A small horizontal gauge of the budget left: green, amber below half, red when spent."""
    if _missing(ratio):
        return ""
    filled = min(max(ratio, 0.0), 1.0) * width
    colour = "#27ae60" if ratio >= 0.5 else "#e6a100" if ratio > 0 else "#c0392b"
    return (f'<svg class="gauge" width="{width}" height="10" viewBox="0 0 {width} 10" role="img" '
            f'aria-label="budget left {ratio:.0%}"><rect width="{width}" height="10" rx="3" fill="#eceff1"/>'
            f'<rect width="{filled:.1f}" height="10" rx="3" fill="{colour}"/></svg>')
