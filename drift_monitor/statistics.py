"""A window's ``statistics.json`` (Model Monitor's schema) from its profile."""

from __future__ import annotations

import functools
import math
import sys
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from drift_monitor.accumulators import CategoricalAccumulator, NumericAccumulator
from drift_monitor.baseline_model import Baseline, BaselineFeature
from drift_monitor.profile import WindowProfile

KLL_PARAMETERS = {"c": 0.64, "k": 2048}
SKETCH_ITEMS = 1024
REPORT_BUCKETS = 10


def _round(x: float) -> float:
    # JSON has no infinities: a sum past the float range is written as the largest float.
    # math, not numpy, on one float: this runs for every sketch item (16k per window).
    if not math.isfinite(x):
        return 0.0 if math.isnan(x) else math.copysign(sys.float_info.max, x)
    return float(f"{x:.12g}")


# 10.0 ** k for every integer k a finite double's decimal exponent (and one past it)
# can take, computed by the same numpy power the rounding used to call three times per
# value: a table lookup gives the very same doubles for a fraction of the time. Indexed
# by k - _POW10_LOW.
_POW10_LOW = -400
with np.errstate(over="ignore", under="ignore"):
    _POW10 = 10.0 ** np.arange(_POW10_LOW, -_POW10_LOW + 1, dtype=np.float64)
# The same index to 10 ** |11 - k|: the power that brings a value of exponent k to 12
# integer digits (up) or down to them (entries past the table's end are never used).
_SCALE = _POW10[
    np.minimum(np.abs(11 - np.arange(_POW10_LOW, -_POW10_LOW + 1)) - _POW10_LOW, _POW10.size - 1)
]
_UP_K = (-11 - _POW10_LOW, 11 - _POW10_LOW)  # indexes whose power of ten is exact, up


def _round_array(values: np.ndarray) -> np.ndarray:
    """:func:`_round` of every value, in numpy: x times the power of ten that brings it
    to 12 integer digits, rounded to an integer, divided by that power (an exact power
    of ten, so the result is the double nearest the 12-digit decimal, as ``float()`` of
    the text gives). The product is rounded once before the integer rounding, so a value
    within about 1e-4 of a last-digit tie may round the other way: one unit in the 12th
    significant digit. Zeros are kept as they are (``_round`` gives them back, sign
    included); values whose power of ten is not exact (below ~1e-11 in magnitude) and
    non-finite ones take :func:`_round`."""
    x = np.asarray(values, dtype=np.float64)
    magnitude = np.abs(x)
    with np.errstate(divide="ignore", invalid="ignore"):
        exponent = np.log10(magnitude)
    np.floor(exponent, out=exponent)
    if np.isfinite(exponent).all():
        exponent -= _POW10_LOW
        at = exponent.astype(np.intp)  # the decimal exponent as a table index
        if _UP_K[0] <= at.min() and at.max() <= _UP_K[1]:
            # The usual case: every value between 1e-11 and 1e12. log10 may be one off
            # only within a few units in the last place of a power of ten, where
            # rounding to 12 or to 13 digits gives that same power: the exponent needs
            # no correction here (_round_any corrects it).
            scale = _SCALE.take(at)
            with np.errstate(all="ignore"):
                out = x * scale
                np.rint(out, out=out)
                out /= scale
            return out
    return _round_any(x)


def _round_any(x: np.ndarray) -> np.ndarray:
    """:func:`_round_array` of values of any magnitude (zeros, tiny, huge, non-finite)."""
    magnitude = np.abs(x)
    with np.errstate(divide="ignore", invalid="ignore"):
        exponent = np.floor(np.log10(magnitude))
    ok = np.isfinite(exponent)
    # The decimal exponent k as an index into the tables (k = 0 without one: zero, inf,
    # NaN).
    at = np.where(ok, exponent, 0.0).astype(np.intp) - _POW10_LOW
    # log10 can be one off next to a power of ten: correct it exactly.
    at += magnitude >= _POW10.take(at + 1)
    at -= (magnitude < _POW10.take(at)) & ok
    scale = _SCALE.take(at)
    digits = 11 - (at + _POW10_LOW)  # x * 10**digits has 12 integer digits
    up = ok & (digits >= 0) & (digits <= 22)
    down = ok & (digits < 0) & (digits >= -22)
    out = x.copy()
    with np.errstate(all="ignore"):
        out[up] = np.rint(x[up] * scale[up]) / scale[up]
        out[down] = np.rint(x[down] / scale[down]) * scale[down]
    rest = ~(up | down)
    zero = rest & (x == 0)
    out[zero] = x[zero]
    for i in np.flatnonzero(rest & ~zero).tolist():
        out[i] = _round(float(x[i]))
    return out


# _round of the bucket bounds seen, most of them a baseline's edges (the same every run).
_ROUNDED: dict[float, float] = {}
_ROUNDED_MAX = 1 << 16


def _round_bound(x: float) -> float:
    """:func:`_round`, remembered. Equal non-zero floats are the same double, so a dict
    keyed by the float is exact but for the two zeros, which round to themselves."""
    if x == 0:
        return x
    rounded = _ROUNDED.get(x)
    if rounded is None:
        if len(_ROUNDED) >= _ROUNDED_MAX:
            _ROUNDED.clear()
        rounded = _ROUNDED[x] = _round(x)
    return rounded


def _round_all(values: np.ndarray) -> list[float]:
    """:func:`_round_array` as a list of floats."""
    return _round_array(values).tolist()


@functools.lru_cache(maxsize=16)
def _ranks(n: int) -> np.ndarray:
    """The sketch's ``n`` equally spaced ranks (the same few ``n`` every run)."""
    ranks = (np.arange(n) + 0.5) / n
    ranks.flags.writeable = False  # shared between calls
    return ranks


@functools.lru_cache(maxsize=64)
def _bucket_starts(size: int) -> tuple[int, ...]:
    """Where each of the 10 report buckets starts among ``size`` bins, and the end."""
    groups = min(REPORT_BUCKETS, size)
    return tuple(g * (size // groups) + min(g, size % groups) for g in range(groups + 1))


@dataclass
class _NumericParts:
    """Buckets and sketch of one numeric feature (empty when it has no value), and its
    histogram's counts over its present count (for evaluate)."""

    buckets: list[dict[str, float]]
    sketch: list[float]
    probs: list[float] = field(default_factory=list)


def numeric_parts(accs: list[NumericAccumulator]) -> list[_NumericParts]:
    """The report buckets and the sketch items of every feature, in a few numpy calls for
    all of them (one window has thousands of sketch items: numpy's fixed cost per call,
    paid per feature, was most of the time). Each value is computed from the same
    operands by the same numpy function as feature by feature, so the floats are the
    same: the bounds are each feature's minimum, its baseline edges clipped to the
    observed range, and its maximum; the CDF at the bounds is the exact integer running
    count over the feature's present count."""
    parts = [_NumericParts([], [], []) for _ in accs]
    present = [(i, acc) for i, acc in enumerate(accs) if acc.present]
    if not present:
        return parts
    starts = [0]
    for _, acc in present:
        if acc.hist.size != acc.edges.size + 1:  # as np.interp would refuse them
            raise ValueError("a histogram does not have one bin more than its edges")
        starts.append(starts[-1] + acc.edges.size + 2)
    ends = starts[1:]
    bounds = np.empty(starts[-1], dtype=np.float64)
    bounds[starts[:-1]] = [acc.minimum for _, acc in present]
    bounds[[b - 1 for b in ends]] = [acc.maximum for _, acc in present]
    for (_, acc), a, b in zip(present, starts[:-1], ends, strict=True):
        acc.edges.clip(acc.minimum, acc.maximum, out=bounds[a + 1 : b - 1])  # as np.clip
    # Each feature's histogram after a 0 (its CDF starts at 0).
    zero = np.zeros(1, dtype=np.int64)
    counts = np.concatenate([part for _, acc in present for part in (zero, acc.hist)])
    at_or_below = np.cumsum(counts)
    sizes = np.diff(starts)
    at_or_below -= np.repeat(at_or_below[starts[:-1]], sizes)  # each feature from 0
    totals = np.repeat(np.array([acc.present for _, acc in present], dtype=np.float64), sizes)
    cum = at_or_below.astype(np.float64) / totals
    probs = (counts / totals).tolist()  # as hist / present, feature by feature
    # Bucket counts: one reduceat over every feature's bins (a feature's last bucket
    # runs into the next feature's leading 0, which adds nothing).
    groups = [
        [a + 1 + g for g in _bucket_starts(acc.hist.size)]
        for (_, acc), a in zip(present, starts, strict=False)
    ]
    bucket_counts = np.add.reduceat(counts, [g for gs in groups for g in gs[:-1]]).tolist()
    quantiles = [
        np.interp(_ranks(min(SKETCH_ITEMS, acc.present)), cum[a:b], bounds[a:b])
        for (_, acc), a, b in zip(present, starts[:-1], ends, strict=True)
    ]
    rounded = _round_array(np.concatenate(quantiles))
    listed = bounds.tolist()
    at = done = 0
    for (i, _), gs, q in zip(present, groups, quantiles, strict=True):
        # A feature's bin h (counts index a + 1 + h) spans its bounds h to h + 1.
        edges = [_round_bound(listed[g - 1]) for g in gs]
        n = len(gs) - 1
        parts[i].buckets = [
            {"lower_bound": lo, "upper_bound": hi, "count": c}
            for lo, hi, c in zip(edges, edges[1:], bucket_counts[done : done + n], strict=False)
        ]
        done += n
        parts[i].probs = probs[gs[0] : gs[-1]]
        parts[i].sketch = rounded[at : at + q.size].tolist()  # one list per feature
        at += q.size
    return parts


def numeric_buckets(acc: NumericAccumulator) -> list[dict[str, float]]:
    """Histogram bins clipped to the observed range, grouped into 10 buckets (the first
    ``bins % 10`` buckets one bin wider, as ``numpy.array_split`` groups them)."""
    return numeric_parts([acc])[0].buckets


def numeric_sketch_items(acc: NumericAccumulator) -> list[float]:
    """Equally spaced quantiles reconstructed from the histogram (linear within a bin),
    rounded."""
    return numeric_parts([acc])[0].sketch


def _numeric_stats(
    name: str, f: BaselineFeature, acc: NumericAccumulator, parts: _NumericParts | None = None
) -> dict[str, Any]:
    """``parts``: the feature's :func:`numeric_parts`, when already computed."""
    if parts is None:
        parts = numeric_parts([acc])[0]
    present = acc.present
    inferred = f.inferred_type if f.is_numeric else "Fractional"
    return {
        "name": name,
        "inferred_type": inferred,
        "numerical_statistics": {
            "common": {"num_present": present, "num_missing": acc.missing + acc.non_numeric},
            "mean": _round(acc.mean),
            "sum": _round(acc.total.value),
            "std_dev": _round(acc.std_dev),
            "min": _round_bound(acc.minimum) if present else 0.0,  # rounded as a bound too
            "max": _round_bound(acc.maximum) if present else 0.0,
            "distribution": {
                "kll": {
                    "buckets": parts.buckets,
                    "sketch": {
                        "parameters": dict(KLL_PARAMETERS),
                        "data": [parts.sketch],
                    },
                }
            },
        },
    }


def _categorical_stats(name: str, acc: CategoricalAccumulator) -> dict[str, Any]:
    buckets = [
        {"value": v, "count": c}
        for v, c in sorted(acc.counts.items(), key=lambda kv: (-kv[1], kv[0]))
    ]
    return {
        "name": name,
        "inferred_type": "String",
        "string_statistics": {
            "common": {"num_present": acc.present, "num_missing": acc.missing},
            "distinct_count": acc.distinct_count,
            "distribution": {"categorical": {"buckets": buckets}},
        },
    }


def window_statistics(
    baseline: Baseline, profile: WindowProfile, numeric: list[_NumericParts] | None = None
) -> dict[str, Any]:
    """``numeric``: :func:`numeric_parts` of the profile's numeric features, when already
    computed."""
    if numeric is None:
        numeric = numeric_parts(
            [acc for acc in profile.features if isinstance(acc, NumericAccumulator)]
        )
    parts = iter(numeric)
    features = []
    for f, acc in zip(baseline.features, profile.features, strict=True):
        if isinstance(acc, NumericAccumulator):
            features.append(_numeric_stats(f.name, f, acc, next(parts)))
        else:
            features.append(_categorical_stats(f.name, acc))
    return {"version": 0, "dataset": {"item_count": profile.rows}, "features": features}
