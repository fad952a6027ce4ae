"""Custom::EndpointDeployment through its Lambda handler, on moto's SageMaker.

A blue/green update that SageMaker rolled back leaves the endpoint InService on the old
config; the check must answer FAILED then, and SUCCESS with the package only when the
endpoint serves the config the stack deployed.
"""

from typing import Any

import boto3
import pytest
from cr_support import REGION, CallLog, failed_reason, inject, json_error, only, run_handler

RESOURCE_TYPE = "Custom::EndpointDeployment"
ENDPOINT = "demo-prod"
PACKAGE_ARN = f"arn:aws:sagemaker:{REGION}:123456789012:model-package/churn/3"
DESCRIBE = "before-send.sagemaker.DescribeEndpoint"


@pytest.fixture
def sagemaker(session: boto3.Session) -> Any:
    client = boto3.client("sagemaker", region_name=REGION)
    client.create_model(
        ModelName="model-v2",
        ExecutionRoleArn="arn:aws:iam::123456789012:role/sagemaker",
        PrimaryContainer={"Image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/m:1"},
    )
    for config in ("config-v2", "config-v3"):
        client.create_endpoint_config(
            EndpointConfigName=config,
            ProductionVariants=[
                {
                    "VariantName": "AllTraffic",
                    "ModelName": "model-v2",
                    "InitialInstanceCount": 1,
                    "InstanceType": "ml.m5.large",
                }
            ],
        )
    client.create_endpoint(EndpointName=ENDPOINT, EndpointConfigName="config-v2")
    return client


def props(**overrides: Any) -> dict[str, Any]:
    values = {
        "EndpointName": ENDPOINT,
        "EndpointConfigName": "config-v2",
        "ModelPackageArn": PACKAGE_ARN,
        "ModelPackageVersion": "3",
    }
    values.update(overrides)
    return {k: v for k, v in values.items() if v is not None}


def run(request_type: str, properties: dict[str, Any], **kwargs: Any) -> None:
    run_handler("deployment_check", RESOURCE_TYPE, request_type, properties, **kwargs)


def test_endpoint_on_the_deployed_config_confirms_the_package(
    responses, sagemaker, call_log: CallLog
):
    run("Create", props())

    response = only(responses)
    assert response["Status"] == "SUCCESS"
    assert response["PhysicalResourceId"] == f"{ENDPOINT}/config-v2"
    assert response["Data"] == {
        "EndpointConfigName": "config-v2",
        "ModelPackageArn": PACKAGE_ARN,
        "ModelPackageVersion": "3",
    }
    assert call_log.names() == ["sagemaker:DescribeEndpoint"]


def test_rolled_back_update_fails_naming_both_configs(responses, sagemaker):
    # SageMaker rolled the update to config-v3 back: the endpoint serves config-v2.
    run("Update", props(EndpointConfigName="config-v3"), old_properties=props())

    reason = failed_reason(responses)
    assert reason.startswith(f"endpoint {ENDPOINT} serves config-v2, not the new config-v3")
    assert "rolled the blue/green update of version 3 back" in reason


def test_update_to_the_config_the_endpoint_serves_succeeds(responses, sagemaker):
    # moto has no UpdateEndpoint: a second endpoint stands for one updated to config-v3.
    sagemaker.create_endpoint(EndpointName="demo-next", EndpointConfigName="config-v3")
    updated = props(EndpointName="demo-next", EndpointConfigName="config-v3")
    run("Update", updated, old_properties=props(EndpointName="demo-next"))
    assert only(responses)["Data"]["EndpointConfigName"] == "config-v3"


def described_as(session, sagemaker, **fields: str) -> None:
    """DescribeEndpoint answers moto's endpoint with `fields` changed."""
    described = sagemaker.describe_endpoint(EndpointName=ENDPOINT)

    def answer() -> Any:
        import json

        from botocore.awsrequest import AWSResponse

        body = json.loads(json.dumps(dict(described, **fields), default=str))
        headers = {"x-amzn-requestid": "t", "content-type": "application/x-amz-json-1.1"}
        return AWSResponse("https://api.sagemaker.test", 200, headers, _Raw(json.dumps(body)))

    inject(session, DESCRIBE, answer)


def test_endpoint_not_in_service_fails_with_its_failure_reason(responses, session, sagemaker):
    described_as(session, sagemaker, EndpointStatus="Failed", FailureReason="image pull failed")
    run("Create", props())
    assert failed_reason(responses) == (
        f"endpoint {ENDPOINT} is Failed, not InService: image pull failed"
    )


def test_an_endpoint_under_sagemakers_own_maintenance_still_serves(responses, session, sagemaker):
    """SystemUpdating changes no customer-specified value (DescribeEndpoint): a deploy
    that lands during it must not roll the stack back."""
    described_as(session, sagemaker, EndpointStatus="SystemUpdating")
    run("Create", props())
    assert only(responses)["Status"] == "SUCCESS"


class _Raw:
    def __init__(self, text: str) -> None:
        self._body = text.encode()

    def stream(self, **kwargs: Any) -> Any:
        yield self._body


def test_missing_endpoint_fails_saying_so(responses, sagemaker):
    run("Create", props(EndpointName="gone"))
    assert failed_reason(responses).startswith("endpoint gone does not exist")


def test_access_denied_names_the_action(responses, session, sagemaker):
    inject(session, DESCRIBE, lambda: json_error(400, "AccessDeniedException", "no"))
    run("Create", props())
    assert "sagemaker:DescribeEndpoint" in failed_reason(responses)


def test_throttling_is_retried_by_the_production_client(responses, session, sagemaker, no_backoff):
    attempts = inject(
        session, DESCRIBE, lambda: json_error(400, "ThrottlingException", "slow down"), times=2
    )
    run("Create", props())
    assert only(responses)["Status"] == "SUCCESS"
    assert attempts == [3]


@pytest.mark.parametrize(
    ("overrides", "property_name"),
    [
        ({"EndpointName": None}, "EndpointName"),
        ({"EndpointConfigName": "bad name"}, "EndpointConfigName"),
        ({"ModelPackageArn": "churn/3"}, "ModelPackageArn"),
        ({"ModelPackageVersion": "latest"}, "ModelPackageVersion"),
        ({"Extra": "x"}, "Extra"),
    ],
)
def test_bad_properties_fail_naming_the_property(responses, sagemaker, overrides, property_name):
    run("Create", props(**overrides))
    assert property_name in failed_reason(responses)


def test_delete_makes_no_call_and_echoes_the_id(responses, sagemaker, call_log: CallLog):
    run("Delete", props(), physical_id="anything")
    assert only(responses)["Status"] == "SUCCESS"
    assert only(responses)["PhysicalResourceId"] == "anything"
    assert call_log.names() == []
