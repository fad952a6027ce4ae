"""Model Monitor ``monitoring_config`` with its documented defaults, and per-feature overrides."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from drift_monitor.baseline_fields import BaselineError, obj

DEFAULT_MONITORING_CONFIG: dict[str, Any] = {
    "evaluate_constraints": "Enabled",
    "emit_metrics": "Enabled",
    "datatype_check_threshold": 1.0,
    "domain_content_threshold": 1.0,
    "distribution_constraints": {
        "perform_comparison": "Enabled",
        "comparison_threshold": 0.1,
        "comparison_method": "Robust",
        "categorical_comparison_threshold": 0.1,
        "categorical_drift_method": "LInfinity",
    },
}


def _method(value: Any, default: str) -> str:
    """A null or blank method means the default; methods.py warns about unknown values."""
    return default if value is None or not str(value).strip() else str(value).strip()


def _block(value: Any, where: str) -> dict[str, Any]:
    """A JSON object of constraints.json (absent means empty), else a clear error."""
    return obj(value, f"constraints.json: {where}")


def _number(block: dict[str, Any], key: str, default: float, where: str) -> float:
    """A non-negative number of constraints.json, else an error naming the key."""
    value = block.get(key, default)
    try:
        number = float(value) if not isinstance(value, bool) else float("nan")
    except (TypeError, ValueError):
        number = float("nan")
    if not number >= 0 or number == float("inf"):
        raise BaselineError(
            f"constraints.json: {where}{key} must be a non-negative number, got {value!r}"
        )
    return number


def _enabled(value: Any) -> bool:
    return str(value).strip().lower() != "disabled"


@dataclass(frozen=True)
class MonitoringConfig:
    """The knobs of ``constraints.json`` that drive the checks."""

    evaluate_constraints: bool = True
    emit_metrics: bool = True
    datatype_check_threshold: float = 1.0
    domain_content_threshold: float = 1.0
    perform_comparison: bool = True
    comparison_threshold: float = 0.1
    comparison_method: str = "Robust"
    categorical_comparison_threshold: float = 0.1
    categorical_drift_method: str = "LInfinity"

    @classmethod
    def from_dict(
        cls, raw: dict[str, Any] | None, where: str = "monitoring_config"
    ) -> MonitoringConfig:
        raw = _block(raw, where)
        dist_where = f"{where}.distribution_constraints"
        dist = _block(raw.get("distribution_constraints"), dist_where)
        dist_where += "."
        threshold = _number(dist, "comparison_threshold", 0.1, dist_where)
        # The documented sample spells it "comparion_method"; accept both spellings.
        method = dist.get("comparison_method", dist.get("comparion_method"))
        return cls(
            evaluate_constraints=_enabled(raw.get("evaluate_constraints", "Enabled")),
            emit_metrics=_enabled(raw.get("emit_metrics", "Enabled")),
            datatype_check_threshold=_number(raw, "datatype_check_threshold", 1.0, f"{where}."),
            domain_content_threshold=_number(raw, "domain_content_threshold", 1.0, f"{where}."),
            perform_comparison=_enabled(dist.get("perform_comparison", "Enabled")),
            comparison_threshold=threshold,
            comparison_method=_method(method, "Robust"),
            categorical_comparison_threshold=_number(
                dist, "categorical_comparison_threshold", threshold, dist_where
            ),
            categorical_drift_method=_method(dist.get("categorical_drift_method"), "LInfinity"),
        )

    def with_overrides(
        self, overrides: dict[str, Any] | None, feature: str = ""
    ) -> MonitoringConfig:
        """Apply a feature's ``monitoringConfigOverrides`` (same keys as the global block)."""
        where = f"features[{feature!r}].monitoringConfigOverrides"
        overrides = _block(overrides, where)
        if not overrides:
            return self
        merged = self.to_dict()
        for key, value in overrides.items():
            if key == "distribution_constraints":
                value = dict(_block(value, f"{where}.distribution_constraints"))
                if "comparion_method" in value:  # else the global spelling would win
                    value.setdefault("comparison_method", value.pop("comparion_method"))
                merged["distribution_constraints"].update(value)
            else:
                merged[key] = value
        return MonitoringConfig.from_dict(merged, where)

    def to_dict(self) -> dict[str, Any]:
        return {
            "evaluate_constraints": "Enabled" if self.evaluate_constraints else "Disabled",
            "emit_metrics": "Enabled" if self.emit_metrics else "Disabled",
            "datatype_check_threshold": self.datatype_check_threshold,
            "domain_content_threshold": self.domain_content_threshold,
            "distribution_constraints": {
                "perform_comparison": "Enabled" if self.perform_comparison else "Disabled",
                "comparison_threshold": self.comparison_threshold,
                "comparison_method": self.comparison_method,
                "categorical_comparison_threshold": self.categorical_comparison_threshold,
                "categorical_drift_method": self.categorical_drift_method,
            },
        }
