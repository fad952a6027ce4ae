"""Inline SVG pictures of one feature: baseline vs window distribution on a value axis,
the two CDFs with their largest gap, labelled category bars, and table sparklines.

Colours are the Okabe-Ito palette (distinguishable with the common colour-vision
deficiencies); baseline and window also differ in form (filled bars vs a line), so the
pictures read in greyscale print. Every text drawn from data goes through ``text``.
"""

from __future__ import annotations

import itertools
import math
import unicodedata
from collections.abc import Sequence
from html import escape

import numpy as np

from drift_monitor.accumulators import OTHER
from drift_monitor.evaluate import FeatureResult

BASE_FILL, BASE_LINE = "#56B4E9", "#0072B2"  # sky blue / blue
WINDOW_LINE = "#E69F00"  # orange
ALERT = "#D55E00"  # vermillion: violations only
INK, GRID = "#333", "#ccc"
EQUAL_BINS = 40  # quantile bins are redrawn on this many equal-width bins
SPARK_BINS = 16
MAX_CATEGORIES = 12
LABEL_CHARS = 24


def text(value: object, limit: int | None = None) -> str:
    """Escaped text for HTML or SVG: control characters shown as ``\\xNN`` (they are not
    valid in HTML), cut to ``limit`` characters with an ellipsis."""
    raw = str(value)
    if limit is not None and len(raw) > limit:
        raw = raw[: limit - 1] + "\u2026"
    if raw.isascii() and raw.isprintable():  # no control character: nothing to show
        return escape(raw, quote=True)
    shown = "".join(
        f"\\x{ord(c):02x}" if unicodedata.category(c) in ("Cc", "Cs") and c != "\t" else c
        for c in raw
    )
    return escape(shown, quote=True)


def num(x: float | None) -> str:
    """A value in the feature's units, 4 significant digits, no exponent when avoidable."""
    if x is None:
        return "not given"
    if not math.isfinite(x):
        return "n/a" if math.isnan(x) else ("+inf" if x > 0 else "-inf")
    if x == 0:
        return "0"
    if 1e-3 <= abs(x) < 1e6:
        return f"{x:.4g}" if abs(x) < 1e4 else f"{x:,.0f}"
    return f"{x:.3g}"


def pct(x: float) -> str:
    if x == 0:
        return "0%"
    return f"{100 * x:.1f}%" if abs(x) >= 0.001 else f"{100 * x:.2g}%"


def nice_ticks(lo: float, hi: float, count: int = 5) -> list[float]:
    """Round tick values covering [lo, hi] (1, 2 or 5 times a power of ten apart)."""
    span = hi - lo
    if span <= 0 or not math.isfinite(span):
        return [lo]
    raw = span / count
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    first = math.ceil(lo / step) * step
    ticks = []
    k = 0
    while first + k * step <= hi + step * 1e-9:
        ticks.append(round(first + k * step, 12))
        k += 1
    return ticks


def value_range(r: FeatureResult) -> tuple[float, float]:
    """The axis of a numeric feature: everything the baseline and the window saw."""
    points = [*r.edges[:1], *r.edges[-1:]]
    points += [v for v in (r.baseline_min, r.baseline_max) if v is not None]
    if r.present:
        points += [r.minimum, r.maximum]
    points = [p for p in points if math.isfinite(p)]
    if not points:
        return 0.0, 1.0
    lo, hi = min(points), max(points)
    if hi - lo <= 0:
        pad = abs(lo) * 0.05 or 0.5
        return lo - pad, hi + pad
    if hi - lo > AXIS_SPAN_MAX:  # pixels times the span would pass the float range
        lo, hi = max(lo, -AXIS_SPAN_MAX / 2), min(hi, AXIS_SPAN_MAX / 2)
    return lo, hi


# The widest axis drawn: values past +-5e299 (only a broken client sends them) are left
# off the chart, which keeps every coordinate finite; the tables still show them.
AXIS_SPAN_MAX = 1e300


def _bin_bounds(edges: Sequence[float], first: float, last: float) -> list[tuple[float, float]]:
    """The real extent of each right-closed quantile bin; the open outer bins end at the
    smallest / largest value seen."""
    bounds = [min(first, edges[0]), *edges, max(last, edges[-1])]
    return list(itertools.pairwise(bounds))


def equal_width(
    probs: Sequence[float],
    edges: Sequence[float],
    first: float,
    last: float,
    lo: float,
    hi: float,
    bins: int,
) -> list[float]:
    """Mass of quantile bins re-spread on ``bins`` equal-width bins over [lo, hi],
    uniformly inside each quantile bin (their real widths). A bin of no width puts its
    mass in the equal-width bin holding it. Mass outside [lo, hi] is left out."""
    return _spread([probs], edges, [(first, last)], lo, hi, bins)[0]


def _spread(
    probs: Sequence[Sequence[float]],
    edges: Sequence[float],
    ends: Sequence[tuple[float, float]],
    lo: float,
    hi: float,
    bins: int,
) -> list[list[float]]:
    """:func:`equal_width` of several distributions on the same edges, each with its
    own smallest and largest value: the piecewise-linear CDF of the bins with a width
    read at the equal-width bins' bounds, plus the bins of no width at their place."""
    width = (hi - lo) / bins
    out = []
    for p, (first, last) in zip(probs, ends, strict=True):
        if not len(edges) or width <= 0:
            flat = [0.0] * bins
            flat[0] = float(sum(p))
            out.append(flat)
            continue
        bounds = np.array([min(first, edges[0]), *edges, max(last, edges[-1])])
        mass = np.asarray(p, dtype=np.float64)
        wide = bounds[1:] - bounds[:-1] > 0
        spread = np.where(wide & (mass > 0), mass, 0.0)
        cdf = np.concatenate(([0.0], np.cumsum(spread)))
        # The CDF is flat across a bin of no width, so a repeated bound reads the same.
        shares = np.diff(np.interp(lo + np.arange(bins + 1) * width, bounds, cdf))
        point = np.flatnonzero(~wide & (mass > 0))
        if point.size:
            at = np.clip(((bounds[point] - lo) / width).astype(np.int64), 0, bins - 1)
            shares += np.bincount(at, weights=mass[point], minlength=bins)
        out.append(shares.tolist())
    return out


def _both_equal_width(r: FeatureResult, bins: int) -> tuple[float, float, list[float], list[float]]:
    lo, hi = value_range(r)
    b_first = r.baseline_min if r.baseline_min is not None else lo
    b_last = r.baseline_max if r.baseline_max is not None else hi
    w_first, w_last = (r.minimum, r.maximum) if r.present else (lo, hi)
    base, window = _spread(
        [r.baseline_probs, r.current_probs],
        r.edges,
        [(b_first, b_last), (w_first, w_last)],
        lo,
        hi,
        bins,
    )
    return lo, hi, base, window


class _Frame:
    """Pixel mapping of a plot area inside an SVG of ``width`` x ``height``."""

    def __init__(self, width: int, height: int, lo: float, hi: float, top: float) -> None:
        self.width, self.height = width, height
        self.left, self.right, self.up, self.down = 44, 10, 8, 30
        self.lo, self.hi, self.top = lo, hi, top or 1.0

    # A value off the axis (past AXIS_SPAN_MAX) is drawn at its end.
    def x(self, v: float) -> float:
        span = self.width - self.left - self.right
        v = min(max(v, self.lo), self.hi)
        return self.left + span * (v - self.lo) / (self.hi - self.lo)

    def y(self, p: float) -> float:
        span = self.height - self.up - self.down
        return self.height - self.down - span * p / self.top

    # The same arithmetic, in the same order, on arrays: the same floats as x and y.
    def xs(self, v: np.ndarray) -> list[float]:
        span = self.width - self.left - self.right
        v = np.clip(v, self.lo, self.hi)
        return (self.left + span * (v - self.lo) / (self.hi - self.lo)).tolist()

    def ys(self, p: np.ndarray) -> list[float]:
        span = self.height - self.up - self.down
        return (self.height - self.down - span * p / self.top).tolist()

    def axes(self, x_label: str, y_ticks: Sequence[tuple[float, str]]) -> str:
        base = self.height - self.down
        parts = [
            f'<path d="M{self.left} {self.up}V{base}H{self.width - self.right}" '
            f'stroke="{INK}" fill="none"/>'
        ]
        for v in nice_ticks(self.lo, self.hi):
            x = self.x(v)
            parts.append(
                f'<path d="M{x:.1f} {base}v4" stroke="{INK}"/>'
                f'<text x="{x:.1f}" y="{base + 14}" text-anchor="middle">{text(num(v))}</text>'
            )
        for p, label in y_ticks:
            y = self.y(p)
            parts.append(
                f'<path d="M{self.left - 4} {y:.1f}H{self.width - self.right}" stroke="{GRID}"/>'
                f'<text x="{self.left - 6}" y="{y + 3:.1f}" text-anchor="end">{label}</text>'
            )
        parts.append(
            f'<text x="{(self.left + self.width - self.right) / 2:.0f}" y="{self.height - 3}" '
            f'text-anchor="middle">{x_label}</text>'
        )
        return "".join(parts)


def _svg(width: int, height: int, label: str, body: str) -> str:
    return (
        f'<svg viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" '
        f'aria-label="{label}" font-size="10" font-family="sans-serif">{body}</svg>'
    )


_STEP = "V{:.1f}H{:.1f}".format
_POINT = "{:.1f} {:.1f}".format


def _bars_path(frame: _Frame, values: Sequence[float]) -> str:
    step = (frame.hi - frame.lo) / len(values)
    base = frame.y(0)
    heights = np.asarray(values, dtype=np.float64)
    drawn = np.flatnonzero(heights > 0)
    x0 = frame.xs(frame.lo + drawn * step)
    x1 = frame.xs(frame.lo + (drawn + 1) * step)
    tops = frame.ys(heights[drawn])
    bar = f"M{{:.1f}} {base:.1f}V{{:.1f}}H{{:.1f}}V{base:.1f}Z".format
    return "".join(map(bar, x0, tops, x1))


def _step_path(frame: _Frame, values: Sequence[float]) -> str:
    step = (frame.hi - frame.lo) / len(values)
    ends = frame.xs(frame.lo + (np.arange(len(values)) + 1) * step)
    levels = frame.ys(np.asarray(values, dtype=np.float64))
    return (
        f"M{frame.x(frame.lo):.1f} {frame.y(0):.1f}"
        + "".join(map(_STEP, levels, ends))
        + f"V{frame.y(0):.1f}"
    )


def distribution_svg(r: FeatureResult) -> str:
    """Share of rows per equal-width value bin: baseline bars, window line."""
    name = text(r.name, 60)
    lo, hi, base, window = _both_equal_width(r, EQUAL_BINS)
    top = max(max(base), max(window), 1e-12)
    frame = _Frame(340, 170, lo, hi, top * 1.1)
    ticks = [(t, pct(t)) for t in (top / 2, top)]
    body = (
        f'<path d="{_bars_path(frame, base)}" fill="{BASE_FILL}" stroke="{BASE_LINE}" '
        f'stroke-width="0.5"/>'
        f'<path d="{_step_path(frame, window)}" fill="none" stroke="{WINDOW_LINE}" '
        f'stroke-width="2"/>' + frame.axes(f"{name} (value)", ticks)
    )
    return _svg(340, 170, f"distribution of {name}", body)


def cdf_points(probs: Sequence[float]) -> list[float]:
    """Running sums of ``probs`` (added one after another), capped at 1."""
    if not len(probs):
        return []
    return np.minimum(np.cumsum(np.asarray(probs, dtype=np.float64)), 1.0).tolist()


def largest_gap(r: FeatureResult) -> tuple[int, float] | None:
    """Index of the bin edge where the two CDFs differ most, and that difference."""
    base, window = cdf_points(r.baseline_probs), cdf_points(r.current_probs)
    if len(base) < 2:
        return None
    gaps = np.abs(np.subtract(base[:-1], window[:-1]))
    i = int(np.argmax(gaps))  # the first of equal gaps
    return i, float(gaps[i])


def cdf_svg(r: FeatureResult, violated: bool) -> str:
    """Both CDFs at the baseline's quantile edges, the largest gap drawn and labelled."""
    name = text(r.name, 60)
    lo, hi = value_range(r)
    frame = _Frame(340, 170, lo, hi, 1.0)
    base, window = cdf_points(r.baseline_probs), cdf_points(r.current_probs)

    def line(cdf: list[float], first: float, last: float) -> str:
        xs = np.array([min(first, r.edges[0]), *r.edges, max(last, r.edges[-1])])
        ys = np.array([0.0, *cdf[:-1], 1.0])
        return "M" + "L".join(map(_POINT, frame.xs(xs), frame.ys(ys)))

    b_first = r.baseline_min if r.baseline_min is not None else lo
    b_last = r.baseline_max if r.baseline_max is not None else hi
    w_first, w_last = (r.minimum, r.maximum) if r.present else (lo, hi)
    body = (
        f'<path d="{line(base, b_first, b_last)}" fill="none" stroke="{BASE_LINE}" '
        f'stroke-width="2"/>'
        f'<path d="{line(window, w_first, w_last)}" fill="none" stroke="{WINDOW_LINE}" '
        f'stroke-width="2" stroke-dasharray="5 2"/>'
    )
    gap = largest_gap(r)
    if gap is not None:
        i, size = gap
        x = frame.x(r.edges[i])
        colour = ALERT if violated else INK
        mid = (frame.y(base[i]) + frame.y(window[i])) / 2
        body += (
            f'<path d="M{x:.1f} {frame.y(base[i]):.1f}V{frame.y(window[i]):.1f}" '
            f'stroke="{colour}" stroke-width="2.5"/>'
            f'<text x="{min(x + 4, 250):.1f}" y="{mid:.1f}" '
            f'fill="{colour}">gap {size:.3f}</text>'
        )
    body += frame.axes(f"{name} (value)", [(0.5, "0.5"), (1.0, "1")])
    return _svg(340, 170, f"cumulative distributions of {name}", body)


def category_rows(r: FeatureResult) -> tuple[list[int], int]:
    """Indexes of the categories drawn (largest share in either, at most MAX_CATEGORIES)
    and how many were left out."""
    order = sorted(
        range(len(r.labels)),
        key=lambda i: (-max(r.baseline_probs[i], r.current_probs[i]), r.labels[i]),
    )
    return order[:MAX_CATEGORIES], max(len(order) - MAX_CATEGORIES, 0)


def category_label(label: str, baseline_share: float) -> str:
    if label == OTHER:
        return "__other__ (folded)"
    shown = label if label.strip() else repr(label)
    return shown + (" (unseen)" if baseline_share == 0 else "")


def categories_svg(r: FeatureResult) -> str:
    """Horizontal bar pairs per category: baseline (filled) over window (orange)."""
    name = text(r.name, 60)
    rows, _ = category_rows(r)
    row_h, left, width = 22, 170, 560
    height = row_h * len(rows) + 20
    top = max([max(r.baseline_probs[i], r.current_probs[i]) for i in rows] + [1e-12])
    span = width - left - 110
    parts = []
    for k, i in enumerate(rows):
        y = 4 + k * row_h
        p, q = r.baseline_probs[i], r.current_probs[i]
        label = category_label(r.labels[i], p)
        parts.append(
            f'<text x="{left - 6}" y="{y + 13}" text-anchor="end">{text(label, LABEL_CHARS)}'
            f"<title>{text(label, 200)}</title></text>"
            f'<rect x="{left}" y="{y}" width="{span * p / top:.1f}" height="8" '
            f'fill="{BASE_FILL}" stroke="{BASE_LINE}" stroke-width="0.5"/>'
            f'<rect x="{left}" y="{y + 9}" width="{span * q / top:.1f}" height="8" '
            f'fill="{WINDOW_LINE}"/>'
            f'<text x="{left + span * max(p, q) / top + 4:.1f}" y="{y + 13}">'
            f"{pct(p)} \u2192 {pct(q)}</text>"
        )
    parts.append(f'<text x="{left}" y="{height - 4}">share of rows (baseline \u2192 window)</text>')
    return _svg(width, height, f"categories of {name}", "".join(parts))


def sparkline(r: FeatureResult, numeric: bool) -> str:
    """A 96 x 24 thumbnail: numeric, the two distributions; categorical, the top shares."""
    if not r.baseline_probs:
        return "no distribution"
    w, h = 96, 24
    if numeric:
        _, _, base, window = _both_equal_width(r, SPARK_BINS)
    else:
        rows, _ = category_rows(r)
        rows = rows[:6]
        base = [r.baseline_probs[i] for i in rows]
        window = [r.current_probs[i] for i in rows]
    top = max(max(base), max(window), 1e-12)
    step = w / len(base)
    heights = np.asarray(base, dtype=np.float64)
    drawn = np.flatnonzero(heights > 0)
    bars = "".join(
        map(
            f"M{{:.1f}} {h}V{{:.1f}}h{step:.1f}V{h}Z".format,
            (drawn * step).tolist(),
            (h - (h - 2) * heights[drawn] / top).tolist(),
        )
    )
    levels = (h - (h - 2) * np.asarray(window, dtype=np.float64) / top).tolist()
    ends = ((np.arange(len(window)) + 1) * step).tolist()
    line = f"M0 {h}" + "".join(map(_STEP, levels, ends))
    return (
        f'<svg viewBox="0 0 {w} {h}" width="{w}" height="{h}" aria-hidden="true">'
        f'<path d="{bars}" fill="{BASE_FILL}"/>'
        f'<path d="{line}" fill="none" stroke="{WINDOW_LINE}" stroke-width="1.5"/></svg>'
    )
