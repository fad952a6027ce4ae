"""Build a baseline (``statistics.json`` and ``constraints.json`` in Model Monitor's
schemas) from a dataset: CSV with or without a header, or JSON lines.

Columns of a headerless CSV are named ``_c0``, ``_c1``, ... as Model Monitor names them.
A column is ``Integral`` when every present value is a whole number, ``Fractional`` when
every present value is a number, otherwise ``String``. The baseline is read into memory
column by column (a training set, not an unbounded stream).
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import numpy as np

from drift_monitor.columns import numeric_column, string_column
from drift_monitor.config import DEFAULT_MONITORING_CONFIG
from drift_monitor.statistics import KLL_PARAMETERS, REPORT_BUCKETS, SKETCH_ITEMS

# String columns with at most this many distinct values get a domain constraint.
DOMAIN_MAX_DISTINCT = 50


class DatasetError(ValueError):
    """The dataset cannot be read as CSV or JSON lines."""


def read_dataset(
    text: str, fmt: str = "csv", header: bool = False
) -> tuple[list[str], list[list[Any]]]:
    """(column names, columns) of a CSV or JSON-lines dataset."""
    if fmt == "jsonl":
        return _read_jsonl(text)
    if fmt != "csv":
        raise DatasetError(f"unknown dataset format {fmt!r} (csv or jsonl)")
    rows = [row for row in csv.reader(io.StringIO(text)) if row]
    if header:
        if not rows:
            raise DatasetError("the CSV has no header line")
        names, rows = [c.strip() for c in rows[0]], rows[1:]
    else:
        names = [f"_c{i}" for i in range(len(rows[0]))] if rows else []
    if not rows:
        raise DatasetError("the dataset has no rows")
    width = len(names)
    bad = next((i for i, r in enumerate(rows) if len(r) != width), None)
    if bad is not None:
        line = bad + (2 if header else 1)
        raise DatasetError(f"line {line} has {len(rows[bad])} columns, expected {width}")
    return names, [list(col) for col in zip(*rows, strict=True)]


def _read_jsonl(text: str) -> tuple[list[str], list[list[Any]]]:
    records: list[Any] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            records.append(json.loads(line))
        except ValueError as exc:
            raise DatasetError(f"line {number} is not valid JSON: {exc}") from exc
    if not records:
        raise DatasetError("the dataset has no rows")
    if all(isinstance(r, dict) for r in records):
        names: list[str] = []
        for r in records:
            names.extend(k for k in r if k not in names)
        return names, [[r.get(n) for r in records] for n in names]
    if all(isinstance(r, list) for r in records):
        width = len(records[0])
        if any(len(r) != width for r in records):
            raise DatasetError("JSON lines rows have different lengths")
        return [f"_c{i}" for i in range(width)], [list(c) for c in zip(*records, strict=True)]
    raise DatasetError("JSON lines must be all objects or all arrays")


def _r(x: float) -> float:
    return float(f"{x:.12g}")


def _numeric_feature(name: str, values: np.ndarray, missing: int) -> tuple[dict, dict]:
    integral = bool(values.size) and bool(np.all(values == np.floor(values)))
    inferred = "Integral" if integral else "Fractional"
    present = int(values.size)
    stats: dict[str, Any] = {
        "name": name,
        "inferred_type": inferred,
        "numerical_statistics": {
            "common": {"num_present": present, "num_missing": missing},
            "mean": _r(float(values.mean())) if present else 0.0,
            "sum": _r(float(np.sum(values))),
            "std_dev": _r(float(values.std())) if present else 0.0,
            "min": _r(float(values.min())) if present else 0.0,
            "max": _r(float(values.max())) if present else 0.0,
            "distribution": {"kll": _kll(values)},
        },
    }
    constraint = {
        "name": name,
        "inferred_type": inferred,
        "completeness": _r(present / (present + missing)) if present + missing else 0.0,
        "num_constraints": {"is_non_negative": bool(present == 0 or values.min() >= 0)},
    }
    return stats, constraint


def _kll(values: np.ndarray) -> dict[str, Any]:
    """10 equal-width buckets and, as one sketch level, equally spaced exact quantiles."""
    if not values.size:
        return {"buckets": [], "sketch": {"parameters": dict(KLL_PARAMETERS), "data": [[]]}}
    lo, hi = float(values.min()), float(values.max())
    counts, edges = np.histogram(values, bins=REPORT_BUCKETS, range=(lo, hi if hi > lo else lo + 1))
    buckets = [
        {"lower_bound": _r(float(a)), "upper_bound": _r(float(b)), "count": int(c)}
        for a, b, c in zip(edges[:-1], edges[1:], counts, strict=True)
    ]
    n = min(SKETCH_ITEMS, values.size)
    items = np.quantile(values, (np.arange(n) + 0.5) / n, method="inverted_cdf")
    return {
        "buckets": buckets,
        "sketch": {"parameters": dict(KLL_PARAMETERS), "data": [[_r(float(v)) for v in items]]},
    }


def _string_feature(name: str, column: list[Any]) -> tuple[dict, dict]:
    values, counts, missing = string_column(column)
    present = int(counts.sum())
    order = sorted(
        zip(values.tolist(), counts.tolist(), strict=True), key=lambda vc: (-vc[1], vc[0])
    )
    stats = {
        "name": name,
        "inferred_type": "String",
        "string_statistics": {
            "common": {"num_present": present, "num_missing": missing},
            "distinct_count": len(order),
            "distribution": {
                "categorical": {"buckets": [{"value": v, "count": int(c)} for v, c in order]}
            },
        },
    }
    constraint: dict[str, Any] = {
        "name": name,
        "inferred_type": "String",
        "completeness": _r(present / (present + missing)) if present + missing else 0.0,
    }
    if 0 < len(order) <= DOMAIN_MAX_DISTINCT:
        constraint["string_constraints"] = {"domains": sorted(v for v, _ in order)}
    return stats, constraint


def build_baseline_from_columns(
    names: list[str], columns: list[list[Any]]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """(statistics.json, constraints.json) documents of a dataset given column-wise."""
    stats_features, constraint_features = [], []
    for name, column in zip(names, columns, strict=True):
        parsed = numeric_column(column)
        if parsed.non_numeric == 0 and parsed.values.size:
            stats, constraint = _numeric_feature(name, parsed.values, parsed.missing)
        else:
            stats, constraint = _string_feature(name, column)
        stats_features.append(stats)
        constraint_features.append(constraint)
    item_count = len(columns[0]) if columns else 0
    statistics = {"version": 0, "dataset": {"item_count": item_count}, "features": stats_features}
    constraints = {
        "version": 0,
        "features": constraint_features,
        "monitoring_config": json.loads(json.dumps(DEFAULT_MONITORING_CONFIG)),
    }
    return statistics, constraints
