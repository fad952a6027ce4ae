"""Evaluate a window profile against the baseline: Model Monitor's violations, and the
per-feature figures (distance, completeness, distributions) for metrics and report."""

from __future__ import annotations

import functools
import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from drift_monitor.accumulators import OTHER, CategoricalAccumulator, NumericAccumulator
from drift_monitor.baseline_model import Baseline, BaselineFeature
from drift_monitor.distances import (
    baseline_cdf,
    distance,
    ks_critical,
    linf_cdf_rows,
)
from drift_monitor.methods import comparison_method, method_warnings
from drift_monitor.profile import WindowProfile
from drift_monitor.statistics import numeric_parts, window_statistics

DECILES = 10  # bins of the PSI and JS options


@dataclass
class FeatureResult:
    name: str
    inferred_type: str
    present: int
    missing: int
    completeness: float
    drift: float | None = None
    threshold: float | None = None
    sum: float = 0.0
    minimum: float = 0.0
    maximum: float = 0.0
    # Aligned distributions for the report: labels, baseline and current probabilities.
    labels: list[str] = field(default_factory=list)
    baseline_probs: list[float] = field(default_factory=list)
    current_probs: list[float] = field(default_factory=list)
    # For the report only (not metrics): the Robust check's sampling-noise bound (the
    # two-sample KS critical value) when it applied, the numeric bin edges (baseline
    # quantiles) and what the baseline says about the feature.
    noise_bound: float | None = None
    edges: list[float] = field(default_factory=list)
    baseline_completeness: float | None = None
    baseline_mean: float | None = None
    baseline_min: float | None = None
    baseline_max: float | None = None
    # monitoring_config.emit_metrics with the feature's overrides applied.
    emit_metrics: bool = True


@dataclass
class Evaluation:
    statistics: dict[str, Any]
    violations: list[dict[str, str]]
    features: list[FeatureResult]
    # Where the method run differs from the one the baseline asks for (methods.py).
    warnings: list[str] = field(default_factory=list)


def _completeness(present: int, missing: int) -> float:
    total = present + missing
    return present / total if total else 0.0


def _violation(feature: str, check: str, description: str) -> dict[str, str]:
    return {"feature_name": feature, "constraint_check_type": check, "description": description}


def _pct(x: float) -> str:
    return f"{100 * x:.4g}%"


def evaluate(
    baseline: Baseline,
    profile: WindowProfile,
    distance_name: str = "model-monitor",
    threshold: float | None = None,
) -> Evaluation:
    """Statistics, violations and per-feature results of a window against the baseline.

    ``threshold`` overrides the constraints' comparison thresholds (useful for the
    ``psi``/``js`` options, whose scale differs from Model Monitor's distance).
    """
    violations: list[dict[str, str]] = []
    results: list[FeatureResult] = []
    names = baseline.names
    if profile.min_short_columns is not None:
        missing_name = names[min(profile.min_short_columns, len(names) - 1)]
        violations.append(
            _violation(
                missing_name,
                "missing_column_check",
                f"{profile.malformed.get('too_few_columns', 0)} rows have fewer columns "
                f"({profile.min_short_columns}) than the baseline ({len(names)}).",
            )
        )
    if profile.max_long_columns is not None:
        violations.append(
            _violation(
                f"_c{len(names)}",
                "extra_column_check",
                f"{profile.malformed.get('too_many_columns', 0)} rows have more columns "
                f"({profile.max_long_columns}) than the baseline ({len(names)}).",
            )
        )
    numeric = [
        (f, acc)
        for f, acc in zip(baseline.features, profile.features, strict=True)
        if isinstance(acc, NumericAccumulator)
    ]
    parts = numeric_parts([acc for _, acc in numeric])
    bins = [
        _baseline_bins(f.edges, f.bin_probs) if _has_bins(f, acc) else None for f, acc in numeric
    ]
    distances = iter(_cdf_distances(numeric, bins, distance_name))
    window = iter(zip(parts, bins, strict=True))
    for f, acc in zip(baseline.features, profile.features, strict=True):
        config = baseline.config.with_overrides(f.overrides)
        if isinstance(acc, NumericAccumulator):
            part, kept = next(window)
            result, found = _check_numeric(
                f, acc, config, distance_name, threshold, part.probs, distances, kept
            )
        else:
            result, found = _check_categorical(f, acc, config, distance_name, threshold)
        result.emit_metrics = config.emit_metrics
        results.append(result)
        if config.evaluate_constraints:
            violations.extend(found)
    if not baseline.config.evaluate_constraints:
        violations = []
    return Evaluation(
        window_statistics(baseline, profile, parts),
        violations,
        results,
        method_warnings(baseline, distance_name),
    )


def _completeness_violation(f: BaselineFeature, present: int, missing: int) -> list[dict[str, str]]:
    observed = _completeness(present, missing)
    if f.completeness is None or present + missing == 0 or observed >= f.completeness:
        return []
    return [
        _violation(
            f.name,
            "completeness_check",
            f"Data completeness requirement is not met. Expected completeness: "
            f"{_pct(f.completeness)}. Observed: only {_pct(observed)} of data is complete.",
        )
    ]


def _has_bins(f: BaselineFeature, acc: NumericAccumulator) -> bool:
    return f.has_distribution and bool(acc.present)


def _cdf_distances(
    numeric: list[tuple[BaselineFeature, NumericAccumulator]],
    bins: list[_BaselineBins | None],
    distance_name: str,
) -> list[float]:
    """The CDF distance of every numeric feature that has one (``bins``: its baseline
    bins, None without), in feature order, all computed at once (the same floats as one
    by one)."""
    if distance_name not in ("model-monitor", "ks"):
        return []
    pairs = [(b.cdf, acc.hist) for (_, acc), b in zip(numeric, bins, strict=True) if b]
    return linf_cdf_rows([cdf for cdf, _ in pairs], [hist for _, hist in pairs])


def _check_numeric(
    f: BaselineFeature,
    acc: NumericAccumulator,
    config: Any,
    distance_name: str,
    threshold: float | None,
    current_probs: list[float],
    distances: Iterator[float],
    bins: _BaselineBins | None,
) -> tuple[FeatureResult, list[dict[str, str]]]:
    """``current_probs`` (the histogram over the present count), ``distances`` (the next
    one is this feature's CDF distance, when it has one) and ``bins`` (its baseline
    bins, None when it has none): computed by :func:`evaluate` for all features at once."""
    found: list[dict[str, str]] = []
    non_null = acc.present + acc.non_numeric
    result = FeatureResult(
        name=f.name,
        inferred_type=f.inferred_type,
        present=acc.present,
        missing=acc.missing,
        completeness=_completeness(non_null, acc.missing),
        sum=acc.total.value,
        minimum=acc.minimum if acc.present else 0.0,
        maximum=acc.maximum if acc.present else 0.0,
        baseline_completeness=f.completeness,
        baseline_mean=f.mean,
        baseline_min=f.minimum,
        baseline_max=f.maximum,
    )
    found += _completeness_violation(f, non_null, acc.missing)
    if non_null:
        conforming = acc.integral if f.inferred_type == "Integral" else acc.present
        ratio = conforming / non_null
        if ratio < config.datatype_check_threshold:
            found.append(
                _violation(
                    f.name,
                    "data_type_check",
                    f"Data type match requirement is not met. Expected data type: "
                    f"{f.inferred_type}, expected match: {_pct(config.datatype_check_threshold)}. "
                    f"Observed: only {_pct(ratio)} of data is {f.inferred_type}.",
                )
            )
    if f.is_non_negative and acc.present and acc.minimum < 0:
        found.append(
            _violation(
                f.name,
                "data_type_check",
                f"Baseline is non-negative but the window minimum is {acc.minimum:.6g}.",
            )
        )
    if bins is not None:  # _has_bins(f, acc)
        if distance_name in ("model-monitor", "ks"):
            dist = next(distances)  # what distance() gives, the baseline's CDF kept
        else:
            p, q = f.bin_probs, acc.hist
            # On the 10 baseline deciles, the usual PSI binning: 100 bins make both
            # measures noisy on windows of a few thousand rows.
            starts = np.linspace(0, p.size, min(DECILES, p.size), endpoint=False).astype(int)
            p, q = np.add.reduceat(p, starts), np.add.reduceat(q, starts)
            dist = distance(distance_name, p, q, ordered=True)
        limit = config.comparison_threshold if threshold is None else threshold
        result.drift, result.threshold = dist, limit
        result.labels = list(bins.labels)
        result.edges = list(bins.edges)
        result.baseline_probs = list(bins.probs)
        result.current_probs = current_probs
        flagged = dist > limit
        robust = comparison_method(config.comparison_method) == "Robust"
        if robust and distance_name in ("model-monitor", "ks"):
            # Robust: a CDF gap smaller than the two-sample KS critical value (alpha 0.05)
            # is sampling noise, not drift; small windows are not flagged on noise.
            result.noise_bound = ks_critical(f.num_present or acc.present, acc.present)
            flagged = flagged and dist > result.noise_bound
        if config.perform_comparison and flagged:
            found.append(_drift_violation(f.name, dist, limit))
    return result, found


def _drift_violation(name: str, dist: float, limit: float) -> dict[str, str]:
    return _violation(
        name,
        "baseline_drift_check",
        f"Baseline drift distance: {dist:.6g} exceeds threshold: {limit:.6g}",
    )


@dataclass(frozen=True)
class _BaselineBins:
    """What a numeric feature's baseline bins give every run: the report's bin labels,
    edges and probabilities, and the baseline CDF at the edges (read-only)."""

    labels: tuple[str, ...]
    edges: tuple[float, ...]
    probs: tuple[float, ...]
    cdf: np.ndarray


def _baseline_bins(edges: np.ndarray, probs: np.ndarray) -> _BaselineBins:
    # The bins are the baseline's, the same every run: derived once per process, keyed
    # by the arrays' contents (a changed baseline is a new key, never a stale value).
    return _bins_of(
        np.asarray(edges, dtype=np.float64).tobytes(), np.asarray(probs, dtype=np.float64).tobytes()
    )


@functools.lru_cache(maxsize=256)
def _bins_of(edges_raw: bytes, probs_raw: bytes) -> _BaselineBins:
    edges = np.frombuffer(edges_raw, dtype=np.float64)
    probs = np.frombuffer(probs_raw, dtype=np.float64)
    cdf = baseline_cdf(probs)
    cdf.flags.writeable = False  # shared by every run of this baseline
    return _BaselineBins(
        _labels_of(edges.tolist()), tuple(edges.tolist()), tuple(probs.tolist()), cdf
    )


def _labels_of(edges: list[float]) -> tuple[str, ...]:
    if not edges:
        return ("all",)
    shown = [f"{e:.4g}" for e in edges]
    labels = ["<= " + shown[0]]
    labels += [f"({a}, {b}]" for a, b in itertools.pairwise(shown)]
    labels.append("> " + shown[-1])
    return tuple(labels)


def _check_categorical(
    f: BaselineFeature,
    acc: CategoricalAccumulator,
    config: Any,
    distance_name: str,
    threshold: float | None,
) -> tuple[FeatureResult, list[dict[str, str]]]:
    found: list[dict[str, str]] = []
    result = FeatureResult(
        name=f.name,
        inferred_type=f.inferred_type,
        present=acc.present,
        missing=acc.missing,
        completeness=_completeness(acc.present, acc.missing),
        baseline_completeness=f.completeness,
    )
    found += _completeness_violation(f, acc.present, acc.missing)
    if f.domains is not None and acc.present:
        domain = set(f.domains)
        inside = sum(c for v, c in acc.counts.items() if v in domain and v != OTHER)
        ratio = inside / acc.present
        if ratio < config.domain_content_threshold:
            found.append(
                _violation(
                    f.name,
                    "categorical_values_check",
                    f"Only {_pct(ratio)} of values are in the baseline domain; expected at "
                    f"least {_pct(config.domain_content_threshold)}.",
                )
            )
    if f.has_distribution and acc.present:
        labels = sorted(set(f.category_probs) | set(acc.counts))
        p = np.array([f.category_probs.get(v, 0.0) for v in labels])
        q = np.array([acc.counts.get(v, 0) for v in labels], dtype=np.float64)
        dist = distance(distance_name, p, q, ordered=False)
        limit = config.categorical_comparison_threshold if threshold is None else threshold
        result.drift, result.threshold = dist, limit
        result.labels = labels
        result.baseline_probs = (p / max(p.sum(), 1e-300)).tolist()  # Python floats
        result.current_probs = (q / acc.present).tolist()
        if config.perform_comparison and dist > limit:
            found.append(_drift_violation(f.name, dist, limit))
    return result, found
