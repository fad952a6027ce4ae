"""Resolve the latest (or a pinned) approved model package and its data-quality baseline.

AWS calls, all on the `sagemaker` client made here:
- success, `Version=latest`: ListModelPackages (one call, whatever the group's size) and
  DescribeModelPackage;
- success, pinned version: DescribeModelPackage on the versioned ARN;
- failure paths only: one more ListModelPackages and/or DescribeModelPackageGroup, to say
  whether the group is missing, empty or has nothing approved.
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError
from common.aws import client_config
from common.errors import CustomResourceError, aws_failure, error_code, error_message, shorten
from common.properties import reject_unknown, required_string
from common.s3uri import is_s3_uri, parse_s3_uri

LATEST = "latest"
APPROVED = "Approved"
GROUP_NAME_PATTERN = r"[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}"
BUCKET_NAME_PATTERN = r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]"
# A MIME type as RFC 6838 spells one, parameters (";charset=...") allowed, no comma:
# the list travels comma-joined.
_MIME_NAME = r"[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}"
CONTENT_TYPE_PATTERN = re.compile(rf"{_MIME_NAME}/{_MIME_NAME}(;[^,]{{0,128}})?")
# CloudFormation refuses a custom resource response over 4 KB; the other Data values
# take at most about 1.5 KB (ARN, group name, two S3 URIs).
MAX_CONTENT_TYPES = 16
MAX_CONTENT_TYPES_CHARS = 1024
# ListModelPackages returns at most 100 items a page: enough to count a group on the
# failure path in one call.
COUNT_PAGE_SIZE = 100
# Pages of approved packages looked through for the newest one (newest_approved_arn).
APPROVED_PAGES = 3
APPROVE_COMMAND = (
    "aws sagemaker update-model-package --model-approval-status Approved --model-package-arn"
)


@dataclass(frozen=True)
class PackageRequest:
    group_name: str
    version: int | None  # None means the latest approved version
    artifacts_bucket: str


@dataclass(frozen=True)
class FunctionLocation:
    """Partition, region and account of the running function (to build package ARNs)."""

    partition: str
    region: str
    account: str


@dataclass(frozen=True)
class ResolvedPackage:
    arn: str
    version: int
    group_name: str
    statistics_uri: str
    constraints_uri: str
    # InferenceSpecification.SupportedContentTypes (the inference API accepts these).
    supported_content_types: tuple[str, ...] = ()

    def as_data(self) -> dict[str, str]:
        return {
            "ModelPackageArn": self.arn,
            "ModelPackageVersion": str(self.version),
            "ModelPackageGroupName": self.group_name,
            "BaselineStatisticsS3Uri": self.statistics_uri,
            "BaselineConstraintsS3Uri": self.constraints_uri,
            # Comma-joined for a CommaDelimitedList parameter; empty when none listed.
            "SupportedContentTypes": ",".join(self.supported_content_types),
        }


def parse_properties(properties: Mapping[str, Any]) -> PackageRequest:
    reject_unknown(properties, ("ModelPackageGroupName", "Version", "ArtifactsBucketName", "Nonce"))
    group = required_string(
        properties,
        "ModelPackageGroupName",
        pattern=GROUP_NAME_PATTERN,
        expected="a model package group name (letters, digits, hyphens, up to 63)",
    )
    version = required_string(
        properties,
        "Version",
        pattern=r"(?i:latest)|[1-9][0-9]{0,8}",
        expected="'latest' or a version number such as 3",
    )
    bucket = required_string(
        properties,
        "ArtifactsBucketName",
        pattern=BUCKET_NAME_PATTERN,
        expected="the name (not the ARN or URI) of the bucket holding model artifacts",
    )
    # Nonce is not read: any change to it makes CloudFormation send an Update, which
    # re-resolves "latest".
    return PackageRequest(
        group_name=group,
        version=None if version.lower() == LATEST else int(version),
        artifacts_bucket=bucket,
    )


def function_location(invoked_function_arn: str) -> FunctionLocation:
    """`arn:<partition>:lambda:<region>:<account>:function:<name>[:alias]`, without STS."""
    parts = invoked_function_arn.split(":")
    if len(parts) < 7 or parts[2] != "lambda":
        raise CustomResourceError(f"unexpected function ARN {invoked_function_arn!r}")
    return FunctionLocation(partition=parts[1], region=parts[3], account=parts[4])


def package_arn(location: FunctionLocation, group_name: str, version: int) -> str:
    # SageMaker lower-cases resource names in ARNs.
    return (
        f"arn:{location.partition}:sagemaker:{location.region}:{location.account}:"
        f"model-package/{group_name.lower()}/{version}"
    )


def sagemaker_client(region: str) -> Any:
    return boto3.client("sagemaker", region_name=region, config=client_config())


def resolve(client: Any, request: PackageRequest, location: FunctionLocation) -> ResolvedPackage:
    if request.version is None:
        arn = latest_approved_arn(client, request.group_name)
        package = describe_package(client, arn, request.group_name)
    else:
        arn = package_arn(location, request.group_name, request.version)
        package = describe_package(client, arn, request.group_name, request.version)
        status = package.get("ModelApprovalStatus")
        if status != APPROVED:
            raise CustomResourceError(
                f"version {request.version} of {request.group_name} is {status}; "
                f"approve it ({APPROVE_COMMAND} {arn}) or use Version=latest"
            )
    statistics_uri, constraints_uri = baseline_uris(package, request.group_name)
    for uri in (statistics_uri, constraints_uri):
        check_in_bucket(uri, request.artifacts_bucket, arn)
    for uri in model_data_uris(package):
        check_model_data_in_bucket(uri, request.artifacts_bucket)
    return ResolvedPackage(
        arn=str(package.get("ModelPackageArn", arn)),
        version=int(package["ModelPackageVersion"]),
        group_name=request.group_name,
        statistics_uri=statistics_uri,
        constraints_uri=constraints_uri,
        supported_content_types=supported_content_types(package),
    )


def newest_approved_arn(client: Any, group_name: str) -> str | None:
    """The newest approved package's ARN, or None: ListModelPackages (Approved,
    CreationTime, Descending, full pages), at most APPROVED_PAGES calls.

    A filtered SageMaker listing may answer a page with no summaries and a NextToken
    (the approval filter left nothing on it; AWS's SageMaker project templates page on
    until a summary arrives), so an empty page with a token is not "none approved"."""
    token: str | None = None
    for _ in range(APPROVED_PAGES):
        paging = {"NextToken": token} if token else {}
        try:
            response = client.list_model_packages(
                ModelPackageGroupName=group_name,
                ModelApprovalStatus=APPROVED,
                SortBy="CreationTime",
                SortOrder="Descending",
                MaxResults=COUNT_PAGE_SIZE,
                **paging,
            )
        except ClientError as error:
            # moto returns an empty list for a missing group; accept an explicit error too.
            if is_not_found(error):
                raise missing_group(group_name) from error
            raise aws_failure("sagemaker:ListModelPackages", group_name, error) from error
        except BotoCoreError as error:
            raise aws_failure("sagemaker:ListModelPackages", group_name, error) from error
        summaries = response.get("ModelPackageSummaryList", [])
        if summaries:
            return str(summaries[0]["ModelPackageArn"])
        token = response.get("NextToken")
        if not token:
            return None
    raise CustomResourceError(
        f"SageMaker listed {APPROVED_PAGES} pages of group {group_name} without an approved "
        "package and has more; approve a newer version, or name one with Version=<n>"
    )


def latest_approved_arn(client: Any, group_name: str) -> str:
    arn = newest_approved_arn(client, group_name)
    if arn is None:
        raise explain_nothing_approved(client, group_name)
    return arn


def explain_nothing_approved(client: Any, group_name: str) -> CustomResourceError:
    """Why a group has no approved package: missing, empty, or nothing approved yet."""
    try:
        response = client.list_model_packages(
            ModelPackageGroupName=group_name,
            SortBy="CreationTime",
            SortOrder="Descending",
            MaxResults=COUNT_PAGE_SIZE,
        )
    except (ClientError, BotoCoreError) as error:
        return aws_failure("sagemaker:ListModelPackages", group_name, error)
    summaries = response.get("ModelPackageSummaryList", [])
    if not summaries:
        return explain_empty_group(client, group_name)
    count = f"over {COUNT_PAGE_SIZE}" if response.get("NextToken") else str(len(summaries))
    newest = summaries[0]
    return CustomResourceError(
        f"group {group_name} has {count} packages, none approved; approve one: "
        f"{APPROVE_COMMAND} {newest['ModelPackageArn']}"
    )


def explain_empty_group(client: Any, group_name: str) -> CustomResourceError:
    if not group_exists(client, group_name):
        return missing_group(group_name)
    return CustomResourceError(
        f"group {group_name} has no model packages yet; register one "
        "(aws sagemaker create-model-package --model-package-group-name "
        f"{group_name} ...) and approve it"
    )


def group_exists(client: Any, group_name: str) -> bool:
    try:
        client.describe_model_package_group(ModelPackageGroupName=group_name)
    except ClientError as error:
        if is_not_found(error):
            return False
        raise aws_failure("sagemaker:DescribeModelPackageGroup", group_name, error) from error
    except BotoCoreError as error:
        raise aws_failure("sagemaker:DescribeModelPackageGroup", group_name, error) from error
    return True


def missing_group(group_name: str) -> CustomResourceError:
    return CustomResourceError(
        f"group {group_name} does not exist in this account and region; check ModelPackageGroupName"
    )


def is_not_found(error: ClientError) -> bool:
    # SageMaker answers ValidationException "... does not exist" / "... not found" for
    # missing groups and packages; ResourceNotFound is accepted for safety.
    code = error_code(error)
    message = error_message(error).lower()
    return code in {"ResourceNotFound", "ResourceNotFoundException"} or (
        code == "ValidationException" and ("does not exist" in message or "not found" in message)
    )


def describe_package(
    client: Any, arn: str, group_name: str, version: int | None = None
) -> dict[str, Any]:
    try:
        return dict(client.describe_model_package(ModelPackageName=arn))
    except ClientError as error:
        if version is not None and is_not_found(error):
            if not group_exists(client, group_name):
                raise missing_group(group_name) from error
            raise CustomResourceError(
                f"version {version} of {group_name} does not exist; "
                "set Version to an approved version or to latest"
            ) from error
        raise aws_failure("sagemaker:DescribeModelPackage", arn, error) from error
    except BotoCoreError as error:
        raise aws_failure("sagemaker:DescribeModelPackage", arn, error) from error


def baseline_uris(package: Mapping[str, Any], group_name: str) -> tuple[str, str]:
    """Statistics and constraints URIs: DriftCheckBaselines first, then ModelMetrics."""
    name = f"version {package.get('ModelPackageVersion')} of {group_name}"
    for source in ("DriftCheckBaselines", "ModelMetrics"):
        quality = (package.get(source) or {}).get("ModelDataQuality")
        if not quality:
            continue
        uris = []
        for part in ("Statistics", "Constraints"):
            uri = (quality.get(part) or {}).get("S3Uri")
            if not uri:
                raise CustomResourceError(
                    f"{name}: {source}.ModelDataQuality has no {part}; "
                    "register the package with both statistics and constraints"
                )
            uris.append(str(uri))
        return uris[0], uris[1]
    raise CustomResourceError(
        f"{name} has no data-quality baseline; register it with "
        "--drift-check-baselines 'ModelDataQuality={Statistics={ContentType=application/json,"
        "S3Uri=...},Constraints={...}}'"
    )


def check_in_bucket(uri: str, bucket: str, arn: str) -> None:
    if not is_s3_uri(uri):
        raise CustomResourceError(
            f"baseline {shorten(uri, 60)} of {shorten(arn, 90)} is not an s3://bucket/key URI"
        )
    if parse_s3_uri(uri).bucket != bucket:
        raise CustomResourceError(
            f"baseline {shorten(uri, 90)} is outside ArtifactsBucketName {bucket}, the only "
            "bucket the stack can read; store baselines there"
        )


def model_data_uris(package: Mapping[str, Any]) -> list[str]:
    """S3 model artifacts of the package's containers (none when baked into the image)."""
    uris = []
    for container in (package.get("InferenceSpecification") or {}).get("Containers") or []:
        source = (container.get("ModelDataSource") or {}).get("S3DataSource") or {}
        uri = container.get("ModelDataUrl") or source.get("S3Uri")
        if uri:
            uris.append(str(uri))
    return uris


def check_model_data_in_bucket(uri: str, bucket: str) -> None:
    """The endpoint's execution role reads only ArtifactsBucketName: fail here, in words,
    rather than later in CreateModel or at endpoint start-up."""
    if is_s3_uri(uri) and parse_s3_uri(uri).bucket != bucket:
        raise CustomResourceError(
            f"model data {shorten(uri, 90)} is outside ArtifactsBucketName {bucket}, the only "
            "bucket the endpoint's role can read; register the model from that bucket"
        )


PACKAGE_ARN_PATTERN = (
    r"arn:aws[a-z-]*:sagemaker:[a-z0-9-]+:[0-9]{12}:model-package/"
    r"(?P<group>[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62})/(?P<version>[1-9][0-9]{0,8})"
)


def parse_package_arn(arn: str) -> tuple[str, int]:
    """(group, version) of a versioned package ARN, the inverse of `package_arn`."""
    match = re.fullmatch(PACKAGE_ARN_PATTERN, arn.strip())
    if match is None:
        raise CustomResourceError(
            f"{shorten(arn, 90)!r} is not a versioned model package ARN "
            "(arn:aws:sagemaker:<region>:<account>:model-package/<group>/<version>)"
        )
    return match["group"], int(match["version"])


def latest_approved_baseline(client: Any, group_name: str) -> tuple[str, str] | None:
    """DriftCheckBaselines (or ModelMetrics) data-quality URIs of the latest approved
    package, or None when the group has no approved package (a first build).

    newest_approved_arn's ListModelPackages pages and one DescribeModelPackage.
    """
    arn = newest_approved_arn(client, group_name)
    if arn is None:
        return None
    return baseline_uris(describe_package(client, arn, group_name), group_name)


def supported_content_types(package: Mapping[str, Any]) -> tuple[str, ...]:
    """InferenceSpecification.SupportedContentTypes, validated to travel in Data."""
    raw = (package.get("InferenceSpecification") or {}).get("SupportedContentTypes") or []
    name = f"version {package.get('ModelPackageVersion')}"
    types = tuple(dict.fromkeys(str(item).strip() for item in raw if str(item).strip()))
    for content_type in types:
        if not CONTENT_TYPE_PATTERN.fullmatch(content_type):
            raise CustomResourceError(
                f"{name}: InferenceSpecification.SupportedContentTypes has "
                f"{shorten(content_type, 60)!r}, not a MIME type such as text/csv"
            )
    if len(types) > MAX_CONTENT_TYPES or len(",".join(types)) > MAX_CONTENT_TYPES_CHARS:
        raise CustomResourceError(
            f"{name}: InferenceSpecification.SupportedContentTypes lists {len(types)} types; "
            f"at most {MAX_CONTENT_TYPES} ({MAX_CONTENT_TYPES_CHARS} characters) fit in "
            "CloudFormation's custom resource response"
        )
    return types
