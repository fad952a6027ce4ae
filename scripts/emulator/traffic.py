"""Capture traffic into the stack's data bucket and runs of the deployed drift monitor."""

from __future__ import annotations

import json
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from scripts import capture_generator, invoke
from scripts.emulator.server import Emulator


def upload_window(
    emu: Emulator, region: str, bucket: str, endpoint: str, start: datetime, rows: int,
    seed: int, drift: str = "none",
) -> capture_generator.AppliedDrift:  # fmt: skip
    """One hour of capture files, in SageMaker's layout under ``s3://bucket/capture/``."""
    s3 = emu.client("s3", region)
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        paths, applied = capture_generator.write_window(
            root, endpoint, start, rows, seed, capture_generator.DriftSpec.parse(drift)
        )
        for path in paths:
            key = f"capture/{path.relative_to(root).as_posix()}"
            s3.put_object(Bucket=bucket, Key=key, Body=path.read_bytes())
    return applied


def send_through_api(
    emu: Emulator, region: str, url: str, rows: list[str], api_key: str | None = None,
    rows_per_request: int = 10,
) -> list[invoke.Answer]:  # fmt: skip
    """POST ``rows`` to a stage's inference API as an application would (scripts/invoke.py),
    SigV4-signed with the emulator's credentials unless an API key is given; the
    emulator's API Gateway seam invokes the endpoint, which writes data capture."""
    credentials = None if api_key else emu.session(region).get_credentials()
    answers = invoke.invoke_rows(
        rows, url, rows_per_request=rows_per_request, api_key=api_key,
        credentials=credentials, region=region, connect_to=emu.endpoint_url,
    )  # fmt: skip
    return list(answers)


def api_key_value(emu: Emulator, region: str, key_id: str) -> str:
    """The generated value of the stage's API key (apigateway get-api-key --include-value)."""
    key = emu.client("apigateway", region).get_api_key(apiKey=key_id, includeValue=True)
    return str(key["value"])


def run_monitor(emu: Emulator, region: str, function: str, window_end: datetime) -> dict[str, Any]:
    """Invoke the deployed monitor function for the window ending at ``window_end``."""
    return _invoke(emu, region, function, json.dumps({"window_end": window_end.isoformat()}))


# EventBridge Scheduler's context attribute (Scheduler user guide, "context attributes").
SCHEDULED_TIME = "<aws.scheduler.scheduled-time>"


def run_as_scheduled(
    emu: Emulator, region: str, function: str, target_input: str, scheduled_time: datetime
) -> dict[str, Any]:
    """Invoke the monitor with a schedule target's Input as Scheduler sends it: context
    attributes replaced (the emulator has no Scheduler behind the schedule)."""
    when = scheduled_time.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return _invoke(emu, region, function, target_input.replace(SCHEDULED_TIME, when))


def _invoke(emu: Emulator, region: str, function: str, payload_text: str) -> dict[str, Any]:
    response = emu.client("lambda", region).invoke(
        FunctionName=function, Payload=payload_text.encode()
    )
    payload = json.loads(response["Payload"].read() or b"{}")
    if response.get("FunctionError"):
        raise RuntimeError(
            f"monitor failed: {payload.get('errorType')}: {payload.get('errorMessage')}"
        )
    return dict(payload)


def metric_sum(
    emu: Emulator, region: str, namespace: str, name: str, dimensions: dict[str, str],
    start: datetime, end: datetime,
) -> float:  # fmt: skip
    """Sum of a metric over [start, end) as CloudWatch reports it."""
    response = emu.client("cloudwatch", region).get_metric_statistics(
        Namespace=namespace,
        MetricName=name,
        Dimensions=[{"Name": key, "Value": value} for key, value in dimensions.items()],
        StartTime=start - timedelta(hours=1),
        EndTime=end + timedelta(hours=1),
        Period=3600,
        Statistics=["Sum"],
    )
    return float(sum(point["Sum"] for point in response["Datapoints"]))


def report_keys(emu: Emulator, region: str, bucket: str, prefix: str) -> list[str]:
    listing = emu.client("s3", region).list_objects_v2(Bucket=bucket, Prefix=prefix)
    return sorted(item["Key"] for item in listing.get("Contents", []))
