"""The delivery pipeline's wiring that no emulator checks: modes, pinned versions, sizes,
and that the stage stacks' role covers what stage.yml creates."""

import json
import re
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
    return value["Fn::Sub"] if isinstance(value, dict) else value


def longest_values(template: dict[str, Any]) -> dict[str, str]:
    """The longest value each delivery.yml parameter allows (patterns read by hand)."""
    return {
        "ProjectName": "p" * 21,
        "ModelPackageGroupName": "g" * 63,
        "ArtifactsBucketName": "b" * 63,
        "ArtifactsKmsKeyArn": "arn:aws-us-gov:kms:ap-southeast-2:123456789012:key/" + "f" * 36,
        "MonitoringBackend": "model-monitor",
        "KmsKeyArn": "arn:aws-us-gov:kms:ap-southeast-2:123456789012:key/" + "f" * 36,
        "DataBucketName": "d" * 63,
        "NotificationTopicArn": "arn:aws-us-gov:sns:ap-southeast-2:123456789012:" + "t" * 80,
        "TemplatesBucketName": "h" * 63,
        "TemplatesKeyPrefix": "driftgate/releases/v1/",
        "TemplatesBucketRegion": "ap-southeast-2",
    }


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


def test_parameter_overrides_fit_even_with_the_longest_values(templates):
    values = longest_values(templates["delivery.yml"])
    for action in actions(templates).values():
        for key, raw in action.get("Configuration", {}).items():
            if isinstance(raw, dict) and "Fn::Sub" not in raw:
                continue  # a Ref or GetAtt: one value, bounded by its own pattern
            text = re.sub(
                r"\$\{([A-Za-z:]+)\}", lambda m: values.get(m[1], "x" * 20), sub_text(raw)
            )
            assert len(text) <= CONFIGURATION_VALUE_LIMIT, f"{action['Name']}.{key}: {len(text)}"


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
    ("action", "module"),
    [
        ("ResolveVersion", "delivery_functions/resolve_version/resolve.py"),
        ("TestStaging", "delivery_functions/staging_test/checks.py"),
    ],
)
def test_each_action_gets_exactly_the_user_parameters_its_code_reads(templates, action, module):
    parameters = json.loads(sub_text(actions(templates)[action]["Configuration"]["UserParameters"]))
    read = set(
        re.findall(
            r'required_parameter\(\s*parameters,\s*"([A-Za-z0-9]+)"', (ROOT / module).read_text()
        )
    )
    assert read, f"{module}: no required_parameter calls found; the analysis is broken"
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
