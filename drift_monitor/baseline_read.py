"""Read every field a run takes from the baseline documents (``statistics.json`` +
``constraints.json``), typed, into plain Python values; a field of the wrong JSON type
is a :class:`BaselineError` naming the file, the feature and the field.

Plain Python only (no numpy): the DriftBaseline custom resource runs this same reader at
deploy time, so a baseline the monitor would refuse fails the stack with the monitor's
own message instead of failing every scheduled run. ``baseline_model`` turns the result
into a run's :class:`~drift_monitor.baseline_model.Baseline`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from drift_monitor import baseline_fields as fields
from drift_monitor.baseline_fields import BaselineError
from drift_monitor.config import MonitoringConfig

NUMERIC_TYPES = ("Integral", "Fractional")


@dataclass
class FeatureFields:
    """One feature's fields as both documents give them."""

    name: str
    inferred_type: str
    completeness: float | None = None
    is_non_negative: bool | None = None
    domains: list[str] | None = None
    overrides: dict[str, Any] = field(default_factory=dict)
    num_present: int = 0
    mean: float | None = None
    minimum: float | None = None
    maximum: float | None = None
    # Numeric: the baseline sample (KLL items or bucket midpoints) and their weights.
    sample: list[float] = field(default_factory=list)
    weights: list[float] = field(default_factory=list)
    # Categorical: each listed value with its count, in the order listed.
    category_counts: list[tuple[str, float]] = field(default_factory=list)

    @property
    def is_numeric(self) -> bool:
        return self.inferred_type in NUMERIC_TYPES


@dataclass
class BaselineFields:
    features: list[FeatureFields]
    config: MonitoringConfig
    item_count: int


def read_baseline(statistics: dict[str, Any], constraints: dict[str, Any]) -> BaselineFields:
    """Both documents read; constraints.json decides the feature order."""
    if not isinstance(constraints.get("features"), list) or not constraints["features"]:
        raise BaselineError("constraints.json has no 'features' list")
    if not isinstance(statistics.get("features"), list):
        raise BaselineError("statistics.json has no 'features' list")
    stats_by_name = _feature_stats(statistics)
    features: list[FeatureFields] = []
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
    return BaselineFields(features=features, config=config, item_count=item_count)


def numeric_sample(
    numerical: dict[str, Any], where: str = "numerical_statistics"
) -> tuple[list[float], list[float]]:
    """Values and weights describing a numeric baseline distribution.

    KLL sketch levels hold items of weight 2**level (Apache DataSketches layout, which
    Model Monitor writes); without a sketch the 10 ``buckets`` are used, each bucket's
    count placed at its midpoint. ``where`` names ``numerical`` in an error.
    """
    kll_where = f"{where}.distribution.kll"
    distribution = fields.obj(numerical.get("distribution"), f"{where}.distribution")
    kll = fields.obj(distribution.get("kll"), kll_where)
    sketch = fields.obj(kll.get("sketch"), f"{kll_where}.sketch")
    values: list[float] = []
    weights: list[float] = []
    for level, listed in enumerate(fields.items(sketch.get("data"), f"{kll_where}.sketch.data")):
        level_items = fields.items(listed, f"{kll_where}.sketch.data[{level}]")
        try:
            values += map(float, level_items)
        except (TypeError, ValueError, OverflowError):  # OverflowError: a huge integer
            message = f"{kll_where}.sketch.data[{level}] must hold numbers only"
            raise BaselineError(message) from None
        weights += [float(2**level)] * len(level_items)
    if values:
        return values, weights
    for i, raw in enumerate(fields.items(kll.get("buckets"), f"{kll_where}.buckets")):
        bucket_where = f"{kll_where}.buckets[{i}]"
        bucket = fields.obj(raw, bucket_where)
        count = fields.number(bucket.get("count"), f"{bucket_where}.count") or 0.0
        if count > 0:
            low = fields.number(bucket.get("lower_bound"), f"{bucket_where}.lower_bound")
            high = fields.number(bucket.get("upper_bound"), f"{bucket_where}.upper_bound")
            if low is None or high is None:
                raise BaselineError(f"{bucket_where} needs lower_bound and upper_bound")
            values.append((low + high) / 2)
            weights.append(count)
    return values, weights


def _feature_stats(statistics: dict[str, Any]) -> dict[str, dict[str, Any]]:
    by_name = {}
    for i, raw in enumerate(fields.items(statistics["features"], "statistics.json features")):
        feature = fields.obj(raw, f"statistics.json features[{i}]")
        if isinstance(feature.get("name"), str):  # no other can match a constraint
            by_name[feature["name"]] = feature
    return by_name


def _feature(name: str, raw: dict[str, Any], stats: dict[str, Any]) -> FeatureFields:
    """One feature from its constraints.json entry and its statistics.json entry."""
    where = f"constraints.json feature {name!r}"
    numbers = fields.obj(raw.get("num_constraints"), f"{where} num_constraints")
    texts = fields.obj(raw.get("string_constraints"), f"{where} string_constraints")
    inferred = str(raw.get("inferred_type") or stats.get("inferred_type") or "Unknown")
    feature = FeatureFields(
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
        feature.sample, feature.weights = numeric_sample(numerical, at)
    elif "string_statistics" in stats:
        at = f"{where} string_statistics"
        string_stats = fields.obj(stats["string_statistics"], at)
        common = fields.obj(string_stats.get("common"), f"{at}.common")
        feature.num_present = fields.count(common.get("num_present"), f"{at}.common.num_present")
        distribution = fields.obj(string_stats.get("distribution"), f"{at}.distribution")
        categorical = fields.obj(distribution.get("categorical"), f"{at}.distribution.categorical")
        for k, listed in enumerate(
            fields.items(categorical.get("buckets"), f"{at}.distribution.categorical.buckets")
        ):
            bucket_where = f"{at}.distribution.categorical.buckets[{k}]"
            bucket = fields.obj(listed, bucket_where)
            if "value" not in bucket:
                raise BaselineError(f"{bucket_where} has no 'value'")
            count = fields.number(bucket.get("count"), f"{bucket_where}.count") or 0.0
            feature.category_counts.append((str(bucket["value"]), count))
    return feature
