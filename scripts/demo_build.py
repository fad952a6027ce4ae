"""The demo's build and retrain part: the build pipeline that build.yml deployed runs on
this machine, a drift event goes through the retrain gate, the retrained package is
registered pending approval, approved and deployed.

In pipeline mode the caller passes ``deploy`` and the delivery pipeline (CodePipeline,
run by the emulator's executor) deploys the approved package; without it the demo
deploys with a direct-mode stack update, as a user of DeliveryMode=direct does.
"""

from __future__ import annotations

import json
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from scripts import training_data
from scripts.emulator import build_loop, scenario
from scripts.emulator.server import Emulator

DEMO_ROWS = 2_000  # small, so the demo's second run stays well under two minutes


def _gate_function(emu: Emulator, region: str) -> str:
    for function in emu.client("lambda", region).list_functions()["Functions"]:
        if "DRIFTGATE_PIPELINE_NAME" in (function.get("Environment") or {}).get("Variables", {}):
            return str(function["FunctionName"])
    raise SystemExit("demo failed: the stack deployed no retrain gate")


def _say_decision(say: Callable[[str], None], answer: dict[str, Any]) -> None:
    if "action" not in answer:
        raise SystemExit(f"demo failed: the retrain gate answered {answer}")
    say(f"gate: {answer.get('action')} ({answer.get('reason')}) for {answer.get('trigger')}")
    parameters = answer.get("parameters") or {}
    if parameters:
        skip, register = parameters["SkipCheck"], parameters["RegisterNewBaseline"]
        previous = parameters["PreviousBaselineStatisticsUri"] or "none"
        say(f"      SkipCheck={skip} RegisterNewBaseline={register}, previous baseline {previous}")


def run(
    emu: Emulator,
    setup: scenario.Setup,
    outputs: dict[str, str],
    steps: Any,
    deploy: Callable[[str], None] | None = None,
) -> None:
    """``deploy(arn)`` delivers the approved package (pipeline mode: the delivery
    pipeline); without it the demo deploys with a direct-mode stack update."""
    say = steps.say
    region = setup.region
    workdir = Path(tempfile.mkdtemp(prefix="driftgate-build-"))

    def register() -> None:
        name = build_loop.register_pipeline(emu, region)
        _, body, _ = build_loop.deployed_pipeline()
        definition = json.loads(body)
        kinds = [f"{s['Name']} ({s['Type']})" for s in definition["Steps"]]
        say(f"{name}: {' -> '.join(kinds)}")
        say("condition branches: Register (RegisterModel) | MetricTooLow (Fail)")

    steps.run("Build pipeline from build.yml (definition as CloudFormation resolved it)", register)

    def upload() -> None:
        with tempfile.TemporaryDirectory() as folder:
            path = training_data.write_dataset(Path(folder) / "train.csv", DEMO_ROWS, seed=1)
            key = "build/data/train.csv"
            emu.client("s3", region).put_object(
                Bucket=outputs["DataBucketName"], Key=key, Body=path.read_bytes()
            )
        say(f"{DEMO_ROWS} labelled rows -> s3://{outputs['DataBucketName']}/{key}")

    steps.run("Training data under the build data prefix", upload)

    def gate() -> None:
        answers = build_loop.deliver_events(emu, region)
        if not answers:
            raise SystemExit("demo failed: no event reached the retrain gate")
        for rule, answer in answers:
            say(f"rule {rule} -> event {answer.get('event_id')}")
            _say_decision(say, answer)
        if not any(
            a.get("action") == "started" and a.get("trigger") == "drift" for _, a in answers
        ):
            raise SystemExit("demo failed: the drift event did not start a retrain")

    steps.run("Events since the drifted hour -> retrain gate", gate)

    registered: dict[str, str] = {}

    def build() -> None:
        results = build_loop.run_started(emu, region, workdir)
        if len(results) != 1:
            raise SystemExit(f"demo failed: expected one started build, ran {len(results)}")
        arn, execution = results[0]
        say(f"execution {arn.rsplit('/', 1)[-1]}: {execution.status} {execution.failure_reason}")
        for name, status in execution.steps.items():
            say(f"  {name:<13} {status}")
        if execution.status != "Succeeded":
            raise SystemExit("demo failed: the build did not succeed")
        package = execution.properties["Register"]["ModelPackageArn"]
        described = emu.client("sagemaker", region).describe_model_package(ModelPackageName=package)
        quality = described["ModelMetrics"]["ModelQuality"]["Statistics"]["S3Uri"]
        bucket, _, key = quality[len("s3://") :].partition("/")
        report = json.loads(
            emu.client("s3", region).get_object(Bucket=bucket, Key=key)["Body"].read()
        )
        auc = report["binary_classification_metrics"]["auc"]["value"]
        say(f"test AUC {auc} (threshold {execution.parameters['MetricThreshold']})")
        say(f"registered {package}  {described['ModelApprovalStatus']}")
        drift = described["DriftCheckBaselines"]["ModelDataQuality"]["Statistics"]["S3Uri"]
        say(f"DriftCheckBaselines: {drift}")
        registered["arn"] = package

    steps.run("Run the started build (steps on this machine, container paths)", build)

    def second_trigger() -> None:
        event = {
            "id": f"demo-alarm-{time.time_ns()}",
            "source": "aws.cloudwatch",
            "detail-type": "CloudWatch Alarm State Change",
            "detail": {
                "alarmName": f"{setup.endpoint}-drift-0-num_00",
                "state": {"value": "ALARM"},
            },
        }
        response = emu.client("lambda", region).invoke(
            FunctionName=_gate_function(emu, region), Payload=json.dumps(event).encode()
        )
        answer = json.loads(response["Payload"].read())
        _say_decision(say, answer)
        if answer.get("action") != "skipped":
            raise SystemExit("demo failed: a second trigger inside the cool-down started a build")

    steps.run(
        "A drift alarm right after -> gate (EventBridge's event, sent directly)", second_trigger
    )

    def approve_and_deploy() -> dict[str, Any]:
        scenario.approve(emu, setup, registered["arn"])
        say(f"approved {registered['arn']}")
        if deploy is not None:
            deploy(registered["arn"])
            return {"StackStatus": "delivered by the pipeline"}
        say("(direct mode: a stack update deploys it)")
        return scenario.update_root_stack(emu, setup, ModelNonce=f"retrained-{time.time_ns()}")

    updated = steps.run("Approve the retrained package and deploy it", approve_and_deploy)
    say(f"{setup.stack}: {updated['StackStatus']}")
    deployed = scenario.deployed_package(emu, setup)
    say(f"endpoint {setup.endpoint} serves {deployed}")
    if deployed != registered["arn"]:
        raise SystemExit("demo failed: the endpoint does not serve the retrained package")
