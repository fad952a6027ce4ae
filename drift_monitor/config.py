"""Model Monitor ``monitoring_config`` with its documented defaults, and per-feature overrides."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

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
    def from_dict(cls, raw: dict[str, Any] | None) -> MonitoringConfig:
        raw = raw or {}
        dist = raw.get("distribution_constraints") or {}
        threshold = float(dist.get("comparison_threshold", 0.1))
        # The documented sample spells it "comparion_method"; accept both spellings.
        method = dist.get("comparison_method", dist.get("comparion_method"))
        return cls(
            evaluate_constraints=_enabled(raw.get("evaluate_constraints", "Enabled")),
            emit_metrics=_enabled(raw.get("emit_metrics", "Enabled")),
            datatype_check_threshold=float(raw.get("datatype_check_threshold", 1.0)),
            domain_content_threshold=float(raw.get("domain_content_threshold", 1.0)),
            perform_comparison=_enabled(dist.get("perform_comparison", "Enabled")),
            comparison_threshold=threshold,
            comparison_method=_method(method, "Robust"),
            categorical_comparison_threshold=float(
                dist.get("categorical_comparison_threshold", threshold)
            ),
            categorical_drift_method=_method(dist.get("categorical_drift_method"), "LInfinity"),
        )

    def with_overrides(self, overrides: dict[str, Any] | None) -> MonitoringConfig:
        """Apply a feature's ``monitoringConfigOverrides`` (same keys as the global block)."""
        if not overrides:
            return self
        merged = self.to_dict()
        for key, value in overrides.items():
            if key == "distribution_constraints" and isinstance(value, dict):
                value = dict(value)
                if "comparion_method" in value:  # else the global spelling would win
                    value.setdefault("comparison_method", value.pop("comparion_method"))
                merged["distribution_constraints"].update(value)
            else:
                merged[key] = value
        return MonitoringConfig.from_dict(merged)

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
