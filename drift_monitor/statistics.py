"""A window's ``statistics.json`` (Model Monitor's schema) from its profile."""

from __future__ import annotations

import math
import sys
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


def _round_all(values: np.ndarray) -> list[float]:
    """:func:`_round` of every value, in numpy: x times the power of ten that brings it
    to 12 integer digits, rounded to an integer, divided by that power (an exact power
    of ten, so the result is the double nearest the 12-digit decimal, as ``float()`` of
    the text gives). The product is rounded once before the integer rounding, so a value
    within about 1e-4 of a last-digit tie may round the other way: one unit in the 12th
    significant digit. Values whose power of ten is not exact (below ~1e-11 in
    magnitude, or zero) and non-finite ones take :func:`_round`."""
    x = np.asarray(values, dtype=np.float64)
    out = x.copy()
    magnitude = np.abs(x)
    with np.errstate(divide="ignore", invalid="ignore"):
        exponent = np.floor(np.log10(magnitude))
    ok = np.isfinite(exponent)
    exponent = np.where(ok, exponent, 0.0)
    # log10 can be one off next to a power of ten: correct it exactly.
    exponent += magnitude >= 10.0 ** (exponent + 1)
    exponent -= (magnitude < 10.0**exponent) & ok
    digits = 11 - exponent  # x * 10**digits has 12 integer digits
    up = ok & (digits >= 0) & (digits <= 22)
    down = ok & (digits < 0) & (digits >= -22)
    scale = 10.0 ** np.abs(np.where(up | down, digits, 0.0))
    out[up] = np.rint(x[up] * scale[up]) / scale[up]
    out[down] = np.rint(x[down] / scale[down]) * scale[down]
    rounded = out.tolist()
    for i in np.flatnonzero(~(up | down)).tolist():
        rounded[i] = _round(float(x[i]))
    return rounded


def numeric_buckets(acc: NumericAccumulator) -> list[dict[str, float]]:
    """Histogram bins clipped to the observed range, grouped into 10 buckets (the first
    ``bins % 10`` buckets one bin wider, as ``numpy.array_split`` groups them)."""
    if not acc.present:
        return []
    bounds = np.concatenate(([acc.minimum], np.clip(acc.edges, acc.minimum, acc.maximum)))
    bounds = np.concatenate((bounds, [acc.maximum])).tolist()
    size = acc.hist.size
    groups = min(REPORT_BUCKETS, size)
    starts = [g * (size // groups) + min(g, size % groups) for g in range(groups + 1)]
    counts = np.add.reduceat(acc.hist, starts[:-1]).tolist()
    return [
        {"lower_bound": _round(bounds[a]), "upper_bound": _round(bounds[b]), "count": int(c)}
        for a, b, c in zip(starts[:-1], starts[1:], counts, strict=True)
    ]


def _sketch_quantiles(acc: NumericAccumulator) -> np.ndarray:
    """Equally spaced quantiles reconstructed from the histogram (linear within a bin),
    not yet rounded."""
    if not acc.present:
        return np.empty(0)
    bounds = np.concatenate(([acc.minimum], np.clip(acc.edges, acc.minimum, acc.maximum)))
    bounds = np.concatenate((bounds, [acc.maximum]))
    cum = np.concatenate(([0], np.cumsum(acc.hist))).astype(np.float64) / acc.present
    n = min(SKETCH_ITEMS, acc.present)
    ranks = (np.arange(n) + 0.5) / n
    return np.interp(ranks, cum, bounds)


def numeric_sketch_items(acc: NumericAccumulator) -> list[float]:
    """Equally spaced quantiles reconstructed from the histogram, rounded."""
    return _round_all(_sketch_quantiles(acc)) if acc.present else []


def _numeric_stats(
    name: str, f: BaselineFeature, acc: NumericAccumulator, items: list[float] | None = None
) -> dict[str, Any]:
    """``items``: the feature's :func:`numeric_sketch_items`, when already computed."""
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
            "min": _round(acc.minimum) if present else 0.0,
            "max": _round(acc.maximum) if present else 0.0,
            "distribution": {
                "kll": {
                    "buckets": numeric_buckets(acc),
                    "sketch": {
                        "parameters": dict(KLL_PARAMETERS),
                        "data": [numeric_sketch_items(acc) if items is None else items],
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


def _all_sketch_items(accs: list[NumericAccumulator]) -> list[list[float]]:
    """:func:`numeric_sketch_items` of every feature, rounded in one numpy pass (the
    rounding is per value: the same floats as feature by feature)."""
    quantiles = [_sketch_quantiles(acc) for acc in accs]
    rounded = _round_all(np.concatenate(quantiles)) if quantiles else []
    out, at = [], 0
    for q in quantiles:
        out.append(rounded[at : at + q.size])
        at += q.size
    return out


def window_statistics(baseline: Baseline, profile: WindowProfile) -> dict[str, Any]:
    numeric = [acc for acc in profile.features if isinstance(acc, NumericAccumulator)]
    items = iter(_all_sketch_items(numeric))
    features = []
    for f, acc in zip(baseline.features, profile.features, strict=True):
        if isinstance(acc, NumericAccumulator):
            features.append(_numeric_stats(f.name, f, acc, next(items)))
        else:
            features.append(_categorical_stats(f.name, acc))
    return {"version": 0, "dataset": {"item_count": profile.rows}, "features": features}
