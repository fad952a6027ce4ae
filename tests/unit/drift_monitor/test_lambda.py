import json
from datetime import UTC, datetime

import boto3
import numpy as np
import pytest
from botocore.awsrequest import AWSResponse
from botocore.config import Config
from botocore.exceptions import ClientError, ReadTimeoutError
from dm_helpers import csv_record
from moto import mock_aws

from drift_monitor import lambda_handler
from drift_monitor.baseline import build_baseline_from_columns
from drift_monitor.monitor import Publisher
from drift_monitor.scheduled import ConfigError, ScheduledConfig, run_scheduled, scheduled_window
from drift_monitor.storage import RETRY_CONFIG, Storage
from drift_monitor.window import Window, parse_time

BUCKET = "data-bucket"
NAMESPACE = "driftgate/Endpoints/data-metrics"
ENDPOINT, SCHEDULE = "demo-staging", "demo-staging-data-quality"
PREFIX = f"capture/{ENDPOINT}/AllTraffic"
WINDOW_END = "2026-11-23T16:00:00Z"


@pytest.fixture
def aws(monkeypatch):
    for key, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(key, value)
    with mock_aws():
        s3 = boto3.client("s3")
        s3.create_bucket(Bucket=BUCKET)
        rng = np.random.default_rng(2)
        stats, constraints = build_baseline_from_columns(
            ["x", "s"], [[f"{v:.5f}" for v in rng.normal(size=1000)], ["a", "b"] * 500]
        )
        s3.put_object(Bucket=BUCKET, Key="baseline/statistics.json", Body=json.dumps(stats))
        s3.put_object(Bucket=BUCKET, Key="baseline/constraints.json", Body=json.dumps(constraints))
        key_arn = boto3.client("kms").create_key()["KeyMetadata"]["Arn"]
        sqs = boto3.client("sqs")
        queue = sqs.create_queue(QueueName="violations")["QueueUrl"]
        queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        events = boto3.client("events")
        events.put_rule(Name="drift", EventPattern=json.dumps({"source": ["driftgate.monitor"]}))
        events.put_targets(Rule="drift", Targets=[{"Id": "q", "Arn": queue_arn}])
        env = {
            "DRIFTGATE_ENDPOINT_NAME": ENDPOINT,
            "DRIFTGATE_SCHEDULE_NAME": SCHEDULE,
            "DRIFTGATE_CAPTURE_S3_URI": f"s3://{BUCKET}/capture",
            "DRIFTGATE_BASELINE_STATISTICS_S3_URI": f"s3://{BUCKET}/baseline/statistics.json",
            "DRIFTGATE_BASELINE_CONSTRAINTS_S3_URI": f"s3://{BUCKET}/baseline/constraints.json",
            "DRIFTGATE_OUTPUT_S3_URI": f"s3://{BUCKET}/monitoring/{ENDPOINT}",
            "DRIFTGATE_PERIOD_MINUTES": "60",
            "DRIFTGATE_METRICS_NAMESPACE": NAMESPACE,
            "DRIFTGATE_EVENT_BUS_NAME": "default",
            "DRIFTGATE_MIN_RECORDS": "50",
            "DRIFTGATE_KMS_KEY_ARN": key_arn,
        }
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        yield {"s3": s3, "sqs": sqs, "queue": queue, "env": env}


def put_capture(s3, shift, n=200, hour="2026/11/23/15", minute_base="2026-11-23T15"):
    rng = np.random.default_rng(4)
    lines = [
        csv_record(
            [[f"{rng.normal(shift):.5f}", "a" if i % 2 else "b"]],
            when=f"{minute_base}:{i % 60:02d}:10Z",
        )
        for i in range(n)
    ]
    s3.put_object(Bucket=BUCKET, Key=f"{PREFIX}/{hour}/part-1.jsonl", Body="\n".join(lines) + "\n")


def output_keys(s3):
    listed = s3.list_objects_v2(Bucket=BUCKET, Prefix="monitoring/")
    return sorted(o["Key"] for o in listed.get("Contents", []))


def metric_names():
    cw = boto3.client("cloudwatch")
    metrics = cw.list_metrics(Namespace=NAMESPACE)["Metrics"]
    for m in metrics:
        assert {d["Name"]: d["Value"] for d in m["Dimensions"]} == {
            "Endpoint": ENDPOINT,
            "MonitoringSchedule": SCHEDULE,
        }
    return {m["MetricName"] for m in metrics}


def metric_value(name):
    cw = boto3.client("cloudwatch")
    stats = cw.get_metric_statistics(
        Namespace=NAMESPACE,
        MetricName=name,
        Dimensions=[
            {"Name": "Endpoint", "Value": ENDPOINT},
            {"Name": "MonitoringSchedule", "Value": SCHEDULE},
        ],
        StartTime=datetime(2026, 11, 23, tzinfo=UTC),
        EndTime=datetime(2026, 11, 24, tzinfo=UTC),
        Period=3600,
        Statistics=["Sum", "Maximum"],
    )["Datapoints"]
    return sum(d["Sum"] for d in stats)


def test_drifted_window_writes_outputs_metrics_and_event(aws):
    put_capture(aws["s3"], shift=1.5)
    summary = lambda_handler.handler({"window_end": WINDOW_END}, None)
    assert summary["status"] == "completed"
    assert summary["rows_analysed"] == 200
    assert summary["violations"] >= 1
    folder = f"monitoring/{ENDPOINT}/{SCHEDULE}/2026/11/23/16/"
    assert output_keys(aws["s3"]) == [
        folder + name
        for name in (
            "constraint_violations.json",
            "driftgate_route.json",  # the window's claim: analysed here, in the Lambda
            "driftgate_summary.json",
            "report.html",
            "statistics.json",
        )
    ]
    head = aws["s3"].head_object(Bucket=BUCKET, Key=folder + "constraint_violations.json")
    assert head["ServerSideEncryption"] == "aws:kms"
    names = metric_names()
    assert {
        "feature_data_x",
        "feature_non_null_x",
        "feature_baseline_drift_x",
        "feature_non_null_s",
        "feature_baseline_drift_s",
        "driftgate_records",
        "driftgate_malformed_records",
        "driftgate_violations",
        "driftgate_insufficient_data",
        "driftgate_run_errors",
    } <= names
    assert "feature_data_s" not in names  # numeric statistics only for numeric features
    assert metric_value("feature_baseline_drift_x") > 0.3
    assert metric_value("driftgate_records") == 200
    messages = aws["sqs"].receive_message(QueueUrl=aws["queue"], MaxNumberOfMessages=10)["Messages"]
    event = json.loads(messages[0]["Body"])
    assert event["source"] == "driftgate.monitor"
    assert event["detail-type"] == "Data Drift Violations"
    assert event["detail"]["endpoint"] == ENDPOINT
    assert event["detail"]["window_start"] == "2026-11-23T15:00:00Z"
    assert event["detail"]["report_uri"] == f"s3://{BUCKET}/{folder}report.html"
    assert event["detail"]["violations"][0]["constraint_check_type"] == "baseline_drift_check"


def test_quiet_window_sends_no_event(aws):
    put_capture(aws["s3"], shift=0.0)
    summary = lambda_handler.handler({"window_end": WINDOW_END}, None)
    assert summary["violations"] == 0
    assert "Messages" not in aws["sqs"].receive_message(QueueUrl=aws["queue"])
    assert metric_value("driftgate_insufficient_data") == 0


def test_small_window_is_reported_insufficient_with_its_metric(aws):
    put_capture(aws["s3"], shift=3.0, n=10)
    summary = lambda_handler.handler({"window_end": WINDOW_END}, None)
    assert summary["status"] == "insufficient_data"
    assert metric_value("driftgate_insufficient_data") == 1
    assert "feature_baseline_drift_x" not in metric_names()
    assert "Messages" not in aws["sqs"].receive_message(QueueUrl=aws["queue"])


def test_rerun_of_a_window_rewrites_identical_objects(aws):
    put_capture(aws["s3"], shift=1.0)
    lambda_handler.handler({"window_end": WINDOW_END}, None)
    first = {
        k: aws["s3"].get_object(Bucket=BUCKET, Key=k)["Body"].read() for k in output_keys(aws["s3"])
    }
    lambda_handler.handler({"window_end": WINDOW_END}, None)
    second = {
        k: aws["s3"].get_object(Bucket=BUCKET, Key=k)["Body"].read() for k in output_keys(aws["s3"])
    }
    assert first == second


def test_without_window_end_the_previous_period_is_used():
    now = datetime(2026, 11, 23, 16, 7, 30, tzinfo=UTC)
    assert scheduled_window({}, now, 60) == Window(
        parse_time("2026-11-23T15:00:00Z"), parse_time("2026-11-23T16:00:00Z")
    )
    assert scheduled_window(None, now, 15) == Window(
        parse_time("2026-11-23T15:45:00Z"), parse_time("2026-11-23T16:00:00Z")
    )
    with pytest.raises(ConfigError, match="window_end"):
        scheduled_window({"window_end": "yesterday"}, now, 60)


def test_a_late_retry_analyses_the_window_it_was_scheduled_for():
    # Scheduled at 16:02 (rate schedules keep their creation minute), retried at 17:40:
    # the window is still the hour before the scheduled time, not before the retry.
    retry_time = datetime(2026, 11, 23, 17, 40, tzinfo=UTC)
    event = {"scheduled_time": "2026-11-23T16:02:11Z"}
    assert scheduled_window(event, retry_time, 60) == Window(
        parse_time("2026-11-23T15:00:00Z"), parse_time("2026-11-23T16:00:00Z")
    )
    assert scheduled_window(event, retry_time, 15) == Window(
        parse_time("2026-11-23T15:45:00Z"), parse_time("2026-11-23T16:00:00Z")
    )
    # An explicit re-run wins over the scheduled time.
    rerun = {**event, "window_end": "2026-11-20T10:00:00Z"}
    assert scheduled_window(rerun, retry_time, 60).end == parse_time("2026-11-20T10:00:00Z")
    with pytest.raises(ConfigError, match="scheduled_time"):
        scheduled_window({"scheduled_time": "<aws.scheduler.scheduled-time>"}, retry_time, 60)


def test_missing_configuration_is_named(aws, monkeypatch):
    monkeypatch.delenv("DRIFTGATE_CAPTURE_S3_URI")
    with pytest.raises(ConfigError, match="DRIFTGATE_CAPTURE_S3_URI"):
        lambda_handler.handler({}, None)
    monkeypatch.setenv("DRIFTGATE_CAPTURE_S3_URI", "s3://x/capture")
    monkeypatch.setenv("DRIFTGATE_PERIOD_MINUTES", "45")
    with pytest.raises(ConfigError, match=r"must be 15, 60 or 1440 .*got 45"):
        lambda_handler.handler({}, None)


class _Raw:
    def __init__(self, body: bytes) -> None:
        self.body = body

    def stream(self, **_kw):
        yield self.body


def _fail_first(code, status, operation, times=1):
    calls = {"n": 0}

    def hook(request, **_kw):
        calls["n"] += 1
        if calls["n"] <= times:
            body = f"<Error><Code>{code}</Code><Message>{code}</Message></Error>".encode()
            return AWSResponse(request.url, status, {}, _Raw(body))
        return None

    return hook, calls


def _scheduled(aws, s3):
    config = ScheduledConfig.from_env(aws["env"])
    window = scheduled_window({"window_end": WINDOW_END}, datetime.now(UTC), 60)
    publisher = Publisher(boto3.client("cloudwatch"), boto3.client("events"), NAMESPACE)
    return run_scheduled(config, window, Storage(s3), publisher)


def test_s3_throttling_is_retried(aws):
    put_capture(aws["s3"], shift=0.0)
    s3 = boto3.client("s3", config=RETRY_CONFIG)
    hook, calls = _fail_first("SlowDown", 503, "GetObject", times=2)
    s3.meta.events.register_first("before-send.s3.GetObject", hook)
    result = _scheduled(aws, s3)
    assert result.status == "completed"
    assert calls["n"] >= 5  # 2 throttled + statistics, constraints, capture file


def test_access_denied_fails_the_run_and_counts_an_error(aws):
    put_capture(aws["s3"], shift=0.0)
    s3 = boto3.client("s3", config=RETRY_CONFIG)
    hook, _ = _fail_first("AccessDenied", 403, "GetObject", times=100)
    s3.meta.events.register_first("before-send.s3.GetObject", hook)
    with pytest.raises(ClientError, match="AccessDenied"):
        _scheduled(aws, s3)
    assert metric_value("driftgate_run_errors") == 1
    assert output_keys(aws["s3"]) == []


def test_substituted_method_is_logged_as_a_warning(aws, caplog):
    constraints = json.loads(
        aws["s3"].get_object(Bucket=BUCKET, Key="baseline/constraints.json")["Body"].read()
    )
    constraints["monitoring_config"]["distribution_constraints"]["categorical_drift_method"] = (
        "ChiSquared"
    )
    aws["s3"].put_object(
        Bucket=BUCKET, Key="baseline/constraints.json", Body=json.dumps(constraints)
    )
    put_capture(aws["s3"], shift=0.0)
    with caplog.at_level("WARNING"):
        summary = lambda_handler.handler({"window_end": WINDOW_END}, None)
    warning = "feature s: categorical_drift_method ChiSquared is not supported; LInfinity used"
    assert summary["warnings"] == [warning]
    logged = [r for r in caplog.records if r.levelname == "WARNING"]
    assert [r.getMessage() for r in logged] == [f"driftgate warning: {warning}"]


def _time_out_first(operation, times):
    calls = {"n": 0}

    def hook(request, **_kw):
        calls["n"] += 1
        if calls["n"] <= times:
            raise ReadTimeoutError(endpoint_url=request.url)
        return None

    return hook, calls


def test_s3_read_timeout_is_retried(aws):
    put_capture(aws["s3"], shift=3.0)
    s3 = boto3.client("s3", config=RETRY_CONFIG)
    hook, calls = _time_out_first("GetObject", times=1)
    s3.meta.events.register_first("before-send.s3.GetObject", hook)

    result = _scheduled(aws, s3)

    assert (result.status, len(result.violations)) == ("completed", 1)
    assert calls["n"] == 5  # 1 timed out + the claim, statistics, constraints, capture file


def test_s3_timing_out_every_attempt_fails_the_run_and_counts_an_error(aws):
    put_capture(aws["s3"], shift=0.0)
    s3 = boto3.client("s3", config=Config(retries={"mode": "standard", "max_attempts": 2}))
    hook, calls = _time_out_first("GetObject", times=100)
    s3.meta.events.register_first("before-send.s3.GetObject", hook)

    with pytest.raises(ReadTimeoutError):
        _scheduled(aws, s3)

    # botocore's max_attempts counts retries: one try and two retries, then the run
    # gives up instead of hanging on a dead connection.
    assert calls["n"] == 3
    assert metric_value("driftgate_run_errors") == 1
    assert output_keys(aws["s3"]) == []


def test_cloudwatch_throttling_is_retried(aws):
    put_capture(aws["s3"], shift=0.0)
    cloudwatch = boto3.client("cloudwatch", config=RETRY_CONFIG)
    calls = {"n": 0}

    def throttle_once(request, **_kw):
        calls["n"] += 1
        if calls["n"] == 1:
            # CloudWatch's query-compatible error header names the throttling code.
            headers = {"x-amzn-query-error": "Throttling;Sender", "smithy-protocol": "rpc-v2-cbor"}
            return AWSResponse(request.url, 400, headers, _Raw(b""))
        return None

    cloudwatch.meta.events.register_first("before-send.cloudwatch.PutMetricData", throttle_once)
    config = ScheduledConfig.from_env(aws["env"])
    window = scheduled_window({"window_end": WINDOW_END}, datetime.now(UTC), 60)
    publisher = Publisher(cloudwatch, boto3.client("events"), NAMESPACE)

    result = run_scheduled(config, window, Storage(boto3.client("s3")), publisher)

    # Without a retry the Throttling error would end the run; the second attempt went
    # through. (moto's own hook also saw the rejected attempt, so values count twice.)
    assert (result.status, calls["n"]) == ("completed", 2)
    assert {"driftgate_records", "feature_baseline_drift_x"} <= metric_names()


LATEST = f"monitoring/{ENDPOINT}/{SCHEDULE}/latest/"


def test_scheduled_run_copies_report_and_summary_to_latest_naming_the_model(aws, monkeypatch):
    monkeypatch.setenv("DRIFTGATE_MODEL_PACKAGE_VERSION", "12")
    monkeypatch.setenv("DRIFTGATE_MODEL_PACKAGE_ARN", "arn:aws:sagemaker:us-east-1:1:mp/g/12")
    put_capture(aws["s3"], shift=1.5)
    summary = lambda_handler.handler({"scheduled_time": "2026-11-23T16:10:00Z"}, None)
    folder = f"monitoring/{ENDPOINT}/{SCHEDULE}/2026/11/23/16/"
    keys = output_keys(aws["s3"])
    assert [k for k in keys if k.startswith(LATEST)] == [
        LATEST + "driftgate_summary.json",
        LATEST + "report.html",
    ]
    for name in ("report.html", "driftgate_summary.json"):
        latest = aws["s3"].get_object(Bucket=BUCKET, Key=LATEST + name)
        dated = aws["s3"].get_object(Bucket=BUCKET, Key=folder + name)
        assert latest["Body"].read() == dated["Body"].read()
        assert latest["ServerSideEncryption"] == "aws:kms"
    assert summary["report_uri"] == f"s3://{BUCKET}/{folder}report.html"
    html = aws["s3"].get_object(Bucket=BUCKET, Key=LATEST + "report.html")["Body"].read()
    assert b"version 12 \xe2\x80\x94 arn:aws:sagemaker:us-east-1:1:mp/g/12" in html
    assert f"{SCHEDULE} (hourly)".encode() in html


def test_rerun_of_a_past_window_leaves_latest_alone(aws):
    put_capture(aws["s3"], shift=0.0)
    lambda_handler.handler({"window_end": WINDOW_END}, None)
    assert not [k for k in output_keys(aws["s3"]) if k.startswith(LATEST)]


def _throttle(hooks, service, operation, code, times):
    """Throttle the first `times` attempts of every client the entry point builds (503:
    botocore retries it whatever the protocol's error format)."""
    hook, calls = _fail_first(code, 503, operation, times=times)
    event = f"before-send.{service}.{operation}"
    boto3.DEFAULT_SESSION.events.register_first(event, hook)
    hooks.append((event, hook))
    return calls


def test_the_lambda_entry_retries_throttling_on_every_service(aws):
    """Through lambda_handler.handler, with the clients it builds itself (RETRY_CONFIG)."""
    put_capture(aws["s3"], shift=3.0)
    hooks = []
    try:
        s3_calls = _throttle(hooks, "s3", "GetObject", "SlowDown", times=3)
        cw_calls = _throttle(hooks, "cloudwatch", "PutMetricData", "Throttling", times=2)
        ev_calls = _throttle(hooks, "eventbridge", "PutEvents", "ThrottlingException", times=2)
        summary = lambda_handler.handler({"window_end": WINDOW_END}, None)
    finally:
        for event, hook in hooks:
            boto3.DEFAULT_SESSION.events.unregister(event, hook)
    assert summary["status"] == "completed" and summary["violations"]
    assert s3_calls["n"] >= 3 + 3  # throttled, then statistics, constraints, capture
    assert cw_calls["n"] > 2 and ev_calls["n"] > 2
    # The throttled requests all succeeded on a retry: outputs and metrics exist.
    assert "driftgate_records" in metric_names()
    assert output_keys(aws["s3"])


def test_run_metric_values_count_what_the_run_saw(aws):
    put_capture(aws["s3"], shift=3.0)
    bad = ["not json"] * 5 + [csv_record([["1.0"]], when="2026-11-23T15:10:00Z")] * 3
    aws["s3"].put_object(
        Bucket=BUCKET, Key=f"{PREFIX}/2026/11/23/15/part-2.jsonl", Body="\n".join(bad) + "\n"
    )
    summary = lambda_handler.handler({"window_end": WINDOW_END}, None)
    assert summary["status"] == "completed"
    assert metric_value("driftgate_records") == 200
    assert metric_value("driftgate_malformed_records") == 8
    assert metric_value("driftgate_violations") == summary["violations"] >= 1
    assert metric_value("driftgate_insufficient_data") == 0
    assert metric_value("driftgate_run_errors") == 0
