"""Delete the stage stacks the delivery pipeline created, and wait for them.

AWS calls, all `cloudformation`: DescribeStacks per stack and poll, DeleteStack per stack
that exists. A stack that does not exist (never deployed, or deleted by hand) is done.
Deletes run in parallel; the wait ends when every stack is gone, one reached
DELETE_FAILED (FAILED naming it and CloudFormation's reason), or the deadline comes
(FAILED naming the stacks still deleting: deleting the root stack again resumes).
"""

import logging
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError
from common.aws import client_config
from common.errors import CustomResourceError, aws_failure, error_code, error_message
from common.properties import reject_unknown, required_string

LOGGER = logging.getLogger(__name__)
STACK_NAME_PATTERN = r"[a-zA-Z][-a-zA-Z0-9]{0,127}"
ROLE_ARN_PATTERN = r"arn:aws[a-z-]*:iam::[0-9]{12}:role/[\w+=,.@/-]{1,512}"
POLL_SECONDS = 10
# Stop waiting this long before Lambda's deadline, to answer with a reason.
DEADLINE_MARGIN_MS = 60_000
GONE = "DELETE_COMPLETE"


@dataclass(frozen=True)
class TeardownRequest:
    stack_names: tuple[str, ...]
    retain: bool
    role_arn: str


def parse_properties(properties: Mapping[str, Any]) -> TeardownRequest:
    reject_unknown(properties, ("StackNames", "OnDelete", "RoleArn"))
    names = required_string(
        properties,
        "StackNames",
        pattern=rf"{STACK_NAME_PATTERN}(,{STACK_NAME_PATTERN})*",
        expected="comma-separated stack names such as driftgate-staging,driftgate-prod",
    )
    on_delete = required_string(
        properties, "OnDelete", pattern=r"delete|retain", expected="delete or retain"
    )
    role = required_string(
        properties, "RoleArn", pattern=ROLE_ARN_PATTERN, expected="the stage stacks' role ARN"
    )
    return TeardownRequest(tuple(names.split(",")), on_delete == "retain", role)


def physical_id(request: TeardownRequest) -> str:
    return "stage-stacks-" + re.sub(r"[^A-Za-z0-9-]", "-", request.stack_names[0])


def cloudformation_client() -> Any:
    return boto3.client("cloudformation", config=client_config())


def stack_status(client: Any, name: str) -> tuple[str, str]:
    """(status, reason) of the live stack named `name`; (DELETE_COMPLETE, '') if none."""
    try:
        stacks = client.describe_stacks(StackName=name).get("Stacks", [])
    except ClientError as error:
        if error_code(error) == "ValidationError" and "does not exist" in error_message(error):
            return GONE, ""
        raise aws_failure("cloudformation:DescribeStacks", name, error) from error
    except BotoCoreError as error:
        raise aws_failure("cloudformation:DescribeStacks", name, error) from error
    if not stacks:
        return GONE, ""
    stack = stacks[0]
    return str(stack["StackStatus"]), str(stack.get("StackStatusReason", ""))


def start_delete(client: Any, name: str, role_arn: str) -> None:
    try:
        client.delete_stack(StackName=name, RoleARN=role_arn)
    except (ClientError, BotoCoreError) as error:
        raise aws_failure("cloudformation:DeleteStack", name, error) from error


def delete_stage_stacks(
    client: Any,
    request: TeardownRequest,
    remaining_ms: Callable[[], int],
    sleep: Callable[[float], None] = time.sleep,
) -> None:
    if request.retain:
        LOGGER.info("OnDelete is retain: keeping %s", ", ".join(request.stack_names))
        return
    pending = []
    for name in request.stack_names:
        status, _ = stack_status(client, name)
        if status == GONE:
            continue
        if status != "DELETE_IN_PROGRESS":
            start_delete(client, name, request.role_arn)
        pending.append(name)
    while pending:
        for name in list(pending):
            status, reason = stack_status(client, name)
            if status == GONE:
                pending.remove(name)
            elif status == "DELETE_FAILED":
                raise CustomResourceError(
                    f"stack {name} could not be deleted: {reason or 'see its events'}; fix "
                    "that and delete this stack again"
                )
        if not pending:
            return
        if remaining_ms() < DEADLINE_MARGIN_MS + POLL_SECONDS * 1000:
            raise CustomResourceError(
                f"stack {', '.join(pending)} still DELETE_IN_PROGRESS; the delete goes on: "
                "delete this stack again once it finishes (see that stack's events)"
            )
        sleep(POLL_SECONDS)
