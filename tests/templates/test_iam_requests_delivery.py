"""delivery.yml: every request a role's holder makes is allowed by its ARNs and conditions.

The pipeline's functions (ResolveFunction, StagingTestFunction, StarterFunction) and the
stage-stacks custom resource run their real entry points on moto with the events and
environment the template gives them: a job event whose UserParameters are the action's
configuration with the pipeline variables filled in (Resolve's own output variables feed
the staging test, as in a run). Requests moto does not implement (CodePipeline job
results, SageMaker endpoint reads) are recorded, then answered with canned replies.

PipelineRole (CodePipeline) is a service role: its requests are modelled from the
CodePipeline documentation for the pipeline the template declares, every name taken from
the rendered template. StageStackRole: test_iam_requests_delivery_stage.py.
"""

import importlib.util
import io
import json
import re
import sys
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from tests.templates import iam_model
from tests.templates.iam_model import (
    ACCOUNT,
    REGION,
    SUFFIX,
    all_authorizations,
    allowed,
    granted_actions,
    recorded,
    refusals,
    render,
    role_statements,
)

TEMPLATE = "delivery.yml"
ROOT = Path(__file__).resolve().parents[2]
LAMBDA_PLATFORM = {"logs:CreateLogStream", "logs:PutLogEvents"}
IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3"
STAGES = ("staging", "prod")


def params(**overrides: Any) -> dict[str, Any]:
    return iam_model.sample_params(
        **{
            "AWS::StackName": "demo-delivery",
            "MonitoringBackend": "builtin",
            "ApprovalTimeoutMinutes": "1440",
            "BakeMinutes": "30",
            "DeploymentWindowCron": "",
            "DeploymentWindowTimeZone": "UTC",
            "StageStacksOnDelete": "delete",
            **overrides,
        },
        conditions={"HasDeploymentWindow": False, **overrides.pop("conditions", {})},
    )


def statements(templates, role: str, p: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    return role_statements(templates[TEMPLATE], role, p or params())


def pipeline(templates, p: dict[str, Any]) -> dict[str, Any]:
    template = templates[TEMPLATE]
    return render(template["Resources"]["Pipeline"]["Properties"], p, template)


def actions(templates, p: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {a["Name"]: a for s in pipeline(templates, p)["Stages"] for a in s["Actions"]}


def load(path: Path, name: str) -> Any:
    """A function's module under a unique name, its zip's folders on sys.path."""
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, path)
        assert spec is not None and spec.loader is not None
        sys.modules[name] = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(sys.modules[name])
    return sys.modules[name]


@pytest.fixture(autouse=True)
def code_paths(monkeypatch):
    for folder in (
        ROOT / "custom_resources",
        ROOT / "custom_resources" / "approved_model_package",
        ROOT / "custom_resources" / "stage_stacks",
        ROOT / "delivery_functions",
        ROOT / "delivery_functions" / "resolve_version",
        ROOT / "delivery_functions" / "staging_test",
        ROOT / "delivery_functions" / "start_pipeline",
    ):
        monkeypatch.syspath_prepend(str(folder))
    for key, value in iam_model.TEST_CREDENTIALS.items():
        monkeypatch.setenv(key, value)


def handler(function: str) -> Any:
    folder = {"resolve": "resolve_version", "staging": "staging_test", "start": "start_pipeline"}
    return load(
        ROOT / "delivery_functions" / folder[function] / "handler.py", f"iam_{function}_handler"
    )


class Context:
    def __init__(self, arn: str) -> None:
        self.invoked_function_arn = arn

    def get_remaining_time_in_millis(self) -> int:
        return 800_000


def job_event(configuration: dict[str, Any], variables: dict[str, str]) -> dict[str, Any]:
    """CodePipeline's invoke event for an action (CodePipeline guide, "Invoke an AWS
    Lambda function in a pipeline"), #{Namespace.Variable} resolved from `variables`."""
    text = re.sub(
        r"#\{([A-Za-z0-9.]+)\}", lambda m: variables[m.group(1)], configuration["UserParameters"]
    )
    return {
        "CodePipeline.job": {
            "id": "11111111-2222-3333-4444-555555555555",
            "accountId": ACCOUNT,
            "data": {"actionConfiguration": {"configuration": {"UserParameters": text}}},
        }
    }


JOB_RESULTS = {
    ("codepipeline", "PutJobSuccessResult"): {},
    ("codepipeline", "PutJobFailureResult"): {},
}


def job_result(requests: list) -> tuple[str, dict[str, Any]]:
    (result,) = [(o, p) for s, o, p in requests if s == "codepipeline"]
    assert result[1]["jobId"] == "11111111-2222-3333-4444-555555555555"
    return result


def register(p: dict[str, Any], status: str = "Approved") -> str:
    client = boto3.client("sagemaker", region_name=REGION)
    bucket = p["ArtifactsBucketName"]
    groups = client.list_model_package_groups()["ModelPackageGroupSummaryList"]
    if not groups:
        client.create_model_package_group(ModelPackageGroupName=p["ModelPackageGroupName"])
    quality = {
        "Statistics": {"ContentType": "application/json", "S3Uri": f"s3://{bucket}/v/stats.json"},
        "Constraints": {"ContentType": "application/json", "S3Uri": f"s3://{bucket}/v/cons.json"},
    }
    return str(
        client.create_model_package(
            ModelPackageGroupName=p["ModelPackageGroupName"],
            ModelApprovalStatus=status,
            InferenceSpecification={
                "Containers": [{"Image": IMAGE, "ModelDataUrl": f"s3://{bucket}/v/model.tar.gz"}],
                "SupportedContentTypes": ["text/csv"],
                "SupportedResponseMIMETypes": ["text/csv"],
            },
            DriftCheckBaselines={"ModelDataQuality": quality},
        )["ModelPackageArn"]
    )


def stage_stack_names(p: dict[str, Any]) -> list[str]:
    return [f"{p['ProjectName']}-{stage}" for stage in STAGES]


def rolled_back(names: list[str]) -> dict:
    """Canned CloudFormation answers: each stack of `names` is ROLLBACK_COMPLETE until
    DeleteStack is called for it, then gone (moto cannot produce a failed create)."""
    deleted: set[str] = set()

    def describe(request: dict[str, Any]) -> dict[str, Any]:
        name = request["StackName"]
        if name in names and name not in deleted:
            stack_id = iam_model.stack_arn(name)
            return {"Stacks": [{"StackName": name, "StackId": stack_id,
                                "CreationTime": "2026-11-23T10:00:00Z",
                                "StackStatus": "ROLLBACK_COMPLETE"}]}  # fmt: skip
        return {"Stacks": []}

    def delete(request: dict[str, Any]) -> dict[str, Any]:
        deleted.add(request["StackName"])
        return {}

    return {
        ("cloudformation", "DescribeStacks"): describe,
        ("cloudformation", "DeleteStack"): delete,
    }


def resolve_run(
    templates, p: dict[str, Any], requested: str, canned: dict | None = None
) -> tuple[list, str, dict]:
    action = actions(templates, p)["ResolveVersion"]
    event = job_event(action["Configuration"], {"variables.ModelPackage": requested})
    arn = render({"Fn::GetAtt": ["ResolveFunction", "Arn"]}, p, templates[TEMPLATE])
    assert action["Configuration"]["FunctionName"] == arn.rsplit(":", 1)[1]
    requests, _ = recorded(
        lambda: handler("resolve").handler(event, Context(arn)), {**JOB_RESULTS, **(canned or {})}
    )
    operation, body = job_result(requests)
    return requests, operation, body


# ------------------------------------------------------------------ ResolveRole


def test_resolve_is_allowed_by_its_role(templates):
    p = params()
    role = statements(templates, "ResolveRole", p)
    exercised: set[str] = set()
    every = iam_model.lambda_platform_requests(templates[TEMPLATE], "ResolveFunction", p)
    with mock_aws():
        _, failed, _ = resolve_run(templates, p, "latest")  # nothing registered yet
        assert failed == "PutJobFailureResult"
        first, _, _ = resolve_run(templates, p, "latest")
        package = register(p)
        for requested in ("latest", package, "1"):
            requests, operation, body = resolve_run(templates, p, requested)
            assert operation == "PutJobSuccessResult", body
            assert body["outputVariables"]["ModelPackageArn"] == package
            seen = all_authorizations(requests)
            assert refusals(role, seen) == []
            exercised |= {a for a, _, _ in seen}
            every += seen
        seen = all_authorizations(first)
        assert refusals(role, seen) == []
        exercised |= {a for a, _, _ in seen}
        every += seen
        # Both stage stacks left in ROLLBACK_COMPLETE by failed first creates: deleted
        # with the stage stacks' role, then polled until gone.
        requests, operation, _ = resolve_run(
            templates, p, "latest", rolled_back(stage_stack_names(p))
        )
        assert operation == "PutJobSuccessResult"
        deletes = [q for s, o, q in requests if o == "DeleteStack"]
        stage_role = render({"Fn::GetAtt": ["StageStackRole", "Arn"]}, p, templates[TEMPLATE])
        assert sorted(q["StackName"] for q in deletes) == sorted(stage_stack_names(p))
        assert {q["RoleARN"] for q in deletes} == {stage_role}
        seen = all_authorizations(requests)
        assert refusals(role, seen) == []
        exercised |= {a for a, _, _ in seen}
        every += seen
    assert iam_model.unused_grants(role, every) == []
    assert exercised | {"codepipeline:PutJobFailureResult"} | LAMBDA_PLATFORM == (
        granted_actions(role)
    )


# ------------------------------------------------------------------ StagingTestRole


def staging_outputs(templates, p: dict[str, Any]) -> dict[str, str]:
    """The StagingDeploy namespace: stage.yml's outputs for <project>-staging."""
    stage = templates["stage.yml"]
    sp = {**p, "StageName": "staging", "AWS::StackName": f"{p['ProjectName']}-staging"}
    resources = stage["Resources"]
    endpoint = render(resources["Endpoint"]["Properties"]["Parameters"]["EndpointName"], sp, stage)
    schedule = render(
        resources["Monitoring"]["Properties"]["Parameters"]["ScheduleName"], sp, stage
    )
    nested = f"{sp['AWS::StackName']}-Monitoring-{SUFFIX}"
    # A generated function name: <stack>-<LogicalId>-<suffix>, at most 64 characters.
    monitor = f"{nested}-MonitorFunction-{SUFFIX}"[:64]
    return {
        "StagingDeploy.EndpointName": endpoint,
        "StagingDeploy.ScheduleName": schedule,
        "StagingDeploy.MonitorFunctionName": monitor,
        "StagingDeploy.ReportsS3Uri": f"s3://{p['DataBucketName']}/monitoring/{endpoint}",
    }


def staging_canned(variables: dict[str, str], status: str, function_key: str) -> dict:
    package = variables["Resolve.ModelPackageArn"]
    return {
        **JOB_RESULTS,
        ("sagemaker", "DescribeEndpoint"): {
            "EndpointStatus": status,
            "EndpointConfigName": "endpointconfig-abc123",
        },
        ("sagemaker", "DescribeEndpointConfig"): {
            "EndpointConfigName": "endpointconfig-abc123",
            "ProductionVariants": [{"VariantName": "AllTraffic", "ModelName": "model-abc123"}],
            "DataCaptureConfig": {"EnableCapture": True},
        },
        ("sagemaker", "DescribeModel"): {"PrimaryContainer": {"ModelPackageName": package}},
        ("sagemakerruntime", "InvokeEndpoint"): lambda _: {"Body": io.BytesIO(b"0.5")},
        # monitoring.yml encrypts the monitor's environment with the stack key.
        ("lambda", "GetFunctionConfiguration"): {
            "KMSKeyArn": function_key,
            "Environment": {
                "Variables": {
                    "DRIFTGATE_BASELINE_STATISTICS_S3_URI": variables[
                        "Resolve.BaselineStatisticsS3Uri"
                    ],
                    "DRIFTGATE_BASELINE_CONSTRAINTS_S3_URI": variables[
                        "Resolve.BaselineConstraintsS3Uri"
                    ],
                }
            },
        },
        ("sagemaker", "DescribeMonitoringSchedule"): {
            "MonitoringScheduleConfig": {"MonitoringJobDefinitionName": "data-quality-job-abc123"}
        },
        ("sagemaker", "DescribeDataQualityJobDefinition"): {
            "DataQualityBaselineConfig": {
                "StatisticsResource": {"S3Uri": variables["Resolve.BaselineStatisticsS3Uri"]},
                "ConstraintsResource": {"S3Uri": variables["Resolve.BaselineConstraintsS3Uri"]},
            }
        },
    }


@pytest.mark.parametrize("backend", ["builtin", "model-monitor"])
def test_the_staging_test_is_allowed_by_its_role(templates, backend):
    p = params(MonitoringBackend=backend)
    role = statements(templates, "StagingTestRole", p)
    exercised: set[str] = set()
    with mock_aws():
        s3 = boto3.client("s3", region_name=REGION)
        s3.create_bucket(Bucket=p["ArtifactsBucketName"])
        statistics = {
            "version": 0,
            "features": [
                {
                    "name": "x",
                    "inferred_type": "Fractional",
                    "numerical_statistics": {"min": 0.0, "max": 1.0},
                }
            ],
        }
        # As build.yml's DataQuality step writes it: SSE-KMS with the stack key
        # (ProcessingOutputConfig.KmsKeyId), so reading it needs that key's kms:Decrypt.
        s3.put_object(
            Bucket=p["ArtifactsBucketName"],
            Key="v/stats.json",
            Body=json.dumps(statistics),
            ServerSideEncryption="aws:kms",
            SSEKMSKeyId=p["KmsKeyArn"],
        )
        register(p)
        _, _, resolved = resolve_run(templates, p, "latest")
        variables = {
            **{f"Resolve.{k}": v for k, v in resolved["outputVariables"].items()},
            **staging_outputs(templates, p),
        }
        event = job_event(actions(templates, p)["TestStaging"]["Configuration"], variables)
        arn = render({"Fn::GetAtt": ["StagingTestFunction", "Arn"]}, p, templates[TEMPLATE])
        for status, result in (
            ("InService", "PutJobSuccessResult"),
            ("Updating", "PutJobFailureResult"),
        ):
            requests, _ = recorded(
                lambda: handler("staging").handler(event, Context(arn)),
                staging_canned(variables, status, p["KmsKeyArn"]),
            )
            assert job_result(requests)[0] == result
            seen = all_authorizations(requests)
            assert refusals(role, seen) == []
            if result == "PutJobSuccessResult":
                via_s3 = {"kms:ViaService": f"s3.{REGION}.amazonaws.com"}
                assert ("kms:Decrypt", p["KmsKeyArn"], via_s3) in seen
            if result == "PutJobSuccessResult" and backend == "builtin":
                # the monitor's environment, read through Lambda
                via_lambda = {"kms:ViaService": f"lambda.{REGION}.amazonaws.com"}
                assert ("kms:Decrypt", p["KmsKeyArn"], via_lambda) in seen
            exercised |= {a for a, _, _ in seen}
    other_backend = {
        "builtin": {
            "sagemaker:DescribeMonitoringSchedule",
            "sagemaker:DescribeDataQualityJobDefinition",
        },
        "model-monitor": {"lambda:GetFunctionConfiguration"},
    }[backend]
    assert exercised | other_backend | LAMBDA_PLATFORM == granted_actions(role)


# ------------------------------------------------------------------ StarterRole


def test_the_approval_trigger_starts_only_its_pipeline(templates, monkeypatch):
    p = params()
    template = templates[TEMPLATE]
    function = template["Resources"]["StarterFunction"]["Properties"]
    for name, value in render(function["Environment"]["Variables"], p, template).items():
        monkeypatch.setenv(name, value)
    # EventBridge events reference, "SageMaker Model Package State Change".
    event = {
        "id": "7bf73129-1428-4cd3-a780-95db273d1602",
        "source": "aws.sagemaker",
        "detail-type": "SageMaker Model Package State Change",
        "detail": {
            "ModelPackageGroupName": p["ModelPackageGroupName"],
            "ModelPackageArn": p["ModelPackageArn"],
            "ModelApprovalStatus": "Approved",
        },
    }
    canned = {("codepipeline", "StartPipelineExecution"): {"pipelineExecutionId": "e-1"}}
    requests, answer = recorded(lambda: handler("start").handler(event, None), canned)
    assert answer["started"] == "e-1"
    seen = all_authorizations(requests)
    role = statements(templates, "StarterRole", p)
    assert refusals(role, seen) == []
    assert {a for a, _, _ in seen} | LAMBDA_PLATFORM == granted_actions(role)
    platform = iam_model.lambda_platform_requests(template, "StarterFunction", p)
    assert iam_model.unused_grants(role, seen + platform) == []
    # The pipeline the function starts is the one this template creates.
    assert seen[0][1].endswith(":" + pipeline(templates, p)["Name"])


# ------------------------------------------------------------------ StageStacksRole


def test_the_stage_stacks_teardown_is_allowed_by_its_role(templates):
    teardown = load(ROOT / "custom_resources" / "stage_stacks" / "teardown.py", "iam_teardown")
    p = params()
    template = templates[TEMPLATE]
    props = template["Resources"]["StageStacks"]["Properties"]
    properties = {
        k: render(v, p, template)
        for k, v in props.items()
        if k not in ("ServiceToken", "ServiceTimeout")
    }
    request = teardown.parse_properties(properties)
    with mock_aws():
        cloudformation = boto3.client("cloudformation", region_name=REGION)
        body = json.dumps({"Resources": {"Topic": {"Type": "AWS::SNS::Topic"}}})
        for name in request.stack_names:
            cloudformation.create_stack(StackName=name, TemplateBody=body)
        requests, _ = recorded(
            lambda: teardown.delete_stage_stacks(
                teardown.cloudformation_client(), request, lambda: 800_000, lambda _: None
            )
        )
    seen = all_authorizations(requests)
    role = statements(templates, "StageStacksRole", p)
    assert refusals(role, seen) == []
    assert {a for a, _, _ in seen} | LAMBDA_PLATFORM == granted_actions(role)
    platform = iam_model.lambda_platform_requests(template, "StageStacksFunction", p)
    assert iam_model.unused_grants(role, seen + platform) == []
    (passed, *_) = [r for r in seen if r[0] == "iam:PassRole"]
    assert passed[2] == {"iam:PassedToService": "cloudformation.amazonaws.com"}


# ------------------------------------------------------------------ PipelineRole


def artifact_key(pipeline_name: str, artifact: str) -> str:
    # CodePipeline stores an artifact at <bucket>/<pipeline name, first 20 characters>/
    # <artifact name, first 20 characters>/<random id> (CodePipeline guide, "Input and
    # output artifacts").
    return f"{pipeline_name[:20]}/{artifact[:20]}/Xy7Zq3A"


def pipeline_requests(templates, p: dict[str, Any]) -> list[iam_model.Authorization]:
    """What CodePipeline does with its service role for this pipeline (CodePipeline User
    Guide, "Manage the CodePipeline service role" and the action and rule references):
    - S3 source action: s3:GetObject/GetObjectVersion on S3Bucket/S3ObjectKey and
      s3:GetBucketVersioning on S3Bucket;
    - the artifact store: writes output artifacts and reads input artifacts (s3:PutObject,
      GetObject, GetObjectVersion, GetBucketVersioning, ListBucket), with the store's
      EncryptionKey (kms:GenerateDataKey, kms:Decrypt);
    - Lambda invoke actions: lambda:InvokeFunction on FunctionName;
    - CloudFormation actions (CREATE_UPDATE): cloudformation:DescribeStacks, CreateStack,
      UpdateStack on StackName, ValidateTemplate (no resource), iam:PassRole of RoleArn to
      cloudformation.amazonaws.com (the change-set, delete and stack-policy actions the
      guide lists serve the other action modes and a StackPolicy in the configuration),
      and DescribeStackEvents on StackName for a failed operation's message ("AWS
      CloudFormation deploy action reference": without it the message is generic);
    - manual approval: sns:Publish to NotificationArn (encrypted topic: kms:GenerateDataKey,
      kms:Decrypt, SNS "Encryption at rest");
    - CloudWatchAlarm rules: cloudwatch:DescribeAlarms on AlarmName."""
    spec = pipeline(templates, p)
    name = spec["Name"]
    store = spec["ArtifactStore"]
    bucket = f"arn:aws:s3:::{store['Location']}"
    key = store["EncryptionKey"]["Id"]
    out: list[iam_model.Authorization] = []
    for stage in spec["Stages"]:
        for action in stage["Actions"]:
            provider, config = action["ActionTypeId"]["Provider"], action["Configuration"]
            for artifact in action.get("OutputArtifacts", []):
                obj = f"{bucket}/{artifact_key(name, artifact['Name'])}"
                out += [("s3:PutObject", obj, {}), ("kms:GenerateDataKey", key, {})]
            for artifact in action.get("InputArtifacts", []):
                obj = f"{bucket}/{artifact_key(name, artifact['Name'])}"
                out += [("s3:GetObject", obj, {}), ("s3:GetObjectVersion", obj, {})]
                out += [("s3:GetBucketVersioning", bucket, {}), ("s3:ListBucket", bucket, {})]
                out += [("kms:Decrypt", key, {})]
            if provider == "S3":
                source = f"arn:aws:s3:::{config['S3Bucket']}"
                out += [
                    ("s3:GetObject", f"{source}/{config['S3ObjectKey']}", {}),
                    ("s3:GetObjectVersion", f"{source}/{config['S3ObjectKey']}", {}),
                    ("s3:GetBucketVersioning", source, {}),
                ]
            elif provider == "Lambda":
                out += iam_model.authorizations(
                    "lambda", "Invoke", {"FunctionName": config["FunctionName"]}
                )
            elif provider == "CloudFormation":
                assert config["ActionMode"] == "CREATE_UPDATE"
                for operation in ("DescribeStacks", "CreateStack", "UpdateStack"):
                    request = {"StackName": config["StackName"], "RoleARN": config["RoleArn"]}
                    out += iam_model.authorizations("cloudformation", operation, request)
                out.append(("cloudformation:ValidateTemplate", "*", {}))
                events = {"StackName": config["StackName"]}
                out += iam_model.authorizations("cloudformation", "DescribeStackEvents", events)
            elif provider == "Manual":
                out += iam_model.authorizations(
                    "sns", "Publish", {"TopicArn": config["NotificationArn"]}
                )
                out += [
                    ("kms:GenerateDataKey", p["KmsKeyArn"], {}),
                    ("kms:Decrypt", p["KmsKeyArn"], {}),
                ]
            else:
                raise AssertionError(f"action provider {provider} is not modelled")
        for condition in (stage.get("OnSuccess") or {}).get("Conditions", []):
            for rule in condition["Rules"]:
                assert rule["RuleTypeId"]["Provider"] == "CloudWatchAlarm"
                names = {"AlarmNames": [rule["Configuration"]["AlarmName"]]}
                out += iam_model.authorizations("cloudwatch", "DescribeAlarms", names)
    return out


def test_the_pipeline_role_covers_what_codepipeline_does(templates):
    p = params()
    requests = pipeline_requests(templates, p)
    role = statements(templates, "PipelineRole", p)
    assert refusals(role, requests) == []
    assert {a for a, _, _ in requests} == granted_actions(role)
    assert iam_model.unused_grants(role, requests) == []
    stacks = {arn.split("/")[1] for a, arn, _ in requests if a == "cloudformation:CreateStack"}
    assert stacks == {f"{p['ProjectName']}-{stage}" for stage in STAGES}


def test_the_pipeline_passes_the_stage_role_to_cloudformation_only(templates):
    p = params()
    role = statements(templates, "PipelineRole", p)
    stage_role = render({"Fn::GetAtt": ["StageStackRole", "Arn"]}, p, templates[TEMPLATE])
    to = "iam:PassedToService"
    assert allowed(role, "iam:PassRole", stage_role, {to: "cloudformation.amazonaws.com"})
    assert not allowed(role, "iam:PassRole", stage_role, {to: "lambda.amazonaws.com"})
    other = stage_role.replace("StageStackRole", "StagingTestRole")
    assert not allowed(role, "iam:PassRole", other, {to: "cloudformation.amazonaws.com"})
