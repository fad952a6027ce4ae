"""The build half of the loop on the emulator: the root stack deploys build.yml, its
pipeline definition (as CloudFormation resolved it) runs locally, a drift event reaches
the retrain gate through the stack's EventBridge rule and starts a build with the drift
flags, the build registers a pending package, and repeated triggers are skipped."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from scripts import training_data
from scripts.emulator import Emulator, build_loop, scenario
from scripts.emulator import sagemaker_pipelines as runner

pytestmark = pytest.mark.e2e
SETUP = scenario.Setup(stack="e2e-build")


@pytest.fixture(scope="module")
def emu(dist: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emulator]:
    with Emulator(regions=[SETUP.region]) as emulator:
        emulator.upload_dist(SETUP.hosting_bucket, SETUP.key_prefix, dist, SETUP.region)
        scenario.create_artifacts_bucket(emulator, SETUP)
        scenario.create_registry(emulator, SETUP, ["Approved"])
        stack = scenario.create_root_stack(emulator, SETUP)
        assert stack["StackStatus"] == "CREATE_COMPLETE"
        data = tmp_path_factory.mktemp("data") / "train.csv"
        training_data.write_dataset(data, rows=2000, seed=1)
        emulator.client("s3", SETUP.region).put_object(
            Bucket=scenario.outputs(stack)["DataBucketName"],
            Key="build/data/train.csv",
            Body=data.read_bytes(),
        )
        yield emulator


@pytest.fixture(scope="module")
def delivered(emu: Emulator) -> list[tuple[str, dict]]:
    build_loop.register_pipeline(emu, SETUP.region)
    build_loop.deliver_events(emu, SETUP.region)  # anything the stack itself caused
    emu.client("events", SETUP.region).put_events(
        Entries=[{
            "Source": "driftgate.monitor",
            "DetailType": "Data Drift Violations",
            "Detail": json.dumps({"endpoint": SETUP.endpoint, "violations": 1,
                                  "report_uri": "s3://x/report.html"}),
        }]
    )  # fmt: skip
    return build_loop.deliver_events(emu, SETUP.region)


def test_the_deployed_definition_is_runnable(emu):
    name, body, role = build_loop.deployed_pipeline()
    assert name == f"{SETUP.project}-build"
    assert runner.check_definition(runner.load_definition(body)) == []
    assert ":role/" in role


def test_a_drift_event_starts_a_build_with_the_drift_flags(emu, delivered):
    ((rule, answer),) = delivered
    assert "MonitorDriftRule" in rule
    assert answer["action"] == "started" and answer["trigger"] == "drift"
    previous = emu.client("sagemaker", SETUP.region).describe_model_package(
        ModelPackageName=f"arn:aws:sagemaker:{SETUP.region}:123456789012:model-package/{SETUP.group}/1"
    )["DriftCheckBaselines"]["ModelDataQuality"]
    assert answer["parameters"] == {
        "SkipCheck": "true",
        "RegisterNewBaseline": "true",
        "PreviousBaselineStatisticsUri": previous["Statistics"]["S3Uri"],
        "PreviousBaselineConstraintsUri": previous["Constraints"]["S3Uri"],
        "TriggerSource": "drift",
    }


def test_the_started_build_registers_a_pending_package(emu, delivered, tmp_path):
    ((arn, execution),) = build_loop.run_started(emu, SETUP.region, tmp_path)
    assert arn == delivered[0][1]["execution_arn"]
    assert execution.status == "Succeeded", execution.failure_reason
    sagemaker = emu.client("sagemaker", SETUP.region)
    package = sagemaker.describe_model_package(
        ModelPackageName=execution.properties["Register"]["ModelPackageArn"]
    )
    assert package["ModelApprovalStatus"] == "PendingManualApproval"
    assert package["ModelPackageVersion"] == 2
    assert package["CustomerMetadataProperties"]["TriggerSource"] == "drift"
    status = sagemaker.describe_pipeline_execution(PipelineExecutionArn=arn)
    assert status["PipelineExecutionStatus"] == "Succeeded"


def _invoke_gate(emu: Emulator, event: dict) -> dict:
    functions = emu.client("lambda", SETUP.region).list_functions()["Functions"]
    (gate,) = [
        f["FunctionName"]
        for f in functions
        if "DRIFTGATE_PIPELINE_NAME" in f.get("Environment", {}).get("Variables", {})
    ]
    response = emu.client("lambda", SETUP.region).invoke(
        FunctionName=gate, Payload=json.dumps(event).encode()
    )
    return json.loads(response["Payload"].read())


def test_the_same_event_again_is_a_duplicate(emu, delivered):
    event_id = delivered[0][1]["event_id"]
    again = _invoke_gate(emu, {"id": event_id, "source": "driftgate.monitor",
                               "detail-type": "Data Drift Violations", "detail": {}})  # fmt: skip
    assert again["action"] == "skipped" and again["reason"].startswith("duplicate")


def test_a_scheduled_retrain_inside_the_cool_down_is_skipped(emu, delivered):
    answer = _invoke_gate(emu, {"id": "schedule-1", "source": "aws.events",
                                "detail-type": "Scheduled Event", "resources": []})  # fmt: skip
    assert answer["action"] == "skipped" and answer["reason"].startswith("cool-down")
