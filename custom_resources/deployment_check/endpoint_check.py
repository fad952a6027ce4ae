"""Confirm that the endpoint serves the endpoint config the stack just deployed.

When a blue/green update trips a rollback alarm, SageMaker rolls the endpoint back to
the old fleet and returns it to InService on the old endpoint config (SageMaker guide,
auto-rollback configuration and monitoring); the Endpoint resource then completes and the
stack would report a version the endpoint does not serve. This check fails instead, with
a reason the user can act on, so the update rolls back and the pipeline run fails. AWS
calls: one sagemaker:DescribeEndpoint.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError
from common.aws import client_config
from common.endpoint_status import SERVING_STATUSES
from common.errors import CustomResourceError, aws_failure, error_code, error_message, shorten
from common.properties import reject_unknown, required_string

# SageMaker names are at most 63 characters; generated config names are compared, not
# built, so any length the emulator generates is accepted.
NAME_PATTERN = r"[a-zA-Z0-9](-*[a-zA-Z0-9]){0,254}"
PACKAGE_ARN_PATTERN = r"arn:aws[a-z-]*:sagemaker:[a-z0-9-]+:[0-9]{12}:model-package/.{1,256}"
VERSION_PATTERN = r"[1-9][0-9]{0,8}"


@dataclass(frozen=True)
class DeploymentRequest:
    endpoint_name: str
    endpoint_config_name: str
    package_arn: str
    package_version: str

    def physical_id(self) -> str:
        return f"{self.endpoint_name}/{self.endpoint_config_name}"

    def as_data(self) -> dict[str, str]:
        """What the stack may report once the endpoint is known to serve it."""
        return {
            "EndpointConfigName": self.endpoint_config_name,
            "ModelPackageArn": self.package_arn,
            "ModelPackageVersion": self.package_version,
        }


def parse_properties(properties: Mapping[str, Any]) -> DeploymentRequest:
    names = ("EndpointName", "EndpointConfigName", "ModelPackageArn", "ModelPackageVersion")
    reject_unknown(properties, names)
    endpoint, config = (
        required_string(properties, name, pattern=NAME_PATTERN, expected=f"a SageMaker {what}")
        for name, what in (
            ("EndpointName", "endpoint name"),
            ("EndpointConfigName", "endpoint config name"),
        )
    )
    arn = required_string(
        properties, "ModelPackageArn", pattern=PACKAGE_ARN_PATTERN, expected="a model package ARN"
    )
    version = required_string(
        properties, "ModelPackageVersion", pattern=VERSION_PATTERN, expected="a version number"
    )
    return DeploymentRequest(endpoint, config, arn, version)


def sagemaker_client() -> Any:
    return boto3.client("sagemaker", config=client_config())


def check(client: Any, request: DeploymentRequest) -> None:
    """Return when the endpoint is InService on the requested config; else explain."""
    try:
        endpoint = client.describe_endpoint(EndpointName=request.endpoint_name)
    except ClientError as error:
        if error_code(error) == "ValidationException" and "not find" in error_message(error):
            raise CustomResourceError(
                f"endpoint {request.endpoint_name} does not exist; it was deleted outside "
                "the stack, so the stack cannot say which version it serves"
            ) from error
        raise aws_failure("sagemaker:DescribeEndpoint", request.endpoint_name, error) from error
    except BotoCoreError as error:
        raise aws_failure("sagemaker:DescribeEndpoint", request.endpoint_name, error) from error
    status = endpoint.get("EndpointStatus")
    serving = endpoint.get("EndpointConfigName")
    if status not in SERVING_STATUSES:
        failure = endpoint.get("FailureReason")
        detail = f": {shorten(str(failure), 100)}" if failure else ""
        raise CustomResourceError(
            f"endpoint {request.endpoint_name} is {status}, not InService{detail}"
        )
    if serving != request.endpoint_config_name:
        raise CustomResourceError(
            f"endpoint {request.endpoint_name} serves {shorten(str(serving), 60)}, not the new "
            f"{shorten(request.endpoint_config_name, 60)}: SageMaker rolled the blue/green update "
            f"of version {request.package_version} back (a rollback alarm fired); see the "
            "alarms and the endpoint's events"
        )
