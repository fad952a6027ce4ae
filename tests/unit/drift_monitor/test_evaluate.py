import numpy as np
import pytest

from drift_monitor.baseline import build_baseline_from_columns
from drift_monitor.baseline_model import load_baseline
from drift_monitor.evaluate import evaluate
from drift_monitor.profile import WindowProfile

RNG = np.random.default_rng(5)
BASE_X = RNG.normal(size=2000)


def make(columns, config=None, overrides=None, names=("x", "n", "s")):
    base_cols = [
        [f"{v:.6f}" for v in BASE_X],
        [str(i % 5) for i in range(2000)],
        ["a", "b", "c", "d"] * 500,
    ]
    stats, constraints = build_baseline_from_columns(list(names), base_cols)
    if config:
        for key, value in config.items():
            if key == "distribution_constraints":
                constraints["monitoring_config"][key].update(value)
            else:
                constraints["monitoring_config"][key] = value
    if overrides:
        constraints["features"][0]["monitoringConfigOverrides"] = overrides
    baseline = load_baseline(stats, constraints)
    profile = WindowProfile.for_baseline(baseline)
    profile.update_columns(columns)
    return baseline, profile


def window(n=1000, shift=0.0, n_values=None, s_values=None):
    x = [f"{v:.6f}" for v in np.random.default_rng(9).normal(shift, 1.0, n)]
    return [
        x,
        n_values or [str(i % 5) for i in range(n)],
        s_values or ["a", "b", "c", "d"] * (n // 4),
    ]


def checks(ev):
    return {(v["feature_name"], v["constraint_check_type"]) for v in ev.violations}


def test_same_distribution_has_no_violations():
    ev = evaluate(*make(window()))
    assert ev.violations == []
    assert all(f.drift is not None and f.drift < 0.1 for f in ev.features)


def test_shifted_numeric_feature_is_flagged_with_the_model_monitor_distance():
    ev = evaluate(*make(window(shift=1.0)))
    assert checks(ev) == {("x", "baseline_drift_check")}
    (v,) = ev.violations
    assert v["description"].startswith("Baseline drift distance: 0.")
    assert "exceeds threshold: 0.1" in v["description"]


def test_categorical_shift_and_unknown_values():
    ev = evaluate(*make(window(s_values=["a"] * 700 + ["zzz"] * 300)))
    assert checks(ev) == {("s", "baseline_drift_check"), ("s", "categorical_values_check")}


def test_data_type_and_completeness_checks():
    n_values = ["1.5"] * 10 + ["", "x"] + ["1"] * 988  # fractional and text in an Integral column
    ev = evaluate(*make(window(n_values=n_values)))
    assert ("n", "data_type_check") in checks(ev)
    assert ("n", "completeness_check") in checks(ev)


def test_datatype_threshold_is_a_minimum_share_of_conforming_values():
    n_values = ["1.5"] * 10 + ["1"] * 990
    assert ("n", "data_type_check") not in checks(
        evaluate(*make(window(n_values=n_values), {"datatype_check_threshold": 0.95}))
    )


def test_evaluate_constraints_disabled_reports_nothing():
    ev = evaluate(*make(window(shift=2.0), {"evaluate_constraints": "Disabled"}))
    assert ev.violations == []
    assert ev.features[0].drift > 0.5  # still measured for metrics and the report


def test_perform_comparison_disabled_skips_drift_only():
    ev = evaluate(
        *make(
            window(shift=2.0, s_values=["q"] * 1000),
            {"distribution_constraints": {"perform_comparison": "Disabled"}},
        )
    )
    assert checks(ev) == {("s", "categorical_values_check")}


def test_threshold_from_constraints_and_feature_override():
    strict = {
        "distribution_constraints": {"comparison_threshold": 0.01, "comparison_method": "Simple"}
    }
    assert ("x", "baseline_drift_check") in checks(evaluate(*make(window(shift=0.1), strict)))
    relaxed = {"distribution_constraints": {"comparison_threshold": 0.9}}
    assert checks(evaluate(*make(window(shift=1.0), overrides=relaxed))) == set()


def test_robust_ignores_gaps_within_sampling_noise_of_a_small_window():
    small = window(n=20, shift=0.3)
    simple = {"distribution_constraints": {"comparison_method": "Simple"}}
    robust = {"distribution_constraints": {"comparison_method": "Robust"}}
    ev_simple = evaluate(*make(small, simple))
    ev_robust = evaluate(*make(small, robust))
    assert ev_simple.features[0].drift == ev_robust.features[0].drift > 0.1
    assert ("x", "baseline_drift_check") in checks(ev_simple)
    assert ("x", "baseline_drift_check") not in checks(ev_robust)


@pytest.mark.parametrize(("name", "threshold"), [("psi", 0.2), ("js", 0.1), ("ks", 0.1)])
def test_optional_distances_with_their_own_threshold(name, threshold):
    quiet = evaluate(*make(window()), name, threshold)
    loud = evaluate(*make(window(shift=1.0)), name, threshold)
    assert ("x", "baseline_drift_check") not in checks(quiet)
    assert ("x", "baseline_drift_check") in checks(loud)
    assert loud.features[0].threshold == threshold


def test_negative_values_break_a_non_negative_baseline():
    baseline, profile = make(window(n_values=["-1"] + ["1"] * 999))
    assert ("n", "data_type_check") in checks(evaluate(baseline, profile))
