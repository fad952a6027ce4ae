"""The retrain gate's triggers in build.yml: each rule matches what its source sends
and may invoke the gate; the data bucket sends S3 events to EventBridge."""

import fnmatch

import pytest

RULES = {
    "NewDataRule": ("NewDataPermission", "OnNewData"),
    "MonitorDriftRule": ("MonitorDriftPermission", "OnDrift"),
    "DriftAlarmRule": ("DriftAlarmPermission", "OnDrift"),
}


@pytest.fixture(scope="module")
def build(templates):
    return templates["build.yml"]["Resources"]


@pytest.mark.parametrize("rule", sorted(RULES))
def test_each_rule_targets_the_gate_and_may_invoke_it(build, rule):
    permission, condition = RULES[rule]
    assert build[rule]["Condition"] == condition == build[permission]["Condition"]
    (target,) = build[rule]["Properties"]["Targets"]
    assert target["Arn"] == {"Fn::GetAtt": ["RetrainGateFunction", "Arn"]}
    properties = build[permission]["Properties"]
    assert properties["Principal"] == "events.amazonaws.com"
    assert properties["SourceArn"] == {"Fn::GetAtt": [rule, "Arn"]}
    assert properties["FunctionName"] == {"Ref": "RetrainGateFunction"}


def test_schedule_is_a_parameter_and_off_removes_the_rule(templates, build):
    schedule = build["ScheduledRetrain"]
    assert schedule["Type"] == "AWS::Scheduler::Schedule"
    assert schedule["Condition"] == build["ScheduledRetrainRole"]["Condition"] == "HasSchedule"
    assert schedule["Properties"]["ScheduleExpression"] == {"Ref": "RetrainSchedule"}
    assert templates["build.yml"]["Conditions"]["HasSchedule"] == {
        "Fn::Not": [{"Fn::Equals": [{"Ref": "RetrainSchedule"}, "off"]}]
    }
    assert templates["build.yml"]["Parameters"]["RetrainSchedule"]["Default"] == "cron(0 3 1 * ? *)"


def test_new_data_rule_matches_object_created_under_the_data_prefix(build):
    pattern = build["NewDataRule"]["Properties"]["EventPattern"]
    assert pattern["source"] == ["aws.s3"] and pattern["detail-type"] == ["Object Created"]
    assert pattern["detail"]["bucket"]["name"] == [{"Ref": "DataBucketName"}]
    assert pattern["detail"]["object"]["key"] == [{"prefix": "build/data/"}]


def test_the_data_bucket_sends_eventbridge_events(templates):
    bucket = templates["foundation.yml"]["Resources"]["DataBucket"]["Properties"]
    assert bucket["NotificationConfiguration"]["EventBridgeConfiguration"] == {
        "EventBridgeEnabled": True
    }


def test_monitor_rule_matches_the_builtin_monitors_event(build):
    pattern = build["MonitorDriftRule"]["Properties"]["EventPattern"]
    # CONTRIBUTING "Drift monitor": source driftgate.monitor, detail-type Data Drift Violations.
    assert pattern["source"] == ["driftgate.monitor"]
    assert pattern["detail-type"] == ["Data Drift Violations"]
    assert pattern["detail"]["endpoint"] == [{"prefix": {"Fn::Sub": "${ProjectName}-"}}]


def test_alarm_rule_wildcard_matches_the_drift_alarm_names_and_nothing_else(templates, build):
    pattern = build["DriftAlarmRule"]["Properties"]["EventPattern"]
    assert pattern["detail"]["state"]["value"] == ["ALARM"]
    wildcard = pattern["detail"]["alarmName"][0]["wildcard"]["Fn::Sub"]
    alarms = templates["observability.yml"]["Resources"]
    names = [
        r["Properties"]["AlarmName"]["Fn::Sub"]
        for r in _resources(alarms)
        if "-drift-" in str(r.get("Properties", {}).get("AlarmName", ""))
    ]
    assert names, "observability.yml has no drift alarm"
    sub = names[0][0] if isinstance(names[0], list) else names[0]
    name = sub.replace("${ProjectName}", "fraud").replace("${StageName}", "prod")
    name = name.replace("${Feature}", "num_00")
    glob = wildcard.replace("${ProjectName}", "fraud")
    assert fnmatch.fnmatchcase(name, glob)
    assert not fnmatch.fnmatchcase("fraud-prod-monitor-errors", glob)
    assert not fnmatch.fnmatchcase("other-prod-drift-num_00", glob)


def _resources(resources):
    for logical_id, resource in resources.items():
        if logical_id.startswith("Fn::ForEach::"):
            yield from resource[2].values()
        else:
            yield resource


def test_every_finished_build_goes_to_the_topic(build):
    rule = build["BuildFinishedRule"]["Properties"]
    assert rule["EventPattern"]["detail-type"] == [
        "SageMaker Model Building Pipeline Execution Status Change"
    ]
    assert set(rule["EventPattern"]["detail"]["currentPipelineExecutionStatus"]) == {
        "Succeeded", "Failed", "Stopped",
    }  # fmt: skip
    (target,) = rule["Targets"]
    assert target["Arn"] == {"Ref": "NotificationTopicArn"}


def test_the_schedule_invokes_the_gate_with_its_own_role_as_the_monitors_does(templates, build):
    properties = build["ScheduledRetrain"]["Properties"]
    monitor = templates["monitoring.yml"]["Resources"]["MonitorSchedule"]["Properties"]
    # Consistent with the drift monitor's schedule (issue 8): no flexible window, the
    # Scheduler's own key (the input is a constant), a bounded retry.
    assert properties["FlexibleTimeWindow"] == monitor["FlexibleTimeWindow"] == {"Mode": "OFF"}
    assert "KmsKeyArn" not in properties and "KmsKeyArn" not in monitor
    assert properties["Target"]["RetryPolicy"]["MaximumRetryAttempts"] == 2
    assert properties["Target"]["Arn"] == {"Fn::GetAtt": ["RetrainGateFunction", "Arn"]}
    assert properties["Target"]["RoleArn"] == {"Fn::GetAtt": ["ScheduledRetrainRole", "Arn"]}
    role = build["ScheduledRetrainRole"]["Properties"]
    (trust,) = role["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"Service": "scheduler.amazonaws.com"}
    assert trust["Condition"] == {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}}
    (statement,) = role["Policies"][0]["PolicyDocument"]["Statement"]
    assert statement["Action"] == "lambda:InvokeFunction"
    assert statement["Resource"] == {"Fn::GetAtt": ["RetrainGateFunction", "Arn"]}
