"""A blue/green update SageMaker rolled back is reported as a failed stack update.

The emulator's ``blue_green_rollback`` simulates SageMaker's auto-rollback: the endpoint
stays InService on its old config. Custom::EndpointDeployment must then fail the update
with a reason, the stacks roll back, and the outputs keep naming the version the
endpoint serves.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from scripts.emulator import Emulator, scenario
from scripts.emulator.patches import blue_green_rollback

pytestmark = pytest.mark.e2e
SETUP = scenario.Setup(stack="e2e-rollback", project="rollback")


@pytest.fixture(scope="module")
def rolled_back(dist: Path) -> Iterator[tuple[Emulator, list[str], dict, dict]]:
    with Emulator(regions=[SETUP.region]) as emu:
        emu.upload_dist(SETUP.hosting_bucket, SETUP.key_prefix, dist, SETUP.region)
        scenario.create_artifacts_bucket(emu, SETUP)
        arns = scenario.create_registry(
            emu, SETUP, ["Approved", "Approved", "PendingManualApproval"]
        )
        created = scenario.create_root_stack(emu, SETUP)
        assert created["StackStatus"] == "CREATE_COMPLETE"
        scenario.approve(emu, SETUP, arns[2])
        blue_green_rollback.roll_back_updates_of(SETUP.endpoint)
        updated = scenario.update_root_stack(emu, SETUP, ModelNonce="alarm-fires")
        yield emu, arns, created, updated


def events(emu: Emulator, status: str) -> list[tuple[str, str, str]]:
    """(stack, logical id, reason) of every event with `status`, in every stack."""
    cfn = emu.client("cloudformation", SETUP.region)
    found = []
    for summary in cfn.list_stacks()["StackSummaries"]:
        for event in cfn.describe_stack_events(StackName=summary["StackId"])["StackEvents"]:
            if event["ResourceStatus"] == status:
                found.append(
                    (
                        summary["StackName"],
                        event["LogicalResourceId"],
                        event.get("ResourceStatusReason", ""),
                    )
                )
    return found


def test_the_rolled_back_update_fails_the_root_stack(rolled_back):
    _, _, _, updated = rolled_back
    assert updated["StackStatus"] == "UPDATE_ROLLBACK_COMPLETE"


def test_the_deployment_check_names_the_rollback(rolled_back):
    emu, _, _, _ = rolled_back
    failures = {logical_id: reason for _, logical_id, reason in events(emu, "UPDATE_FAILED")}
    reason = failures["DeploymentCheck"]
    assert f"endpoint {SETUP.endpoint} serves " in reason
    assert "rolled the blue/green update of version 3 back" in reason
    # ... and each parent says which nested stack failed.
    assert "failed to update: [DeploymentCheck]" in failures["Endpoint"]
    assert "failed to update: [Endpoint]" in failures["Stage"]


def test_outputs_name_the_version_the_endpoint_serves(rolled_back):
    emu, arns, created, updated = rolled_back
    outputs = scenario.outputs(updated)
    assert outputs["ModelPackageArn"] == arns[1]
    assert outputs["ModelPackageVersion"] == "2"
    assert outputs == scenario.outputs(created)
    endpoint = emu.client("sagemaker", SETUP.region).describe_endpoint(EndpointName=SETUP.endpoint)
    assert endpoint["EndpointStatus"] == "InService"
