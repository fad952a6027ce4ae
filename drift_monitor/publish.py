"""CloudWatch metrics (Model Monitor's names and dimensions) and the EventBridge event."""

from __future__ import annotations

import json
import logging
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from drift_monitor.evaluate import FeatureResult

# PutMetricData accepts up to 1,000 metrics per request (and 1 MB); stay well inside.
METRICS_PER_CALL = 500
# MetricDatum (CloudWatch API reference): "CloudWatch rejects values that are either too
# small or too large. Values must be in the range of -2^360 to 2^360", and no NaN or
# infinity; older references also refuse non-zero values under 2^-360. One such value
# would fail the whole request.
LARGEST_METRIC_VALUE = 2.0**360
SMALLEST_METRIC_VALUE = 2.0**-360
# PutEvents entry errors worth sending the entry again (PutEventsResultEntry.ErrorCode).
RETRYABLE_EVENT_ERRORS = frozenset({"ThrottlingException", "InternalFailure"})
EVENT_ATTEMPTS = 3
LOGGER = logging.getLogger(__name__)
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


def metric_value(value: float) -> float | None:
    """``value`` as CloudWatch takes it: None when it cannot (not finite, past 2^360), 0.0
    for a magnitude under 2^-360 (a difference no graph or alarm can show)."""
    if not math.isfinite(value) or abs(value) > LARGEST_METRIC_VALUE:
        return None
    return 0.0 if abs(value) < SMALLEST_METRIC_VALUE else value


def feature_metrics(features: Sequence[FeatureResult]) -> list[dict[str, Any]]:
    """``feature_data_<f>`` (numeric: Sum/Min/Max/SampleCount), ``feature_non_null_<f>``
    (completeness) and ``feature_baseline_drift_<f>`` (the distance, when computed).
    A feature whose sum or range CloudWatch cannot hold gets no ``feature_data_<f>``
    (its statistics.json still has them)."""
    data: list[dict[str, Any]] = []
    for f in features:
        if not f.emit_metrics:  # emit_metrics: Disabled, globally or in its overrides
            continue
        total, low, high = (metric_value(v) for v in (f.sum, f.minimum, f.maximum))
        numeric = f.inferred_type in ("Integral", "Fractional") and f.present
        if numeric and total is not None and low is not None and high is not None:
            data.append(
                {
                    "MetricName": f"feature_data_{f.name}",
                    "StatisticValues": {
                        "SampleCount": float(f.present),
                        "Sum": total,
                        "Minimum": low,
                        "Maximum": high,
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


def refused_time_stamp(error: Exception) -> bool:
    """CloudWatch's answer to a time stamp outside what PutMetricData takes (the API
    reference: up to two weeks back, two hours ahead): InvalidParameterValue, "The
    parameter MetricData.member.1.Timestamp must specify a time within the past two
    weeks" (the message as users of the API have reported it)."""
    # Read as botocore's ClientError carries it, without importing botocore: a
    # network-isolated Processing shard runs this package with no AWS SDK.
    response = getattr(error, "response", None)
    if not isinstance(response, dict):
        return False
    details = response.get("Error", {})
    return details.get("Code") == "InvalidParameterValue" and ".Timestamp" in str(
        details.get("Message", "")
    )


def put_metrics(
    cloudwatch: Any,
    namespace: str,
    endpoint: str,
    schedule: str,
    timestamp: datetime,
    metrics: list[dict[str, Any]],
) -> int:
    """Publish with the ``Endpoint``/``MonitoringSchedule`` dimensions; returns calls made.
    A time stamp CloudWatch refuses (a re-run of a window over two weeks old) publishes
    nothing and returns 0: the run's files still hold every figure."""
    dimensions = [
        {"Name": "Endpoint", "Value": endpoint},
        {"Name": "MonitoringSchedule", "Value": schedule},
    ]
    data = [{**m, "Dimensions": dimensions, "Timestamp": timestamp} for m in metrics]
    calls = 0
    for i in range(0, len(data), METRICS_PER_CALL):
        try:
            cloudwatch.put_metric_data(
                Namespace=namespace, MetricData=data[i : i + METRICS_PER_CALL]
            )
        except Exception as error:
            if not refused_time_stamp(error):
                raise
            LOGGER.warning(
                "metrics at %s not published: %s (the window's files are written)",
                timestamp.isoformat(),
                error,
            )
            return 0  # the same time stamp is on every batch
        calls += 1
    return calls


def put_violation_event(
    events: Any, bus: str, detail: dict[str, Any], pause: Callable[[float], None] = time.sleep
) -> None:
    """One event. An entry EventBridge failed with a retryable code is sent again here:
    botocore retries a failed request, not a failed entry of an answered one, and a run
    that fails is retried whole, publishing its metrics a second time."""
    entry = {
        "Source": EVENT_SOURCE,
        "DetailType": EVENT_DETAIL_TYPE,
        "Detail": json.dumps(detail, sort_keys=True),
        "EventBusName": bus,
    }
    for attempt in range(1, EVENT_ATTEMPTS + 1):
        response = events.put_events(Entries=[entry])
        if not response.get("FailedEntryCount"):
            return
        failed = response["Entries"][0]
        if failed.get("ErrorCode") not in RETRYABLE_EVENT_ERRORS or attempt == EVENT_ATTEMPTS:
            raise PublishError(
                f"EventBridge rejected the event: {failed.get('ErrorCode')} "
                f"{failed.get('ErrorMessage')}"
            )
        pause(0.5 * attempt)
