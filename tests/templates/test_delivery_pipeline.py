"""The delivery pipeline's wiring that no emulator checks: modes, pinned versions, sizes,
and that the stage stacks' role covers what stage.yml creates."""

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
STAGES = ROOT / "parameters" / "stages"
# ActionDeclaration configuration values: at most 1000 characters (CodePipeline API).
CONFIGURATION_VALUE_LIMIT = 1000


def pipeline(templates: dict[str, Any]) -> dict[str, Any]:
    return templates["delivery.yml"]["Resources"]["Pipeline"]["Properties"]


def actions(templates: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {a["Name"]: a for s in pipeline(templates)["Stages"] for a in s["Actions"]}


def stage(templates: dict[str, Any], name: str) -> dict[str, Any]:
    (found,) = [s for s in pipeline(templates)["Stages"] if s["Name"] == name]
    return found


def sub_text(value: Any) -> str:
    """The text of a string, `!Sub text` or `!Sub [text, variables]`."""
    text = value["Fn::Sub"] if isinstance(value, dict) else value
    return text[0] if isinstance(text, list) else text


try:  # Python 3.11+
    from re import _parser as regex_parser  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover
    import sre_parse as regex_parser  # type: ignore[no-redef]

# Pseudo parameters have no pattern to read a bound from: the longest value each takes.
PSEUDO_LONGEST = {
    "AWS::Region": 25,  # the templates' own region-parameter bound (us-isof-south-1 is 15)
    "AWS::URLSuffix": len("amazonaws.com.cn"),
    "AWS::Partition": len("aws-us-gov"),
    "AWS::AccountId": 12,
}
# Values the root passes from the foundation stack's outputs, not from a root parameter:
# the longest value each can have, against the bound delivery.yml gives it.
FOUNDATION_LONGEST = {
    # A key ARN: the longest partition, a 15-character region, a multi-Region key id.
    "KmsKeyArn": len("arn:aws-us-gov:kms:us-isof-south-1:123456789012:key/mrk-") + 32,
    "DataBucketName": 63,  # S3 bucket names are 3 to 63 characters
}


def longest(spec: dict[str, Any]) -> int | None:
    """The longest value a parameter accepts, from its own MaxLength, AllowedValues and
    AllowedPattern (None: unbounded)."""
    bounds = []
    if "MaxLength" in spec:
        bounds.append(int(spec["MaxLength"]))
    if "AllowedValues" in spec:
        bounds.append(max(len(str(v)) for v in spec["AllowedValues"]))
    if "AllowedPattern" in spec:
        _, widest = regex_parser.parse(spec["AllowedPattern"]).getwidth()
        if widest < regex_parser.MAXREPEAT:
            bounds.append(widest)
    return min(bounds) if bounds else None


def longest_values(template: dict[str, Any]) -> dict[str, str]:
    """The longest value each bounded parameter allows, derived from its own bounds."""
    values = {name: "x" * n for name, n in PSEUDO_LONGEST.items()}
    for name, spec in template["Parameters"].items():
        bound = longest(spec)
        if bound is not None:
            values[name] = "x" * bound
    return values


def test_longest_reads_the_bounds():
    assert longest({"AllowedPattern": "^[a-z][a-z0-9-]{1,20}$"}) == 21
    assert longest({"AllowedPattern": "^[a-z0-9](-*[a-z0-9]){0,62}$"}) is None
    assert longest({"AllowedPattern": "^[a-z0-9](-*[a-z0-9]){0,62}$", "MaxLength": 63}) == 63
    assert longest({"AllowedValues": ["builtin", "model-monitor"]}) == 13
    assert longest({"AllowedPattern": "^.{0,9}$", "MaxLength": 20}) == 9


def test_queued_v2_pipeline(templates):
    properties = pipeline(templates)
    assert properties["PipelineType"] == "V2"
    assert properties["ExecutionMode"] == "QUEUED"
    assert properties["ArtifactStore"]["EncryptionKey"] == {
        "Id": {"Ref": "KmsKeyArn"},
        "Type": "KMS",
    }
    assert [s["Name"] for s in properties["Stages"]] == [
        "Source", "Resolve", "Staging", "Approval", "Production",
    ]  # fmt: skip


def test_source_is_the_release_archive_without_polling(templates):
    source = actions(templates)["ReleaseArchive"]
    assert source["ActionTypeId"]["Provider"] == "S3"
    assert source["Configuration"]["PollForSourceChanges"] == "false"
    assert sub_text(source["Configuration"]["S3ObjectKey"]).endswith(
        "release/driftgate-release.zip"
    )


def test_both_stages_deploy_the_version_resolve_pinned(templates):
    found = actions(templates)
    for name, stack in (("DeployStaging", "staging"), ("DeployProduction", "prod")):
        configuration = found[name]["Configuration"]
        assert configuration["ActionMode"] == "CREATE_UPDATE"
        assert sub_text(configuration["StackName"]) == f"${{ProjectName}}-{stack}"
        assert configuration["TemplatePath"] == "Release::templates/stage.yml"
        assert configuration["TemplateConfiguration"] == f"Release::parameters/{stack}.json"
        overrides = json.loads(sub_text(configuration["ParameterOverrides"]))
        assert overrides["ModelVersion"] == "#{Resolve.ModelPackageVersion}"
        assert overrides["StageName"] == stack


def test_no_action_replaces_a_stack_on_failure(templates):
    for action in actions(templates).values():
        assert action.get("Configuration", {}).get("ActionMode") != "REPLACE_ON_FAILURE"


def configuration_fields(templates: dict[str, Any]) -> Iterator[tuple[str, str, Any]]:
    """(action or rule, field, raw value) of every action's and rule's configuration."""
    for stage_spec in pipeline(templates)["Stages"]:
        for action in stage_spec["Actions"]:
            for key, raw in action.get("Configuration", {}).items():
                yield action["Name"], key, raw
        for when in ("BeforeEntry", "OnSuccess", "OnFailure"):
            for branch in _if_branches(stage_spec.get(when)):
                for condition in branch.get("Conditions", []):
                    for rule in condition.get("Rules", []):
                        for key, raw in rule.get("Configuration", {}).items():
                            yield rule["Name"], key, raw


def _if_branches(node: Any) -> list[dict[str, Any]]:
    if isinstance(node, dict) and "Fn::If" in node:
        return [b for b in node["Fn::If"][1:] if isinstance(b, dict) and "Ref" not in b]
    return [node] if isinstance(node, dict) else []


def worst_case(text: str, values: dict[str, str]) -> str:
    def value(match: re.Match[str]) -> str:
        name = match[1]
        assert name in values, f"${{{name}}} in an action configuration has no length bound"
        return values[name]

    return re.sub(r"\$\{([A-Za-z:]+)\}", value, text)


def test_every_configuration_field_fits_with_the_longest_values(templates):
    # CodePipeline refuses a configuration value over 1000 characters (ActionDeclaration
    # configuration, CodePipeline API reference); "Variables reference": variable syntax
    # counts as entered. Every ${Parameter} takes the longest value its bounds allow.
    values = longest_values(templates["delivery.yml"])
    checked = set()
    for owner, key, raw in configuration_fields(templates):
        if isinstance(raw, dict) and "Fn::Sub" not in raw:
            # A Ref or GetAtt: one value (a parameter, bounded, or a resource's name/ARN).
            name = raw.get("Ref")
            if name in values:
                assert len(values[name]) <= CONFIGURATION_VALUE_LIMIT, f"{owner}.{key}"
            continue
        text = worst_case(sub_text(raw), values)
        assert len(text) <= CONFIGURATION_VALUE_LIMIT, f"{owner}.{key}: {len(text)}"
        checked.add((owner, key))
    assert {("DeployStaging", "ParameterOverrides"), ("DeployProduction", "ParameterOverrides"),
            ("ResolveVersion", "UserParameters"), ("TestStaging", "UserParameters"),
            ("ApproveProduction", "CustomData")} <= checked  # fmt: skip


def test_the_worst_case_check_notices_an_unbounded_or_too_long_override(templates):
    values = longest_values(templates["delivery.yml"])
    overrides = sub_text(actions(templates)["DeployStaging"]["Configuration"]["ParameterOverrides"])
    # The topic written out instead of through its variable: no bound, refused by name.
    written_out = overrides.replace("#{variables.NotificationTopicArn}", "${NotificationTopicArn}")
    with pytest.raises(AssertionError, match="NotificationTopicArn"):
        worst_case(written_out, values)
    # A prefix without MaxLength is unbounded; with a 200-character bound it no longer fits.
    spec = dict(templates["delivery.yml"]["Parameters"]["TemplatesKeyPrefix"])
    del spec["MaxLength"]
    assert longest(spec) is None
    longer = {**values, "TemplatesKeyPrefix": "x" * 200}
    assert len(worst_case(overrides, longer)) > CONFIGURATION_VALUE_LIMIT


def test_the_topic_reaches_the_stages_through_a_pipeline_variable(templates):
    declared = {v["Name"]: v for v in pipeline(templates)["Variables"]}
    assert declared["NotificationTopicArn"]["DefaultValue"] == {"Ref": "NotificationTopicArn"}
    for name in ("DeployStaging", "DeployProduction"):
        configuration = actions(templates)[name]["Configuration"]
        overrides = json.loads(sub_text(configuration["ParameterOverrides"]))
        assert overrides["NotificationTopicArn"] == "#{variables.NotificationTopicArn}"


def test_root_refuses_what_the_delivery_stack_would_refuse(templates):
    # The root nests delivery.yml after the foundation stack exists: a value the delivery
    # stack refuses would fail there, after resources were created. Every value the root
    # passes to it must be bounded at least as tightly in the root.
    delivery = templates["delivery.yml"]["Parameters"]
    root = templates["pipeline.yml"]["Parameters"]
    nested = templates["pipeline.yml"]["Resources"].values()
    (passed,) = [r["Properties"]["Parameters"] for r in nested
                 if r["Type"] == "AWS::CloudFormation::Stack"
                 and "delivery.yml" in json.dumps(r["Properties"]["TemplateURL"])]  # fmt: skip
    used = set(re.findall(r"\$\{([A-Za-z]+)\}", json.dumps(pipeline(templates)["Stages"])))
    for name in sorted(used & set(delivery)):
        bound = longest(delivery[name])
        assert bound is not None, f"delivery.yml {name} is unbounded"
        value = passed[name]
        sources = [v["Ref"] for v in _if_values(value) if "Ref" in v]
        if any("Fn::GetAtt" in v for v in _if_values(value)):
            assert FOUNDATION_LONGEST[name] <= bound, name
        for source in sources:
            if source in PSEUDO_LONGEST:
                assert PSEUDO_LONGEST[source] <= bound, name
            else:
                root_bound = longest(root[source])
                assert root_bound is not None and root_bound <= bound, (name, root_bound, bound)


def _if_values(node: Any) -> list[dict[str, Any]]:
    if isinstance(node, dict) and "Fn::If" in node:
        return [v for b in node["Fn::If"][1:] for v in _if_values(b)]
    return [node] if isinstance(node, dict) else []


def test_overrides_and_stage_files_name_real_stage_parameters_and_cover_the_required(templates):
    stage_parameters = templates["stage.yml"]["Parameters"]
    required = {n for n, spec in stage_parameters.items() if "Default" not in spec}
    overrides = json.loads(
        sub_text(actions(templates)["DeployStaging"]["Configuration"]["ParameterOverrides"])
    )
    assert set(overrides) <= set(stage_parameters)
    assert required <= set(overrides)
    for name in ("staging.json", "prod.json"):
        document = json.loads((STAGES / name).read_text())
        assert set(document["Parameters"]) <= set(stage_parameters), name
        assert not set(document["Parameters"]) & set(overrides), f"{name}: the pipeline sets these"


@pytest.mark.parametrize("name", ["staging.json", "prod.json"])
def test_stage_files_hold_values_stage_yml_accepts(templates, violation, name):
    parameters = templates["stage.yml"]["Parameters"]
    for key, value in json.loads((STAGES / name).read_text())["Parameters"].items():
        assert violation(parameters[key], value) is None, f"{name}: {key}={value}"


def test_outputs_the_actions_read_exist_in_stage_yml(templates):
    outputs = set(templates["stage.yml"]["Outputs"])
    text = json.dumps(pipeline(templates))
    for name in re.findall(r"#\{(?:StagingDeploy|ProductionDeploy)\.([A-Za-z]+)\}", text):
        assert name in outputs, f"the pipeline reads stage output {name}, which stage.yml lacks"


def test_resolve_outputs_are_what_the_pipeline_reads():
    resolved = {"ModelPackageArn", "ModelPackageVersion", "ModelPackageGroupName",
                "BaselineStatisticsS3Uri", "BaselineConstraintsS3Uri"}  # fmt: skip
    text = (ROOT / "templates" / "delivery.yml").read_text()
    assert set(re.findall(r"#\{Resolve\.([A-Za-z]+)\}", text)) <= resolved


def test_approval_goes_to_the_topic_and_production_bakes_with_rollback(templates):
    approval = actions(templates)["ApproveProduction"]
    assert approval["Configuration"]["NotificationArn"] == {"Ref": "NotificationTopicArn"}
    assert approval["TimeoutInMinutes"] == {"Ref": "ApprovalTimeoutMinutes"}
    production = stage(templates, "Production")
    assert production["OnFailure"] == {"Result": "ROLLBACK"}
    (condition,) = production["OnSuccess"]["Conditions"]
    assert condition["Result"] == "ROLLBACK"
    alarms = {sub_text(r["Configuration"]["AlarmName"]) for r in condition["Rules"]}
    stage_names = templates["stage.yml"]["Resources"]["Endpoint"]["Properties"]["Parameters"]
    expected = {
        sub_text(stage_names[k]).replace("${StageName}", "prod")
        for k in ("ErrorAlarmName", "LatencyAlarmName")
    }
    assert alarms == expected
    window = production["BeforeEntry"]["Fn::If"]
    assert window[0] == "HasDeploymentWindow" and window[2] == {"Ref": "AWS::NoValue"}


def test_a_rollback_target_outlives_the_longest_gap_between_production_runs(templates):
    """Stage rollback re-runs the last good run's artifacts. The build's default retrain
    is monthly, so a good production run is often older than a month when the next one
    needs rolling back; the artifacts are kept over a year."""
    bucket = templates["delivery.yml"]["Resources"]["ArtifactBucket"]["Properties"]
    (rule,) = bucket["LifecycleConfiguration"]["Rules"]
    assert rule["ExpirationInDays"] > 366
    schedule = templates["build.yml"]["Parameters"]["RetrainSchedule"]["Default"]
    assert schedule.startswith("cron(") and schedule.split()[2] != "*", schedule  # monthly


def test_the_approval_rule_matches_this_group_and_approved_only(templates):
    pattern = templates["delivery.yml"]["Resources"]["ApprovalRule"]["Properties"]["EventPattern"]
    assert pattern["detail-type"] == ["SageMaker Model Package State Change"]
    assert pattern["detail"] == {
        "ModelPackageGroupName": [{"Ref": "ModelPackageGroupName"}],
        "ModelApprovalStatus": ["Approved"],
    }


# What the stage stacks' role must allow for each type stage.yml's templates create.
CREATE_ACTIONS = {
    "AWS::CloudFormation::Stack": "cloudformation:CreateStack",
    "AWS::IAM::Role": "iam:CreateRole",
    "AWS::Lambda::Function": "lambda:CreateFunction",
    "AWS::Logs::LogGroup": "logs:CreateLogGroup",
    "AWS::SageMaker::Model": "sagemaker:CreateModel",
    "AWS::SageMaker::EndpointConfig": "sagemaker:CreateEndpointConfig",
    "AWS::SageMaker::Endpoint": "sagemaker:CreateEndpoint",
    "AWS::SageMaker::DataQualityJobDefinition": "sagemaker:CreateDataQualityJobDefinition",
    "AWS::SageMaker::MonitoringSchedule": "sagemaker:CreateMonitoringSchedule",
    "AWS::Scheduler::Schedule": "scheduler:CreateSchedule",
    "AWS::CloudWatch::Alarm": "cloudwatch:PutMetricAlarm",
    "AWS::CloudWatch::Dashboard": "cloudwatch:PutDashboard",
    "AWS::Events::Rule": "events:PutRule",
    "AWS::ApplicationAutoScaling::ScalableTarget": "application-autoscaling:RegisterScalableTarget",
    "AWS::ApplicationAutoScaling::ScalingPolicy": "application-autoscaling:PutScalingPolicy",
    "AWS::Lambda::Permission": "lambda:AddPermission",
    "AWS::ApiGateway::RestApi": "apigateway:POST",
    "AWS::ApiGateway::Resource": "apigateway:POST",
    "AWS::ApiGateway::Method": "apigateway:PUT",
    "AWS::ApiGateway::RequestValidator": "apigateway:POST",
    "AWS::ApiGateway::GatewayResponse": "apigateway:PUT",
    "AWS::ApiGateway::Deployment": "apigateway:POST",
    "AWS::ApiGateway::Stage": "apigateway:POST",
    "AWS::ApiGateway::UsagePlan": "apigateway:POST",
    "AWS::ApiGateway::UsagePlanKey": "apigateway:POST",
    "AWS::ApiGateway::ApiKey": "apigateway:POST",
    "AWS::ApiGateway::Account": "apigateway:PATCH",
    "Custom::ApprovedModelPackage": "lambda:InvokeFunction",
    "Custom::DriftBaseline": "lambda:InvokeFunction",
    "Custom::EndpointDeployment": "lambda:InvokeFunction",
}


def resources(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Resources, with each Fn::ForEach fragment as the resource it expands to."""
    found = {}
    for logical_id, resource in template["Resources"].items():
        if logical_id.startswith("Fn::ForEach::"):
            found.update(resource[2])
        else:
            found[logical_id] = resource
    return found


def stage_templates(templates: dict[str, Any], name: str = "stage.yml") -> set[str]:
    found = {name}
    for resource in resources(templates[name]).values():
        if resource.get("Type") == "AWS::CloudFormation::Stack":
            child = sub_text(resource["Properties"]["TemplateURL"]).rsplit("/", 1)[-1]
            found |= stage_templates(templates, child)
    return found


def test_stage_stack_role_can_create_everything_stage_yml_creates(templates, role_statements):
    granted = {
        action
        for statement in role_statements[("delivery.yml", "StageStackRole")]
        for action in (
            statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        )
    }
    for name in sorted(stage_templates(templates)):
        for logical_id, resource in resources(templates[name]).items():
            kind = resource["Type"]
            assert kind in CREATE_ACTIONS, f"{name}/{logical_id}: add {kind} to CREATE_ACTIONS"
            assert CREATE_ACTIONS[kind] in granted, (
                f"{name}/{logical_id} needs {CREATE_ACTIONS[kind]}"
            )


@pytest.mark.parametrize(
    ("action", "modules"),
    [
        (
            "ResolveVersion",
            (
                "delivery_functions/resolve_version/resolve.py",
                "delivery_functions/resolve_version/stage_reset.py",
            ),
        ),
        ("TestStaging", ("delivery_functions/staging_test/checks.py",)),
    ],
)
def test_each_action_gets_exactly_the_user_parameters_its_code_reads(templates, action, modules):
    parameters = json.loads(sub_text(actions(templates)[action]["Configuration"]["UserParameters"]))
    read = set()
    for module in modules:
        found = re.findall(
            r'required_parameter\(\s*parameters,\s*"([A-Za-z0-9]+)"', (ROOT / module).read_text()
        )
        assert found, f"{module}: no required_parameter calls found; the analysis is broken"
        read |= set(found)
    assert set(parameters) == read


@pytest.mark.parametrize("template", ["delivery.yml", "pipeline.yml"])
def test_deployment_window_cron_takes_only_a_star_for_seconds(templates, template):
    # DeploymentWindow rule reference: seconds allow no value but "*"; CodePipeline
    # would refuse the pipeline after the stack's other resources were created.
    pattern = templates[template]["Parameters"]["DeploymentWindowCron"]["AllowedPattern"]
    for accepted in ("", "* * 9-16 ? * MON-THU", "* 0/30 8-17 ? * MON-FRI 2027"):
        assert re.fullmatch(pattern, accepted), accepted
    for refused in ("0 * 9-16 ? * MON-THU", "* * 9-16 ? *", "cron(* * 9-16 ? * MON-THU)"):
        assert not re.fullmatch(pattern, refused), refused
