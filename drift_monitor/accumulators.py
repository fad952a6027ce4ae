"""Mergeable, bounded-memory per-feature state of a window.

Every field is either an integer count, an exact min/max, a histogram of integer counts
on edges fixed by the baseline, or an :class:`ExactSum`. Merging is therefore
associative and commutative, and shards merge into exactly the whole-window state.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from drift_monitor.columns import (
    NumericColumn,
    numeric_array,
    numeric_column,
    string_array,
    string_column,
)
from drift_monitor.edge_counts import bin_counts
from drift_monitor.exact_sum import ExactSum

# Distinct categorical values kept per feature before the non-baseline ones are folded.
CATEGORY_CAP = 1000
OTHER = "__other__"


@dataclass
class NumericAccumulator:
    edges: np.ndarray
    present: int = 0
    missing: int = 0
    non_numeric: int = 0
    integral: int = 0
    total: ExactSum = field(default_factory=ExactSum)
    total_sq: ExactSum = field(default_factory=ExactSum)
    minimum: float = float("inf")
    maximum: float = float("-inf")
    hist: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))

    def __post_init__(self) -> None:
        if self.hist.size != self.edges.size + 1:
            self.hist = np.zeros(self.edges.size + 1, dtype=np.int64)

    def update(self, column: list[object]) -> None:
        self.add(numeric_column(column))

    def update_array(self, column: np.ndarray) -> None:
        self.add(numeric_array(column))

    def add(self, parsed: NumericColumn) -> None:
        values = parsed.values
        self.missing += parsed.missing
        self.non_numeric += parsed.non_numeric
        if values.size == 0:
            return
        add_finite_columns([self], values[:, None])

    def _add_finite(self, values: np.ndarray, integral: int, total: float, square: float) -> None:
        """Finite values (at least one), with their whole-number count, sum and sum of
        squares."""
        self.present += int(values.size)
        self.integral += integral
        self.total.add(total)
        self.total_sq.add(square)
        low, high = float(values.min()), float(values.max())
        self.minimum = min(self.minimum, low)
        self.maximum = max(self.maximum, high)
        self.hist += bin_counts(self.edges, values, low, high, integral == values.size)

    def merge(self, other: NumericAccumulator) -> None:
        self.present += other.present
        self.missing += other.missing
        self.non_numeric += other.non_numeric
        self.integral += other.integral
        self.total.merge(other.total)
        self.total_sq.merge(other.total_sq)
        self.minimum = min(self.minimum, other.minimum)
        self.maximum = max(self.maximum, other.maximum)
        self.hist += other.hist

    @property
    def mean(self) -> float:
        return self.total.value / self.present if self.present else 0.0

    @property
    def std_dev(self) -> float:
        if not self.present:
            return 0.0
        # mean * mean, not mean ** 2: past ~1.3e154 a float power raises OverflowError.
        var = self.total_sq.value / self.present - self.mean * self.mean
        if math.isnan(var):  # both terms past the float range: the spread is unknown
            return math.inf  # (statistics.json writes it as the largest float)
        return float(np.sqrt(max(var, 0.0)))

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": "numeric",
            "edges": self.edges.tolist(),
            "present": self.present,
            "missing": self.missing,
            "non_numeric": self.non_numeric,
            "integral": self.integral,
            "total": self.total.canonical(),
            "total_sq": self.total_sq.canonical(),
            "minimum": self.minimum if self.present else None,
            "maximum": self.maximum if self.present else None,
            "hist": self.hist.tolist(),
        }

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> NumericAccumulator:
        return cls(
            edges=np.asarray(raw["edges"], dtype=np.float64),
            present=int(raw["present"]),
            missing=int(raw["missing"]),
            non_numeric=int(raw["non_numeric"]),
            integral=int(raw["integral"]),
            total=ExactSum(raw["total"]),
            total_sq=ExactSum(raw["total_sq"]),
            minimum=float("inf") if raw["minimum"] is None else float(raw["minimum"]),
            maximum=float("-inf") if raw["maximum"] is None else float(raw["maximum"]),
            hist=np.asarray(raw["hist"], dtype=np.int64),
        )


def add_finite_columns(accs: list[NumericAccumulator], values: np.ndarray) -> None:
    """Add a matrix of finite values, column ``k`` to ``accs[k]``, in a handful of numpy
    calls for all columns (column-major input keeps each column contiguous). Column sums
    reduce each column on its own, so they equal a single column's: one code path."""
    if not values.shape[0]:
        return
    integral = np.count_nonzero(np.rint(values) == values, axis=0).tolist()
    # Not np.dot: BLAS threads make it orders of magnitude slower on a busy host.
    with np.errstate(over="ignore", invalid="ignore"):  # overflow is tracked by ExactSum
        totals = values.sum(axis=0).tolist()
        squares = (values * values).sum(axis=0).tolist()
    totals = [t if math.isfinite(t) else sum_past_range(values[:, k]) for k, t in enumerate(totals)]
    for k, acc in enumerate(accs):
        acc._add_finite(values[:, k], integral[k], totals[k], squares[k])


def sum_past_range(values: np.ndarray) -> float:
    """The float sum of finite values whose running sum left the float range on the way
    (large values of both signs: inf - inf would make it NaN): summed at a power-of-two
    scale that keeps every partial sum in range, then scaled back, so it is infinite
    only when the sum itself is. Scaling by a power of two is exact (but for values so
    small they become subnormal, far below what such a sum can show)."""
    scale = 2.0 ** -(int(values.size).bit_length() + 1)
    with np.errstate(over="ignore"):
        return float(np.float64((values * scale).sum()) / scale)


def add_numeric_columns(accs: list[NumericAccumulator], columns: list[np.ndarray]) -> None:
    """Add columns of parsed floats (NaN and infinities missing), ``columns[k]`` to
    ``accs[k]``, each while it is in cache: its sums, squares and whole-number count as
    :func:`add_finite_columns` computes them per column (the same floats: each column
    reduces on its own there too), then min, max and histogram; about a fifth faster
    than gathering the columns into one matrix first. A column with a missing value goes
    through :meth:`NumericAccumulator.update_array`."""
    with np.errstate(over="ignore", invalid="ignore"):  # overflow is tracked by ExactSum
        for acc, column in zip(accs, columns, strict=True):
            if not column.size:
                continue
            total = float(column.sum())
            # A NaN or an infinity makes the sum non-finite: a finite sum needs no scan.
            if not math.isfinite(total):
                if not np.isfinite(column).all():
                    acc.update_array(column)
                    continue
                total = sum_past_range(column)
            integral = int(np.count_nonzero(np.rint(column) == column))
            square = float((column * column).sum())
            acc._add_finite(column, integral, total, square)


@dataclass
class CategoricalAccumulator:
    """Exact counts per value up to :data:`CATEGORY_CAP` distinct values.

    Past the cap, values outside the baseline domain fold into one ``__other__`` count.
    The fold depends only on the union of values seen, so merge stays exact.
    """

    known: frozenset[str] = frozenset()
    present: int = 0
    missing: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    overflowed: bool = False

    def update(self, column: list[object]) -> None:
        self.add_counts(*string_column(column))

    def update_array(self, column: np.ndarray) -> None:
        self.add_counts(*string_array(column))

    def add_counts(self, values: np.ndarray, counts: np.ndarray, missing: int) -> None:
        """Add a batch already counted: distinct present values, their counts, missing."""
        self.missing += missing
        self.present += int(counts.sum())
        for value, count in zip(values.tolist(), counts.tolist(), strict=True):
            self._add(value, count)
        self._fold_if_needed()

    def _add(self, value: str, count: int) -> None:
        if self.overflowed and value not in self.known:
            value = OTHER
        self.counts[value] = self.counts.get(value, 0) + count

    def _fold_if_needed(self) -> None:
        if self.overflowed or len(self.counts) <= CATEGORY_CAP:
            return
        self.overflowed = True
        folded: dict[str, int] = {}
        for value, count in self.counts.items():
            key = value if value in self.known else OTHER
            folded[key] = folded.get(key, 0) + count
        self.counts = folded

    def merge(self, other: CategoricalAccumulator) -> None:
        self.present += other.present
        self.missing += other.missing
        if other.overflowed and not self.overflowed:
            self.overflowed = True
            self._refold()
        for value, count in other.counts.items():
            self._add(value, count)
        self._fold_if_needed()

    def _refold(self) -> None:
        counts, self.counts = self.counts, {}
        for value, count in counts.items():
            self._add(value, count)

    @property
    def distinct_count(self) -> int:
        # After a fold the exact number is unknown: report "more than the cap".
        return CATEGORY_CAP + 1 if self.overflowed else len(self.counts)

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": "categorical",
            "present": self.present,
            "missing": self.missing,
            "overflowed": self.overflowed,
            "counts": dict(sorted(self.counts.items())),
        }

    @classmethod
    def from_dict(cls, raw: dict[str, Any], known: frozenset[str]) -> CategoricalAccumulator:
        return cls(
            known=known,
            present=int(raw["present"]),
            missing=int(raw["missing"]),
            counts={str(k): int(v) for k, v in raw["counts"].items()},
            overflowed=bool(raw["overflowed"]),
        )
