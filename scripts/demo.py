"""driftgate on a local AWS emulator: no account, no network beyond loopback.

Packages the templates and Lambda code, registers models, creates the root stack in
direct mode, runs the drift monitor the stack deployed on normal then drifted traffic,
approves a newer model and updates the stack, then deletes it and shows what is left.

    make demo        (or: .venv/bin/python scripts/demo.py)
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: make the repository importable
    sys.path.insert(0, str(ROOT))

from scripts import capture_generator, demo_build, invoke  # noqa: E402
from scripts.emulator import Emulator, scenario, traffic  # noqa: E402
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


def check_deployed(
    emu: Emulator, setup: scenario.Setup, expected: str, say: Callable[[str], None]
) -> None:
    deployed = scenario.deployed_package(emu, setup)
    say(f"endpoint {setup.endpoint} serves {deployed}")
    if deployed != expected:
        raise SystemExit(f"demo failed: expected the newest approved package {expected}")
    say("= the newest approved version")


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


def main() -> int:
    steps = Steps()
    setup = scenario.Setup()
    print("driftgate demo on the local emulator (moto in process; no AWS account used)")
    steps.run("Package templates and Lambda code into build/dist", package)
    with Emulator(regions=[setup.region]) as emu:
        steps.say(f"emulator listening on {emu.endpoint_url}")
        before = inventory(emu, setup.region)
        count = steps.run(
            f"Upload to s3://{setup.hosting_bucket}/{setup.key_prefix}",
            lambda: emu.upload_dist(setup.hosting_bucket, setup.key_prefix, DIST, setup.region),
        )
        steps.say(f"{count} files")

        def registry() -> list[str]:
            scenario.create_artifacts_bucket(emu, setup)
            arns = scenario.create_registry(
                emu, setup, ["Approved", "Approved", "PendingManualApproval"]
            )
            for arn, status in zip(
                arns, ["Approved", "Approved", "PendingManualApproval"], strict=True
            ):
                steps.say(f"{arn}  {status}")
            return arns

        arns = steps.run(f"Model package group {setup.group} with baselines", registry)
        stack = steps.run(
            f"Create root stack {setup.stack} (DeliveryMode=direct, InferenceApi=api-key)",
            lambda: scenario.create_root_stack(emu, setup, InferenceApi="api-key"),
        )
        if stack["StackStatus"] != "CREATE_COMPLETE":
            raise SystemExit(f"demo failed: {setup.stack} is {stack['StackStatus']}")
        steps.run("Nested stacks and outputs", lambda: show_stack(emu, setup, stack, steps.say))
        steps.run("Deployed model", lambda: check_deployed(emu, setup, arns[1], steps.say))
        steps.run(
            "Requests through the inference API (API Gateway -> endpoint -> data capture)",
            lambda: api_story(emu, setup, scenario.outputs(stack), steps.say),
        )
        drift_story(emu, setup, scenario.outputs(stack), steps)

        def approve_and_update() -> dict[str, Any]:
            scenario.approve(emu, setup, arns[2])
            steps.say(f"approved {arns[2]}")
            return scenario.update_root_stack(
                emu, setup, ModelNonce=f"demo-{time.time_ns()}", InferenceApi="api-key"
            )

        updated = steps.run(
            "Approve version 3 and update the stack (new ModelNonce)", approve_and_update
        )
        steps.say(f"{setup.stack}: {updated['StackStatus']}")
        steps.run("Deployed model", lambda: check_deployed(emu, setup, arns[2], steps.say))
        demo_build.run(emu, setup, scenario.outputs(updated), steps)

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
            unexpected_buckets = set(left.get("S3 buckets", [])) - expected_buckets
            if unexpected or unexpected_buckets:
                raise SystemExit(f"demo failed: left behind {unexpected or unexpected_buckets}")
            steps.say("left: the data bucket and its KMS key (DeletionPolicy: Retain)")
            steps.say("and the hosting and artifacts buckets the demo made itself")

        steps.run(f"Delete {setup.stack}", delete)
    print(f"\ndemo complete in {time.monotonic() - steps.started:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
