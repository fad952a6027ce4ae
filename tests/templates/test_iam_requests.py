"""Every request a function makes is allowed by its role's resources and conditions.

test_lambda_permissions.py ties each role's actions to the calls in the code; this file
ties the ARNs and condition values too. The builtin monitor runs through its Lambda entry
on moto with the environment monitoring.yml gives it; every request it sends is turned
into (action, resource ARN, condition context) as the Service Authorization Reference
defines them and checked against the MonitorRole statements, rendered with the same
parameters. A prefix, namespace or bus that drifts between the environment and the
policy fails here, not with AccessDenied in the first scheduled run.
"""

import contextlib
import fnmatch
import json
from pathlib import Path
from typing import Any

import boto3
import numpy as np
import pytest
from moto import mock_aws

from drift_monitor import lambda_handler
from drift_monitor.baseline import build_baseline_from_columns
from tests.templates.test_monitoring_backends import render

REGION = "us-east-1"
ACCOUNT = "123456789012"  # moto's account
PARAMS: dict[str, Any] = {
    "AWS::Region": REGION,
    "AWS::Partition": "aws",
    "AWS::AccountId": ACCOUNT,
    "AWS::URLSuffix": "amazonaws.com",
    "AWS::NoValue": None,
    "ProjectName": "demo",
    "StageName": "staging",
    "EndpointName": "demo-staging",
    "ScheduleName": "demo-staging-data-quality",
    "DataBucketName": "demo-data",
    "ArtifactsBucketName": "demo-artifacts",
    "ArtifactsKmsKeyArn": "",
    "BaselineStatisticsS3Uri": "s3://demo-artifacts/models/v4/baseline/statistics.json",
    "BaselineConstraintsS3Uri": "s3://demo-artifacts/models/v4/baseline/constraints.json",
    "MonitoringSchedule": "hourly",
    "MinRecords": "50",
    "ModelPackageArn": f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:model-package/demo/4",
    "ModelPackageVersion": "4",
    "KmsKeyArn": f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab",
    "ProcessingMaxInstances": "10",
    "ProcessingInstanceType": "ml.m5.xlarge",
    "TemplatesBucketName": "demo-hosting",
    "TemplatesKeyPrefix": "driftgate/",
    "conditions": {
        "HasArtifactsKey": False,
        "UseBuiltin": True,
        "UseModelMonitor": False,
        "UseProcessing": True,
    },
}


def _request_context(service: str, operation: str, params: dict[str, Any]) -> list[tuple]:
    """(action, resource ARN, condition context) per request, as IAM authorizes it."""
    if service == "s3":
        bucket = params["Bucket"]
        if operation in ("ListObjectsV2", "ListObjects"):
            context = {"s3:prefix": params.get("Prefix", "")}
            return [("s3:ListBucket", f"arn:aws:s3:::{bucket}", context)]
        action = {"GetObject": "s3:GetObject", "PutObject": "s3:PutObject"}[operation]
        return [(action, f"arn:aws:s3:::{bucket}/{params['Key']}", {})]
    if service == "cloudwatch" and operation == "PutMetricData":
        return [("cloudwatch:PutMetricData", "*", {"cloudwatch:namespace": params["Namespace"]})]
    if service == "eventbridge" and operation == "PutEvents":
        bus = f"arn:aws:events:{REGION}:{ACCOUNT}:event-bus/"
        return [
            ("events:PutEvents", bus + entry.get("EventBusName", "default"), {})
            for entry in params["Entries"]
        ]
    raise AssertionError(f"{service}:{operation} is not modelled here: add it")


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _condition_holds(condition: dict[str, Any], context: dict[str, str]) -> bool:
    for operator, pairs in condition.items():
        for key, expected in pairs.items():
            if key not in context:
                return False
            values = [str(v) for v in _as_list(expected)]
            if operator == "StringEquals" and context[key] not in values:
                return False
            if operator == "StringLike" and not any(
                fnmatch.fnmatchcase(context[key], v) for v in values
            ):
                return False
            if operator not in ("StringEquals", "StringLike"):
                raise AssertionError(f"condition operator {operator} is not modelled here")
    return True


def allowed(
    statements: list[dict[str, Any]], action: str, arn: str, context: dict[str, str]
) -> bool:
    for statement in statements:
        if statement.get("Effect") != "Allow" or action not in _as_list(statement["Action"]):
            continue
        resources = [str(r) for r in _as_list(statement["Resource"])]
        if not any(fnmatch.fnmatchcase(arn, pattern) for pattern in resources):
            continue
        if _condition_holds(statement.get("Condition", {}), context):
            return True
    return False


def _monitor_statements(templates) -> list[dict[str, Any]]:
    template = templates["monitoring.yml"]
    policies = template["Resources"]["MonitorRole"]["Properties"]["Policies"]
    statements = []
    for policy in policies:
        for statement in policy["PolicyDocument"]["Statement"]:
            rendered = render(statement, PARAMS, template)
            if rendered is not None:
                statements.append(rendered)
    return statements


def _monitor_environment(templates) -> dict[str, str]:
    template = templates["monitoring.yml"]
    function = template["Resources"]["MonitorFunction"]["Properties"]
    attributes = {
        "StatisticsS3Uri": PARAMS["BaselineStatisticsS3Uri"],
        "ConstraintsS3Uri": PARAMS["BaselineConstraintsS3Uri"],
    }
    env = {}
    for name, value in function["Environment"]["Variables"].items():
        if isinstance(value, dict) and "Fn::GetAtt" in value:
            env[name] = attributes[value["Fn::GetAtt"][1]]
        elif (rendered := render(value, PARAMS, template)) is not None:
            env[name] = str(rendered)
    return env


@pytest.fixture
def monitor_requests(templates, monkeypatch) -> list[tuple]:
    """Every request of one drifted scheduled run, through the Lambda entry."""
    for key, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
    }.items():
        monkeypatch.setenv(key, value)
    env = _monitor_environment(templates)
    with mock_aws():
        s3 = boto3.client("s3", region_name=REGION)
        for bucket in (PARAMS["DataBucketName"], PARAMS["ArtifactsBucketName"]):
            s3.create_bucket(Bucket=bucket)
        rng = np.random.default_rng(3)
        stats, constraints = build_baseline_from_columns(
            ["x"], [[f"{v:.5f}" for v in rng.normal(size=500)]]
        )
        for uri, doc in (
            (env["DRIFTGATE_BASELINE_STATISTICS_S3_URI"], stats),
            (env["DRIFTGATE_BASELINE_CONSTRAINTS_S3_URI"], constraints),
        ):
            bucket, key = uri.removeprefix("s3://").split("/", 1)
            s3.put_object(Bucket=bucket, Key=key, Body=json.dumps(doc))
        env["DRIFTGATE_KMS_KEY_ARN"] = boto3.client("kms", region_name=REGION).create_key()[
            "KeyMetadata"
        ]["Arn"]
        lines = []
        for i in range(200):
            data = f"{rng.normal(3.0):.5f}"
            lines.append(
                json.dumps(
                    {
                        "captureData": {
                            "endpointInput": {
                                "observedContentType": "text/csv",
                                "mode": "INPUT",
                                "data": data,
                                "encoding": "CSV",
                            },
                            "endpointOutput": {
                                "observedContentType": "text/csv",
                                "mode": "OUTPUT",
                                "data": "0.5",
                                "encoding": "CSV",
                            },
                        },
                        "eventMetadata": {
                            "eventId": str(i),
                            "inferenceTime": f"2026-11-23T15:{i % 60:02d}:10Z",
                        },
                        "eventVersion": "0",
                    }
                )
            )
        capture = env["DRIFTGATE_CAPTURE_S3_URI"].removeprefix("s3://").split("/", 1)
        key = f"{capture[1]}/{env['DRIFTGATE_ENDPOINT_NAME']}/AllTraffic/2026/11/23/15/part.jsonl"
        s3.put_object(Bucket=capture[0], Key=key, Body="\n".join(lines) + "\n")
        for name, value in env.items():
            monkeypatch.setenv(name, value)

        seen: list[tuple] = []

        def record(params: dict[str, Any], model: Any, **_: Any) -> None:
            service = model.service_model.service_id.hyphenize().replace("-", "")
            seen.append((service, model.name, dict(params)))

        boto3.setup_default_session(region_name=REGION)
        boto3.DEFAULT_SESSION.events.register("provide-client-params.*.*", record)
        try:
            summary = lambda_handler.handler({"window_end": "2026-11-23T16:00:00Z"}, None)
        finally:
            boto3.DEFAULT_SESSION = None
        assert summary["status"] == "completed" and summary["violations"], summary
    return seen


def test_every_monitor_request_is_allowed_by_its_role(templates, monitor_requests):
    statements = _monitor_statements(templates)
    kinds = set()
    for service, operation, params in monitor_requests:
        for action, arn, context in _request_context(service, operation, params):
            kinds.add(action)
            assert allowed(statements, action, arn, context), (action, arn, context)
    # The run exercised every kind of access the role grants.
    assert kinds == {
        "s3:ListBucket",
        "s3:GetObject",
        "s3:PutObject",
        "cloudwatch:PutMetricData",
        "events:PutEvents",
    }


def test_the_check_refuses_a_prefix_the_role_does_not_cover(templates):
    statements = _monitor_statements(templates)
    other = ("s3:ListBucket", "arn:aws:s3:::demo-data", {"s3:prefix": "capture/other-endpoint/"})
    assert not allowed(statements, *other)
    namespace = (
        "cloudwatch:PutMetricData",
        "*",
        {"cloudwatch:namespace": "aws/sagemaker/Endpoints/data-metrics"},
    )
    assert not allowed(statements, *namespace)


# ------------------------------------------------------------ custom resource roles


def _role_statements(templates, template_name: str, role: str) -> list[dict[str, Any]]:
    template = templates[template_name]
    statements = []
    for policy in template["Resources"][role]["Properties"]["Policies"]:
        for statement in policy["PolicyDocument"]["Statement"]:
            rendered = render(statement, PARAMS, template)
            if rendered is not None:
                statements.append(rendered)
    return statements


def _recorded(call: Any) -> list[tuple]:
    seen: list[tuple] = []

    def record(params: dict[str, Any], model: Any, **_: Any) -> None:
        service = model.service_model.service_id.hyphenize().replace("-", "")
        seen.append((service, model.name, dict(params)))

    boto3.setup_default_session(region_name=REGION)
    boto3.DEFAULT_SESSION.events.register("provide-client-params.*.*", record)
    try:
        call()
    finally:
        boto3.DEFAULT_SESSION = None
    return seen


@pytest.fixture
def custom_resource_code(monkeypatch):
    root = Path(__file__).resolve().parents[2] / "custom_resources"
    for folder in (root, root / "drift_baseline", root / "deployment_check"):
        monkeypatch.syspath_prepend(str(folder))
    for key, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
    }.items():
        monkeypatch.setenv(key, value)


def test_drift_baseline_reads_only_what_its_role_allows(templates, custom_resource_code):
    import baseline_check

    with mock_aws():
        s3 = boto3.client("s3", region_name=REGION)
        s3.create_bucket(Bucket=PARAMS["ArtifactsBucketName"])
        stats, constraints = build_baseline_from_columns(["x"], [["1.0", "2.0", "3.0"]])
        for uri, doc in (
            (PARAMS["BaselineStatisticsS3Uri"], stats),
            (PARAMS["BaselineConstraintsS3Uri"], constraints),
        ):
            bucket, key = uri.removeprefix("s3://").split("/", 1)
            s3.put_object(Bucket=bucket, Key=key, Body=json.dumps(doc))
        request = baseline_check.parse_properties(
            {
                "StatisticsS3Uri": PARAMS["BaselineStatisticsS3Uri"],
                "ConstraintsS3Uri": PARAMS["BaselineConstraintsS3Uri"],
            }
        )
        seen = _recorded(lambda: baseline_check.validate(baseline_check.s3_client(), request))
    statements = _role_statements(templates, "monitoring.yml", "DriftBaselineRole")
    assert len(seen) == 2
    for service, operation, params in seen:
        for action, arn, context in _request_context(service, operation, params):
            assert allowed(statements, action, arn, context), (action, arn)


def test_deployment_check_describes_the_endpoint_its_role_names(templates, custom_resource_code):
    import endpoint_check

    params = dict(PARAMS, EndpointName="demo-staging")
    template = templates["endpoint.yml"]
    statements = [
        s
        for policy in template["Resources"]["DeploymentCheckRole"]["Properties"]["Policies"]
        for s in (render(st, params, template) for st in policy["PolicyDocument"]["Statement"])
    ]
    with mock_aws():
        request = endpoint_check.parse_properties(
            {
                "EndpointName": "demo-staging",
                "EndpointConfigName": "config",
                "ModelPackageArn": f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:model-package/g/1",
                "ModelPackageVersion": "1",
            }
        )

        def call() -> None:
            with contextlib.suppress(Exception):  # no endpoint in moto: the request counts
                endpoint_check.check(endpoint_check.sagemaker_client(), request)

        seen = _recorded(call)
    assert [(s, o) for s, o, _ in seen] == [("sagemaker", "DescribeEndpoint")]
    # SageMaker ARNs carry the name in lower case (Service Authorization Reference).
    arn = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:endpoint/{seen[0][2]['EndpointName'].lower()}"
    assert allowed(statements, "sagemaker:DescribeEndpoint", arn, {})
