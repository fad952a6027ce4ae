"""Every alarm notifies the topic and says what missing data means; the rollback alarms
the endpoint watches exist before it, and its execution role may read them."""

import ast
from pathlib import Path
from typing import Any

import pytest

from scripts import generate_drift_alarms as gen
from tests.templates.template_walk import resources

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = ROOT / "templates"
ALARM = "AWS::CloudWatch::Alarm"
TOPIC = {"Ref": "NotificationTopicArn"}


def _alarms(templates: dict[str, dict[str, Any]]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (name, logical_id, resource["Properties"])
        for name, template in templates.items()
        for logical_id, resource in resources(template)
        if resource.get("Type") == ALARM
    ]


def _topics(template: dict[str, Any]) -> list[dict[str, str]]:
    """What an alarm may notify: the topic parameter or a topic the template creates."""
    refs = [TOPIC] if "NotificationTopicArn" in template.get("Parameters", {}) else []
    refs += [
        {"Ref": logical_id}
        for logical_id, resource in resources(template)
        if resource.get("Type") == "AWS::SNS::Topic"
    ]
    return refs


def test_templates_define_alarms(templates):
    ids = {logical_id for _, logical_id, _ in _alarms(templates)}
    assert {"EndpointErrorAlarm", "ModelLatencyAlarm", "DriftAlarm0", "DriftAlarm99"} <= ids


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
        ("DriftAlarm0", "notBreaching"),
        ("EndpointErrorAlarm", "notBreaching"),
        ("ModelLatencyAlarm", "notBreaching"),
        ("MonitorErrorsAlarm", "notBreaching"),
        # Silence after a run is filled with 0 by FILL; no run at all is not an alarm
        # (a fresh stack), see test_heartbeat.py.
        ("MonitorHeartbeatAlarm", "missing"),
        ("ModelMonitorHeartbeatAlarm", "missing"),
    ],
)
def test_missing_data_policy(templates, logical_id, expected):
    alarms = {lid: props for _, lid, props in _alarms(templates)}
    assert alarms[logical_id]["TreatMissingData"] == expected


BASELINE_CHECK = ROOT / "custom_resources" / "drift_baseline" / "baseline_check.py"


def _constant(path: Path, name: str) -> Any:
    """A module-level constant, read without importing the Lambda's modules."""
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign) and [t.id for t in node.targets] == [name]:
            return ast.literal_eval(node.value)
    raise AssertionError(f"{path.name} defines no {name}")


def _select(k: int) -> dict[str, Any]:
    return {"Feature": {"Fn::Select": [k, {"Ref": "FeatureNames"}]}}


def test_drift_alarm_slot_k_watches_the_kth_feature_on_the_published_metric(templates):
    resources = templates["observability.yml"]["Resources"]
    for k in range(gen.SLOTS):
        alarm = resources[f"DriftAlarm{k}"]
        assert alarm["Condition"] == f"HasFeature{k}"
        props = alarm["Properties"]
        assert props["Namespace"] == {"Ref": "MetricsNamespace"}
        assert props["MetricName"] == {"Fn::Sub": ["feature_baseline_drift_${Feature}", _select(k)]}
        assert props["AlarmName"] == {
            "Fn::Sub": ["${ProjectName}-${StageName}-drift-" + f"{k}-" + "${Feature}", _select(k)]
        }
        assert props["Dimensions"] == [
            {"Name": "Endpoint", "Value": {"Ref": "EndpointName"}},
            {"Name": "MonitoringSchedule", "Value": {"Ref": "ScheduleName"}},
        ]
        # Robust to a window published twice; equal to Sum for one run per period.
        assert props["Statistic"] == "Maximum"
        assert props["Threshold"] == {"Ref": "DriftThreshold"}
        assert props["ComparisonOperator"] == "GreaterThanThreshold"
        assert props["EvaluationPeriods"] == 1
    assert f"DriftAlarm{gen.SLOTS}" not in resources


def test_no_transform_and_the_slot_count_is_the_baselines_limit(templates):
    template = templates["observability.yml"]
    # No AWS::LanguageExtensions: the template does not depend on parameter values, so
    # change sets that include nested stacks work and no CAPABILITY_AUTO_EXPAND is needed.
    assert "Transform" not in template
    assert template["Parameters"]["FeatureNames"]["Type"] == "CommaDelimitedList"
    count = template["Parameters"]["FeatureCount"]
    assert (count["Type"], count["MinValue"], count["MaxValue"]) == ("Number", 1, gen.SLOTS)
    assert _constant(BASELINE_CHECK, "MAX_FEATURES") == gen.SLOTS
    # Custom::DriftBaseline's count feeds the slots.
    stage = templates["stage.yml"]["Resources"]["Observability"]["Properties"]["Parameters"]
    assert stage["FeatureCount"] == {"Fn::GetAtt": ["Monitoring", "Outputs.FeatureCount"]}
    assert stage["FeatureNames"] == {"Fn::GetAtt": ["Monitoring", "Outputs.FeatureNames"]}


def test_observability_holds_the_generated_slots():
    assert gen.main(["--check"]) == 0


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
# The slots as CloudFormation would create them for a given baseline.


def _condition(conditions: dict[str, Any], node: Any, values: dict[str, str]) -> Any:
    """Equals, Or, Not, And, Condition and Ref: what the Conditions section may use."""
    if isinstance(node, dict) and len(node) == 1:
        ((name, arg),) = node.items()
        if name == "Ref":
            return values[arg]
        if name == "Condition":
            return _condition(conditions, conditions[arg], values)
        if name == "Fn::Equals":
            return str(_condition(conditions, arg[0], values)) == str(
                _condition(conditions, arg[1], values)
            )
        if name == "Fn::Or":
            return any(_condition(conditions, a, values) for a in arg)
        if name == "Fn::And":
            return all(_condition(conditions, a, values) for a in arg)
        if name == "Fn::Not":
            return not _condition(conditions, arg[0], values)
        raise AssertionError(f"{name} is not a condition function")
    return node


def _drift_alarms(template: dict[str, Any], features: list[str]) -> dict[str, dict[str, str]]:
    """logical id -> rendered AlarmName and MetricName of the drift alarms created."""
    values = {"FeatureCount": str(len(features)), "ProjectName": "demo", "StageName": "prod"}
    conditions = template["Conditions"]
    created = {}
    for logical_id, resource in template["Resources"].items():
        if not logical_id.startswith("DriftAlarm"):
            continue
        if not _condition(conditions, {"Condition": resource["Condition"]}, values):
            continue
        rendered = {}
        for key in ("AlarmName", "MetricName"):
            text, bindings = resource["Properties"][key]["Fn::Sub"]
            index, names = bindings["Feature"]["Fn::Select"]
            assert names == {"Ref": "FeatureNames"}
            rendered[key] = (
                text.replace("${Feature}", features[index])
                .replace("${ProjectName}", values["ProjectName"])
                .replace("${StageName}", values["StageName"])
            )
        created[logical_id] = rendered
    return created


@pytest.mark.parametrize("count", [1, 2, 57, 99, 100])
def test_exactly_one_slot_per_feature_exists(templates, count):
    features = [f"f{i}" for i in range(count)]
    alarms = _drift_alarms(templates["observability.yml"], features)
    assert sorted(alarms) == sorted(f"DriftAlarm{k}" for k in range(count))
    assert {a["MetricName"] for a in alarms.values()} == {
        f"feature_baseline_drift_{f}" for f in features
    }


def test_names_differing_only_in_punctuation_get_distinct_alarms(templates):
    # Under Fn::ForEach with &{} these shared the logical ids DriftAlarmnum03 and
    # DriftAlarmab, and the nested stack failed after the endpoint was up.
    features = ["num_03", "num03", "a-b", "a_b", "ab"]
    alarms = _drift_alarms(templates["observability.yml"], features)
    assert len(alarms) == 5
    assert len({a["AlarmName"] for a in alarms.values()}) == 5
    assert alarms["DriftAlarm1"] == {
        "AlarmName": "demo-prod-drift-1-num03",
        "MetricName": "feature_baseline_drift_num03",
    }


def test_a_feature_moving_slot_on_update_never_reuses_a_live_alarm_name(templates):
    # CloudFormation creates a replaced alarm before deleting the old one.
    before = _drift_alarms(templates["observability.yml"], ["a", "b"])
    after = _drift_alarms(templates["observability.yml"], ["b", "a"])
    names_before = {a["AlarmName"] for a in before.values()}
    names_after = {a["AlarmName"] for a in after.values()}
    assert not names_before & names_after


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
