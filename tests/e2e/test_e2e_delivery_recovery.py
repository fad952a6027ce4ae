"""Pipeline mode on the emulator: a stage stack whose first create failed (left in
ROLLBACK_COMPLETE, which the deploy action's CREATE_UPDATE cannot update) does not block
the next delivery: its Resolve action deletes the stack, and the deploy creates it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from scripts.emulator import Emulator, scenario
from scripts.emulator.codepipeline import PipelineRunner

pytestmark = pytest.mark.e2e
SETUP = scenario.Setup(stack="e2e-recovery", project="rcv", group="rcv-models")
PIPELINE = f"{SETUP.project}-delivery"
STAGING = f"{SETUP.project}-staging"


@pytest.fixture(scope="module")
def emu(dist: Path) -> Iterator[tuple[Emulator, PipelineRunner, list[str]]]:
    with Emulator(regions=[SETUP.region]) as emu:
        emu.upload_dist(SETUP.hosting_bucket, SETUP.key_prefix, dist, SETUP.region)
        scenario.create_artifacts_bucket(emu, SETUP)
        arns = scenario.create_registry(emu, SETUP, ["PendingManualApproval"] * 2)
        scenario.create_root_stack(emu, SETUP, DeliveryMode="pipeline")
        yield emu, PipelineRunner(emu), arns


def staging_status(emu: Emulator) -> str:
    cloudformation = emu.client("cloudformation", SETUP.region)
    return str(cloudformation.describe_stacks(StackName=STAGING)["Stacks"][0]["StackStatus"])


def test_a_failed_first_create_leaves_staging_rolled_back(emu):
    emulator, runner, arns = emu
    # Version 1's baseline is gone: the stage's Custom::DriftBaseline fails the create.
    emulator.client("s3", SETUP.region).delete_object(
        Bucket=SETUP.artifacts_bucket, Key="models/v1/statistics.json"
    )
    scenario.approve(emulator, SETUP, arns[0])
    runner.run()
    (failed,) = runner.of(PIPELINE)
    assert failed.status == "Failed" and "DeployStaging" in failed.message, failed.message
    assert staging_status(emulator) == "ROLLBACK_COMPLETE"


def test_the_next_approval_deletes_it_and_deploys(emu):
    emulator, runner, arns = emu
    scenario.approve(emulator, SETUP, arns[1])
    runner.run()
    execution = runner.of(PIPELINE)[-1]
    assert execution.log[:4] == [
        "Source.ReleaseArchive: ok", "Resolve.ResolveVersion: ok",
        "Staging.DeployStaging: ok", "Staging.TestStaging: ok",
    ], execution.log  # fmt: skip
    assert staging_status(emulator) == "CREATE_COMPLETE"
    assert scenario.serving_version(emulator, SETUP, "staging") == 2
