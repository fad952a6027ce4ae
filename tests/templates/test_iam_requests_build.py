"""build.yml: every request a role's holder makes is allowed by its ARNs and conditions.

RetrainGateRole: the gate's Lambda entry runs on moto with the environment the template
gives it (SageMaker Pipelines calls, which moto lacks, are recorded and answered).
PipelineExecutionRole: SageMaker Pipelines and the jobs it starts use it; the requests
are derived from the pipeline definition the template declares.
"""

import importlib.util
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
    all_authorizations,
    allowed,
    granted_actions,
    recorded,
    refusals,
    render,
    role_statements,
)

TEMPLATE = "build.yml"
ROOT = Path(__file__).resolve().parents[2]
LAMBDA_PLATFORM = {"logs:CreateLogStream", "logs:PutLogEvents"}
EXECUTION_ID = "a1b2c3d4e5f6"


def params(**overrides: Any) -> dict[str, Any]:
    return iam_model.sample_params(
        **{
            "AWS::StackName": "demo-build",
            "MetricThreshold": "0.7",
            "TrainingInstanceType": "ml.m5.large",
            "RetrainCooldownMinutes": "60",
            "DriftRetrainRegistersNewBaseline": "true",
            "RegularRetrainRegistersNewBaseline": "false",
            **overrides,
        },
        conditions={"CreateGroup": True, **overrides.pop("conditions", {})},
    )


def statements(templates, role: str, p: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    return role_statements(templates[TEMPLATE], role, p or params())


# ------------------------------------------------------------------ RetrainGateRole


def gate_handler() -> Any:
    for folder in ("retrain_gate", "approved_model_package", ""):
        path = str(ROOT / "custom_resources" / folder)
        if path not in sys.path:
            sys.path.insert(0, path)
    name = "iam_retrain_gate_handler"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(
            name, ROOT / "custom_resources" / "retrain_gate" / "handler.py"
        )
        assert spec is not None and spec.loader is not None
        sys.modules[name] = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(sys.modules[name])
    return sys.modules[name]


def topic_kms(requests: list[iam_model.Authorization], key: str) -> list[iam_model.Authorization]:
    """Publishing to the KMS-encrypted topic (foundation.yml encrypts it with the stack
    key) makes SNS ask KMS as the publisher (SNS Developer Guide, "Encryption at rest":
    the publisher needs kms:GenerateDataKey and kms:Decrypt)."""
    via = {"kms:ViaService": f"sns.{REGION}.amazonaws.com"}
    return [
        (action, key, via)
        for a, _, _ in requests
        if a == "sns:Publish"
        for action in ("kms:GenerateDataKey", "kms:Decrypt")
    ]


@pytest.mark.parametrize("registered", [False, True])
def test_the_retrain_gate_is_allowed_by_its_role(templates, monkeypatch, registered):
    p = params()
    template = templates[TEMPLATE]
    function = template["Resources"]["RetrainGateFunction"]["Properties"]
    env = render(function["Environment"]["Variables"], p, template)
    for name, value in {**iam_model.TEST_CREDENTIALS, **env}.items():
        monkeypatch.setenv(name, str(value))
    event = {
        "id": "5d7c1e0a-6f7e-4f44-9a0b-2f5f1c1d2e3f",
        "source": "aws.events",
        "detail-type": "Scheduled Event",
        "resources": [f"arn:aws:events:{REGION}:{ACCOUNT}:rule/demo-retrain"],
        "detail": {},
    }
    pipeline_arn = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:pipeline/demo-build/execution/x1"
    canned = {
        ("sagemaker", "ListPipelineExecutions"): {"PipelineExecutionSummaries": []},
        ("sagemaker", "StartPipelineExecution"): {"PipelineExecutionArn": pipeline_arn},
    }
    with mock_aws():
        boto3.client("sns", region_name=REGION).create_topic(Name="demo-notifications")
        sagemaker = boto3.client("sagemaker", region_name=REGION)
        sagemaker.create_model_package_group(ModelPackageGroupName=p["ModelPackageGroupName"])
        if registered:
            quality = {
                "Statistics": {"ContentType": "application/json", "S3Uri": "s3://a/s.json"},
                "Constraints": {"ContentType": "application/json", "S3Uri": "s3://a/c.json"},
            }
            sagemaker.create_model_package(
                ModelPackageGroupName=p["ModelPackageGroupName"],
                ModelApprovalStatus="Approved",
                InferenceSpecification={
                    "Containers": [{"Image": "1.dkr.ecr.us-east-1.amazonaws.com/x:1"}],
                    "SupportedContentTypes": ["text/csv"],
                    "SupportedResponseMIMETypes": ["text/csv"],
                },
                DriftCheckBaselines={"ModelDataQuality": quality},
            )
        requests, answer = recorded(lambda: gate_handler().handler(event, None), canned)
    assert answer["action"] == "started", answer
    seen = all_authorizations(requests)
    seen += topic_kms(seen, p["KmsKeyArn"])
    role = statements(templates, "RetrainGateRole", p)
    assert refusals(role, seen) == []
    exercised = {a for a, _, _ in seen} | LAMBDA_PLATFORM
    # The first build (no approved package) describes no package. DescribeModelPackageGroup
    # is reachable in the zip (package_lookup's failure paths, which
    # test_lambda_permissions.py counts) but the gate's paths never call it.
    unused = set() if registered else {"sagemaker:DescribeModelPackage"}
    assert exercised | unused | {"sagemaker:DescribeModelPackageGroup"} == granted_actions(role)
    platform = iam_model.lambda_platform_requests(template, "RetrainGateFunction", p)
    group = iam_model.sagemaker_arn("model-package-group", p["ModelPackageGroupName"])
    packages = iam_model.sagemaker_arn("model-package", p["ModelPackageGroupName"] + "/*")
    expected = {("DescribeGroupAndPackages", "sagemaker:DescribeModelPackageGroup", "")}
    expected.add(("DescribeGroupAndPackages", "", group))
    if not registered:
        expected.add(("DescribeGroupAndPackages", "sagemaker:DescribeModelPackage", ""))
        expected.add(("DescribeGroupAndPackages", "", packages))
    assert set(iam_model.unused_grants(role, seen + platform)) == expected


def test_the_gate_decrypts_for_the_topic_only_through_sns(templates):
    role = statements(templates, "RetrainGateRole")
    key = params()["KmsKeyArn"]
    assert not allowed(role, "kms:GenerateDataKey", key, {})
    via_s3 = {"kms:ViaService": f"s3.{REGION}.amazonaws.com"}
    assert not allowed(role, "kms:GenerateDataKey", key, via_s3)


# ------------------------------------------------------------ PipelineExecutionRole


def definition(templates, p: dict[str, Any]) -> dict[str, Any]:
    template = templates[TEMPLATE]
    pipeline = render(template["Resources"]["BuildPipeline"]["Properties"], p, template)
    body = pipeline["PipelineDefinition"]["PipelineDefinitionBody"]
    return {"RoleArn": pipeline["RoleArn"], **json.loads(body)}


def job_name(step: str) -> str:
    # SageMaker Pipelines names a step's job pipelines-<execution id>-<step>-<random>.
    return f"pipelines-{EXECUTION_ID}-{step}-Q1w2E3r4T5"


class Resolver:
    """Pipeline expressions (Get, Std:Join) for one execution with default parameters."""

    def __init__(self, spec: dict[str, Any]) -> None:
        self.parameters = {x["Name"]: x.get("DefaultValue", "") for x in spec["Parameters"]}
        self.steps: dict[str, dict[str, Any]] = {}

    def __call__(self, node: Any) -> Any:
        if isinstance(node, dict) and set(node) == {"Get"}:
            return self.get(node["Get"])
        if isinstance(node, dict) and set(node) == {"Std:Join"}:
            join = node["Std:Join"]
            return join["On"].join(str(self(v)) for v in join["Values"])
        if isinstance(node, dict):
            return {k: self(v) for k, v in node.items()}
        if isinstance(node, list):
            return [self(v) for v in node]
        return node

    def get(self, path: str) -> Any:
        if path == "Execution.PipelineExecutionId":
            return EXECUTION_ID
        if path.startswith("Parameters."):
            return self.parameters[path.removeprefix("Parameters.")]
        match = re.fullmatch(
            r"Steps\.(\w+)\.ProcessingOutputConfig\.Outputs\['(\w+)'\]\.S3Output\.S3Uri", path
        )
        if match:
            outputs = self.steps[match[1]]["ProcessingOutputConfig"]["Outputs"]
            (output,) = [o for o in outputs if o["OutputName"] == match[2]]
            return output["S3Output"]["S3Uri"]
        if re.fullmatch(r"Steps\.(\w+)\.ModelArtifacts\.S3ModelArtifacts", path):
            step = path.split(".")[1]
            base = self.steps[step]["OutputDataConfig"]["S3OutputPath"]
            return f"{base}/{job_name(step)}/output/model.tar.gz"
        raise AssertionError(f"pipeline expression {path} is not modelled")


def s3_read(uri: str, prefix: bool) -> list[iam_model.Authorization]:
    bucket, key = uri.removeprefix("s3://").split("/", 1)
    reads: list[iam_model.Authorization] = [
        (
            "s3:GetObject",
            f"arn:aws:s3:::{bucket}/{key.rstrip('/')}/part-0"
            if prefix and key.endswith("/")
            else f"arn:aws:s3:::{bucket}/{key}",
            {},
        )
    ]
    if prefix:
        reads.append(("s3:ListBucket", f"arn:aws:s3:::{bucket}", {"s3:prefix": key}))
    return reads


def s3_write(uri: str) -> list[iam_model.Authorization]:
    bucket, key = uri.removeprefix("s3://").split("/", 1)
    obj = f"arn:aws:s3:::{bucket}/{key.rstrip('/')}/file.out"
    return [("s3:PutObject", obj, {}), ("s3:AbortMultipartUpload", obj, {})]


def build_requests(templates, p: dict[str, Any]) -> list[iam_model.Authorization]:
    """SageMaker Developer Guide, "SageMaker Pipelines" IAM access management and
    "CreateProcessingJob / CreateTrainingJob API: Execution Role Permissions": the
    pipeline's role starts, watches and stops each step's job (tagging it), passes
    itself to the job, registers the package in the group; each job then reads its
    inputs (ListBucket on an S3Prefix, GetObject), writes its outputs (PutObject,
    multipart aborts), uses the stack key for volumes (CreateGrant, DescribeKey) and
    outputs (GenerateDataKey, Encrypt, Decrypt), pulls the prebuilt scikit-learn image
    (iam_model.image_pull_requests), writes logs and training metrics."""
    spec = definition(templates, p)
    resolve = Resolver(spec)
    role = spec["RoleArn"]
    out: list[iam_model.Authorization] = []
    steps = list(spec["Steps"])
    while steps:
        step = steps.pop(0)
        if step["Type"] == "Condition":
            steps += step["Arguments"]["IfSteps"] + step["Arguments"]["ElseSteps"]
            continue
        if step["Type"] == "Fail":
            continue
        arguments = resolve(step["Arguments"])
        resolve.steps[step["Name"]] = arguments
        if step["Type"] == "RegisterModel":
            group = arguments["ModelPackageGroupName"]
            package = iam_model.sagemaker_arn("model-package", f"{group}/1")
            # The SAR lists both resource types for CreateModelPackage and the docs do
            # not say which a version in a group is checked against: both are modelled.
            out += [
                ("sagemaker:CreateModelPackage", package, {}),
                (
                    "sagemaker:CreateModelPackage",
                    iam_model.sagemaker_arn("model-package-group", group),
                    {},
                ),
                ("sagemaker:AddTags", package, {}),
            ]
            out += [("sagemaker:DescribeModelPackage", package, {})]
            out += [
                (
                    "sagemaker:DescribeModelPackageGroup",
                    iam_model.sagemaker_arn("model-package-group", group),
                    {},
                )
            ]
            continue
        kind = {"Processing": "processing-job", "Training": "training-job"}[step["Type"]]
        verb = {"Processing": "ProcessingJob", "Training": "TrainingJob"}[step["Type"]]
        job = iam_model.sagemaker_arn(kind, job_name(step["Name"]))
        for action in (f"Create{verb}", f"Describe{verb}", f"Stop{verb}", "AddTags"):
            out.append((f"sagemaker:{action}", job, {}))
        assert arguments["RoleArn"] == role
        out.append(("iam:PassRole", role, {"iam:PassedToService": "sagemaker.amazonaws.com"}))
        if step["Type"] == "Processing":
            out += iam_model.image_pull_requests(arguments["AppSpecification"]["ImageUri"])
            for item in arguments["ProcessingInputs"]:
                s3 = item["S3Input"]
                out += s3_read(s3["S3Uri"], s3["S3DataType"] == "S3Prefix")
            for output in arguments["ProcessingOutputConfig"]["Outputs"]:
                out += s3_write(output["S3Output"]["S3Uri"])
            keys = [arguments["ProcessingResources"]["ClusterConfig"]["VolumeKmsKeyId"]]
            output_key = arguments["ProcessingOutputConfig"]["KmsKeyId"]
            for name, value in (arguments.get("Environment") or {}).items():
                if name.startswith("DRIFTGATE_PREVIOUS_") and value:
                    out += s3_read(value, prefix=False)
        else:
            out += iam_model.image_pull_requests(
                arguments["AlgorithmSpecification"]["TrainingImage"]
            )
            for channel in arguments["InputDataConfig"]:
                out += s3_read(channel["DataSource"]["S3DataSource"]["S3Uri"], prefix=True)
            out += s3_read(arguments["HyperParameters"]["sagemaker_submit_directory"], prefix=False)
            out += s3_write(arguments["OutputDataConfig"]["S3OutputPath"])
            keys = [arguments["ResourceConfig"]["VolumeKmsKeyId"]]
            output_key = arguments["OutputDataConfig"]["KmsKeyId"]
        out += [("kms:CreateGrant", k, {}) for k in keys] + [
            ("kms:DescribeKey", k, {}) for k in keys
        ]
        out += [(a, output_key, {}) for a in ("kms:GenerateDataKey", "kms:Encrypt", "kms:Decrypt")]
        group = f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/aws/sagemaker/{verb}s"
        stream = f"{group}:log-stream:{job_name(step['Name'])}/algo-1"
        out += [
            ("logs:CreateLogGroup", f"{group}:*", {}),
            ("logs:DescribeLogStreams", f"{group}:*", {}),
        ]
        out += [("logs:CreateLogStream", stream, {}), ("logs:PutLogEvents", stream, {})]
        namespace = {"cloudwatch:namespace": f"/aws/sagemaker/{verb}s"}
        out.append(("cloudwatch:PutMetricData", "*", namespace))
    return out


def test_the_pipeline_execution_role_covers_the_pipeline_and_its_jobs(templates):
    p = params()
    requests = build_requests(templates, p)
    role = statements(templates, "PipelineExecutionRole", p)
    assert refusals(role, requests) == []
    assert {a for a, _, _ in requests} == granted_actions(role)
    assert iam_model.unused_grants(role, requests) == []


def test_a_retrain_reading_the_previous_baseline_is_allowed(templates):
    """The gate passes the previous package's baseline URIs; they are in the artifacts
    bucket (package_lookup checks it), which the role reads."""
    role = statements(templates, "PipelineExecutionRole")
    previous = "arn:aws:s3:::demo-artifacts/demo/build/baselines/old/drift_check/statistics.json"
    assert allowed(role, "s3:GetObject", previous, {})
    assert not allowed(role, "s3:GetObject", "arn:aws:s3:::other-bucket/statistics.json", {})


def test_the_pipeline_passes_its_role_to_sagemaker_only(templates):
    p = params()
    role = statements(templates, "PipelineExecutionRole", p)
    arn = render({"Fn::GetAtt": ["PipelineExecutionRole", "Arn"]}, p, templates[TEMPLATE])
    to = "iam:PassedToService"
    assert allowed(role, "iam:PassRole", arn, {to: "sagemaker.amazonaws.com"})
    assert not allowed(role, "iam:PassRole", arn, {to: "lambda.amazonaws.com"})
    assert not allowed(role, "iam:PassRole", arn, {})


def test_the_retrain_schedule_invokes_exactly_the_gate(templates):
    """EventBridge Scheduler User Guide, "Set up the execution role": the role allows the
    target's API on the target (Lambda: lambda:InvokeFunction on the function ARN)."""
    p = params()
    template = templates[TEMPLATE]
    schedule = template["Resources"]["ScheduledRetrain"]["Properties"]
    target = render(schedule["Target"], p, template)
    role_arn = render({"Fn::GetAtt": ["ScheduledRetrainRole", "Arn"]}, p, template)
    assert target["RoleArn"] == role_arn
    role = statements(templates, "ScheduledRetrainRole", p)
    assert allowed(role, "lambda:InvokeFunction", target["Arn"], {})
    assert iam_model.unused_grants(role, [("lambda:InvokeFunction", target["Arn"], {})]) == []
    other = target["Arn"].replace("RetrainGateFunction", "MonitorFunction")
    assert not allowed(role, "lambda:InvokeFunction", other, {})
