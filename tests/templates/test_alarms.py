"""Every alarm notifies the topic and says what missing data means; the rollback alarms
the endpoint watches exist before it, and its execution role may read them."""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cfnlint.api import lint
from cfnlint.decode import cfn_yaml
from cfnlint.template import Template
from cfnlint.template.transforms import Transform

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
ALARM = "AWS::CloudWatch::Alarm"
TOPIC = {"Ref": "NotificationTopicArn"}


def _resources(template: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Resources, including the fragments replicated by `Fn::ForEach`."""
    for logical_id, body in template.get("Resources", {}).items():
        if logical_id.startswith("Fn::ForEach::"):
            yield from body[2].items()
        else:
            yield logical_id, body


def _alarms(templates: dict[str, dict[str, Any]]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (name, logical_id, resource["Properties"])
        for name, template in templates.items()
        for logical_id, resource in _resources(template)
        if resource.get("Type") == ALARM
    ]


def _topics(template: dict[str, Any]) -> list[dict[str, str]]:
    """What an alarm may notify: the topic parameter or a topic the template creates."""
    refs = [TOPIC] if "NotificationTopicArn" in template.get("Parameters", {}) else []
    refs += [
        {"Ref": logical_id}
        for logical_id, resource in _resources(template)
        if resource.get("Type") == "AWS::SNS::Topic"
    ]
    return refs


def test_templates_define_alarms(templates):
    ids = {logical_id for _, logical_id, _ in _alarms(templates)}
    assert {"EndpointErrorAlarm", "ModelLatencyAlarm", "DriftAlarm&{Feature}"} <= ids


def test_every_alarm_notifies_the_topic(templates):
    for name, logical_id, props in _alarms(templates):
        allowed = _topics(templates[name])
        assert props.get("AlarmActions"), f"{name}:{logical_id} has no AlarmActions"
        for action in props["AlarmActions"] + props.get("OKActions", []):
            assert action in allowed, f"{name}:{logical_id} notifies {action}"


def test_every_alarm_sets_treat_missing_data(templates):
    for name, logical_id, props in _alarms(templates):
        assert props.get("TreatMissingData") in {
            "breaching",
            "notBreaching",
            "ignore",
            "missing",
        }, f"{name}:{logical_id}"


@pytest.mark.parametrize(
    ("logical_id", "expected"),
    [
        ("DriftAlarm&{Feature}", "notBreaching"),
        ("EndpointErrorAlarm", "notBreaching"),
        ("ModelLatencyAlarm", "notBreaching"),
        ("MonitorErrorsAlarm", "notBreaching"),
        # Silence from the monitor is the failure these two exist to catch.
        ("MonitorHeartbeatAlarm", "breaching"),
        ("ModelMonitorHeartbeatAlarm", "breaching"),
    ],
)
def test_missing_data_policy(templates, logical_id, expected):
    alarms = {lid: props for _, lid, props in _alarms(templates)}
    assert alarms[logical_id]["TreatMissingData"] == expected


def test_drift_alarm_is_one_per_feature_on_the_published_metric(templates):
    loop = templates["observability.yml"]["Resources"]["Fn::ForEach::DriftAlarms"]
    identifier, collection, fragment = loop
    assert identifier == "Feature"
    assert collection == {"Ref": "FeatureNames"}
    props = fragment["DriftAlarm&{Feature}"]["Properties"]
    assert props["Namespace"] == {"Ref": "MetricsNamespace"}
    assert props["MetricName"] == {"Fn::Sub": "feature_baseline_drift_${Feature}"}
    assert props["Dimensions"] == [
        {"Name": "Endpoint", "Value": {"Ref": "EndpointName"}},
        {"Name": "MonitoringSchedule", "Value": {"Ref": "ScheduleName"}},
    ]
    # Robust to a window published twice; equal to Sum for one run per period.
    assert props["Statistic"] == "Maximum"
    assert props["Threshold"] == {"Ref": "DriftThreshold"}
    assert props["ComparisonOperator"] == "GreaterThanThreshold"
    assert props["EvaluationPeriods"] == 1


def test_feature_names_parameter_feeds_the_loop(templates):
    parameters = templates["observability.yml"]["Parameters"]
    assert parameters["FeatureNames"]["Type"] == "CommaDelimitedList"
    assert templates["observability.yml"]["Transform"] == "AWS::LanguageExtensions"


@pytest.mark.parametrize(
    ("logical_id", "metric"),
    [("EndpointErrorAlarm", "Invocation5XXErrors"), ("ModelLatencyAlarm", "ModelLatency")],
)
def test_rollback_alarms_watch_the_variant_every_minute(templates, logical_id, metric):
    props = templates["endpoint.yml"]["Resources"][logical_id]["Properties"]
    assert props["Namespace"] == "AWS/SageMaker"
    assert props["MetricName"] == metric
    assert props["Period"] == 60
    assert props["Dimensions"] == [
        {"Name": "EndpointName", "Value": {"Ref": "EndpointName"}},
        {"Name": "VariantName", "Value": "AllTraffic"},
    ]


def test_rollback_alarms_are_named_by_the_stage_and_shown_by_observability(templates):
    stage = templates["stage.yml"]["Resources"]
    endpoint_args = stage["Endpoint"]["Properties"]["Parameters"]
    observability_args = stage["Observability"]["Properties"]["Parameters"]
    assert endpoint_args["ErrorAlarmName"] == {
        "Fn::Sub": "${ProjectName}-${StageName}-endpoint-5xx"
    }
    assert endpoint_args["LatencyAlarmName"] == {
        "Fn::Sub": "${ProjectName}-${StageName}-model-latency"
    }
    # The dashboard takes the names from the endpoint stack, so it follows it.
    for output in ("ErrorAlarmName", "LatencyAlarmName", "LatencyThresholdMicroseconds"):
        assert observability_args[output] == {"Fn::GetAtt": ["Endpoint", f"Outputs.{output}"]}

    endpoint = templates["endpoint.yml"]["Resources"]
    assert endpoint["EndpointErrorAlarm"]["Properties"]["AlarmName"] == {"Ref": "ErrorAlarmName"}
    assert endpoint["ModelLatencyAlarm"]["Properties"]["AlarmName"] == {"Ref": "LatencyAlarmName"}
    observability = templates["observability.yml"]["Resources"]
    assert "EndpointErrorAlarm" not in observability
    assert "ModelLatencyAlarm" not in observability


def test_endpoint_rolls_back_on_both_alarms_created_before_it(templates):
    resources = templates["endpoint.yml"]["Resources"]
    endpoints = [r for r in resources.values() if r.get("Type") == "AWS::SageMaker::Endpoint"]
    assert len(endpoints) == 1
    rollback = endpoints[0]["Properties"]["DeploymentConfig"]["AutoRollbackConfiguration"]
    # Ref (not the name parameter) makes CloudFormation create the alarms first.
    assert rollback["Alarms"] == [
        {"AlarmName": {"Ref": "EndpointErrorAlarm"}},
        {"AlarmName": {"Ref": "ModelLatencyAlarm"}},
    ]


def test_execution_role_can_describe_exactly_the_rollback_alarms(role_statements):
    grants = [
        statement
        for statement in role_statements[("endpoint.yml", "ExecutionRole")]
        if "cloudwatch:DescribeAlarms" in _as_list(statement["Action"])
    ]
    assert len(grants) == 1
    alarm_arn = "arn:${AWS::Partition}:cloudwatch:${AWS::Region}:${AWS::AccountId}:alarm:"
    assert grants[0]["Resource"] == [
        {"Fn::Sub": alarm_arn + "${ErrorAlarmName}"},
        {"Fn::Sub": alarm_arn + "${LatencyAlarmName}"},
    ]


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def test_model_monitor_failures_reach_the_topic(templates):
    rule = templates["observability.yml"]["Resources"]["ModelMonitorFailureRule"]
    assert rule["Condition"] == "UseModelMonitor"
    pattern = rule["Properties"]["EventPattern"]
    assert pattern["source"] == ["aws.sagemaker"]
    assert pattern["detail-type"] == ["SageMaker Processing Job State Change"]
    assert pattern["detail"]["ProcessingJobStatus"] == ["Failed"]
    assert [target["Arn"] for target in rule["Properties"]["Targets"]] == [TOPIC]


# ---------------------------------------------------------------------------------
# Fn::ForEach expanded the way cfn-lint emulates AWS::LanguageExtensions.


def _expand_observability(features: str) -> tuple[list[Any], dict[str, Any]]:
    source = cfn_yaml.load(str(TEMPLATES / "observability.yml"))
    source["Parameters"]["FeatureNames"]["Default"] = features
    template = Template("observability.yml", source, ["us-east-1"])
    errors = Transform().transform(template)
    return errors, template.template["Resources"]


def test_foreach_gives_each_feature_an_alarm_with_a_valid_logical_id():
    errors, resources = _expand_observability("age,credit-score,_c3")
    assert errors == []
    drift = {
        logical_id: resource["Properties"]
        for logical_id, resource in resources.items()
        if logical_id.startswith("DriftAlarm")
    }
    # &{} drops the characters a logical id cannot hold; names keep the feature.
    assert set(drift) == {"DriftAlarmage", "DriftAlarmcreditscore", "DriftAlarmc3"}
    assert drift["DriftAlarmcreditscore"]["MetricName"] == "feature_baseline_drift_credit-score"
    alarm_name = drift["DriftAlarmc3"]["AlarmName"]
    assert alarm_name == {"Fn::Sub": "${ProjectName}-${StageName}-drift-_c3"}


def test_features_that_differ_only_in_punctuation_fail_the_transform():
    # A known limit of the logical-id scheme: "a-b" and "ab" collide; the stack
    # fails at the transform instead of silently dropping an alarm.
    errors, _ = _expand_observability("a-b,ab")
    assert errors and "Duplicate DriftAlarmab" in str(errors[0])


def test_expanded_observability_lints_clean():
    text = (TEMPLATES / "observability.yml").read_text(encoding="utf-8")
    marker = "  FeatureNames:\n    Type: CommaDelimitedList\n"
    assert marker in text
    with_features = text.replace(marker, marker + "    Default: age,credit-score,_c3\n")
    assert lint(with_features, regions=["us-east-1", "eu-west-1", "ap-southeast-2"]) == []


# ---------------------------------------------------------------------------------
# PutMetricAlarm limits: Period x EvaluationPeriods at most 1 day for periods under an
# hour, 7 days otherwise; a breach of them fails the stack at deploy time.


def _period(template: dict[str, Any], value: Any, schedule: str) -> int:
    if isinstance(value, dict) and "Fn::FindInMap" in value:
        mapping, key, attribute = value["Fn::FindInMap"]
        assert key == {"Ref": "MonitoringSchedule"}
        return int(template["Mappings"][mapping][schedule][attribute])
    return int(value)


@pytest.mark.parametrize("schedule", ["hourly", "daily", "every-15-minutes"])
def test_every_alarm_fits_the_evaluation_range_limit(templates, schedule):
    checked = 0
    for name, logical_id, props in _alarms(templates):
        periods = [props["Period"]] if "Period" in props else []
        periods += [
            m["MetricStat"]["Period"] for m in props.get("Metrics", []) if "MetricStat" in m
        ]
        for raw in periods:
            period = _period(templates[name], raw, schedule)
            limit = 86_400 if period < 3600 else 604_800
            assert period * props["EvaluationPeriods"] <= limit, f"{name}:{logical_id}"
            checked += 1
    assert checked
