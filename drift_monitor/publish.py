"""CloudWatch metrics (Model Monitor's names and dimensions) and the EventBridge event."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from drift_monitor.evaluate import FeatureResult

# PutMetricData accepts up to 1,000 metrics per request (and 1 MB); stay well inside.
METRICS_PER_CALL = 500
EVENT_SOURCE = "driftgate.monitor"
EVENT_DETAIL_TYPE = "Data Drift Violations"


class PublishError(RuntimeError):
    """EventBridge rejected the event."""


@dataclass(frozen=True)
class RunCounts:
    records: int
    malformed: int
    violations: int
    insufficient: bool
    errors: int = 0


def feature_metrics(features: Sequence[FeatureResult]) -> list[dict[str, Any]]:
    """``feature_data_<f>`` (numeric: Sum/Min/Max/SampleCount), ``feature_non_null_<f>``
    (completeness) and ``feature_baseline_drift_<f>`` (the distance, when computed)."""
    data: list[dict[str, Any]] = []
    for f in features:
        if not f.emit_metrics:  # emit_metrics: Disabled, globally or in its overrides
            continue
        finite = all(math.isfinite(v) for v in (f.sum, f.minimum, f.maximum))
        if f.inferred_type in ("Integral", "Fractional") and f.present and finite:
            data.append(
                {
                    "MetricName": f"feature_data_{f.name}",
                    "StatisticValues": {
                        "SampleCount": float(f.present),
                        "Sum": f.sum,
                        "Minimum": f.minimum,
                        "Maximum": f.maximum,
                    },
                }
            )
        data.append({"MetricName": f"feature_non_null_{f.name}", "Value": f.completeness})
        if f.drift is not None:
            data.append({"MetricName": f"feature_baseline_drift_{f.name}", "Value": f.drift})
    return data


def run_metrics(counts: RunCounts) -> list[dict[str, Any]]:
    return [
        {"MetricName": "driftgate_records", "Value": float(counts.records), "Unit": "Count"},
        {
            "MetricName": "driftgate_malformed_records",
            "Value": float(counts.malformed),
            "Unit": "Count",
        },
        {"MetricName": "driftgate_violations", "Value": float(counts.violations), "Unit": "Count"},
        {
            "MetricName": "driftgate_insufficient_data",
            "Value": 1.0 if counts.insufficient else 0.0,
        },
        {"MetricName": "driftgate_run_errors", "Value": float(counts.errors), "Unit": "Count"},
    ]


def put_metrics(
    cloudwatch: Any,
    namespace: str,
    endpoint: str,
    schedule: str,
    timestamp: datetime,
    metrics: list[dict[str, Any]],
) -> int:
    """Publish with the ``Endpoint``/``MonitoringSchedule`` dimensions; returns calls made."""
    dimensions = [
        {"Name": "Endpoint", "Value": endpoint},
        {"Name": "MonitoringSchedule", "Value": schedule},
    ]
    data = [{**m, "Dimensions": dimensions, "Timestamp": timestamp} for m in metrics]
    calls = 0
    for i in range(0, len(data), METRICS_PER_CALL):
        cloudwatch.put_metric_data(Namespace=namespace, MetricData=data[i : i + METRICS_PER_CALL])
        calls += 1
    return calls


def put_violation_event(events: Any, bus: str, detail: dict[str, Any]) -> None:
    response = events.put_events(
        Entries=[
            {
                "Source": EVENT_SOURCE,
                "DetailType": EVENT_DETAIL_TYPE,
                "Detail": json.dumps(detail, sort_keys=True),
                "EventBusName": bus,
            }
        ]
    )
    if response.get("FailedEntryCount"):
        entry = response["Entries"][0]
        raise PublishError(
            f"EventBridge rejected the event: {entry.get('ErrorCode')} {entry.get('ErrorMessage')}"
        )
