from datetime import UTC, datetime

import pytest
from botocore.exceptions import ClientError

from drift_monitor.evaluate import FeatureResult
from drift_monitor.publish import (
    METRICS_PER_CALL,
    PublishError,
    feature_metrics,
    metric_value,
    put_metrics,
    put_violation_event,
)

ACCEPTED = {"FailedEntryCount": 0, "Entries": [{"EventId": "1"}]}


class Recorder:
    def __init__(self, response=None, responses=None):
        self.calls = []
        self.responses = list(responses or [response or ACCEPTED])

    def put_metric_data(self, **kw):
        self.calls.append(kw)

    def put_events(self, **kw):
        self.calls.append(kw)
        return self.responses.pop(0) if len(self.responses) > 1 else self.responses[0]


def failed_entry(code):
    return {"FailedEntryCount": 1, "Entries": [{"ErrorCode": code, "ErrorMessage": "m"}]}


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


@pytest.mark.parametrize("code", ["ThrottlingException", "InternalFailure"])
def test_an_entry_failed_for_a_passing_reason_is_sent_again(code):
    events, pauses = Recorder(responses=[failed_entry(code), ACCEPTED]), []
    put_violation_event(events, "default", {"endpoint": "ep"}, pause=pauses.append)
    assert len(events.calls) == 2 and pauses == [0.5]
    assert events.calls[0] == events.calls[1]


def test_an_entry_that_keeps_failing_is_an_error_after_three_attempts():
    events, pauses = Recorder(failed_entry("ThrottlingException")), []
    with pytest.raises(PublishError, match="ThrottlingException"):
        put_violation_event(events, "default", {"endpoint": "ep"}, pause=pauses.append)
    assert len(events.calls) == 3 and pauses == [0.5, 1.0]


def test_values_cloudwatch_refuses_never_reach_it():
    """MetricDatum: values must lie within -2^360..2^360 and be finite; one that does not
    fails the whole PutMetricData request."""
    assert metric_value(2.0**360) == 2.0**360 and metric_value(-(2.0**360)) == -(2.0**360)
    assert metric_value(2.0**361) is None and metric_value(float("nan")) is None
    assert metric_value(1e-200) == 0.0 and metric_value(-1e-200) == 0.0
    assert metric_value(2.0**-360) == 2.0**-360 and metric_value(0.5) == 0.5
    huge = FeatureResult("x", "Fractional", 4, 0, 1.0, drift=0.3, sum=1e120, minimum=0.0,
                         maximum=1e120)  # fmt: skip
    tiny = FeatureResult("y", "Fractional", 4, 0, 1.0, drift=0.0, sum=4e-200, minimum=1e-200,
                         maximum=1e-200)  # fmt: skip
    metrics = {m["MetricName"]: m for m in feature_metrics([huge, tiny])}
    assert "feature_data_x" not in metrics
    assert {"feature_non_null_x", "feature_baseline_drift_x"} <= set(metrics)
    assert metrics["feature_data_y"]["StatisticValues"] == {
        "SampleCount": 4.0,
        "Sum": 0.0,
        "Minimum": 0.0,
        "Maximum": 0.0,
    }


class Refusing(Recorder):
    """PutMetricData answering with CloudWatch's errors, once each, in order."""

    def __init__(self, *messages):
        super().__init__()
        self.messages = list(messages)

    def put_metric_data(self, **kw):
        self.calls.append(kw)
        if self.messages:
            message = self.messages.pop(0)
            error = {"Error": {"Code": "InvalidParameterValue", "Message": message}}
            raise ClientError(error, "PutMetricData")


OLD = "The parameter MetricData.member.1.Timestamp must specify a time within the past two weeks."


def test_a_window_older_than_cloudwatch_takes_publishes_nothing_and_does_not_fail():
    cw = Refusing(OLD)
    metrics = [{"MetricName": f"m{i}", "Value": 1.0} for i in range(METRICS_PER_CALL + 1)]
    assert put_metrics(cw, "ns", "ep", "s", datetime(2025, 1, 1, tzinfo=UTC), metrics) == 0
    assert len(cw.calls) == 1  # the other batch has the same time stamp


def test_any_other_refused_value_is_an_error():
    cw = Refusing("The value 1e400 for parameter MetricData.member.1.Value is invalid.")
    with pytest.raises(ClientError, match="Value is invalid"):
        put_metrics(cw, "ns", "ep", "s", datetime(2026, 11, 23, tzinfo=UTC), [{"MetricName": "m"}])


def test_a_failed_re_run_of_an_old_window_still_counts_its_run_error_now():
    from drift_monitor.monitor import Publisher, publish_run_error
    from drift_monitor.window import Window

    cw = Refusing(OLD)
    old = Window(datetime(2025, 1, 1, tzinfo=UTC), datetime(2025, 1, 1, 1, tzinfo=UTC))
    publish_run_error(Publisher(cw, Recorder()), "ep", "s", old)
    first, second = (c["MetricData"][0] for c in cw.calls)
    assert first["Timestamp"] == old.end
    assert second["MetricName"] == "driftgate_run_errors" and second["Value"] == 1.0
    assert (datetime.now(UTC) - second["Timestamp"]).total_seconds() < 60
