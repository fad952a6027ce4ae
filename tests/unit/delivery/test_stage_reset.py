"""Resolve deletes a stage stack a failed first create left in ROLLBACK_COMPLETE, only that."""

from typing import Any

import boto3
import pytest
import stage_reset
from botocore.stub import Stubber
from delivery_support import ACCOUNT, REGION
from pipeline_job import ActionError

ROLE = f"arn:aws:iam::{ACCOUNT}:role/churn-delivery-StageStackRole-AbC123"
NAMES = ("churn-staging", "churn-prod")


def described(name: str, status: str, reason: str = "") -> dict[str, Any]:
    stack = {
        "StackName": name,
        "StackId": f"arn:aws:cloudformation:{REGION}:{ACCOUNT}:stack/{name}/1a2b",
        "CreationTime": "2026-11-23T10:00:00Z",
        "StackStatus": status,
    }
    if reason:
        stack["StackStatusReason"] = reason
    return {"Stacks": [stack]}


def missing(stubber: Stubber, name: str) -> None:
    stubber.add_client_error(
        "describe_stacks",
        "ValidationError",
        f"Stack with id {name} does not exist",
        expected_params={"StackName": name},
    )


@pytest.fixture
def cloudformation():
    client = boto3.client("cloudformation", region_name=REGION)
    with Stubber(client) as stubber:
        yield client, stubber
        stubber.assert_no_pending_responses()


def test_a_rolled_back_first_create_is_deleted_with_the_stage_role_and_waited_for(
    cloudformation,
):
    client, stubber = cloudformation
    stubber.add_response(
        "describe_stacks",
        described(NAMES[0], "ROLLBACK_COMPLETE", "x failed"),
        {"StackName": NAMES[0]},
    )
    stubber.add_response("delete_stack", {}, {"StackName": NAMES[0], "RoleARN": ROLE})
    missing(stubber, NAMES[1])
    stubber.add_response(
        "describe_stacks", described(NAMES[0], "DELETE_IN_PROGRESS"), {"StackName": NAMES[0]}
    )
    missing(stubber, NAMES[0])
    sleeps: list[float] = []
    deleted = stage_reset.delete_rolled_back(client, NAMES, ROLE, lambda: 300_000, sleeps.append)
    assert deleted == [NAMES[0]] and sleeps == [10]


@pytest.mark.parametrize(
    "status",
    ["CREATE_COMPLETE", "UPDATE_COMPLETE", "UPDATE_ROLLBACK_COMPLETE", "UPDATE_IN_PROGRESS",
     "ROLLBACK_FAILED", "DELETE_IN_PROGRESS"],
)  # fmt: skip
def test_any_other_state_is_left_to_the_deploy(cloudformation, status):
    client, stubber = cloudformation
    for name in NAMES:
        stubber.add_response("describe_stacks", described(name, status), {"StackName": name})
    assert stage_reset.delete_rolled_back(client, NAMES, ROLE, lambda: 300_000) == []


def test_a_delete_that_fails_fails_the_action_naming_the_stack(cloudformation):
    client, stubber = cloudformation
    stubber.add_response("describe_stacks", described(NAMES[0], "ROLLBACK_COMPLETE"))
    stubber.add_response("delete_stack", {})
    stubber.add_response("describe_stacks", described(NAMES[0], "DELETE_FAILED", "role gone"))
    with pytest.raises(ActionError, match=r"churn-staging .*could not be deleted: role gone"):
        stage_reset.delete_rolled_back(client, NAMES[:1], ROLE, lambda: 300_000)


def test_a_delete_past_the_deadline_fails_the_action_asking_for_a_retry(cloudformation):
    client, stubber = cloudformation
    stubber.add_response("describe_stacks", described(NAMES[0], "ROLLBACK_COMPLETE"))
    stubber.add_response("delete_stack", {})
    stubber.add_response("describe_stacks", described(NAMES[0], "DELETE_IN_PROGRESS"))
    with pytest.raises(ActionError, match=r"still being deleted.*retry the Resolve stage"):
        stage_reset.delete_rolled_back(client, NAMES[:1], ROLE, lambda: 35_000)


@pytest.mark.parametrize(
    ("stacks", "role", "message"),
    [
        ("churn-staging,", ROLE, "StageStacks"),
        ("churn staging", ROLE, "StageStacks"),
        ("churn-staging", "not-a-role", "StageStackRoleArn"),
        ("churn-staging", "#{Resolve.X}", "unresolved variable"),
    ],
)
def test_unusable_stage_parameters_are_named(stacks, role, message):
    with pytest.raises(ActionError, match=message):
        stage_reset.stage_stacks({"StageStacks": stacks, "StageStackRoleArn": role})
    assert stage_reset.stage_stacks(
        {"StageStacks": ",".join(NAMES), "StageStackRoleArn": ROLE}
    ) == (
        NAMES,
        ROLE,
    )
