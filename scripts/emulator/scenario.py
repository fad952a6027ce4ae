"""The driftgate story on the emulator, as plain functions the demo and the e2e tests share:
a model registry with baselines, the root stack in direct mode, what it deployed, and
what is left after delete."""

from __future__ import annotations

import functools
import json
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from drift_monitor.baseline import build_baseline_from_columns, read_dataset
from scripts import capture_generator
from scripts.emulator.server import Emulator

# The public SageMaker XGBoost image path shape; the emulator never pulls it.
IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1"
# Enough rows that a normal window of 2,000 requests stays within the baseline's range.
REFERENCE_ROWS = 10_000


@dataclass(frozen=True)
class Setup:
    """Names one run of the story uses."""

    project: str = "driftgate"
    stage: str = "staging"
    region: str = "us-east-1"
    group: str = "driftgate-demo"
    artifacts_bucket: str = "driftgate-demo-artifacts"
    hosting_bucket: str = "driftgate-demo-hosting"
    key_prefix: str = "driftgate/"
    stack: str = "driftgate-demo"
    email: str = "ml-team@example.com"

    @property
    def endpoint(self) -> str:
        return f"{self.project}-{self.stage}"

    @property
    def schedule(self) -> str:
        return f"{self.project}-{self.stage}-data-quality"


@functools.lru_cache(maxsize=4)
def baseline_documents(seed: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """statistics.json and constraints.json of a reference dataset from the traffic
    generator (the data a training pipeline would baseline)."""
    frame = capture_generator.reference_frame(REFERENCE_ROWS, seed)
    with tempfile.TemporaryDirectory() as folder:
        path = capture_generator.write_reference_csv(Path(folder) / "reference.csv", frame)
        names, columns = read_dataset(path.read_text(), "csv", header=True)
    return build_baseline_from_columns(names, columns)


def create_artifacts_bucket(emu: Emulator, setup: Setup) -> None:
    s3 = emu.client("s3", setup.region)
    location = {} if setup.region == "us-east-1" else {"LocationConstraint": setup.region}
    s3.create_bucket(
        Bucket=setup.artifacts_bucket,
        **({"CreateBucketConfiguration": location} if location else {}),
    )


def register_version(emu: Emulator, setup: Setup, version: int, status: str) -> str:
    """Upload a model and its baseline files, register them; return the package ARN."""
    s3 = emu.client("s3", setup.region)
    prefix = f"models/v{version}"
    # One training distribution for every version: the baselines differ by location only.
    statistics, constraints = baseline_documents(seed=1)
    s3.put_object(Bucket=setup.artifacts_bucket, Key=f"{prefix}/model.tar.gz", Body=b"model")
    for name, document in (("statistics", statistics), ("constraints", constraints)):
        body = json.dumps(document).encode()
        s3.put_object(Bucket=setup.artifacts_bucket, Key=f"{prefix}/{name}.json", Body=body)
    uri = f"s3://{setup.artifacts_bucket}/{prefix}"
    response = emu.client("sagemaker", setup.region).create_model_package(
        ModelPackageGroupName=setup.group,
        ModelPackageDescription=f"demo model v{version}",
        # moto leaves ModelApprovalStatus None when omitted (AWS: PendingManualApproval).
        ModelApprovalStatus=status,
        InferenceSpecification={
            "Containers": [{"Image": IMAGE, "ModelDataUrl": f"{uri}/model.tar.gz"}],
            "SupportedContentTypes": ["text/csv"],
            "SupportedResponseMIMETypes": ["text/csv"],
        },
        DriftCheckBaselines={
            "ModelDataQuality": {
                "Statistics": {
                    "ContentType": "application/json",
                    "S3Uri": f"{uri}/statistics.json",
                },
                "Constraints": {
                    "ContentType": "application/json",
                    "S3Uri": f"{uri}/constraints.json",
                },
            }
        },
    )
    return str(response["ModelPackageArn"])


def create_registry(emu: Emulator, setup: Setup, statuses: list[str]) -> list[str]:
    """A model package group with one version per status, in order; returns their ARNs."""
    emu.client("sagemaker", setup.region).create_model_package_group(
        ModelPackageGroupName=setup.group, ModelPackageGroupDescription="driftgate demo"
    )
    return [register_version(emu, setup, i + 1, status) for i, status in enumerate(statuses)]


def approve(emu: Emulator, setup: Setup, arn: str) -> None:
    emu.client("sagemaker", setup.region).update_model_package(
        ModelPackageArn=arn, ModelApprovalStatus="Approved"
    )


def root_parameters(setup: Setup, **overrides: str) -> list[dict[str, str]]:
    values = {
        "ProjectName": setup.project,
        "NotificationEmail": setup.email,
        "DeliveryMode": "direct",
        "StageName": setup.stage,
        "ModelPackageGroupName": setup.group,
        "ArtifactsBucketName": setup.artifacts_bucket,
        "TemplatesBucketName": setup.hosting_bucket,
        "TemplatesKeyPrefix": setup.key_prefix,
        "TemplatesBucketRegion": setup.region,
        **overrides,
    }
    return [{"ParameterKey": key, "ParameterValue": value} for key, value in values.items()]


def root_template_url(emu: Emulator, setup: Setup) -> str:
    return emu.template_url(
        setup.hosting_bucket, f"{setup.key_prefix}templates/pipeline.yml", setup.region
    )


def _apply_root_stack(
    emu: Emulator, setup: Setup, operation: str, overrides: dict[str, str]
) -> dict[str, Any]:
    """create_stack or update_stack of the root template, then its description."""
    cfn = emu.client("cloudformation", setup.region)
    getattr(cfn, operation)(
        StackName=setup.stack,
        TemplateURL=root_template_url(emu, setup),
        Parameters=root_parameters(setup, **overrides),
        Capabilities=["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"],
    )
    return dict(cfn.describe_stacks(StackName=setup.stack)["Stacks"][0])


def create_root_stack(emu: Emulator, setup: Setup, **overrides: str) -> dict[str, Any]:
    return _apply_root_stack(emu, setup, "create_stack", overrides)


def update_root_stack(emu: Emulator, setup: Setup, **overrides: str) -> dict[str, Any]:
    return _apply_root_stack(emu, setup, "update_stack", overrides)


def nested_stacks(emu: Emulator, region: str, stack: str) -> list[tuple[int, str, str, str]]:
    """(depth, logical id, stack name, status) of ``stack`` and every stack nested in it."""
    cfn = emu.client("cloudformation", region)
    found: list[tuple[int, str, str, str]] = []

    def walk(name: str, logical_id: str, depth: int) -> None:
        described = cfn.describe_stacks(StackName=name)["Stacks"][0]
        found.append((depth, logical_id, described["StackName"], described["StackStatus"]))
        for resource in cfn.describe_stack_resources(StackName=name)["StackResources"]:
            # moto lists resources it skipped as rows without a type.
            if resource.get("ResourceType") == "AWS::CloudFormation::Stack":
                walk(resource["PhysicalResourceId"], resource["LogicalResourceId"], depth + 1)

    walk(stack, stack, 0)
    return found


def outputs(stack: dict[str, Any]) -> dict[str, str]:
    return {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs") or []}


def deployed_package(emu: Emulator, setup: Setup) -> str:
    """The model package the endpoint serves: endpoint -> config -> model -> container."""
    sagemaker = emu.client("sagemaker", setup.region)
    endpoint = sagemaker.describe_endpoint(EndpointName=setup.endpoint)
    config = sagemaker.describe_endpoint_config(EndpointConfigName=endpoint["EndpointConfigName"])
    model_name = config["ProductionVariants"][0]["ModelName"]
    model = sagemaker.describe_model(ModelName=model_name)
    container = model.get("PrimaryContainer") or model["Containers"][0]
    return str(container.get("ModelPackageName", ""))


# --- Pipeline mode (the delivery pipeline, run by scripts/emulator/codepipeline) --------


def stage_endpoint(setup: Setup, stage: str) -> str:
    return f"{setup.project}-{stage}"


def serving_version(emu: Emulator, setup: Setup, stage: str) -> int | None:
    """Version of the package ``<project>-<stage>`` serves, or None without an endpoint."""
    sagemaker = emu.client("sagemaker", setup.region)
    try:
        endpoint = sagemaker.describe_endpoint(EndpointName=stage_endpoint(setup, stage))
    except sagemaker.exceptions.ClientError:
        return None
    config = sagemaker.describe_endpoint_config(EndpointConfigName=endpoint["EndpointConfigName"])
    model = sagemaker.describe_model(ModelName=config["ProductionVariants"][0]["ModelName"])
    container = model.get("PrimaryContainer") or model["Containers"][0]
    return int(str(container["ModelPackageName"]).rsplit("/", 1)[-1])


def break_staging_test(emu: Emulator, setup: Setup, version: int) -> None:
    """Make version ``version`` deploy but fail the staging test: its model answers the
    test's sample requests with an empty body (a broken artifact). The version's baseline
    gets a slightly wider range, so its sample rows differ from earlier versions' (moto
    repeats an endpoint's answer to a request it has seen), and the emulator's endpoint
    answers the next new request (the test stops at the first) with nothing."""
    from moto.sagemakerruntime.models import sagemakerruntime_backends

    key = f"models/v{version}/statistics.json"
    s3 = emu.client("s3", setup.region)
    document = json.loads(s3.get_object(Bucket=setup.artifacts_bucket, Key=key)["Body"].read())
    for feature in document["features"]:
        numbers = feature.get("numerical_statistics")
        if numbers and "max" in numbers:
            numbers["max"] = float(numbers["max"]) + 1.0
    s3.put_object(Bucket=setup.artifacts_bucket, Key=key, Body=json.dumps(document).encode())
    backend = sagemakerruntime_backends[emu.account_id][setup.region]
    backend.results_queue.append(("", "text/csv", "AllTraffic", ""))
