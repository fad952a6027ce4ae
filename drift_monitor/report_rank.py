"""What the report says about each feature: its status in words, how far it is past its
limit (the ranking), and the one-line change from the baseline. Plain data, no HTML."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from drift_monitor.accumulators import OTHER
from drift_monitor.evaluate import FeatureResult

DRIFT = "drift"
NOISE = "over threshold but within sampling noise"
UNCHECKED = "over threshold, drift check disabled"
VIOLATION = "violation"  # another check failed (completeness, type, domain, columns)
OK = "ok"
NOT_COMPARED = "not compared"
NOT_EVALUATED = "not evaluated"

NUMERIC_TYPES = ("Integral", "Fractional")
TYPE_WORDS = {"Integral": "integer", "Fractional": "decimal", "String": "categorical"}


@dataclass
class FeatureView:
    index: int  # position in constraints.json, for stable anchors
    result: FeatureResult
    checks: list[str] = field(default_factory=list)  # failed check types of this feature
    status: str = OK
    score: float = -1.0  # drift / limit; > 1 is past the limit

    @property
    def is_numeric(self) -> bool:
        return self.result.inferred_type in NUMERIC_TYPES

    @property
    def violated(self) -> bool:
        return bool(self.checks)

    @property
    def limit(self) -> float | None:
        """The value the drift had to exceed to be flagged: the threshold, or the noise
        bound when the Robust check's bound is the larger."""
        r = self.result
        if r.threshold is None:
            return None
        return max(r.threshold, r.noise_bound or 0.0)


def _status(view: FeatureView, insufficient: bool) -> str:
    r = view.result
    if insufficient:
        return NOT_EVALUATED
    if "baseline_drift_check" in view.checks:
        return DRIFT
    if view.checks:
        return VIOLATION
    over = r.drift is not None and r.threshold is not None and r.drift > r.threshold
    if over and r.noise_bound is not None and r.drift is not None and r.drift <= r.noise_bound:
        return NOISE
    if over:
        return UNCHECKED
    return OK if r.drift is not None else NOT_COMPARED


def rank_features(
    features: Sequence[FeatureResult], violations: Sequence[dict[str, str]], insufficient: bool
) -> list[FeatureView]:
    """Features with violations first, then by drift / limit, largest first; ties keep
    the baseline's order."""
    checks: dict[str, list[str]] = {}
    for v in violations:
        found = checks.setdefault(v["feature_name"], [])
        if v["constraint_check_type"] not in found:
            found.append(v["constraint_check_type"])
    views = []
    for i, r in enumerate(features):
        view = FeatureView(i, r, checks.get(r.name, []))
        limit = view.limit
        if r.drift is not None and limit is not None and math.isfinite(r.drift):
            view.score = r.drift / limit if limit > 0 else math.inf
        view.status = _status(view, insufficient)
        views.append(view)
    return sorted(views, key=lambda v: (not v.violated, -v.score, v.index))


def window_mean(r: FeatureResult) -> float | None:
    return r.sum / r.present if r.present and math.isfinite(r.sum) else None


@dataclass(frozen=True)
class ShareChange:
    """The category whose share moved most between baseline and window."""

    value: str
    baseline: float
    window: float
    unseen: bool  # absent from the baseline


def largest_share_change(r: FeatureResult) -> ShareChange | None:
    best: ShareChange | None = None
    for label, p, q in zip(r.labels, r.baseline_probs, r.current_probs, strict=True):
        if best is None or abs(q - p) > abs(best.window - best.baseline):
            best = ShareChange(label, p, q, p == 0 and label != OTHER)
    return best


def unseen_values(r: FeatureResult) -> list[str]:
    """Window values the baseline never had (``__other__`` is reported apart)."""
    return [
        label
        for label, p, q in zip(r.labels, r.baseline_probs, r.current_probs, strict=True)
        if p == 0 and q > 0 and label != OTHER
    ]
