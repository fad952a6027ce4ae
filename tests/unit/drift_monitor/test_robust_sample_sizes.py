"""The Robust check's noise bound uses both sample sizes: the baseline's and the window's.

Two-sample KS critical value c(alpha) * sqrt((n + m) / (n m)), n the baseline's
num_present and m the window's present values: a bound from one size alone would be
too tight (or too loose) whenever the two differ, so each size is varied on its own.
"""

import math

import numpy as np
import pytest

from drift_monitor.baseline import build_baseline_from_columns
from drift_monitor.baseline_model import load_baseline
from drift_monitor.distances import ks_critical
from drift_monitor.evaluate import evaluate
from drift_monitor.profile import WindowProfile

ROBUST = {"comparison_method": "Robust"}


def bound(n_baseline: int, n_window: int, num_present: int | None = None) -> float:
    rng = np.random.default_rng(11)
    stats, constraints = build_baseline_from_columns(
        ["x"], [[f"{v:.6f}" for v in rng.normal(size=n_baseline)]]
    )
    constraints["monitoring_config"]["distribution_constraints"].update(ROBUST)
    if num_present is not None:
        stats["features"][0]["numerical_statistics"]["common"]["num_present"] = num_present
    baseline = load_baseline(stats, constraints)
    profile = WindowProfile.for_baseline(baseline)
    profile.update_columns([[f"{v:.6f}" for v in rng.normal(size=n_window)]])
    (feature,) = evaluate(baseline, profile).features
    return feature.noise_bound


@pytest.mark.parametrize(("n", "m"), [(2000, 50), (50, 2000), (300, 300), (10000, 20)])
def test_bound_is_the_two_sample_critical_value(n, m):
    assert bound(n, m) == pytest.approx(ks_critical(n, m))


def test_the_baseline_size_moves_the_bound_with_the_window_fixed():
    assert bound(40, 500) > bound(4000, 500)
    assert bound(40, 500) == pytest.approx(1.358 * math.sqrt(540 / (40 * 500)), rel=1e-3)


def test_the_window_size_moves_the_bound_with_the_baseline_fixed():
    assert bound(1000, 30) > bound(1000, 3000)


def test_a_baseline_without_a_count_falls_back_to_the_window_size():
    assert bound(1000, 200, num_present=0) == pytest.approx(ks_critical(200, 200))
