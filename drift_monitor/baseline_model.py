"""Read a baseline (``statistics.json`` + ``constraints.json``) written by driftgate or by
Model Monitor, and derive what a run needs: feature order, types, the baseline
distribution of each feature and the fixed histogram edges a window is counted on."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from drift_monitor.baseline_read import NUMERIC_TYPES, FeatureFields, read_baseline
from drift_monitor.config import BaselineError, MonitoringConfig

__all__ = ["NUMERIC_TYPES", "Baseline", "BaselineError", "BaselineFeature", "load_baseline"]
# Window histograms use the baseline's quantiles as bin edges: fine enough for the CDF
# distance, fixed so that window and shard histograms merge exactly.
HISTOGRAM_BINS = 100


@dataclass
class BaselineFeature:
    name: str
    inferred_type: str
    completeness: float | None = None
    is_non_negative: bool | None = None
    domains: list[str] | None = None
    overrides: dict[str, Any] = field(default_factory=dict)
    num_present: int = 0
    # Numeric: the baseline CDF at the histogram edges (right-closed bins).
    edges: np.ndarray = field(default_factory=lambda: np.empty(0))
    bin_probs: np.ndarray = field(default_factory=lambda: np.empty(0))
    # Categorical: normalised bucket distribution.
    category_probs: dict[str, float] = field(default_factory=dict)
    # Numeric: the baseline's mean, min and max as statistics.json gives them (report).
    mean: float | None = None
    minimum: float | None = None
    maximum: float | None = None

    @property
    def is_numeric(self) -> bool:
        return self.inferred_type in NUMERIC_TYPES

    @property
    def has_distribution(self) -> bool:
        return bool(self.bin_probs.size) if self.is_numeric else bool(self.category_probs)


@dataclass
class Baseline:
    features: list[BaselineFeature]
    config: MonitoringConfig
    item_count: int = 0

    @property
    def names(self) -> list[str]:
        return [f.name for f in self.features]

    def copy(self) -> Baseline:
        """A copy that shares nothing a caller could change in place (what
        ``copy.deepcopy`` gives, in a quarter of its time): the features are new objects,
        their arrays, lists and dicts new ones; what cannot change (strings, numbers,
        the frozen config) is shared."""
        return Baseline(
            features=[_copy_feature(f) for f in self.features],
            config=_copy_value(self.config),
            item_count=_copy_value(self.item_count),
        )


# Values of these exact types cannot be changed in place: a copy may share them.
_IMMUTABLE = frozenset({str, int, float, bool, type(None), MonitoringConfig})
_FLAT = frozenset({str, int, float, bool, type(None)})


def _copy_value(value: Any) -> Any:
    kind = type(value)
    if kind in _IMMUTABLE:
        return value
    if kind is np.ndarray:
        return value.copy()
    # The usual containers of a baseline hold plain values: one shallow copy suffices
    # (domains: strings; category_probs: string to float). Anything else, deeply.
    if kind is list and all(type(v) in _FLAT for v in value):
        return list(value)
    if kind is dict and all(type(v) in _FLAT for v in value.values()):
        return dict(value)  # JSON keys are strings
    return copy.deepcopy(value)


def _copy_feature(feature: BaselineFeature) -> BaselineFeature:
    fresh = object.__new__(BaselineFeature)
    # Every field, present and future, is shared only if immutable, else copied.
    immutable = _IMMUTABLE
    fresh.__dict__.update(
        {k: v if type(v) in immutable else _copy_value(v) for k, v in feature.__dict__.items()}
    )
    return fresh


def edges_and_probs(values: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Quantile edges of a weighted sample and the probability of each right-closed bin.

    Bins are ``(-inf, e0], (e0, e1], ..., (e_last, inf)``.
    """
    finite = np.isfinite(values)
    values, weights = values[finite], weights[finite]
    if values.size == 0 or weights.sum() <= 0:
        return np.empty(0), np.empty(0)
    order = np.argsort(values, kind="stable")
    values, weights = values[order], weights[order]
    cum = np.cumsum(weights) / weights.sum()
    ranks = np.arange(1, HISTOGRAM_BINS) / HISTOGRAM_BINS
    idx = np.minimum(np.searchsorted(cum, ranks, side="left"), values.size - 1)
    edges = np.unique(values[idx])
    cdf_at_edges = cum[np.searchsorted(values, edges, side="right") - 1]
    probs = np.diff(np.concatenate(([0.0], cdf_at_edges, [1.0])))
    return edges, np.clip(probs, 0.0, 1.0)


def load_baseline(statistics: dict[str, Any], constraints: dict[str, Any]) -> Baseline:
    """Combine the two baseline documents (read by :func:`baseline_read.read_baseline`,
    which names any field of the wrong type); constraints.json decides the feature order."""
    read = read_baseline(statistics, constraints)
    return Baseline(
        features=[_feature(f) for f in read.features],
        config=read.config,
        item_count=read.item_count,
    )


def _feature(read: FeatureFields) -> BaselineFeature:
    feature = BaselineFeature(
        name=read.name,
        inferred_type=read.inferred_type,
        completeness=read.completeness,
        is_non_negative=read.is_non_negative,
        domains=read.domains,
        overrides=read.overrides,
        num_present=read.num_present,
        mean=read.mean,
        minimum=read.minimum,
        maximum=read.maximum,
    )
    if read.sample:
        feature.edges, feature.bin_probs = edges_and_probs(
            np.asarray(read.sample, dtype=np.float64), np.asarray(read.weights, dtype=np.float64)
        )
    total = sum(c for _, c in read.category_counts)
    if total > 0:  # a value listed twice keeps its last count (of the whole total)
        feature.category_probs = {value: c / total for value, c in read.category_counts}
    return feature
