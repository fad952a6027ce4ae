"""driftgate on a local AWS emulator: no account, no network beyond loopback.

Packages the templates, Lambda code and release archive, registers models, creates the
root stack in pipeline mode, approves a model and follows the delivery pipeline (run by
the emulator's CodePipeline executor) through staging, its test, a person's approval and
production; runs the drift monitor production deployed on normal then drifted traffic;
approves a newer model (production moves to it) and a broken one (it never reaches
production); deletes the root stack and shows what is left.

    make demo        (or: .venv/bin/python scripts/demo.py)
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: make the repository importable
    sys.path.insert(0, str(ROOT))

from scripts import capture_generator, demo_build, invoke, release  # noqa: E402
from scripts import package as package_script  # noqa: E402
from scripts.emulator import Emulator, scenario, traffic  # noqa: E402
from scripts.emulator.codepipeline import PipelineRunner  # noqa: E402
from scripts.emulator.codepipeline.definitions import DEPLOYED  # noqa: E402
from scripts.emulator.inventory import difference, inventory  # noqa: E402
from scripts.emulator.patches import placeholders  # noqa: E402

DIST = ROOT / "build" / "dist"
WINDOW_ROWS = 2_000
T = TypeVar("T")


class Steps:
    """Numbered, timed progress lines."""

    def __init__(self) -> None:
        self.number = 0
        self.started = time.monotonic()

    def run(self, title: str, action: Callable[[], T]) -> T:
        self.number += 1
        print(f"\n{self.number:>2}. {title}", flush=True)
        began = time.monotonic()
        try:
            result = action()
        except (SystemExit, KeyboardInterrupt):
            raise
        except Exception as error:  # one clear line instead of a traceback
            raise SystemExit(f"demo failed at step {self.number} ({title}): {error}") from error
        print(f"    ({time.monotonic() - began:.1f} s)", flush=True)
        return result

    @staticmethod
    def say(text: str) -> None:
        print(f"    {text}", flush=True)


def package() -> None:
    subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "package.py"), "--out", str(DIST)], check=True
    )


def show_stack(
    emu: Emulator, setup: scenario.Setup, stack: dict[str, Any], say: Callable[[str], None]
) -> None:
    say(f"{setup.stack}: {stack['StackStatus']}")
    for depth, logical_id, name, status in scenario.nested_stacks(emu, setup.region, setup.stack)[
        1:
    ]:
        say(f"{'  ' * depth}{logical_id:<14} {status:<16} {name}")
    kinds = sorted({kind.split("::", 1)[1] for kind, _ in placeholders.created})
    say("stand-ins for types moto does not emulate (the template tests cover them):")
    for start in range(0, len(kinds), 3):
        say("  " + ", ".join(kinds[start : start + 3]))
    outputs = scenario.outputs(stack)
    for key in (
        "EndpointName",
        "ModelPackageArn",
        "DataBucketName",
        "ScheduleName",
        "DashboardName",
        "InferenceApiUrl",
    ):
        if key in outputs:
            say(f"output {key:<16} {outputs[key]}")


def drift_story(
    emu: Emulator, setup: scenario.Setup, outputs: dict[str, str], steps: Steps
) -> None:
    bucket = outputs["DataBucketName"]
    function = monitor_function(emu, setup)
    hour = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    normal_start, drifted_start = hour - timedelta(hours=2), hour - timedelta(hours=1)
    dimensions = {"Endpoint": setup.endpoint, "MonitoringSchedule": setup.schedule}
    namespace = outputs.get("MetricsNamespace", "driftgate/Endpoints/data-metrics")

    def normal() -> None:
        traffic.upload_window(
            emu, setup.region, bucket, setup.endpoint, normal_start, WINDOW_ROWS, 11
        )
        steps.say(f"{WINDOW_ROWS} requests into s3://{bucket}/capture/{setup.endpoint}/AllTraffic/")

    def run(window_end: datetime) -> dict[str, Any]:
        steps.say(f"lambda invoke {function}")
        summary = traffic.run_monitor(emu, setup.region, function, window_end)
        steps.say(
            f"{summary.get('status')}: {summary.get('records')} records, "
            f"{summary.get('violations')} violation(s)"
        )
        return summary

    steps.run("Normal traffic into the capture bucket", normal)
    first = steps.run("Drift monitor run on the normal hour", lambda: run(drifted_start))
    if first.get("violations"):
        raise SystemExit("demo failed: the normal window reported violations")

    def drifted() -> None:
        applied = traffic.upload_window(
            emu, setup.region, bucket, setup.endpoint, drifted_start, WINDOW_ROWS, 12, "mean_shift"
        )
        steps.say(
            f"{WINDOW_ROWS} requests, {applied.kind} of {applied.feature} by {applied.magnitude}"
        )

    steps.run("Drifted traffic", drifted)
    second = steps.run("Drift monitor run on the drifted hour", lambda: run(hour))
    if not second.get("violations"):
        raise SystemExit("demo failed: the drifted window reported no violations")

    def metrics() -> None:
        for name in ("driftgate_records", "driftgate_violations"):
            total = traffic.metric_sum(
                emu, setup.region, namespace, name, dimensions, normal_start, hour
            )
            steps.say(f"{namespace} {name}: {total:g} over both runs")
        steps.say(f"report: {second.get('report_uri')}")
        prefix = f"monitoring/{setup.endpoint}/{setup.schedule}/"
        for key in traffic.report_keys(emu, setup.region, bucket, prefix)[-4:]:
            steps.say(f"s3://{bucket}/{key}")

    steps.run("Metrics and the violation report", metrics)


def api_story(
    emu: Emulator, setup: scenario.Setup, outputs: dict[str, str], say: Callable[[str], None]
) -> None:
    """An application's requests through the stage's inference API land in data capture."""
    url, bucket = outputs["InferenceApiUrl"], outputs["DataBucketName"]
    apigw = emu.client("apigateway", setup.region)
    name = f"{setup.project}-{setup.stage}-inference"
    (key,) = apigw.get_api_keys(nameQuery=name, includeValues=True)["items"]
    rows = capture_generator.csv_rows(capture_generator.reference_frame(20, seed=3))
    prefix = f"capture/{setup.endpoint}/AllTraffic/"
    s3 = emu.client("s3", setup.region)
    before = s3.list_objects_v2(Bucket=bucket, Prefix=prefix).get("KeyCount", 0)
    answers = traffic.send_through_api(emu, setup.region, url, rows, api_key=key["value"])
    say(f"POST {url}")
    statuses = sorted({a.status for a in answers})
    first = answers[0].body.split()[0]
    say(f"{len(rows)} rows in {len(answers)} requests (x-api-key): HTTP {statuses}, first {first}")
    if any(a.status != 200 for a in answers):
        raise SystemExit("demo failed: the inference API refused the demo's rows")
    after = s3.list_objects_v2(Bucket=bucket, Prefix=prefix).get("KeyCount", 0)
    say(f"{after - before} new capture files under s3://{bucket}/{prefix}")
    refused = invoke.send(
        invoke.build_request(url, b"{}", "application/x-npy", api_key=key["value"]),
        connect_to=emu.endpoint_url,
    )
    say(f"a content type the package does not support: HTTP {refused.status} {refused.body}")


def monitor_function(emu: Emulator, setup: scenario.Setup) -> str:
    for function in emu.client("lambda", setup.region).list_functions()["Functions"]:
        variables = (function.get("Environment") or {}).get("Variables", {})
        if variables.get("DRIFTGATE_ENDPOINT_NAME") == setup.endpoint:
            return str(function["FunctionName"])
    raise SystemExit("demo failed: the stack deployed no drift monitor function")


def show_pipeline(emu: Emulator, setup: scenario.Setup, say: Callable[[str], None]) -> None:
    definition = DEPLOYED[(setup.region, f"{setup.project}-delivery")].properties
    say(
        f"pipeline {definition['Name']} "
        f"({definition['PipelineType']}, {definition['ExecutionMode']})"
    )
    for stage in definition["Stages"]:
        kinds = ", ".join(
            f"{a['Name']} [{a['ActionTypeId']['Provider']}]" for a in stage["Actions"]
        )
        extras = [k for k in ("BeforeEntry", "OnSuccess", "OnFailure") if stage.get(k)]
        say(f"  {stage['Name']:<10} {kinds}" + (f"  ({', '.join(extras)})" if extras else ""))


def deliver(
    runner: PipelineRunner, say: Callable[[str], None], approve: bool | None = True
) -> None:
    """Run the pipelines until they wait; answer a waiting approval as a person would."""
    for line in runner.run():
        say(line)
    waiting = runner.waiting_approvals()
    if approve is None or not waiting:
        return
    (execution,) = waiting
    say(f"approval request on the topic: {execution.waiting['message'][:150]}...")
    runner.answer(execution, approve, "demo reviewer")
    say("a person approves in the console (PutApprovalResult)")
    for line in runner.run():
        say(line)


def expect_versions(
    emu: Emulator, setup: scenario.Setup, staging: int, prod: int | None, say: Callable[[str], None]
) -> None:
    found = (
        scenario.serving_version(emu, setup, "staging"),
        scenario.serving_version(emu, setup, "prod"),
    )
    say(
        f"{setup.project}-staging serves version {found[0]}, {setup.project}-prod serves {found[1]}"
    )
    if found != (staging, prod):
        raise SystemExit(f"demo failed: expected staging {staging} and prod {prod}, got {found}")


def main() -> int:
    steps = Steps()
    setup = scenario.Setup(stage="prod")
    print("driftgate demo on the local emulator (moto in process; no AWS account used)")
    steps.run("Package templates, Lambda code and the release archive into build/dist", package)
    steps.run("Per-stage parameters: the demo's prod gets an inference API", demo_release)
    with Emulator(regions=[setup.region]) as emu:
        steps.say(f"emulator listening on {emu.endpoint_url}")
        before = inventory(emu, setup.region)
        count = steps.run(
            f"Upload to s3://{setup.hosting_bucket}/{setup.key_prefix} (versioned)",
            lambda: emu.upload_dist(setup.hosting_bucket, setup.key_prefix, DIST, setup.region),
        )
        steps.say(f"{count} files")

        def registry() -> list[str]:
            scenario.create_artifacts_bucket(emu, setup)
            arns = scenario.create_registry(emu, setup, ["PendingManualApproval"] * 3)
            for arn in arns:
                steps.say(f"{arn}  PendingManualApproval")
            return arns

        arns = steps.run(f"Model package group {setup.group} with baselines", registry)
        stack = steps.run(
            f"Create root stack {setup.stack} (DeliveryMode=pipeline, the default)",
            lambda: scenario.create_root_stack(emu, setup, DeliveryMode="pipeline"),
        )
        if stack["StackStatus"] != "CREATE_COMPLETE":
            raise SystemExit(f"demo failed: {setup.stack} is {stack['StackStatus']}")
        steps.run("Nested stacks and outputs", lambda: show_stack(emu, setup, stack, steps.say))
        steps.run("The deployed pipeline", lambda: show_pipeline(emu, setup, steps.say))
        runner = PipelineRunner(emu)

        def first() -> None:
            scenario.approve(emu, setup, arns[0])
            steps.say(f"update-model-package --model-approval-status Approved ({arns[0]})")
            deliver(runner, steps.say)
            expect_versions(emu, setup, 1, 1, steps.say)
            steps.say("= prod serves the version staging tested")

        steps.run("Approve version 1: staging, test, approval, production", first)
        served = {**scenario.outputs(stack), **prod_outputs(emu, setup)}
        steps.run(
            "Requests through prod's inference API (API Gateway -> endpoint -> data capture)",
            lambda: api_story(emu, setup, served, steps.say),
        )
        drift_story(emu, setup, served, steps)

        def second() -> None:
            scenario.approve(emu, setup, arns[1])
            deliver(runner, steps.say)
            expect_versions(emu, setup, 2, 2, steps.say)
            steps.say("= prod moved to version 2 (blue/green update of the same endpoint)")

        steps.run("Approve version 2: prod moves to it", second)

        def failing() -> None:
            scenario.break_staging_test(emu, setup, version=3)
            steps.say("version 3's model answers with empty bodies (a broken artifact)")
            scenario.approve(emu, setup, arns[2])
            deliver(runner, steps.say, approve=None)
            failed = runner.executions[-1]
            steps.say(f"run {failed.status}: {failed.message[:160]}")
            if failed.status != "Failed" or runner.waiting_approvals():
                raise SystemExit("demo failed: a package failing its staging test went on")
            expect_versions(emu, setup, 3, 2, steps.say)
            steps.say("= version 3 never reached prod")

        steps.run("Approve version 3, which fails the staging test", failing)
        demo_build.run(
            emu, setup, scenario.outputs(stack), steps,
            deploy=lambda arn: deliver(runner, steps.say),
        )  # fmt: skip

        def delete() -> None:
            emu.client("cloudformation", setup.region).delete_stack(StackName=setup.stack)
            left = difference(inventory(emu, setup.region), before)
            for kind, names in left.items():
                steps.say(f"{kind}: {', '.join(names)}")
            retained = {"S3 buckets", "KMS keys (enabled)"}
            expected_buckets = {
                setup.hosting_bucket,
                setup.artifacts_bucket,
                scenario.outputs(stack)["DataBucketName"],
            }
            unexpected = {k: v for k, v in left.items() if k not in retained}
            unexpected_buckets = {
                b
                for b in set(left.get("S3 buckets", [])) - expected_buckets
                if "artifactbucket" not in b
            }
            if unexpected or unexpected_buckets:
                raise SystemExit(f"demo failed: left behind {unexpected or unexpected_buckets}")
            steps.say(
                f"{setup.project}-staging and {setup.project}-prod were deleted with the root"
            )
            steps.say("left: the data bucket, its KMS key and the pipeline's artifact bucket")
            steps.say(
                "(DeletionPolicy: Retain), and the hosting and artifacts buckets the demo made"
            )

        steps.run(f"Delete {setup.stack}", delete)
    print(f"\ndemo complete in {time.monotonic() - steps.started:.0f} s")
    return 0


def demo_release() -> None:
    """Rebuild the release archive with prod's stage file asking for an API-key inference
    API (the repository's files keep it off): per-stage parameters travel in the archive."""
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        (root / "parameters" / "stages").mkdir(parents=True)
        for name in release.STAGE_FILES:
            document = json.loads((ROOT / "parameters" / "stages" / name).read_text())
            if name == "prod.json":
                document["Parameters"]["InferenceApi"] = "api-key"
            (root / "parameters" / "stages" / name).write_text(json.dumps(document))
        release.build(DIST, package_script.write_zip, root)
    print("    parameters/prod.json in the archive: InferenceApi=api-key", flush=True)


def prod_outputs(emu: Emulator, setup: scenario.Setup) -> dict[str, str]:
    cfn = emu.client("cloudformation", setup.region)
    return scenario.outputs(cfn.describe_stacks(StackName=f"{setup.project}-prod")["Stacks"][0])


if __name__ == "__main__":
    raise SystemExit(main())
