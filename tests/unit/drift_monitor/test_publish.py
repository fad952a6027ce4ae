from datetime import UTC, datetime

import pytest

from drift_monitor.evaluate import FeatureResult
from drift_monitor.publish import (
    METRICS_PER_CALL,
    PublishError,
    feature_metrics,
    put_metrics,
    put_violation_event,
)


class Recorder:
    def __init__(self, response=None):
        self.calls = []
        self.response = response or {"FailedEntryCount": 0, "Entries": [{"EventId": "1"}]}

    def put_metric_data(self, **kw):
        self.calls.append(kw)

    def put_events(self, **kw):
        self.calls.append(kw)
        return self.response


def test_metrics_are_batched_within_the_put_metric_data_limit():
    cw = Recorder()
    metrics = [{"MetricName": f"m{i}", "Value": 1.0} for i in range(2 * METRICS_PER_CALL + 1)]
    assert put_metrics(cw, "ns", "ep", "sched", datetime(2026, 11, 23, tzinfo=UTC), metrics) == 3
    assert METRICS_PER_CALL <= 1000  # the documented per-request limit
    assert [len(c["MetricData"]) for c in cw.calls] == [METRICS_PER_CALL, METRICS_PER_CALL, 1]
    datum = cw.calls[0]["MetricData"][0]
    assert datum["Dimensions"] == [
        {"Name": "Endpoint", "Value": "ep"},
        {"Name": "MonitoringSchedule", "Value": "sched"},
    ]


def test_feature_metrics_follow_model_monitor_names():
    numeric = FeatureResult(
        "age", "Integral", 4, 1, 0.8, drift=0.2, sum=10.0, minimum=1.0, maximum=4.0
    )
    text = FeatureResult("colour", "String", 3, 0, 1.0, drift=None)
    metrics = {m["MetricName"]: m for m in feature_metrics([numeric, text])}
    assert set(metrics) == {
        "feature_data_age",
        "feature_non_null_age",
        "feature_baseline_drift_age",
        "feature_non_null_colour",
    }
    assert metrics["feature_data_age"]["StatisticValues"] == {
        "SampleCount": 4.0,
        "Sum": 10.0,
        "Minimum": 1.0,
        "Maximum": 4.0,
    }
    assert metrics["feature_non_null_age"]["Value"] == 0.8


def test_rejected_event_is_an_error():
    events = Recorder(
        {"FailedEntryCount": 1, "Entries": [{"ErrorCode": "AccessDenied", "ErrorMessage": "no"}]}
    )
    with pytest.raises(PublishError, match="AccessDenied"):
        put_violation_event(events, "default", {"endpoint": "ep"})
