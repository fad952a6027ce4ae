"""Read a baseline (``statistics.json`` + ``constraints.json``) written by driftgate or by
Model Monitor, and derive what a run needs: feature order, types, the baseline
distribution of each feature and the fixed histogram edges a window is counted on."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from drift_monitor import baseline_fields as fields
from drift_monitor.config import BaselineError, MonitoringConfig

NUMERIC_TYPES = ("Integral", "Fractional")
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


def weighted_items_from_stats(
    numerical: dict[str, Any], where: str = "numerical_statistics"
) -> tuple[np.ndarray, np.ndarray]:
    """Values and weights describing a numeric baseline distribution.

    KLL sketch levels hold items of weight 2**level (Apache DataSketches layout, which
    Model Monitor writes); without a sketch the 10 ``buckets`` are used, each bucket's
    count placed at its midpoint. ``where`` names ``numerical`` in an error.
    """
    kll_where = f"{where}.distribution.kll"
    distribution = fields.obj(numerical.get("distribution"), f"{where}.distribution")
    kll = fields.obj(distribution.get("kll"), kll_where)
    sketch = fields.obj(kll.get("sketch"), f"{kll_where}.sketch")
    parts = []
    for level, listed in enumerate(fields.items(sketch.get("data"), f"{kll_where}.sketch.data")):
        level_items = fields.items(listed, f"{kll_where}.sketch.data[{level}]")
        if not level_items:
            continue
        try:
            values = np.fromiter(map(float, level_items), dtype=np.float64, count=len(level_items))
        except (TypeError, ValueError):
            raise fields.BaselineError(
                f"{kll_where}.sketch.data[{level}] must hold numbers only"
            ) from None
        parts.append((values, float(2**level)))
    if parts:
        return (
            np.concatenate([v for v, _ in parts]),
            np.concatenate([np.full(v.size, w) for v, w in parts]),
        )
    values_out: list[float] = []
    weights: list[float] = []
    for i, raw in enumerate(fields.items(kll.get("buckets"), f"{kll_where}.buckets")):
        bucket_where = f"{kll_where}.buckets[{i}]"
        bucket = fields.obj(raw, bucket_where)
        count = fields.number(bucket.get("count"), f"{bucket_where}.count") or 0.0
        if count > 0:
            low = fields.number(bucket.get("lower_bound"), f"{bucket_where}.lower_bound")
            high = fields.number(bucket.get("upper_bound"), f"{bucket_where}.upper_bound")
            if low is None or high is None:
                raise fields.BaselineError(f"{bucket_where} needs lower_bound and upper_bound")
            values_out.append((low + high) / 2)
            weights.append(count)
    return np.asarray(values_out, dtype=float), np.asarray(weights, dtype=float)


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


def _feature_stats(statistics: dict[str, Any]) -> dict[str, dict[str, Any]]:
    by_name = {}
    for i, raw in enumerate(fields.items(statistics["features"], "statistics.json features")):
        feature = fields.obj(raw, f"statistics.json features[{i}]")
        if isinstance(feature.get("name"), str):  # no other can match a constraint
            by_name[feature["name"]] = feature
    return by_name


def load_baseline(statistics: dict[str, Any], constraints: dict[str, Any]) -> Baseline:
    """Combine the two baseline documents; constraints.json decides the feature order."""
    if not isinstance(constraints.get("features"), list) or not constraints["features"]:
        raise BaselineError("constraints.json has no 'features' list")
    if not isinstance(statistics.get("features"), list):
        raise BaselineError("statistics.json has no 'features' list")
    stats_by_name = _feature_stats(statistics)
    features: list[BaselineFeature] = []
    for i, listed in enumerate(constraints["features"]):
        raw = fields.obj(listed, f"constraints.json features[{i}]")
        name = raw.get("name")
        if not isinstance(name, str):
            raise BaselineError("a constraints.json feature has no 'name'")
        features.append(_feature(name, raw, stats_by_name.get(name, {})))
    dataset = fields.obj(statistics.get("dataset"), "statistics.json dataset")
    item_count = fields.count(dataset.get("item_count"), "statistics.json dataset.item_count")
    config = MonitoringConfig.from_dict(constraints.get("monitoring_config"))
    for feature in features:  # a bad override fails at load, naming its feature
        config.with_overrides(feature.overrides, feature.name)
    return Baseline(features=features, config=config, item_count=item_count)


def _feature(name: str, raw: dict[str, Any], stats: dict[str, Any]) -> BaselineFeature:
    """One feature from its constraints.json entry and its statistics.json entry."""
    where = f"constraints.json feature {name!r}"
    numbers = fields.obj(raw.get("num_constraints"), f"{where} num_constraints")
    texts = fields.obj(raw.get("string_constraints"), f"{where} string_constraints")
    inferred = str(raw.get("inferred_type") or stats.get("inferred_type") or "Unknown")
    feature = BaselineFeature(
        name=name,
        inferred_type=inferred,
        completeness=fields.number(raw.get("completeness"), f"{where} completeness"),
        is_non_negative=numbers.get("is_non_negative"),
        domains=fields.strings(texts.get("domains"), f"{where} string_constraints.domains"),
        overrides=fields.obj(
            raw.get("monitoringConfigOverrides"), f"{where} monitoringConfigOverrides"
        ),
    )
    where = f"statistics.json feature {name!r}"
    if feature.is_numeric and "numerical_statistics" in stats:
        at = f"{where} numerical_statistics"
        numerical = fields.obj(stats["numerical_statistics"], at)
        common = fields.obj(numerical.get("common"), f"{at}.common")
        feature.num_present = fields.count(common.get("num_present"), f"{at}.common.num_present")
        feature.mean = fields.number(numerical.get("mean"), f"{at}.mean")
        feature.minimum = fields.number(numerical.get("min"), f"{at}.min")
        feature.maximum = fields.number(numerical.get("max"), f"{at}.max")
        values, weights = weighted_items_from_stats(numerical, at)
        feature.edges, feature.bin_probs = edges_and_probs(values, weights)
    elif "string_statistics" in stats:
        at = f"{where} string_statistics"
        string_stats = fields.obj(stats["string_statistics"], at)
        common = fields.obj(string_stats.get("common"), f"{at}.common")
        feature.num_present = fields.count(common.get("num_present"), f"{at}.common.num_present")
        distribution = fields.obj(string_stats.get("distribution"), f"{at}.distribution")
        categorical = fields.obj(distribution.get("categorical"), f"{at}.distribution.categorical")
        pairs: list[tuple[str, float]] = []
        for k, listed in enumerate(
            fields.items(categorical.get("buckets"), f"{at}.distribution.categorical.buckets")
        ):
            bucket_where = f"{at}.distribution.categorical.buckets[{k}]"
            bucket = fields.obj(listed, bucket_where)
            if "value" not in bucket:
                raise BaselineError(f"{bucket_where} has no 'value'")
            count = fields.number(bucket.get("count"), f"{bucket_where}.count") or 0.0
            pairs.append((str(bucket["value"]), count))
        total = sum(c for _, c in pairs)
        if total > 0:  # a value listed twice keeps its last count (of the whole total)
            feature.category_probs = {value: c / total for value, c in pairs}
    return feature
