"""monitoring.yml's two backends and how observability.yml follows the chosen one."""

import json
import re
from datetime import UTC, datetime
from typing import Any

import pytest

from drift_monitor.scheduled import ScheduledConfig, scheduled_window
from tests.templates.iam_model import render

SCHEDULES = ("hourly", "daily", "every-15-minutes")
BACKENDS = ("builtin", "model-monitor")
BACKEND_CONDITION = {"builtin": "UseBuiltin", "model-monitor": "UseModelMonitor"}
FEATURES = ["age", "income", "credit-score", "_c3"]

# Intrinsics are evaluated by the one renderer the template tests share.


def observability_params(
    backend: str, schedule: str, features: list[str], api_name: str = "none"
) -> dict[str, Any]:
    return {
        "AWS::Region": "eu-west-1",
        "AWS::Partition": "aws",
        "AWS::AccountId": "123456789012",
        "ProjectName": "demo",
        "StageName": "staging",
        "EndpointName": "demo-staging",
        "VariantName": "AllTraffic",
        "ScheduleName": "demo-staging-data-quality",
        "MonitoringBackend": backend,
        "MonitoringSchedule": schedule,
        "MetricsNamespace": (
            "driftgate/Endpoints/data-metrics"
            if backend == "builtin"
            else "aws/sagemaker/Endpoints/data-metrics"
        ),
        "FeatureNames": features,
        "DriftThreshold": "0.1",
        "LatencyThresholdMicroseconds": "500000",
        "ErrorAlarmName": "demo-staging-endpoint-5xx",
        "LatencyAlarmName": "demo-staging-model-latency",
        "MonitorFunctionName": "demo-staging-monitor",
        "ReportsBucketName": "demo-data",
        "ReportsKeyPrefix": "monitoring/demo-staging",
        "Dashboard": "demo-staging-eu-west-1",  # Ref: the DashboardName
        "InferenceApiName": api_name,
        "conditions": {
            "UseBuiltin": backend == "builtin",
            "UseModelMonitor": backend == "model-monitor",
            "HasInferenceApi": api_name != "none",
        },
    }


def resolve_metrics(metrics: list[list[Any]]) -> list[tuple[list[str], dict[str, Any]]]:
    """Expand the dashboard shorthand: "." repeats the previous metric's value there."""
    resolved: list[tuple[list[str], dict[str, Any]]] = []
    previous: list[str] = []
    for metric in metrics:
        options = metric[-1] if isinstance(metric[-1], dict) else {}
        values = [v for v in metric if not isinstance(v, dict)]
        assert values[0] != "...", "the drift widget does not use the ... shorthand"
        values = [previous[i] if v == "." else v for i, v in enumerate(values)]
        resolved.append((values, options))
        previous = values
    return resolved


def period_seconds(expression: str) -> int:
    """Seconds between runs for the rate() and cron() expressions these templates use."""
    rate = re.fullmatch(r"rate\((\d+) (minute|minutes|hour|hours|day|days)\)", expression)
    if rate:
        unit = {"minute": 60, "hour": 3600, "day": 86400}[rate.group(2).rstrip("s")]
        return int(rate.group(1)) * unit
    cron = {
        "cron(0 * ? * * *)": 3600,
        "cron(0 0 ? * * *)": 86400,
        "cron(10 * * * ? *)": 3600,
        "cron(10 0 * * ? *)": 86400,
        "cron(5/15 * * * ? *)": 900,
    }
    return cron[expression]


def test_builtin_runs_start_after_the_period_they_analyse(templates):
    """A run at the period boundary would miss capture files SageMaker delivers late."""
    settings = templates["monitoring.yml"]["Mappings"]["ScheduleSettings"]
    for name, row in settings.items():
        minute = re.fullmatch(r"cron\((\d+)(/\d+)? .*\)", row["SchedulerExpression"])
        assert minute, f"{name}: {row['SchedulerExpression']} is not a cron expression"
        assert 5 <= int(minute.group(1)) < int(row["PeriodMinutes"]), name


# ------------------------------------------------------------------------------------


def deployed(template: dict[str, Any], backend: str) -> dict[str, dict[str, Any]]:
    """Resources created for a backend: unconditional ones plus that backend's."""
    condition = BACKEND_CONDITION[backend]
    return {
        logical_id: resource
        for logical_id, resource in template["Resources"].items()
        if resource.get("Condition") in (None, condition)
    }


def test_conditions_follow_the_backend_parameter(templates):
    for name in ("monitoring.yml", "observability.yml"):
        conditions = templates[name]["Conditions"]
        assert conditions["UseBuiltin"] == {"Fn::Equals": [{"Ref": "MonitoringBackend"}, "builtin"]}
        assert conditions["UseModelMonitor"] == {
            "Fn::Equals": [{"Ref": "MonitoringBackend"}, "model-monitor"]
        }


def test_only_known_conditions_gate_monitoring_resources(templates):
    used = {r.get("Condition") for r in templates["monitoring.yml"]["Resources"].values()}
    assert used <= {None, "UseBuiltin", "UseModelMonitor", "UseProcessing"}


def test_the_processing_path_exists_only_with_the_builtin_backend(templates):
    conditions = templates["monitoring.yml"]["Conditions"]
    both = conditions["UseProcessing"]["Fn::And"]
    assert {"Condition": "UseBuiltin"} in both
    assert {"Fn::Not": [{"Fn::Equals": [{"Ref": "ProcessingMaxInstances"}, 0]}]} in both


def test_builtin_creates_no_sagemaker_monitoring(templates):
    types = {r["Type"] for r in deployed(templates["monitoring.yml"], "builtin").values()}
    assert not {t for t in types if t.startswith("AWS::SageMaker::")}
    assert {"AWS::Scheduler::Schedule", "AWS::Lambda::Function"} <= types


def test_model_monitor_creates_no_scheduler_or_monitor_lambda(templates):
    resources = deployed(templates["monitoring.yml"], "model-monitor")
    types = {r["Type"] for r in resources.values()}
    assert not {t for t in types if t.startswith("AWS::Scheduler::")}
    functions = [r for r in resources.values() if r["Type"] == "AWS::Lambda::Function"]
    # Only the baseline validation custom resource, which both backends need.
    assert [f["Properties"]["Handler"] for f in functions] == ["handler.handler"]
    assert {
        "AWS::SageMaker::DataQualityJobDefinition",
        "AWS::SageMaker::MonitoringSchedule",
    } <= types


@pytest.mark.parametrize("schedule_id", ["MonitorSchedule", "ModelMonitorSchedule"])
def test_schedules_wait_for_the_validated_baseline(templates, schedule_id):
    resource = templates["monitoring.yml"]["Resources"][schedule_id]
    depends_on = resource["DependsOn"]
    assert "DriftBaseline" in ([depends_on] if isinstance(depends_on, str) else depends_on)


def test_baseline_reaches_both_backends_through_the_custom_resource(templates):
    resources = templates["monitoring.yml"]["Resources"]
    assert resources["DriftBaseline"]["Type"] == "Custom::DriftBaseline"
    baseline = resources["DataQualityJobDefinition"]["Properties"]["DataQualityBaselineConfig"]
    assert baseline["StatisticsResource"]["S3Uri"] == {
        "Fn::GetAtt": ["DriftBaseline", "StatisticsS3Uri"]
    }
    assert baseline["ConstraintsResource"]["S3Uri"] == {
        "Fn::GetAtt": ["DriftBaseline", "ConstraintsS3Uri"]
    }
    env = resources["MonitorFunction"]["Properties"]["Environment"]["Variables"]
    assert env["DRIFTGATE_BASELINE_STATISTICS_S3_URI"] == {
        "Fn::GetAtt": ["DriftBaseline", "StatisticsS3Uri"]
    }
    assert env["DRIFTGATE_BASELINE_CONSTRAINTS_S3_URI"] == {
        "Fn::GetAtt": ["DriftBaseline", "ConstraintsS3Uri"]
    }


def test_model_monitor_schedule_runs_the_job_definition_by_name(templates):
    resources = templates["monitoring.yml"]["Resources"]
    config = resources["ModelMonitorSchedule"]["Properties"]["MonitoringScheduleConfig"]
    assert config["MonitoringType"] == "DataQuality"
    assert config["MonitoringJobDefinitionName"] == {
        "Fn::Select": [1, {"Fn::Split": ["/", {"Ref": "DataQualityJobDefinition"}]}]
    }
    # A generated name: a fixed one would block the replacement every change causes.
    assert "JobDefinitionName" not in resources["DataQualityJobDefinition"]["Properties"]


def test_model_monitor_publishes_cloudwatch_metrics(templates):
    props = templates["monitoring.yml"]["Resources"]["DataQualityJobDefinition"]["Properties"]
    assert props["DataQualityAppSpecification"]["Environment"] == {
        "publish_cloudwatch_metrics": "Enabled"
    }
    assert props["NetworkConfig"]["EnableInterContainerTrafficEncryption"] is True


def test_schedule_values_agree_across_templates(templates):
    for name in ("pipeline.yml", "stage.yml", "monitoring.yml", "observability.yml"):
        assert tuple(templates[name]["Parameters"]["MonitoringSchedule"]["AllowedValues"]) == (
            SCHEDULES
        ), name
    assert tuple(templates["monitoring.yml"]["Mappings"]["ScheduleSettings"]) == SCHEDULES
    assert tuple(templates["observability.yml"]["Mappings"]["ScheduleSettings"]) == SCHEDULES


@pytest.mark.parametrize("schedule", SCHEDULES)
def test_schedule_period_equals_alarm_period(templates, schedule):
    monitoring = templates["monitoring.yml"]["Mappings"]["ScheduleSettings"][schedule]
    alarm_period = templates["observability.yml"]["Mappings"]["ScheduleSettings"][schedule][
        "PeriodSeconds"
    ]
    assert period_seconds(monitoring["SchedulerExpression"]) == alarm_period
    assert int(monitoring["PeriodMinutes"]) * 60 == alarm_period
    if schedule != "every-15-minutes":
        assert period_seconds(monitoring["CronExpression"]) == alarm_period


def test_model_monitor_refuses_fifteen_minutes(templates):
    rule = templates["monitoring.yml"]["Rules"]["ModelMonitorRunsAtMostHourly"]
    assert rule["RuleCondition"] == {"Fn::Equals": [{"Ref": "MonitoringBackend"}, "model-monitor"]}
    assert rule["Assertions"][0]["Assert"] == {
        "Fn::Not": [{"Fn::Equals": [{"Ref": "MonitoringSchedule"}, "every-15-minutes"]}]
    }


def test_every_period_driven_alarm_uses_the_schedule_period(templates):
    lookup = {"Fn::FindInMap": ["ScheduleSettings", {"Ref": "MonitoringSchedule"}, "PeriodSeconds"]}
    resources = templates["observability.yml"]["Resources"]
    for k in range(100):
        assert resources[f"DriftAlarm{k}"]["Properties"]["Period"] == lookup
    assert resources["MonitorErrorsAlarm"]["Properties"]["Period"] == lookup
    for logical_id in ("MonitorHeartbeatAlarm", "ModelMonitorHeartbeatAlarm"):
        for query in resources[logical_id]["Properties"]["Metrics"]:
            if "MetricStat" in query:
                assert query["MetricStat"]["Period"] == lookup


@pytest.mark.parametrize("schedule", SCHEDULES)
def test_builtin_environment_is_accepted_by_the_monitor(templates, schedule):
    """The monitor Lambda's environment, as deployed, loads in drift_monitor's config."""
    template = templates["monitoring.yml"]
    params = {
        "AWS::Region": "eu-west-1",
        "EndpointName": "demo-staging",
        "ScheduleName": "demo-staging-data-quality",
        "DataBucketName": "demo-data",
        "MonitoringSchedule": schedule,
        "MinRecords": "100",
        "KmsKeyArn": "arn:aws:kms:eu-west-1:123456789012:key/abc",
        "ModelPackageArn": "arn:aws:sagemaker:eu-west-1:123456789012:model-package/demo/4",
        "ModelPackageVersion": "4",
        "AWS::URLSuffix": "amazonaws.com",
        "ProcessingMaxInstances": "10",
        "ProcessingInstanceType": "ml.m5.xlarge",
        "TemplatesBucketName": "hosting",
        "TemplatesKeyPrefix": "driftgate/",
        "AWS::StackName": "demo-staging-Monitoring-1A2B3C",
        "AWS::AccountId": "123456789012",
        "AWS::Partition": "aws",
        # The DriftBaseline custom resource's answer.
        "DriftBaseline.StatisticsS3Uri": "s3://artifacts/baseline/statistics.json",
        "DriftBaseline.ConstraintsS3Uri": "s3://artifacts/baseline/constraints.json",
        "conditions": {"UseProcessing": True},
    }
    variables = template["Resources"]["MonitorFunction"]["Properties"]["Environment"]["Variables"]
    env = {name: str(render(value, params, template)) for name, value in variables.items()}
    config = ScheduledConfig.from_env(env)
    expected_minutes = template["Mappings"]["ScheduleSettings"][schedule]["PeriodMinutes"]
    assert config.period_minutes == int(expected_minutes)
    assert config.namespace == "driftgate/Endpoints/data-metrics"
    assert config.output_uri == "s3://demo-data/monitoring/demo-staging"
    assert config.capture_uri == "s3://demo-data/capture"
    assert config.model_package_version == "4"
    assert config.model_package_arn.endswith(":model-package/demo/4")
    processing = config.processing
    assert processing is not None and processing.max_instances == 10
    account = template["Mappings"]["ProcessingImage"]["eu-west-1"]["Account"]
    assert processing.image_uri == (
        f"{account}.dkr.ecr.eu-west-1.amazonaws.com/sagemaker-scikit-learn:1.4-2-py312-cpu-py3"
    )
    assert processing.code_uri == "s3://hosting/driftgate/functions/drift_monitor_processing.zip"


def test_schedule_input_makes_a_late_retry_analyse_the_scheduled_window(templates):
    """Scheduler substitutes <aws.scheduler.scheduled-time> in the target input; the
    monitor must take its window from that, not from when a retry happens to run."""
    target = templates["monitoring.yml"]["Resources"]["MonitorSchedule"]["Properties"]["Target"]
    sent = json.loads(
        target["Input"].replace("<aws.scheduler.scheduled-time>", "2026-11-23T16:02:11Z")
    )
    retried_at = datetime(2026, 11, 23, 17, 40, tzinfo=UTC)

    window = scheduled_window(sent, retried_at, 60)

    assert (window.start_iso, window.end_iso) == ("2026-11-23T15:00:00Z", "2026-11-23T16:00:00Z")


# ---------------------------------------------------------------------------- dashboard


def dashboard(templates, backend: str, schedule: str, features: list[str]) -> dict[str, Any]:
    template = templates["observability.yml"]
    body = template["Resources"]["Dashboard"]["Properties"]["DashboardBody"]
    rendered = render(body, observability_params(backend, schedule, features), template)
    return json.loads(rendered)


def drift_widget(body: dict[str, Any]) -> dict[str, Any]:
    (widget,) = [
        w for w in body["widgets"] if w["properties"].get("title", "").startswith("Feature drift")
    ]
    return widget


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("features", [FEATURES, ["only"]])
def test_dashboard_body_is_json_with_every_feature(templates, backend, features):
    body = dashboard(templates, backend, "hourly", features)
    widget = drift_widget(body)
    namespace = observability_params(backend, "hourly", features)["MetricsNamespace"]
    visible = [
        values
        for values, options in resolve_metrics(widget["properties"]["metrics"])
        if options.get("visible", True)
    ]
    assert visible == [
        [
            namespace,
            f"feature_baseline_drift_{feature}",
            "Endpoint",
            "demo-staging",
            "MonitoringSchedule",
            "demo-staging-data-quality",
        ]
        for feature in features
    ]
    assert widget["properties"]["annotations"]["horizontal"][0]["value"] == 0.1


@pytest.mark.parametrize("schedule", SCHEDULES)
def test_dashboard_drift_period_follows_the_schedule(templates, schedule):
    widget = drift_widget(dashboard(templates, "builtin", schedule, FEATURES))
    expected = templates["observability.yml"]["Mappings"]["ScheduleSettings"][schedule]
    assert widget["properties"]["period"] == expected["PeriodSeconds"]


def test_dashboard_shows_endpoint_health_and_monitor_runs(templates):
    titles = [
        w["properties"].get("title")
        for w in dashboard(templates, "builtin", "hourly", FEATURES)["widgets"]
    ]
    assert {"Invocations", "Errors", "Model latency (microseconds)", "Rollback alarms"} <= set(
        titles
    )
    assert any(title and title.startswith("Monitor runs") for title in titles)
    mm_widgets = dashboard(templates, "model-monitor", "daily", FEATURES)["widgets"]
    assert any(w["type"] == "text" for w in mm_widgets)


def test_dashboard_url_uses_the_partition_console(templates):
    template = templates["observability.yml"]
    output = template["Outputs"]["DashboardUrl"]["Value"]
    url = render(output, observability_params("builtin", "hourly", FEATURES), template)
    assert url == (
        "https://eu-west-1.console.aws.amazon.com/cloudwatch/home"
        "?region=eu-west-1#dashboards:name=demo-staging-eu-west-1"
    )


def test_schedule_input_is_a_constant_kept_under_the_schedulers_own_key(templates):
    """The documented customer-key path protects only the target input (Scheduler guide,
    encryption at rest); ours carries no data, so no customer key and no decrypt grant
    a run could fail on."""
    resources = templates["monitoring.yml"]["Resources"]
    schedule = resources["MonitorSchedule"]["Properties"]
    assert "KmsKeyArn" not in schedule
    assert schedule["Target"]["Input"] == '{"scheduled_time": "<aws.scheduler.scheduled-time>"}'
    role = resources["SchedulerRole"]["Properties"]["Policies"]
    actions = {
        action
        for policy in role
        for statement in policy["PolicyDocument"]["Statement"]
        for action in (
            [statement["Action"]] if isinstance(statement["Action"], str) else statement["Action"]
        )
    }
    assert actions == {"lambda:InvokeFunction"}
    key = templates["foundation.yml"]["Resources"]["Key"]["Properties"]["KeyPolicy"]
    assert "scheduler" not in str(key)


CONSOLE = "https://console.aws.amazon.com/s3"
LATEST = "monitoring/demo-staging/demo-staging-data-quality/latest"


def test_dashboard_links_the_latest_report_and_summary_next_to_the_drift_metrics(templates):
    body = dashboard(templates, "builtin", "hourly", FEATURES)
    drift = drift_widget(body)
    (reports,) = [
        w for w in body["widgets"] if "Drift reports" in w["properties"].get("markdown", "")
    ]
    assert (
        reports["x"] == drift["x"] + drift["width"] and reports["y"] < drift["y"] + drift["height"]
    )
    links = re.findall(r"\[([^\]]+)\]\(([^)]+)\)", reports["properties"]["markdown"])
    assert links == [
        (
            "latest report",
            f"{CONSOLE}/object/demo-data?region=eu-west-1&prefix={LATEST}/report.html",
        ),
        (
            "latest summary",
            f"{CONSOLE}/object/demo-data?region=eu-west-1&prefix={LATEST}/driftgate_summary.json",
        ),
        (
            "every run",
            f"{CONSOLE}/buckets/demo-data?region=eu-west-1"
            "&prefix=monitoring/demo-staging/demo-staging-data-quality/",
        ),
    ]
    # The monitor writes exactly there: <output>/<schedule>/latest/<file>.
    from drift_monitor.monitor import REPORT_FILE, SUMMARY_FILE
    from drift_monitor.scheduled import LATEST_FOLDER

    assert LATEST.endswith("/" + LATEST_FOLDER)
    assert {REPORT_FILE, SUMMARY_FILE} == {"report.html", "driftgate_summary.json"}
    widgets = body["widgets"]
    for a in widgets:  # no two widgets overlap
        for b in widgets:
            if a is not b:
                apart_x = a["x"] + a["width"] <= b["x"] or b["x"] + b["width"] <= a["x"]
                apart_y = a["y"] + a["height"] <= b["y"] or b["y"] + b["height"] <= a["y"]
                assert apart_x or apart_y, (
                    a["properties"].get("title"),
                    b["properties"].get("title"),
                )


def test_model_monitor_dashboard_links_its_reports_folder(templates):
    body = dashboard(templates, "model-monitor", "daily", FEATURES)
    (reports,) = [
        w for w in body["widgets"] if "Drift reports" in w["properties"].get("markdown", "")
    ]
    assert (
        f"({CONSOLE}/buckets/demo-data?region=eu-west-1&prefix=monitoring/demo-staging/)"
        in (reports["properties"]["markdown"])
    )


@pytest.mark.parametrize("backend", BACKENDS)
def test_drift_alarm_notification_says_where_the_report_is(templates, backend):
    template = templates["observability.yml"]
    alarm = template["Resources"]["DriftAlarm1"]
    params = observability_params(backend, "hourly", FEATURES)
    description = render(alarm["Properties"]["AlarmDescription"], params, template)
    assert description.startswith(f"Feature {FEATURES[1]} of demo-staging drifted")
    expected = (
        f"The report is at {CONSOLE}/object/demo-data?region=eu-west-1&prefix={LATEST}/report.html"
        if backend == "builtin"
        else f"The report is at {CONSOLE}/buckets/demo-data?region=eu-west-1"
        "&prefix=monitoring/demo-staging/"
    )
    assert description.endswith(expected)
    assert len(description) <= 1024  # PutMetricAlarm's AlarmDescription limit


def test_a_failed_processing_job_reaches_the_topic(templates):
    """The merge publishes driftgate_run_errors for a failed or stopped job; an alarm on
    that metric (not only on the Lambda's Errors) notifies the topic."""
    alarm = templates["observability.yml"]["Resources"]["MonitorRunErrorsAlarm"]
    props = alarm["Properties"]
    assert alarm["Condition"] == "UseBuiltin"
    assert (props["MetricName"], props["Namespace"]) == (
        "driftgate_run_errors",
        {"Ref": "MetricsNamespace"},
    )
    assert {d["Name"] for d in props["Dimensions"]} == {"Endpoint", "MonitoringSchedule"}
    assert props["AlarmActions"] == [{"Ref": "NotificationTopicArn"}]
    assert props["TreatMissingData"] == "notBreaching"


def test_the_merge_rule_takes_only_this_schedules_ended_jobs(templates):
    resources = templates["monitoring.yml"]["Resources"]
    pattern = resources["MergeRule"]["Properties"]["EventPattern"]
    assert pattern["source"] == ["aws.sagemaker"]
    assert pattern["detail-type"] == ["SageMaker Processing Job State Change"]
    assert pattern["detail"]["ProcessingJobStatus"] == ["Completed", "Failed", "Stopped"]
    assert pattern["detail"]["ProcessingJobName"] == [{"prefix": {"Fn::Sub": "${ScheduleName}-"}}]
    statements = resources["MonitorRole"]["Properties"]["Policies"][0]["PolicyDocument"]
    passes = [
        branch
        for statement in statements["Statement"]
        if isinstance(statement, dict) and "Fn::If" in statement
        for branch in statement["Fn::If"][1:2]
        if branch.get("Action") == "iam:PassRole"
    ]
    (passing,) = passes
    assert passing["Condition"] == {
        "StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}
    }
