"""Start the delivery pipeline for one "SageMaker Model Package State Change" event.

The event (EventBridge events reference, SageMaker) carries the package in `detail`:
`ModelPackageGroupName`, `ModelPackageArn`, `ModelPackageVersion`, `ModelApprovalStatus`.
The rule already matches this group and Approved only; the checks here refuse anything
else in words, should the rule be edited. The execution gets the package ARN as the
ModelPackage variable, so Resolve pins exactly the approved version, and the event id as
clientRequestToken, so a redelivered event (EventBridge delivers at least once) starts
no second execution.
"""

import logging
from collections.abc import Mapping
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError
from common.aws import client_config
from common.errors import aws_failure

LOGGER = logging.getLogger(__name__)
LOGGER.setLevel(logging.INFO)
DETAIL_TYPE = "SageMaker Model Package State Change"
VARIABLE = "ModelPackage"


class IgnoredEvent(Exception):
    """An event this pipeline must not act on (logged, not retried)."""


def package_arn_of(event: Mapping[str, Any], group_name: str) -> str:
    if event.get("detail-type") != DETAIL_TYPE or event.get("source") != "aws.sagemaker":
        raise IgnoredEvent(
            f"not a {DETAIL_TYPE} event: {event.get('source')}/{event.get('detail-type')}"
        )
    detail = event.get("detail") or {}
    group = str(detail.get("ModelPackageGroupName", ""))
    if group.lower() != group_name.lower():
        raise IgnoredEvent(f"package of group {group!r}; this pipeline delivers {group_name}")
    status = detail.get("ModelApprovalStatus")
    if status != "Approved":
        raise IgnoredEvent(f"package is {status}, not Approved")
    arn = detail.get("ModelPackageArn")
    if not isinstance(arn, str) or not arn:
        raise IgnoredEvent("event has no detail.ModelPackageArn")
    return arn


def start_for_event(
    event: Mapping[str, Any], pipeline_name: str, group_name: str, client: Any = None
) -> dict[str, str]:
    try:
        arn = package_arn_of(event, group_name)
    except IgnoredEvent as reason:
        LOGGER.warning("ignored event %s: %s", event.get("id"), reason)
        return {"started": "", "ignored": str(reason)}
    client = client or boto3.client("codepipeline", config=client_config())
    request: dict[str, Any] = {
        "name": pipeline_name,
        "variables": [{"name": VARIABLE, "value": arn}],
    }
    if event.get("id"):
        # 1-128 characters; an EventBridge event id is a UUID.
        request["clientRequestToken"] = str(event["id"])[:128]
    try:
        response = client.start_pipeline_execution(**request)
    except (ClientError, BotoCoreError) as error:
        raise aws_failure("codepipeline:StartPipelineExecution", pipeline_name, error) from error
    execution = str(response["pipelineExecutionId"])
    LOGGER.info("started %s execution %s for %s", pipeline_name, execution, arn)
    return {"started": execution, "ignored": ""}
