"""endpoint.yml: every request a role's holder makes is allowed by its ARNs and conditions.

ApprovedModelPackageRole and DeploymentCheckRole: the custom resources' real lookups run
on moto, every request recorded and checked against the rendered role
(tests/templates/iam_model.py). ExecutionRole: SageMaker makes the requests, modelled
from its documentation for the model, endpoint config and endpoint the template declares.
"""

import contextlib
import importlib.util
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

TEMPLATE = "endpoint.yml"
ROOT = Path(__file__).resolve().parents[2]
LAMBDA_PLATFORM = {"logs:CreateLogStream", "logs:PutLogEvents"}
IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3"


def params(**overrides: Any) -> dict[str, Any]:
    return iam_model.sample_params(
        **{
            "AWS::StackName": "demo-staging-Endpoint-4F5G6H",
            "ErrorAlarmName": "demo-staging-endpoint-5xx",
            "LatencyAlarmName": "demo-staging-model-latency",
            "InstanceType": "ml.m5.large",
            "InstanceCount": "1",
            "DataCaptureSamplingPercentage": "100",
            # GetAtt values of the custom resources, as they answer.
            "ApprovedModelPackage.ModelPackageArn": iam_model.sagemaker_arn(
                "model-package", "demo/4"
            ),
            "ApprovedModelPackage.ModelPackageVersion": "4",
            **overrides,
        },
        conditions={"SingleInstance": True, **overrides.pop("conditions", {})},
    )


def statements(templates, role: str, p: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    return role_statements(templates[TEMPLATE], role, p or params())


def load(folder: str, module: str) -> Any:
    """custom_resources/<folder>/<module>.py, imported as the zip lays it out."""
    for path in (ROOT / "custom_resources", ROOT / "custom_resources" / folder):
        if str(path) not in sys.path:
            sys.path.insert(0, str(path))
    name = f"iam_{folder}_{module}"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(
            name, ROOT / "custom_resources" / folder / f"{module}.py"
        )
        assert spec is not None and spec.loader is not None
        sys.modules[name] = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(sys.modules[name])
    return sys.modules[name]


@pytest.fixture
def credentials(monkeypatch):
    for key, value in iam_model.TEST_CREDENTIALS.items():
        monkeypatch.setenv(key, value)


@pytest.fixture
def aws(credentials):
    with mock_aws():
        yield


def register(group: str, bucket: str, status: str = "Approved") -> str:
    client = boto3.client("sagemaker", region_name=REGION)
    with contextlib.suppress(Exception):
        client.create_model_package_group(ModelPackageGroupName=group)
    quality = {
        "Statistics": {"ContentType": "application/json", "S3Uri": f"s3://{bucket}/v/stats.json"},
        "Constraints": {"ContentType": "application/json", "S3Uri": f"s3://{bucket}/v/cons.json"},
    }
    return str(
        client.create_model_package(
            ModelPackageGroupName=group,
            ModelApprovalStatus=status,
            InferenceSpecification={
                "Containers": [{"Image": IMAGE, "ModelDataUrl": f"s3://{bucket}/v/model.tar.gz"}],
                "SupportedContentTypes": ["text/csv"],
                "SupportedResponseMIMETypes": ["text/csv"],
            },
            DriftCheckBaselines={"ModelDataQuality": quality},
        )["ModelPackageArn"]
    )


def lookup_properties(templates, p: dict[str, Any]) -> dict[str, Any]:
    """Custom::ApprovedModelPackage's properties as the template sets them."""
    template = templates[TEMPLATE]
    props = template["Resources"]["ApprovedModelPackage"]["Properties"]
    skip = {"ServiceToken", "ServiceTimeout"}
    return {k: render(v, p, template) for k, v in props.items() if k not in skip}


def function_arn(templates, function: str, p: dict[str, Any]) -> str:
    return render({"Fn::GetAtt": [function, "Arn"]}, p, templates[TEMPLATE])


# ------------------------------------------------------------ ApprovedModelPackageRole


@pytest.mark.parametrize(
    ("version", "registered", "outcome"),
    [
        ("latest", "Approved", "resolved"),
        ("1", "Approved", "resolved"),
        ("latest", "PendingManualApproval", "nothing approved"),
        ("latest", None, "empty or missing group"),
    ],
)
def test_the_package_lookup_is_allowed_by_its_role(templates, aws, version, registered, outcome):
    lookup_requests(templates, version, registered, outcome)


def lookup_requests(templates, version: str, registered: str | None, outcome: str) -> list:
    package_lookup = load("approved_model_package", "package_lookup")
    p = params(ModelVersion=version, ModelNonce="1")
    properties = lookup_properties(templates, p)
    if registered:
        register(p["ModelPackageGroupName"], p["ArtifactsBucketName"], registered)
    request = package_lookup.parse_properties(properties)
    location = package_lookup.function_location(
        function_arn(templates, "ApprovedModelPackageFunction", p)
    )

    def call() -> str:
        client = package_lookup.sagemaker_client(location.region)
        try:
            return str(package_lookup.resolve(client, request, location).arn)
        except package_lookup.CustomResourceError as error:
            return str(error)

    requests, answer = recorded(call)
    assert (outcome == "resolved") == answer.startswith("arn:"), answer
    seen = all_authorizations(requests)
    role = statements(templates, "ApprovedModelPackageRole", p)
    assert refusals(role, seen) == []
    return seen


def test_the_lookup_paths_use_every_grant_of_the_role(templates, credentials):
    p = params()
    seen = iam_model.lambda_platform_requests(
        templates[TEMPLATE], "ApprovedModelPackageFunction", p
    )
    for case in (("latest", "Approved", "resolved"), ("latest", None, "empty")):
        with mock_aws():
            seen += lookup_requests(templates, *case)
    role = statements(templates, "ApprovedModelPackageRole", p)
    assert iam_model.unused_grants(role, seen) == []


def test_the_lookup_role_names_only_its_group(templates):
    role = statements(templates, "ApprovedModelPackageRole")
    other = iam_model.sagemaker_arn("model-package", "other-group/1")
    assert not allowed(role, "sagemaker:DescribeModelPackage", other, {})
    ours = iam_model.sagemaker_arn("model-package", "demo/12")
    assert allowed(role, "sagemaker:DescribeModelPackage", ours, {})


# ------------------------------------------------------------ DeploymentCheckRole


def test_deployment_check_describes_the_endpoint_its_role_names(templates, aws):
    endpoint_check = load("deployment_check", "endpoint_check")
    p = params()
    template = templates[TEMPLATE]
    props = template["Resources"]["DeploymentCheck"]["Properties"]
    rendered = {
        k: render(v, p, template)
        for k, v in props.items()
        if k not in ("ServiceToken", "ServiceTimeout")
    }
    request = endpoint_check.parse_properties(rendered)

    def call() -> None:
        with contextlib.suppress(Exception):  # no endpoint in moto: the request counts
            endpoint_check.check(endpoint_check.sagemaker_client(), request)

    requests, _ = recorded(call)
    assert [(s, o) for s, o, _ in requests] == [("sagemaker", "DescribeEndpoint")]
    role = statements(templates, "DeploymentCheckRole", p)
    seen = all_authorizations(requests)
    assert refusals(role, seen) == []
    assert {a for a, _, _ in seen} | LAMBDA_PLATFORM == granted_actions(role)
    platform = iam_model.lambda_platform_requests(template, "DeploymentCheckFunction", p)
    assert iam_model.unused_grants(role, seen + platform) == []


# ------------------------------------------------------------ ExecutionRole


def hosting_requests(templates, p: dict[str, Any]) -> list[iam_model.Authorization]:
    """What SageMaker does with the model's execution role, for endpoint.yml's model,
    endpoint config and endpoint (SageMaker Developer Guide):
    - "CreateModel API: Execution Role Permissions": reads the model data (s3:GetObject,
      s3:ListBucket on its bucket), pulls the inference image (ecr:GetAuthorizationToken,
      BatchCheckLayerAvailability, GetDownloadUrlForLayer, BatchGetImage), and writes the
      containers' logs (logs:CreateLogStream, PutLogEvents, DescribeLogStreams) and
      the instance metrics (cloudwatch:PutMetricData);
    - "Capture data from real-time endpoint": writes capture files under
      <DestinationS3Uri>/<endpoint>/<variant>/yyyy/mm/dd/hh/, encrypted with the capture
      KmsKeyId (kms:GenerateDataKey, kms:Encrypt; kms:Decrypt for multipart uploads);
    - "Auto-Rollback Configuration and Monitoring": reads the rollback alarms
      (cloudwatch:DescribeAlarms).
    The model data and image are the package's (ApprovedModelPackage checks the data is
    in ArtifactsBucketName); the rest comes from the rendered template."""
    template = templates[TEMPLATE]
    resources = template["Resources"]
    config = render(resources["EndpointConfig"]["Properties"], p, template)
    endpoint = render(resources["Endpoint"]["Properties"], p, template)
    log_group = render(resources["EndpointLogGroup"]["Properties"]["LogGroupName"], p, template)
    bucket = p["ArtifactsBucketName"]
    requests: list[iam_model.Authorization] = [
        ("s3:GetObject", f"arn:aws:s3:::{bucket}/v/model.tar.gz", {}),
        ("s3:ListBucket", f"arn:aws:s3:::{bucket}", {"s3:prefix": "v/model.tar.gz"}),
        ("ecr:GetAuthorizationToken", "*", {}),
    ]
    registry, repository = IMAGE.split("/", 1)
    repo_arn = (
        f"arn:aws:ecr:{REGION}:{registry.split('.')[0]}:repository/{repository.split(':')[0]}"
    )
    for action in ("BatchCheckLayerAvailability", "BatchGetImage", "GetDownloadUrlForLayer"):
        requests.append((f"ecr:{action}", repo_arn, {}))
    capture = config["DataCaptureConfig"]
    name = endpoint["EndpointName"]
    for variant in config["ProductionVariants"]:
        key = f"{capture['DestinationS3Uri']}/{name}/{variant['VariantName']}/2026/11/23/15/x.jsonl"
        requests.append(("s3:PutObject", "arn:aws:s3:::" + key.removeprefix("s3://"), {}))
    for action in ("kms:GenerateDataKey", "kms:Encrypt", "kms:Decrypt"):
        requests.append((action, capture["KmsKeyId"], {}))
    # The guide's CreateModel execution role policy grants PutMetricData: the instance
    # metrics (CPU, memory, disk) go to /aws/sagemaker/Endpoints.
    namespace = {"cloudwatch:namespace": "/aws/sagemaker/Endpoints"}
    requests.append(("cloudwatch:PutMetricData", "*", namespace))
    alarms = endpoint["DeploymentConfig"]["AutoRollbackConfiguration"]["Alarms"]
    requests.extend(
        iam_model.authorizations(
            "cloudwatch", "DescribeAlarms", {"AlarmNames": [a["AlarmName"] for a in alarms]}
        )
    )
    group = f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{log_group}"
    stream = f"{group}:log-stream:AllTraffic/i-0123456789abcdef0"
    requests += [
        ("logs:CreateLogStream", stream, {}),
        ("logs:PutLogEvents", stream, {}),
        ("logs:DescribeLogStreams", f"{group}:*", {}),
    ]
    return requests


def test_the_execution_role_covers_what_sagemaker_does_for_the_endpoint(templates):
    p = params()
    requests = hosting_requests(templates, p)
    role = statements(templates, "ExecutionRole", p)
    assert refusals(role, requests) == []
    assert {a for a, _, _ in requests} == granted_actions(role)
    assert iam_model.unused_grants(role, requests) == []
    # The capture goes under capture/ only; another prefix of the bucket is refused.
    assert not allowed(role, "s3:PutObject", "arn:aws:s3:::demo-data/monitoring/x", {})
    # Metrics only under SageMaker's own namespaces (the monitor's are not the model's).
    other = {"cloudwatch:namespace": "driftgate"}
    assert not allowed(role, "cloudwatch:PutMetricData", "*", other)


def test_the_execution_role_decrypts_artifacts_only_through_s3(templates):
    key = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/0000abcd-12ab-34cd-56ef-1234567890ab"
    p = params(ArtifactsKmsKeyArn=key)
    role = statements(templates, "ExecutionRole", p)
    via_s3 = {"kms:ViaService": f"s3.{REGION}.amazonaws.com"}
    requests = [*hosting_requests(templates, p), ("kms:Decrypt", key, via_s3)]
    assert refusals(role, requests) == []
    assert not allowed(role, "kms:Decrypt", key, {})
