"""Which drift method a baseline asks for, which one runs, and the warnings that say so.

``constraints.json`` names the categorical method (``categorical_drift_method``:
``LInfinity`` or ``ChiSquared``) and the numeric comparison (``comparison_method``:
``Simple`` or ``Robust``; the same docs table also spells them ``linf_simple`` /
``linf_robust``). driftgate computes L-infinity only. Model Monitor's docs do not define
ChiSquared's drift value (statistic, p-value or a normalised form) nor which side of
``categorical_comparison_threshold`` is drift, so it is not guessed at: a feature that
asks for it runs L-infinity, and a warning says so. Unknown values are treated the same.
"""

from __future__ import annotations

from drift_monitor.baseline_model import Baseline

DEFAULT_COMPARISON = "Robust"  # Model Monitor's default comparison_method
COMPARISON_METHODS = {
    "robust": "Robust",
    "linf_robust": "Robust",
    "simple": "Simple",
    "linf_simple": "Simple",
}
CATEGORICAL_METHODS = {"linfinity": "LInfinity", "chisquared": "ChiSquared"}
# What the categorical distance is called under each --distance option.
USED_FOR_CATEGORICAL = {
    "model-monitor": "LInfinity",
    "ks": "LInfinity",
    "psi": "PSI",
    "js": "Jensen-Shannon",
}
MAX_NAMED_FEATURES = 20


def comparison_method(raw: str) -> str:
    """``Simple`` or ``Robust``; an unrecognised value runs as Model Monitor's default."""
    return COMPARISON_METHODS.get(raw.strip().lower(), DEFAULT_COMPARISON)


def _categorical_note(raw: str, used: str) -> str | None:
    asked = CATEGORICAL_METHODS.get(raw.strip().lower())
    if asked == "LInfinity":
        return None  # under psi/js the run-wide warning covers it
    if asked is not None:
        return f"categorical_drift_method {asked} is not supported; {used} used"
    return (
        f"categorical_drift_method {raw!r} is not recognised (LInfinity or ChiSquared); {used} used"
    )


def _comparison_note(raw: str) -> str | None:
    if raw.strip().lower() in COMPARISON_METHODS:
        return None
    return f"comparison_method {raw!r} is not recognised (Simple or Robust); Robust used"


def _features(names: list[str]) -> str:
    if len(names) == 1:
        return f"feature {names[0]}"
    shown = ", ".join(names[:MAX_NAMED_FEATURES])
    more = len(names) - MAX_NAMED_FEATURES
    return f"features {shown}" + (f" and {more} more" if more > 0 else "")


def method_warnings(baseline: Baseline, distance_name: str) -> list[str]:
    """One line per substitution, grouping the features that share it, in feature order."""
    used = USED_FOR_CATEGORICAL.get(distance_name, distance_name)
    replaced = distance_name in ("psi", "js")
    groups: dict[str, list[str]] = {}
    for f in baseline.features:
        config = baseline.config.with_overrides(f.overrides)
        if f.is_numeric:
            # Under psi/js no comparison method applies; the run-wide line says so.
            note = None if replaced else _comparison_note(config.comparison_method)
        else:
            note = _categorical_note(config.categorical_drift_method, used)
        if note:
            groups.setdefault(note, []).append(f.name)
    warnings = (
        [f"distance {distance_name} replaces the baseline's drift methods for every feature"]
        if replaced
        else []
    )
    warnings += [f"{_features(names)}: {note}" for note, names in groups.items()]
    return warnings
