"""Every documented monitoring_config switch, set globally and in one feature's overrides.

drift_monitor/README.md ("Checks and thresholds"): evaluate_constraints, emit_metrics,
distribution_constraints.perform_comparison, the four thresholds, comparison_method and
categorical_drift_method; "Per-feature monitoringConfigOverrides take the same keys".
Each case sets a switch one way where it changes the outcome and checks the outcome
moves, globally (every feature) and per feature (that feature only).
"""

from typing import Any

import pytest
from test_evaluate import BASE_X, checks, make, window  # noqa: F401  (shared fixtures)

from drift_monitor.evaluate import evaluate
from drift_monitor.publish import feature_metrics


def drifted() -> list[list[str]]:
    # x shifted, n with fractional and text values, s with unknown values.
    n_values = ["1.5"] * 20 + ["x"] * 20 + [str(i % 5) for i in range(960)]
    return window(shift=1.5, n_values=n_values, s_values=["a"] * 600 + ["zzz"] * 400)


def run(config: dict[str, Any] | None = None, overrides: dict[str, Any] | None = None):
    return evaluate(*make(drifted(), config, overrides))


BASE = checks(run())


def test_the_unconfigured_window_trips_every_check_the_switches_act_on():
    assert {
        ("x", "baseline_drift_check"),
        ("n", "data_type_check"),
        ("s", "baseline_drift_check"),
        ("s", "categorical_values_check"),
    } <= BASE


@pytest.mark.parametrize(
    ("switch", "removed"),
    [
        ({"evaluate_constraints": "Disabled"}, {"x", "n", "s"}),
        (
            {"distribution_constraints": {"perform_comparison": "Disabled"}},
            {"baseline_drift_check"},
        ),
        ({"datatype_check_threshold": 0.5}, {"data_type_check"}),
        ({"domain_content_threshold": 0.5}, {"categorical_values_check"}),
        (
            {"distribution_constraints": {"comparison_threshold": 5.0}},
            {("x", "baseline_drift_check")},
        ),
        (
            {"distribution_constraints": {"categorical_comparison_threshold": 5.0}},
            {("s", "baseline_drift_check")},
        ),
    ],
)
def test_global_switch_removes_exactly_its_checks(switch, removed):
    found = checks(run(config=switch))
    gone = BASE - found
    for item in removed:
        if isinstance(item, tuple):
            assert item in gone, (switch, item)
        elif item in {"x", "n", "s"}:
            assert not [c for c in found if c[0] == item], (switch, item)
        else:
            assert not [c for c in found if c[1] == item], (switch, item)


@pytest.mark.parametrize(
    "override",
    [
        {"evaluate_constraints": "Disabled"},
        {"distribution_constraints": {"perform_comparison": "Disabled"}},
        {"distribution_constraints": {"comparison_threshold": 5.0}},
    ],
)
def test_feature_override_acts_on_that_feature_only(override):
    # make() puts the overrides on the first feature, x.
    found = checks(run(overrides=override))
    assert ("x", "baseline_drift_check") not in found
    assert {c for c in BASE if c[0] != "x"} <= found


def test_feature_override_can_tighten_a_global_setting():
    relaxed = {"distribution_constraints": {"comparison_threshold": 5.0}}
    strict = {"distribution_constraints": {"comparison_threshold": 0.05}}
    assert ("x", "baseline_drift_check") not in checks(run(config=relaxed))
    assert ("x", "baseline_drift_check") in checks(run(config=relaxed, overrides=strict))


def _metric_features(evaluation) -> set[str]:
    names = {m["MetricName"] for m in feature_metrics(evaluation.features)}
    return {f for f in ("x", "n", "s") if f"feature_non_null_{f}" in names}


def test_emit_metrics_disabled_globally_and_per_feature():
    assert _metric_features(run()) == {"x", "n", "s"}
    assert _metric_features(run(config={"emit_metrics": "Disabled"})) == set()
    assert _metric_features(run(overrides={"emit_metrics": "Disabled"})) == {"n", "s"}
    enabled_only_x = run(config={"emit_metrics": "Disabled"}, overrides={"emit_metrics": "Enabled"})
    assert _metric_features(enabled_only_x) == {"x"}


@pytest.mark.parametrize("where", ["config", "overrides"])
def test_comparison_method_simple_flags_a_small_window_robust_does_not(where):
    small = window(n=20, shift=0.3)
    for method, flagged in (("Simple", True), ("Robust", False)):
        switch = {"distribution_constraints": {"comparison_method": method}}
        evaluation = evaluate(*make(small, **{where: switch}))
        assert (("x", "baseline_drift_check") in checks(evaluation)) is flagged, method


def test_unsupported_categorical_method_is_reported():
    switch = {"distribution_constraints": {"categorical_drift_method": "ChiSquared"}}
    evaluation = evaluate(*make(window(), switch))
    assert any("ChiSquared is not supported" in w for w in evaluation.warnings)
