"""The real templates and Lambda code on the emulator: create the root stack in direct
mode, check what it deployed, update it to a newly approved model, delete it; then fail a
second one on an empty model group. The tests share one emulator and run in file order."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cfnlint.decode import decode_str

from scripts.emulator import Emulator, scenario, traffic
from scripts.emulator.inventory import difference, inventory

pytestmark = pytest.mark.e2e
SETUP = scenario.Setup(stack="e2e-root")


@dataclass
class Story:
    emu: Emulator
    arns: list[str]
    before: dict[str, list[str]]


@pytest.fixture(scope="module")
def story(dist: Path) -> Iterator[Story]:
    with Emulator(regions=[SETUP.region]) as emu:
        before = inventory(emu, SETUP.region)
        emu.upload_dist(SETUP.hosting_bucket, SETUP.key_prefix, dist, SETUP.region)
        scenario.create_artifacts_bucket(emu, SETUP)
        arns = scenario.create_registry(
            emu, SETUP, ["Approved", "Approved", "PendingManualApproval"]
        )
        scenario.create_root_stack(emu, SETUP)
        yield Story(emu, arns, before)


def root(story: Story) -> dict:
    cfn = story.emu.client("cloudformation", SETUP.region)
    return cfn.describe_stacks(StackName=SETUP.stack)["Stacks"][0]


def nested_outputs(story: Story, logical_id: str) -> dict[str, str]:
    cfn = story.emu.client("cloudformation", SETUP.region)
    stacks = scenario.nested_stacks(story.emu, SETUP.region, SETUP.stack)
    (name,) = [name for _, logical, name, _ in stacks if logical == logical_id]
    return scenario.outputs(cfn.describe_stacks(StackName=name)["Stacks"][0])


def monitor_environment(story: Story) -> dict[str, str]:
    for function in story.emu.client("lambda", SETUP.region).list_functions()["Functions"]:
        variables = (function.get("Environment") or {}).get("Variables", {})
        if variables.get("DRIFTGATE_ENDPOINT_NAME") == SETUP.endpoint:
            return variables
    raise AssertionError("no drift monitor function for the endpoint")


def monitor_function(story: Story) -> str:
    return next(
        f["FunctionName"]
        for f in story.emu.client("lambda", SETUP.region).list_functions()["Functions"]
        if "MonitorFunction" in f["FunctionName"]
    )


def test_root_and_every_nested_stack_complete(story):
    stacks = scenario.nested_stacks(story.emu, SETUP.region, SETUP.stack)

    assert {logical for _, logical, _, _ in stacks} == {
        SETUP.stack, "Foundation", "Stage", "Endpoint", "Monitoring", "Observability", "Build",
    }  # fmt: skip
    assert {status for *_, status in stacks} == {"CREATE_COMPLETE"}


def test_endpoint_in_service_captures_into_the_kms_encrypted_data_bucket(story):
    outputs = scenario.outputs(root(story))
    sagemaker = story.emu.client("sagemaker", SETUP.region)
    endpoint = sagemaker.describe_endpoint(EndpointName=SETUP.endpoint)
    config = sagemaker.describe_endpoint_config(EndpointConfigName=endpoint["EndpointConfigName"])
    capture = config["DataCaptureConfig"]
    encryption = story.emu.client("s3", SETUP.region).get_bucket_encryption(
        Bucket=outputs["DataBucketName"]
    )["ServerSideEncryptionConfiguration"]["Rules"][0]["ApplyServerSideEncryptionByDefault"]

    assert outputs["EndpointName"] == SETUP.endpoint == "driftgate-staging"
    assert endpoint["EndpointStatus"] == "InService"
    assert capture["EnableCapture"] is True
    assert capture["DestinationS3Uri"] == f"s3://{outputs['DataBucketName']}/capture"
    assert capture["KmsKeyId"] == outputs["KmsKeyArn"]
    assert encryption == {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": outputs["KmsKeyArn"]}
    key = story.emu.client("kms", SETUP.region).describe_key(KeyId=outputs["KmsKeyArn"])
    assert key["KeyMetadata"]["KeyState"] == "Enabled"


def test_custom_resources_resolve_the_newest_approved_package_and_its_baselines(story):
    outputs = scenario.outputs(root(story))
    newest_approved = story.arns[1]
    baseline = f"s3://{SETUP.artifacts_bucket}/models/v2"
    environment = monitor_environment(story)

    assert outputs["ModelPackageArn"] == newest_approved
    assert outputs["ModelPackageVersion"] == "2"
    # The ApprovedModelPackage custom resource's own answer, as the Endpoint stack outputs it.
    endpoint = nested_outputs(story, "Endpoint")
    assert endpoint["BaselineStatisticsS3Uri"] == f"{baseline}/statistics.json"
    assert endpoint["BaselineConstraintsS3Uri"] == f"{baseline}/constraints.json"
    assert scenario.deployed_package(story.emu, SETUP) == newest_approved
    assert environment["DRIFTGATE_BASELINE_STATISTICS_S3_URI"] == f"{baseline}/statistics.json"
    assert environment["DRIFTGATE_BASELINE_CONSTRAINTS_S3_URI"] == f"{baseline}/constraints.json"
    # DriftBaseline read the files: its features, in constraints.json order, reach the
    # monitoring stack's outputs (and from there the per-feature alarms).
    _, constraints = scenario.baseline_documents(seed=1)
    features = [feature["name"] for feature in constraints["features"]]
    monitoring = nested_outputs(story, "Monitoring")
    assert monitoring["FeatureNames"].split(",") == features
    assert monitoring["FeatureCount"] == str(len(features))


def test_deployed_monitor_finds_drift_only_in_drifted_traffic(story):
    outputs = scenario.outputs(root(story))
    function = monitor_function(story)
    hour = datetime(2026, 1, 5, 12, tzinfo=UTC)
    bucket, endpoint = outputs["DataBucketName"], SETUP.endpoint
    traffic.upload_window(story.emu, SETUP.region, bucket, endpoint, hour, 2000, 21)
    traffic.upload_window(
        story.emu, SETUP.region, bucket, endpoint, hour + timedelta(hours=1), 2000, 22, "mean_shift"
    )

    normal = traffic.run_monitor(story.emu, SETUP.region, function, hour + timedelta(hours=1))
    drifted = traffic.run_monitor(story.emu, SETUP.region, function, hour + timedelta(hours=2))

    assert (normal["records"], normal["violations"]) == (2000, 0)
    assert (drifted["records"], drifted["violations"]) == (2000, 1)
    report = drifted["report_uri"].removeprefix(f"s3://{bucket}/")
    assert report in traffic.report_keys(story.emu, SETUP.region, bucket, "monitoring/")


def test_a_late_scheduled_run_analyses_the_hour_it_was_scheduled_for(story, dist):
    """The schedule's Input, as Scheduler sends it, picks the window: an invocation for
    the drifted hour's schedule (or a retry of it, whenever it runs) analyses that hour."""
    template = decode_str((dist / "templates" / "monitoring.yml").read_text())[0]
    target_input = template["Resources"]["MonitorSchedule"]["Properties"]["Target"]["Input"]
    function = monitor_function(story)
    drifted_hour_end = datetime(2026, 1, 5, 14, tzinfo=UTC)

    result = traffic.run_as_scheduled(
        story.emu, SETUP.region, function, target_input, drifted_hour_end + timedelta(minutes=3)
    )

    assert (result["window_start"], result["window_end"]) == (
        "2026-01-05T13:00:00Z", "2026-01-05T14:00:00Z",
    )  # fmt: skip
    assert (result["records"], result["violations"]) == (2000, 1)


def test_update_with_a_new_nonce_deploys_the_newly_approved_version(story):
    scenario.approve(story.emu, SETUP, story.arns[2])

    updated = scenario.update_root_stack(story.emu, SETUP, ModelNonce="e2e-1")

    assert updated["StackStatus"] == "UPDATE_COMPLETE"
    assert scenario.outputs(updated)["ModelPackageArn"] == story.arns[2]
    assert scenario.deployed_package(story.emu, SETUP) == story.arns[2]
    baseline = f"s3://{SETUP.artifacts_bucket}/models/v3/statistics.json"
    assert monitor_environment(story)["DRIFTGATE_BASELINE_STATISTICS_S3_URI"] == baseline


def test_delete_leaves_only_the_retained_data_bucket_and_key(story):
    outputs = scenario.outputs(root(story))
    live = difference(inventory(story.emu, SETUP.region), story.before)
    # The inventory sees what the stack made, log groups included (the monitor has run
    # and logged into its own group, not an unowned /aws/lambda/ one).
    assert {"IAM roles", "Lambda functions", "SageMaker endpoints", "KMS aliases"} <= set(live)
    groups = live["CloudWatch log groups"]
    assert any("MonitorLogGroup" in group for group in groups)
    assert not [group for group in groups if group.startswith("/aws/lambda/")]

    story.emu.client("cloudformation", SETUP.region).delete_stack(StackName=SETUP.stack)

    left = difference(inventory(story.emu, SETUP.region), story.before)
    assert set(left) == {"S3 buckets", "KMS keys (enabled)"}
    assert set(left["S3 buckets"]) == {
        outputs["DataBucketName"], SETUP.hosting_bucket, SETUP.artifacts_bucket,
    }  # fmt: skip
    assert left["KMS keys (enabled)"] == [outputs["KmsKeyArn"].rsplit("/", 1)[1]]


def test_empty_model_group_fails_the_stack_with_the_custom_resource_reason(story):
    empty = scenario.Setup(project="emptygroup", group="e2e-empty", stack="e2e-empty")
    before = inventory(story.emu, SETUP.region)
    story.emu.client("sagemaker", SETUP.region).create_model_package_group(
        ModelPackageGroupName=empty.group
    )
    stack = scenario.create_root_stack(
        story.emu,
        empty,
        ArtifactsBucketName=SETUP.artifacts_bucket,
        TemplatesBucketName=SETUP.hosting_bucket,
    )

    assert stack["StackStatus"] == "ROLLBACK_COMPLETE"
    reason = deepest_failure(story.emu, empty.stack)
    assert reason[0] == "ApprovedModelPackage"
    assert "e2e-empty" in reason[1]
    cfn = story.emu.client("cloudformation", SETUP.region)
    cfn.delete_stack(StackName=empty.stack)
    assert cfn.describe_stacks(StackName=stack["StackId"])["Stacks"][0]["StackStatus"] == (
        "DELETE_COMPLETE"
    )
    # Rollback and delete after the failed Create leave only retained data: no function,
    # role, log group or endpoint of the half-built stage.
    left = difference(inventory(story.emu, SETUP.region), before)
    assert set(left) == {"S3 buckets", "KMS keys (enabled)"}
    assert len(left["S3 buckets"]) == len(left["KMS keys (enabled)"]) == 1


def deepest_failure(emu: Emulator, stack: str) -> tuple[str, str]:
    """Follow "Embedded stack ... was not successfully created" down to the resource."""
    cfn = emu.client("cloudformation", SETUP.region)
    while True:
        failed = [
            e
            for e in cfn.describe_stack_events(StackName=stack)["StackEvents"]
            if e["ResourceStatus"] == "CREATE_FAILED"
        ]
        assert failed, f"{stack} has no CREATE_FAILED event"
        event = failed[0]
        nested = re.match(r"Embedded stack (\S+) was not", event["ResourceStatusReason"])
        if not nested:
            return event["LogicalResourceId"], event["ResourceStatusReason"]
        stack = nested.group(1)
