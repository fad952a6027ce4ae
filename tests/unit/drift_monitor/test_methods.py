"""A baseline's drift method is honoured or the substitution is reported, never silent."""

import numpy as np
import pytest

from drift_monitor.baseline import build_baseline_from_columns
from drift_monitor.baseline_model import load_baseline
from drift_monitor.config import MonitoringConfig
from drift_monitor.evaluate import evaluate
from drift_monitor.methods import comparison_method
from drift_monitor.profile import WindowProfile

RNG = np.random.default_rng(21)
NAMES = ["x", "colour", "size"]
BASE = [
    [f"{v:.6f}" for v in RNG.normal(size=2000)],
    ["red", "blue", "green", "blue"] * 500,
    ["s", "m", "l", "xl"] * 500,
]
CHI = "categorical_drift_method ChiSquared is not supported; LInfinity used"


def make(dist=None, overrides=None, n=1000, shift=0.0, colours=None):
    stats, constraints = build_baseline_from_columns(NAMES, BASE)
    constraints["monitoring_config"]["distribution_constraints"].update(dist or {})
    for name, override in (overrides or {}).items():
        feature = next(f for f in constraints["features"] if f["name"] == name)
        feature["monitoringConfigOverrides"] = override
    baseline = load_baseline(stats, constraints)
    profile = WindowProfile.for_baseline(baseline)
    profile.update_columns(
        [
            [f"{v:.6f}" for v in np.random.default_rng(3).normal(shift, 1.0, n)],
            colours or ["red", "blue", "green", "blue"] * (n // 4),
            ["s", "m", "l", "xl"] * (n // 4),
        ]
    )
    return baseline, profile


def drift_of(ev, name):
    return next(f.drift for f in ev.features if f.name == name)


def test_default_baseline_has_no_warnings():
    assert evaluate(*make()).warnings == []


def test_global_chi_squared_is_reported_for_every_categorical_feature_and_linf_runs():
    shifted = ["red"] * 700 + ["blue"] * 300
    asked = evaluate(*make({"categorical_drift_method": "ChiSquared"}, colours=shifted))
    plain = evaluate(*make(colours=shifted))
    assert asked.warnings == [f"features colour, size: {CHI}"]
    # What ran is exactly L-infinity: same distance, same violation as the default.
    assert drift_of(asked, "colour") == drift_of(plain, "colour") == pytest.approx(0.45)
    assert asked.violations == plain.violations


def test_chi_squared_in_one_features_override_names_that_feature_only():
    ev = evaluate(
        *make(
            overrides={
                "colour": {"distribution_constraints": {"categorical_drift_method": "ChiSquared"}}
            }
        )
    )
    assert ev.warnings == [f"feature colour: {CHI}"]


def test_override_back_to_linfinity_silences_that_feature():
    ev = evaluate(
        *make(
            {"categorical_drift_method": "ChiSquared"},
            overrides={
                "size": {"distribution_constraints": {"categorical_drift_method": "LInfinity"}}
            },
        )
    )
    assert ev.warnings == [f"feature colour: {CHI}"]


@pytest.mark.parametrize("value", ["Hellinger", 7, "Chi Squared"])
def test_unknown_categorical_method_is_reported_not_fatal(value):
    ev = evaluate(*make({"categorical_drift_method": value}))
    assert ev.warnings == [
        f"features colour, size: categorical_drift_method {str(value)!r} is not recognised "
        "(LInfinity or ChiSquared); LInfinity used"
    ]
    assert drift_of(ev, "colour") is not None


@pytest.mark.parametrize(
    ("categorical", "comparison"), [(None, None), ("", ""), ("  ", "  "), ("linfinity", "robust")]
)
def test_null_blank_or_differently_cased_default_is_the_default(categorical, comparison):
    ev = evaluate(*make({"categorical_drift_method": categorical, "comparison_method": comparison}))
    assert ev.warnings == []


def test_unknown_comparison_method_runs_robust_and_says_so():
    small = {"n": 20, "shift": 0.3}
    fuzzy = evaluate(*make({"comparison_method": "Fuzzy"}, **small))
    robust = evaluate(*make({"comparison_method": "Robust"}, **small))
    simple = evaluate(*make({"comparison_method": "Simple"}, **small))
    assert fuzzy.warnings == [
        "feature x: comparison_method 'Fuzzy' is not recognised (Simple or Robust); Robust used"
    ]
    flagged = {("x", "baseline_drift_check")}

    def checks(ev):
        return {(v["feature_name"], v["constraint_check_type"]) for v in ev.violations}

    assert flagged <= checks(simple)
    assert not flagged & checks(robust)
    assert not flagged & checks(fuzzy)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Robust", "Robust"),
        ("linf_robust", "Robust"),
        ("SIMPLE", "Simple"),
        ("linf_simple", "Simple"),
    ],
)
def test_documented_spellings_of_comparison_method(raw, expected):
    assert comparison_method(raw) == expected
    assert evaluate(*make({"comparison_method": raw})).warnings == []


def test_misspelled_comparison_method_in_an_override_wins_over_the_global_one():
    config = MonitoringConfig.from_dict(
        {"distribution_constraints": {"comparison_method": "Robust"}}
    )
    overridden = config.with_overrides({"distribution_constraints": {"comparion_method": "Simple"}})
    assert overridden.comparison_method == "Simple"


def test_psi_replaces_every_method_and_names_what_ran_for_chi_squared():
    ev = evaluate(*make({"categorical_drift_method": "ChiSquared"}), "psi", 0.2)
    assert ev.warnings == [
        "distance psi replaces the baseline's drift methods for every feature",
        "features colour, size: categorical_drift_method ChiSquared is not supported; PSI used",
    ]


def test_many_features_are_named_up_to_a_limit():
    names = [f"c{i}" for i in range(25)]
    stats, constraints = build_baseline_from_columns(names, [["a", "b"] * 10] * 25)
    constraints["monitoring_config"]["distribution_constraints"]["categorical_drift_method"] = (
        "ChiSquared"
    )
    baseline = load_baseline(stats, constraints)
    (warning,) = evaluate(baseline, WindowProfile.for_baseline(baseline)).warnings
    assert warning.startswith("features c0, c1, ") and " c19 and 5 more: " in warning
