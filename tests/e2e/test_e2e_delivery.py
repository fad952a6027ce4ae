"""Pipeline mode on the emulator: the real templates and functions, the deployed
pipeline run by the emulator's CodePipeline executor. One story, in file order:
approve -> staging -> test -> approval -> prod; a newer approval moves prod; a package
whose staging test fails never reaches prod; another group's approval starts nothing;
two quick approvals end with the newest in prod; an alarm during the bake rolls prod
back to the previous version; deleting the root leaves only the retained data."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from scripts.emulator import Emulator, scenario
from scripts.emulator.codepipeline import PipelineRunner
from scripts.emulator.inventory import difference, inventory

pytestmark = pytest.mark.e2e
SETUP = scenario.Setup(stack="e2e-delivery", project="dlv", group="dlv-models")
PIPELINE = f"{SETUP.project}-delivery"


@dataclass
class Story:
    emu: Emulator
    runner: PipelineRunner
    arns: list[str]
    before: dict[str, list[str]]
    outputs: dict[str, str] = field(default_factory=dict)
    tested: set[int] = field(default_factory=set)  # versions staging passed

    def versions(self) -> tuple[int | None, int | None]:
        return (
            scenario.serving_version(self.emu, SETUP, "staging"),
            scenario.serving_version(self.emu, SETUP, "prod"),
        )

    def run(self) -> list[str]:
        happened = self.runner.run()
        for execution in self.runner.of(PIPELINE):
            if "Staging.TestStaging: ok" in execution.log:
                self.tested.add(int(execution.namespaces["Resolve"]["ModelPackageVersion"]))
        return happened

    def approve_waiting(self, approved: bool = True) -> list[str]:
        (waiting,) = self.runner.waiting_approvals()
        self.runner.answer(waiting, approved, "e2e")
        return self.run()


@pytest.fixture(scope="module")
def story(dist: Path) -> Iterator[Story]:
    with Emulator(regions=[SETUP.region]) as emu:
        before = inventory(emu, SETUP.region)
        emu.upload_dist(SETUP.hosting_bucket, SETUP.key_prefix, dist, SETUP.region)
        scenario.create_artifacts_bucket(emu, SETUP)
        arns = scenario.create_registry(emu, SETUP, ["PendingManualApproval"] * 7)
        stack = scenario.create_root_stack(emu, SETUP, DeliveryMode="pipeline")
        story = Story(emu, PipelineRunner(emu), arns, before, scenario.outputs(stack))
        yield story


def test_root_creates_the_pipeline_and_no_stage_until_an_approval(story):
    assert story.outputs["PipelineName"] == PIPELINE
    assert story.outputs["StagingStackName"] == f"{SETUP.project}-staging"
    assert story.run() == []  # registering pending packages starts nothing
    assert story.versions() == (None, None)


def test_approval_goes_through_staging_and_its_test_then_waits_for_a_person(story):
    scenario.approve(story.emu, SETUP, story.arns[0])
    happened = story.run()
    assert any("Staging: succeeded" in line for line in happened), happened
    assert story.versions() == (1, None)
    (waiting,) = story.runner.waiting_approvals()
    message = waiting.waiting["message"]
    assert "version 1" in message and story.arns[0] in message and "dlv-prod" in message
    assert waiting.log[:4] == [
        "Source.ReleaseArchive: ok", "Resolve.ResolveVersion: ok",
        "Staging.DeployStaging: ok", "Staging.TestStaging: ok",
    ]  # fmt: skip


def test_approved_run_deploys_the_same_version_to_prod(story):
    happened = story.approve_waiting()
    assert any("Production: succeeded" in line for line in happened), happened
    assert story.versions() == (1, 1)
    (execution,) = story.runner.of(PIPELINE)
    assert execution.status == "Succeeded"
    assert execution.namespaces["ProductionDeploy"]["ModelPackageVersion"] == "1"


def test_a_newer_approval_moves_prod_to_it(story):
    scenario.approve(story.emu, SETUP, story.arns[1])
    story.run()
    assert story.versions() == (2, 1)  # prod waits for the person
    story.approve_waiting()
    assert story.versions() == (2, 2)


def test_a_package_failing_the_staging_test_never_reaches_prod(story):
    scenario.break_staging_test(story.emu, SETUP, version=3)
    scenario.approve(story.emu, SETUP, story.arns[2])
    story.run()
    failed = story.runner.of(PIPELINE)[-1]
    assert failed.status == "Failed"
    assert "TestStaging" in failed.message and "empty answer" in failed.message
    assert not story.runner.waiting_approvals()
    assert story.versions() == (3, 2)
    assert 3 not in story.tested


def test_another_groups_approval_starts_nothing(story):
    other = scenario.Setup(group="someone-elses-models", artifacts_bucket=SETUP.artifacts_bucket)
    count = len(story.runner.executions)
    (arn,) = scenario.create_registry(story.emu, other, ["PendingManualApproval"])
    scenario.approve(story.emu, other, arn)
    happened = story.run()
    # The event reaches no rule of this pipeline: nothing is invoked, nothing starts.
    assert happened == [], happened
    assert len(story.runner.executions) == count


def test_two_quick_approvals_end_with_the_newest_in_prod_and_prod_only_runs_tested(story):
    scenario.approve(story.emu, SETUP, story.arns[3])
    scenario.approve(story.emu, SETUP, story.arns[4])
    story.run()
    first, second = story.runner.of(PIPELINE)[-2:]
    assert first.waiting and first.waiting["stage"] == "Approval"
    # QUEUED: the second waits behind the first at the locked Approval stage.
    assert second.status == "InProgress" and not second.waiting
    story.approve_waiting()
    assert story.versions()[1] == 4
    story.approve_waiting()
    assert story.versions() == (5, 5)
    assert {4, 5} <= story.tested


def test_an_alarm_during_the_bake_rolls_prod_back_to_the_previous_version(story):
    story.runner.alarm_states[f"{SETUP.project}-prod-endpoint-5xx"] = "ALARM"
    try:
        scenario.approve(story.emu, SETUP, story.arns[5])
        story.run()
        happened = story.approve_waiting()
    finally:
        story.runner.alarm_states.clear()
    assert any("ROLLBACK Production" in line and "Succeeded" in line for line in happened), happened
    assert story.versions() == (6, 5)


def test_a_duplicate_event_starts_one_execution(story):
    from scripts.emulator.codepipeline import events, state

    scenario.approve(story.emu, SETUP, story.arns[6])
    with state.LOCK:
        region, event = state.EVENTS[-1]
    events.emit(region, event)  # EventBridge delivers at least once
    count = len(story.runner.executions)
    story.run()
    assert len(story.runner.executions) == count + 1
    story.approve_waiting()
    assert story.versions() == (7, 7)


def test_delete_root_deletes_the_stage_stacks_and_leaves_only_retained_data(story):
    cfn = story.emu.client("cloudformation", SETUP.region)
    live = difference(inventory(story.emu, SETUP.region), story.before)
    assert {"dlv-staging", "dlv-prod"} <= set(live["Live stacks"])
    assert {"dlv-staging", "dlv-prod"} <= set(live["SageMaker endpoints"])

    cfn.delete_stack(StackName=SETUP.stack)

    left = difference(inventory(story.emu, SETUP.region), story.before)
    assert set(left) == {"S3 buckets", "KMS keys (enabled)"}, left
    # CodePipeline's store is retained (see delivery.yml), named by a root output so the
    # README's Cleanup can say which bucket to empty and delete
    assert set(left["S3 buckets"]) == {
        story.outputs["DataBucketName"], SETUP.hosting_bucket, SETUP.artifacts_bucket,
        story.outputs["PipelineArtifactBucketName"],
    }  # fmt: skip
