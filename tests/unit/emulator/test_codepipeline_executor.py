"""The executor refuses what it does not implement, by name, and evaluates what it does."""

import copy
import datetime as dt

import pytest

from scripts.emulator.codepipeline import conditions, definitions, variables
from scripts.emulator.codepipeline.definitions import Definition, UnsupportedPipeline

PIPELINE = {
    "Name": "p",
    "PipelineType": "V2",
    "ExecutionMode": "QUEUED",
    "RoleArn": "arn:aws:iam::123456789012:role/r",
    "ArtifactStore": {"Type": "S3", "Location": "b"},
    "Stages": [
        {
            "Name": "Source",
            "Actions": [
                {
                    "Name": "Get",
                    "ActionTypeId": {
                        "Category": "Source",
                        "Owner": "AWS",
                        "Provider": "S3",
                        "Version": "1",
                    },
                    "Configuration": {
                        "S3Bucket": "b",
                        "S3ObjectKey": "k",
                        "PollForSourceChanges": "false",
                    },
                    "OutputArtifacts": [{"Name": "A"}],
                }
            ],
        }
    ],
}


def validate(properties):
    definitions.validate(Definition("p", "us-east-1", "123456789012", properties))


def test_the_supported_shape_passes():
    validate(PIPELINE)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda p: p.update(ExecutionMode="SUPERSEDED"),
            "ExecutionMode SUPERSEDED not implemented",
        ),
        (lambda p: p.update(PipelineType="V1"), "only PipelineType V2"),
        (lambda p: p.update(Triggers=[]), "Triggers not implemented"),
        (
            lambda p: p["Stages"][0]["Actions"][0]["ActionTypeId"].update(
                Provider="CodeBuild", Category="Build"
            ),
            "action type Build/AWS/CodeBuild/1 not implemented",
        ),
        (
            lambda p: p["Stages"][0]["Actions"][0]["Configuration"].update(
                AllowOverrideForS3ObjectKey="true"
            ),
            "AllowOverrideForS3ObjectKey not implemented",
        ),
        (
            lambda p: p["Stages"][0].update(
                OnSuccess={
                    "Conditions": [
                        {
                            "Result": "ROLLBACK",
                            "Rules": [
                                {
                                    "Name": "r",
                                    "RuleTypeId": {
                                        "Category": "Rule",
                                        "Owner": "AWS",
                                        "Provider": "LambdaInvoke",
                                        "Version": "1",
                                    },
                                }
                            ],
                        }
                    ]
                }
            ),
            "rule type LambdaInvoke not implemented",
        ),
        (
            lambda p: p["Stages"][0].update(
                BeforeEntry={"Conditions": [{"Result": "SKIP", "Rules": []}]}
            ),
            "Result SKIP",
        ),
    ],
)
def test_anything_else_is_refused_by_name(change, message):
    properties = copy.deepcopy(PIPELINE)
    change(properties)
    with pytest.raises(UnsupportedPipeline, match=message):
        validate(properties)


def test_variables_resolve_and_unknown_ones_fail():
    namespaces = {"variables": {"ModelPackage": "latest"}, "Resolve": {"V": "3"}}
    assert variables.resolve({"A": "#{variables.ModelPackage}-#{Resolve.V}"}, namespaces) == {
        "A": "latest-3"
    }
    with pytest.raises(variables.UnresolvedVariable, match=r"#\{Resolve.Missing\}"):
        variables.resolve("#{Resolve.Missing}", namespaces)


WEDNESDAY_10 = dt.datetime(2026, 12, 2, 10, 30, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("cron", "zone", "inside"),
    [
        ("* * 9-16 ? * MON-FRI", "UTC", True),
        ("* * 9-16 ? * SAT,SUN", "UTC", False),
        ("* * 11-12 ? * *", "UTC", False),
        ("* * 11-12 ? * *", "Europe/Berlin", True),  # 11:30 in Berlin
        ("* 0-29 * ? * *", "UTC", False),
        ("* * * ? DEC * 2026", "UTC", True),
    ],
)
def test_deployment_window_cron(cron, zone, inside):
    assert conditions.in_window(cron, zone, WEDNESDAY_10) is inside


def test_unsupported_cron_marks_are_refused():
    with pytest.raises(UnsupportedPipeline, match="L, W and #"):
        conditions.in_window("* * * L * ?", "UTC", WEDNESDAY_10)


def test_alarm_rule_fails_only_in_the_watched_state():
    rule = {
        "RuleTypeId": {"Provider": "CloudWatchAlarm"},
        "Configuration": {"AlarmName": "a", "AlarmStates": "ALARM"},
    }
    assert conditions.evaluate_rule(rule, lambda: WEDNESDAY_10, lambda name: "OK") is None
    assert (
        conditions.evaluate_rule(rule, lambda: WEDNESDAY_10, lambda name: "ALARM")
        == "alarm a is ALARM"
    )
