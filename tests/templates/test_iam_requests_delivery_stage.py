"""delivery.yml's StageStackRole: every call CloudFormation makes for a stage stack.

CloudFormation deploys <project>-staging and <project>-prod (stage.yml and its nested
templates) with this role. The requests are derived from the templates: every nested
stack and resource deployed for a configuration, under the name CloudFormation gives
it, plus the read-back and delete lookups each resource type's registry schema lists.
"""

import json
from typing import Any

import pytest

from tests.templates import iam_model
from tests.templates.conftest import PARAMETERS_DIR
from tests.templates.iam_model import ACCOUNT, REGION, SUFFIX, allowed, refusals, render
from tests.templates.test_iam_requests_delivery import params, statements

# ------------------------------------------------------------------ StageStackRole


# Properties through which CloudFormation hands a role to a service while creating the
# resource (the caller passes it: IAM guide, "Grant a user permissions to pass a role").
PASSING_PROPERTIES = {
    ("AWS::Lambda::Function", "Role"): "lambda.amazonaws.com",
    ("AWS::SageMaker::Model", "ExecutionRoleArn"): "sagemaker.amazonaws.com",
    ("AWS::SageMaker::DataQualityJobDefinition", "RoleArn"): "sagemaker.amazonaws.com",
    ("AWS::Scheduler::Schedule", "Target.RoleArn"): "scheduler.amazonaws.com",
    ("AWS::ApiGateway::Method", "Integration.Credentials"): "apigateway.amazonaws.com",
    ("AWS::ApiGateway::Account", "CloudWatchRoleArn"): "apigateway.amazonaws.com",
}


def role_refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        if set(node) == {"Fn::GetAtt"} and node["Fn::GetAtt"][1] == "Arn":
            return [node["Fn::GetAtt"][0]]
        return [r for v in node.values() for r in role_refs(v)]
    if isinstance(node, list):
        return [r for v in node for r in role_refs(v)]
    return []


# Outputs of the nested stacks that other nested stacks take as parameters (sample values;
# the names that matter for IAM are rendered from the templates instead).
NESTED_OUTPUTS = {
    "Endpoint.Outputs.VariantName": "AllTraffic",
    "Endpoint.Outputs.SupportedContentTypes": "text/csv",
    "Endpoint.Outputs.BaselineStatisticsS3Uri": "s3://demo-artifacts/v/stats.json",
    "Endpoint.Outputs.BaselineConstraintsS3Uri": "s3://demo-artifacts/v/cons.json",
    "Endpoint.Outputs.ModelPackageArn": iam_model.sagemaker_arn("model-package", "demo/4"),
    "Endpoint.Outputs.ModelPackageVersion": "4",
    "Endpoint.Outputs.LatencyThresholdMicroseconds": "500000",
    "Monitoring.Outputs.MetricsNamespace": "driftgate/Endpoints/data-metrics",
    "Monitoring.Outputs.FeatureNames": "age,income,score",
    "Monitoring.Outputs.FeatureCount": "3",
}
# GetAtt values of custom resources inside the nested stacks.
CUSTOM_ATTRIBUTES = {
    "ApprovedModelPackage.ModelPackageArn": iam_model.sagemaker_arn("model-package", "demo/4"),
    "ApprovedModelPackage.ModelPackageVersion": "4",
    "ApprovedModelPackage.SupportedContentTypes": "text/csv",
    "DriftBaseline.StatisticsS3Uri": "s3://demo-artifacts/v/stats.json",
    "DriftBaseline.ConstraintsS3Uri": "s3://demo-artifacts/v/cons.json",
}


def stage_stacks(templates, p: dict[str, Any], stage: str, **stage_values: str):
    """(nested stack name, template, its parameter values) of each nested stack of the
    stage stack <project>-<stage>, with the parameters stage.yml passes it."""
    stage_template = templates["stage.yml"]
    stack = f"{p['ProjectName']}-{stage}"
    pseudo = {k: v for k, v in p.items() if k.startswith("AWS::")}
    given = {**p, "StageName": stage, **stage_values}
    sp = iam_model.template_params(stage_template, given, {**pseudo, "AWS::StackName": stack})
    rendered_names: dict[str, Any] = {}
    for logical_id, resource in stage_template["Resources"].items():
        if resource["Type"] != "AWS::CloudFormation::Stack":
            continue
        if resource.get("Condition") and not sp["conditions"][resource["Condition"]]:
            continue
        nested = f"{stack}-{logical_id}-{SUFFIX}"
        context = {**sp, **NESTED_OUTPUTS, **rendered_names}
        passed = render(resource["Properties"]["Parameters"], context, stage_template)
        url = render(resource["Properties"]["TemplateURL"], sp, stage_template)
        child = templates[url.rsplit("/", 1)[1]]
        cp = iam_model.template_params(child, passed, {**pseudo, "AWS::StackName": nested})
        # What later stacks read from this one's outputs.
        for output in ("EndpointName", "ErrorAlarmName", "LatencyAlarmName", "ScheduleName"):
            if output in passed:
                rendered_names[f"{logical_id}.Outputs.{output}"] = passed[output]
        if logical_id == "Monitoring":
            rendered_names["Monitoring.Outputs.ReportsKeyPrefix"] = (
                f"monitoring/{passed['EndpointName']}"
            )
            rendered_names["Monitoring.Outputs.MonitorFunctionName"] = (
                f"{nested}-MonitorFunction-{SUFFIX}"[:64]
            )
        yield nested, url, child, {**cp, **CUSTOM_ATTRIBUTES}


def name_of(child, cp, logical_id: str) -> str:
    return iam_model.physical(child, logical_id, cp)


def api_arn(path: str) -> str:
    return f"arn:aws:apigateway:{REGION}::{path}"


SAGEMAKER_KINDS = {
    "AWS::SageMaker::Model": ("model", "Model", None),
    "AWS::SageMaker::EndpointConfig": ("endpoint-config", "EndpointConfig", None),
    "AWS::SageMaker::Endpoint": ("endpoint", "Endpoint", "EndpointName"),
    "AWS::SageMaker::DataQualityJobDefinition": (
        "data-quality-job-definition",
        "DataQualityJobDefinition",
        None,
    ),
    "AWS::SageMaker::MonitoringSchedule": (
        "monitoring-schedule",
        "MonitoringSchedule",
        "MonitoringScheduleName",
    ),
}


def resource_requests(child, cp, logical_id: str, resource: dict[str, Any]) -> list:
    """The main requests CloudFormation makes with the stack's role to create, update and
    delete one resource (the create/update/delete actions of each type in the Service
    Authorization Reference; the role handed over, the code read, the key used)."""
    kind, props = resource["Type"], resource.get("Properties", {})
    arn = f"arn:aws:{{}}:{REGION}:{ACCOUNT}:"
    out: list[iam_model.Authorization] = []
    for prop_kind, path in PASSING_PROPERTIES:
        value: Any = props
        for part in path.split("."):
            value = value.get(part, {}) if isinstance(value, dict) else {}
        if kind == prop_kind and value:
            for role in role_refs(value):
                role_arn = render({"Fn::GetAtt": [role, "Arn"]}, cp, child)
                service = PASSING_PROPERTIES[(prop_kind, path)]
                out.append(("iam:PassRole", role_arn, {"iam:PassedToService": service}))
    if kind == "AWS::IAM::Role":
        role_arn = render({"Fn::GetAtt": [logical_id, "Arn"]}, cp, child)
        actions = (
            "CreateRole",
            "GetRole",
            "PutRolePolicy",
            "GetRolePolicy",
            "DeleteRolePolicy",
            "TagRole",
            "UpdateAssumeRolePolicy",
            "DeleteRole",
        )
        out += [(f"iam:{a}", role_arn, {}) for a in actions]
    elif kind == "AWS::Lambda::Function":
        function = render({"Fn::GetAtt": [logical_id, "Arn"]}, cp, child)
        actions = (
            "CreateFunction",
            "GetFunction",
            "TagResource",
            "UpdateFunctionCode",
            "UpdateFunctionConfiguration",
            "DeleteFunction",
        )
        out += [(f"lambda:{a}", function, {}) for a in actions]
        code = render(props["Code"], cp, child)
        out.append(("s3:GetObject", f"arn:aws:s3:::{code['S3Bucket']}/{code['S3Key']}", {}))
        key = render(props["KmsKeyArn"], cp, child)
        out += [(a, key, {}) for a in ("kms:CreateGrant", "kms:Encrypt", "kms:DescribeKey")]
    elif kind == "AWS::Lambda::Permission":
        name = render(props["FunctionName"], cp, child)
        out += [
            (f"lambda:{a}", arn.format("lambda") + f"function:{name}", {})
            for a in ("AddPermission", "RemovePermission")
        ]
    elif kind.startswith("Custom::"):
        token = render(props["ServiceToken"], cp, child)
        out.append(("lambda:InvokeFunction", token, {}))
    elif kind == "AWS::Logs::LogGroup":
        group = arn.format("logs") + f"log-group:{name_of(child, cp, logical_id)}"
        actions = (
            "CreateLogGroup",
            "PutRetentionPolicy",
            "AssociateKmsKey",
            "TagResource",
            "DeleteLogGroup",
        )
        out += [(f"logs:{a}", group, {}) for a in actions]
        out.append(("logs:DescribeLogGroups", arn.format("logs") + "log-group:*", {}))
    elif kind == "AWS::CloudWatch::Alarm":
        name = (
            render(props["AlarmName"], cp, child)
            if "AlarmName" in props
            else name_of(child, cp, logical_id)
        )
        actions = ("PutMetricAlarm", "DescribeAlarms", "TagResource", "DeleteAlarms")
        out += [
            (f"cloudwatch:{a}", arn.format("cloudwatch") + f"alarm:{name}", {}) for a in actions
        ]
    elif kind == "AWS::CloudWatch::Dashboard":
        name = render(props["DashboardName"], cp, child)
        dashboard = f"arn:aws:cloudwatch::{ACCOUNT}:dashboard/{name}"
        out += [
            (f"cloudwatch:{a}", dashboard, {})
            for a in ("PutDashboard", "GetDashboard", "DeleteDashboards")
        ]
    elif kind == "AWS::Events::Rule":
        name = (
            render(props["Name"], cp, child) if "Name" in props else name_of(child, cp, logical_id)
        )
        actions = (
            "PutRule",
            "DescribeRule",
            "TagResource",
            "PutTargets",
            "RemoveTargets",
            "DeleteRule",
        )
        out += [(f"events:{a}", arn.format("events") + f"rule/{name}", {}) for a in actions]
    elif kind == "AWS::Scheduler::Schedule":
        name = render(props["Name"], cp, child)
        schedule = arn.format("scheduler") + f"schedule/{props.get('GroupName', 'default')}/{name}"
        actions = ("CreateSchedule", "GetSchedule", "UpdateSchedule", "DeleteSchedule")
        out += [(f"scheduler:{a}", schedule, {}) for a in actions]
    elif kind in SAGEMAKER_KINDS:
        resource_type, verb, name_property = SAGEMAKER_KINDS[kind]
        name = (
            render(props[name_property], cp, child) if name_property else f"{logical_id}-{SUFFIX}"
        )
        target = iam_model.sagemaker_arn(resource_type, name)
        verbs = ["Create", "Describe", "Delete"] + (["Update"] if name_property else [])
        out += [(f"sagemaker:{v}{verb}", target, {}) for v in verbs]
        if kind != "AWS::SageMaker::MonitoringSchedule":  # its handlers never tag
            out.append(("sagemaker:AddTags", target, {}))
        if kind == "AWS::SageMaker::Model":
            package = render(props["PrimaryContainer"]["ModelPackageName"], cp, child)
            out.append(("sagemaker:DescribeModelPackage", package, {}))
        if kind == "AWS::SageMaker::EndpointConfig":
            key = render(props["KmsKeyId"], cp, child)
            out += [("kms:CreateGrant", key, {}), ("kms:DescribeKey", key, {})]
    elif kind.startswith("AWS::ApplicationAutoScaling::"):
        actions = (
            "RegisterScalableTarget",
            "DescribeScalableTargets",
            "DeregisterScalableTarget",
            "PutScalingPolicy",
            "DescribeScalingPolicies",
            "DeleteScalingPolicy",
        )
        out += [(f"application-autoscaling:{a}", "*", {}) for a in actions]
        if kind.endswith("ScalableTarget"):
            role_arn = render(props["RoleARN"], cp, child)
            out.append(
                (
                    "iam:CreateServiceLinkedRole",
                    role_arn,
                    {"iam:AWSServiceName": "sagemaker.application-autoscaling.amazonaws.com"},
                )
            )
    elif kind.startswith("AWS::ApiGateway::"):
        # API Gateway's IAM actions are HTTP verbs on resource paths (SAR, "Amazon API
        # Gateway Management"); the ids are random.
        path = {
            "AWS::ApiGateway::RestApi": "/restapis",
            "AWS::ApiGateway::UsagePlan": "/usageplans",
            "AWS::ApiGateway::ApiKey": "/apikeys",
            "AWS::ApiGateway::UsagePlanKey": "/usageplans/u1a2b3/keys",
            "AWS::ApiGateway::Account": "/account",
        }.get(kind, "/restapis/a1b2c3d4e5/resources")
        collection = api_arn(path)
        item = collection if path == "/account" else f"{collection}/x9y8z7"
        out += [("apigateway:POST", collection, {}), ("apigateway:GET", item, {})]
        out += [("apigateway:PATCH", item, {}), ("apigateway:DELETE", item, {})]
        out.append(("apigateway:PUT", api_arn(f"/tags/{item.replace('/', '%2F')}"), {}))
    else:
        raise AssertionError(f"{kind} is not modelled for the stage stack role: add it")
    return out


@pytest.mark.parametrize(
    ("stage", "backend", "api"),
    [
        ("staging", "builtin", "none"),
        ("prod", "model-monitor", "api-key"),
        ("prod", "builtin", "iam"),
    ],
)
def test_the_stage_stack_role_covers_what_cloudformation_does(templates, stage, backend, api):
    """CloudFormation User Guide, "CloudFormation service role": every call CloudFormation
    makes for the stack uses the role: the stage stack and its nested stacks (named
    <parent>-<LogicalId>-<suffix>), their templates read from the hosting bucket, and every
    resource of each nested template deployed for this configuration, under the name
    CloudFormation gives it (its name property, or <stack>-<LogicalId>-<suffix>, 64
    characters at most for roles and functions)."""
    p = params(MonitoringBackend=backend)
    stack = f"{p['ProjectName']}-{stage}"
    requests: list[iam_model.Authorization] = []
    for operation in ("CreateStack", "UpdateStack", "DescribeStacks", "DeleteStack"):
        requests += iam_model.authorizations("cloudformation", operation, {"StackName": stack})
    kinds = set()
    for nested, url, child, cp in stage_stacks(
        templates, p, stage, InferenceApi=api, InferenceApiLoggingRole="create"
    ):
        for operation in ("CreateStack", "UpdateStack", "DescribeStacks", "DeleteStack"):
            requests += iam_model.authorizations("cloudformation", operation, {"StackName": nested})
        host, key = url.removeprefix("https://").split("/", 1)
        requests.append(("s3:GetObject", f"arn:aws:s3:::{host.split('.s3.')[0]}/{key}", {}))
        for logical_id, resource in child["Resources"].items():
            if resource.get("Condition") and not cp["conditions"][resource["Condition"]]:
                continue
            kinds.add(resource["Type"])
            requests += resource_requests(child, cp, logical_id, resource)
    role = statements(templates, "StageStackRole", p)
    assert refusals(role, requests) == []
    passed = {(arn, c["iam:PassedToService"]) for a, arn, c in requests if a == "iam:PassRole"}
    expected = set(PASSING_PROPERTIES.values())
    expected -= set() if api != "none" else {"apigateway.amazonaws.com"}
    expected -= set() if backend == "builtin" else {"scheduler.amazonaws.com"}
    assert {service for _, service in passed} == expected
    assert "AWS::SageMaker::Endpoint" in kinds and "AWS::CloudWatch::Alarm" in kinds


def test_the_stage_stack_role_passes_roles_only_to_the_stage_services(templates):
    role = statements(templates, "StageStackRole")
    arn = f"arn:aws:iam::{ACCOUNT}:role/demo-staging-Endpoint-{SUFFIX}-ExecutionRole-{SUFFIX}"
    to = "iam:PassedToService"
    assert allowed(role, "iam:PassRole", arn, {to: "sagemaker.amazonaws.com"})
    assert not allowed(role, "iam:PassRole", arn, {to: "ec2.amazonaws.com"})
    assert not allowed(role, "iam:PassRole", arn, {})
    outside = f"arn:aws:iam::{ACCOUNT}:role/other-staging-x"
    assert not allowed(role, "iam:PassRole", outside, {to: "sagemaker.amazonaws.com"})


# Read-only calls of the resource handlers that take no resource ARN (SAR): the
# autoscaling schedule listing and the account's log resource policies.
NO_RESOURCE = {"application-autoscaling:DescribeScheduledActions", "logs:DescribeResourcePolicies"}


def handler_reads(kind: str) -> set[str]:
    """The read handler's permissions and the delete handler's lookups (Get/List/Describe)
    of a resource type, from its CloudFormation registry schema (cfn-lint ships them):
    CloudFormation reads every resource back after creating or updating it, and the
    delete handlers list what to remove first (a role's policies, a rule's targets)."""
    from cfnlint.schema import PROVIDER_SCHEMA_MANAGER

    handlers = PROVIDER_SCHEMA_MANAGER.get_resource_schema(REGION, kind).schema["handlers"]
    reads = set(handlers.get("read", {}).get("permissions", []))
    deletes = handlers.get("delete", {}).get("permissions", [])
    reads |= {p for p in deletes if p.split(":")[1].startswith(("Get", "List", "Describe"))}
    return reads


def resource_arn(child: dict, cp: dict, logical_id: str, resource: dict) -> str:
    """The resource's own ARN, as its modelled requests name it (a scalable target,
    whose requests take no ARN, gets a sample one: its id is generated)."""
    service = service_of(resource["Type"])
    arns = [
        arn
        for a, arn, _ in resource_requests(child, cp, logical_id, resource)
        if a.startswith(service + ":") and arn != "*"
    ]
    return arns[0] if arns else f"arn:aws:{service}:{REGION}:{ACCOUNT}:scalable-target/0a1b2c3d4e5f"


def service_of(kind: str) -> str:
    return {"ApplicationAutoScaling": "application-autoscaling"}.get(
        kind.split("::")[1], kind.split("::")[1].lower()
    )


@pytest.mark.parametrize(
    ("stage", "backend", "api"),
    [("staging", "builtin", "iam"), ("prod", "model-monitor", "api-key")],
)
def test_the_stage_stack_role_lets_cloudformation_read_back_and_delete(
    templates, stage, backend, api
):
    p = params(MonitoringBackend=backend)
    requests: list[iam_model.Authorization] = []
    for _, _, child, cp in stage_stacks(
        templates, p, stage, InferenceApi=api, InferenceApiLoggingRole="create"
    ):
        for logical_id, resource in child["Resources"].items():
            kind = resource["Type"]
            if kind.startswith("Custom::") or kind.startswith("AWS::ApiGateway::"):
                continue  # custom: our functions; API Gateway: HTTP verbs, modelled above
            if resource.get("Condition") and not cp["conditions"][resource["Condition"]]:
                continue
            service = service_of(kind)
            target = resource_arn(child, cp, logical_id, resource)
            for permission in handler_reads(kind):
                if permission.startswith(service + ":"):
                    requests.append((permission, "*" if permission in NO_RESOURCE else target, {}))
    role = statements(templates, "StageStackRole", p)
    assert refusals(role, requests) == []


def test_the_stage_parameter_files_tag_the_stage_stacks(templates):
    """The premise of the next test: the deploy actions pass these files as
    TemplateConfiguration, whose Tags CloudFormation puts on every taggable resource."""
    for stage in ("staging", "prod"):
        config = json.loads((PARAMETERS_DIR / "stages" / f"{stage}.json").read_text())
        assert config["Tags"], stage


def handler_tagging(kind: str) -> set[str]:
    """The tag calls a resource type's create handler makes when the stack is tagged
    (registry schema: ``tagging.taggable`` and ``tagOnCreate``, the create permissions
    that are also tagging permissions)."""
    from cfnlint.schema import PROVIDER_SCHEMA_MANAGER

    schema = PROVIDER_SCHEMA_MANAGER.get_resource_schema(REGION, kind).schema
    tagging = schema.get("tagging") or {}
    if not (tagging.get("taggable") and tagging.get("tagOnCreate")):
        return set()
    creates = set(schema["handlers"]["create"]["permissions"])
    return creates & set(tagging.get("permissions", []))


@pytest.mark.parametrize(
    ("stage", "backend", "api"),
    [("staging", "builtin", "iam"), ("prod", "model-monitor", "api-key")],
)
def test_the_stage_stack_role_may_tag_every_taggable_resource(templates, stage, backend, api):
    """Knowledge Center, "CloudFormation stack operations fail after I tag resources":
    without the tag permission the create fails. Every resource type whose schema tags on
    create gets its tag call allowed on its own ARN."""
    p = params(MonitoringBackend=backend)
    requests: list[iam_model.Authorization] = []
    tagged_kinds = set()
    for _, _, child, cp in stage_stacks(
        templates, p, stage, InferenceApi=api, InferenceApiLoggingRole="create"
    ):
        for logical_id, resource in child["Resources"].items():
            kind = resource["Type"]
            if kind.startswith("Custom::") or kind.startswith("AWS::ApiGateway::"):
                continue  # custom: no tags; API Gateway: PUT /tags, modelled above
            if resource.get("Condition") and not cp["conditions"][resource["Condition"]]:
                continue
            for permission in handler_tagging(kind):
                tagged_kinds.add(kind)
                requests.append((permission, resource_arn(child, cp, logical_id, resource), {}))
    assert {"AWS::Events::Rule", "AWS::ApplicationAutoScaling::ScalableTarget"} <= tagged_kinds
    role = statements(templates, "StageStackRole", p)
    assert refusals(role, requests) == []
