"""SageMaker Processing entry, following Model Monitor's bring-your-own-container contract.

Environment: ``dataset_source`` (local capture folder, ``<endpoint>/<variant>/yyyy/mm/dd/hh``
below it), ``output_path``, ``baseline_statistics``, ``baseline_constraints``,
``start_time``/``end_time``, ``publish_cloudwatch_metrics`` (``Enabled``/``Disabled``),
``sagemaker_endpoint_name``, ``sagemaker_monitoring_schedule_name``; plus driftgate's
``DRIFTGATE_METRICS_NAMESPACE``, ``DRIFTGATE_EVENT_BUS_NAME``, ``DRIFTGATE_MIN_RECORDS``
and ``DRIFTGATE_RESOURCE_CONFIG`` (where ``resourceconfig.json`` is, default
``/opt/ml/config/resourceconfig.json``: the instance's ``current_host`` names its state).

``driftgate_mode``: ``full`` (default) analyses everything under ``dataset_source``;
``shard`` writes this instance's mergeable state to ``output_path/state-<host>.json``
(inputs distributed ``ShardedByS3Key``); ``merge`` merges every state under
``driftgate_state_source`` and evaluates the whole window.

Run as ``python -m drift_monitor.processing``.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping
from pathlib import Path

from drift_monitor.monitor import (
    MonitorResult,
    Publisher,
    finish_run,
    load_baseline_files,
    profile_window,
)
from drift_monitor.profile import WindowProfile
from drift_monitor.report import ReportContext
from drift_monitor.storage import RETRY_CONFIG, Storage, join
from drift_monitor.window import Window, parse_time

RESOURCE_CONFIG = "/opt/ml/config/resourceconfig.json"


def _host() -> str:
    path = os.environ.get("DRIFTGATE_RESOURCE_CONFIG", RESOURCE_CONFIG)
    try:
        return str(json.loads(Path(path).read_text())["current_host"])
    except (OSError, ValueError, KeyError):
        return os.environ.get("DRIFTGATE_SHARD_NAME", "algo-1")


def _window(env: Mapping[str, str]) -> Window | None:
    start, end = env.get("start_time"), env.get("end_time")
    if not start or not end:
        return None
    return Window(parse_time(start), parse_time(end))


def run_processing(
    env: Mapping[str, str], storage: Storage, publisher: Publisher | None
) -> MonitorResult | None:
    output = env.get("output_path", "/opt/ml/processing/resultdata")
    context = ReportContext(
        capture_uri=env.get("dataset_source", "/opt/ml/processing/endpointdata"),
        baseline_statistics_uri=env.get(
            "baseline_statistics", "/opt/ml/processing/baseline/stats/statistics.json"
        ),
        baseline_constraints_uri=env.get(
            "baseline_constraints", "/opt/ml/processing/baseline/constraints/constraints.json"
        ),
        model_package_arn=env.get("DRIFTGATE_MODEL_PACKAGE_ARN", "").strip(),
        model_package_version=env.get("DRIFTGATE_MODEL_PACKAGE_VERSION", "").strip(),
    )
    baseline = load_baseline_files(
        context.baseline_statistics_uri, context.baseline_constraints_uri, storage
    )
    window = _window(env)
    mode = env.get("driftgate_mode", "full")
    if mode == "merge":
        profile = WindowProfile.for_baseline(baseline)
        for uri in storage.list_files(
            env.get("driftgate_state_source", "/opt/ml/processing/state")
        ):
            profile.merge(WindowProfile.from_dict(json.loads(storage.read_bytes(uri)), baseline))
    else:
        files = storage.list_files(env.get("dataset_source", "/opt/ml/processing/endpointdata"))
        profile = profile_window(baseline, files, storage, window)
        if mode == "shard":
            data = json.dumps(profile.to_dict(), sort_keys=True).encode("utf-8")
            storage.write_bytes(join(output, f"state-{_host()}.json"), data, "application/json")
            return None
        if mode != "full":
            raise ValueError(f"driftgate_mode must be full, shard or merge, got {mode!r}")
    return finish_run(
        baseline,
        profile,
        output,
        window=window,
        min_records=int(env.get("DRIFTGATE_MIN_RECORDS", "1") or 1),
        endpoint=env.get("sagemaker_endpoint_name", ""),
        schedule=env.get("sagemaker_monitoring_schedule_name", ""),
        publisher=publisher,
        storage=storage,
        report_context=context,
    )


def main() -> int:
    env = os.environ
    publisher = None
    if env.get("publish_cloudwatch_metrics", "Disabled").lower() == "enabled":
        import boto3  # only when publishing: a network-isolated shard needs no AWS SDK

        publisher = Publisher(
            cloudwatch=boto3.client("cloudwatch", config=RETRY_CONFIG),
            events=boto3.client("events", config=RETRY_CONFIG),
            namespace=env.get("DRIFTGATE_METRICS_NAMESPACE", "driftgate/Endpoints/data-metrics"),
            event_bus=env.get("DRIFTGATE_EVENT_BUS_NAME", "default"),
        )
    result = run_processing(env, Storage(), publisher)
    if result is not None:
        for warning in result.summary["warnings"]:
            print(f"driftgate warning: {warning}", file=sys.stderr)
        print(json.dumps(result.summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
