"""Custom::StageStacks: deleting the root deletes the pipeline's stage stacks, never hangs."""

import boto3
import pytest
import teardown
from botocore.stub import Stubber
from cr_support import ACCOUNT, REGION, failed_reason, only, run_handler

ROLE = f"arn:aws:iam::{ACCOUNT}:role/driftgate-Delivery-StageStackRole-1"
PROPERTIES = {
    "StackNames": "driftgate-staging,driftgate-prod",
    "OnDelete": "delete",
    "RoleArn": ROLE,
}
MISSING = "Stack with id {} does not exist"


def request(**changes):
    return teardown.parse_properties({**PROPERTIES, **changes})


@pytest.fixture
def cfn():
    client = boto3.client("cloudformation", region_name=REGION)
    with Stubber(client) as stubber:
        yield client, stubber
        stubber.assert_no_pending_responses()


def stack(name, status, reason=""):
    described = {"StackName": name, "StackStatus": status, "CreationTime": "2026-12-01T00:00:00Z"}
    if reason:
        described["StackStatusReason"] = reason
    return {"Stacks": [described]}


def gone(stubber, name):
    stubber.add_client_error(
        "describe_stacks",
        "ValidationError",
        MISSING.format(name),
        400,
        expected_params={"StackName": name},
    )


def test_both_stacks_are_deleted_with_their_role_and_waited_for(cfn):
    client, stubber = cfn
    for name in ("driftgate-staging", "driftgate-prod"):
        stubber.add_response("describe_stacks", stack(name, "UPDATE_COMPLETE"), {"StackName": name})
        stubber.add_response("delete_stack", {}, {"StackName": name, "RoleARN": ROLE})
    stubber.add_response(
        "describe_stacks",
        stack("driftgate-staging", "DELETE_IN_PROGRESS"),
        {"StackName": "driftgate-staging"},
    )
    gone(stubber, "driftgate-prod")
    gone(stubber, "driftgate-staging")
    sleeps = []
    teardown.delete_stage_stacks(client, request(), lambda: 600_000, sleeps.append)
    assert sleeps == [teardown.POLL_SECONDS]


def test_stacks_never_deployed_are_done(cfn):
    client, stubber = cfn
    gone(stubber, "driftgate-staging")
    gone(stubber, "driftgate-prod")
    teardown.delete_stage_stacks(client, request(), lambda: 600_000, lambda s: None)


def test_a_failed_delete_is_reported_by_name(cfn):
    client, stubber = cfn
    stubber.add_response(
        "describe_stacks",
        stack("driftgate-staging", "DELETE_IN_PROGRESS"),
        {"StackName": "driftgate-staging"},
    )
    gone(stubber, "driftgate-prod")
    stubber.add_response(
        "describe_stacks",
        stack(
            "driftgate-staging",
            "DELETE_FAILED",
            "The following resource(s) failed to delete: [Endpoint]",
        ),
        {"StackName": "driftgate-staging"},
    )
    with pytest.raises(
        teardown.CustomResourceError,
        match=r"stack driftgate-staging could not be deleted: .*\[Endpoint\]",
    ):
        teardown.delete_stage_stacks(client, request(), lambda: 600_000, lambda s: None)


def test_a_stuck_delete_is_named_before_the_deadline(cfn):
    client, stubber = cfn
    gone(stubber, "driftgate-staging")
    stubber.add_response(
        "describe_stacks",
        stack("driftgate-prod", "DELETE_IN_PROGRESS"),
        {"StackName": "driftgate-prod"},
    )
    stubber.add_response(
        "describe_stacks",
        stack("driftgate-prod", "DELETE_IN_PROGRESS"),
        {"StackName": "driftgate-prod"},
    )
    with pytest.raises(
        teardown.CustomResourceError, match="stack driftgate-prod still DELETE_IN_PROGRESS"
    ):
        teardown.delete_stage_stacks(
            client, request(), lambda: teardown.DEADLINE_MARGIN_MS, lambda s: None
        )


def test_retain_deletes_nothing(cfn):
    client, _ = cfn  # nothing stubbed: any call fails the test
    teardown.delete_stage_stacks(
        client, request(OnDelete="retain"), lambda: 600_000, lambda s: None
    )


def test_access_denied_is_explained(cfn):
    client, stubber = cfn
    stubber.add_client_error("describe_stacks", "AccessDenied", "not authorized", 403)
    with pytest.raises(
        teardown.CustomResourceError,
        match="access denied: cloudformation:DescribeStacks on driftgate-staging",
    ):
        teardown.delete_stage_stacks(client, request(), lambda: 600_000, lambda s: None)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"OnDelete": "keep"}, "property OnDelete is 'keep'; expected delete or retain"),
        ({"StackNames": "a b"}, "property StackNames"),
        ({"Extra": "1"}, "unknown property Extra"),
    ],
)
def test_bad_properties_fail_create_with_the_property_named(responses, changes, message):
    run_handler("stage_stacks", "Custom::StageStacks", "Create", {**PROPERTIES, **changes})
    assert message in failed_reason(responses)


def test_create_succeeds_with_a_stable_id(responses):
    run_handler("stage_stacks", "Custom::StageStacks", "Create", PROPERTIES)
    response = only(responses)
    assert response["Status"] == "SUCCESS"
    assert response["PhysicalResourceId"] == "stage-stacks-driftgate-staging"


def test_delete_after_a_failed_create_with_bad_properties_succeeds(responses):
    run_handler("stage_stacks", "Custom::StageStacks", "Delete", {"OnDelete": "?"}, physical_id="x")
    assert only(responses)["Status"] == "SUCCESS"
