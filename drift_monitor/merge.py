"""The end of a window's Processing job: merge the shard states and finish the run."""

from __future__ import annotations

import json
from typing import Any

from drift_monitor.monitor import Publisher, finish_run, load_baseline_files, publish_run_error
from drift_monitor.processing_launch import (
    CONSTRAINTS_INPUT,
    MANIFEST_INPUT,
    MERGE_CAPTURE_KEY,
    MERGE_LATEST_KEY,
    MERGE_PACKAGE_ARN_KEY,
    MERGE_PACKAGE_VERSION_KEY,
    MERGE_PERIOD_KEY,
    OUTPUT_KEY,
    STATE_OUTPUT,
    STATS_INPUT,
    job_locations,
)
from drift_monitor.profile import WindowProfile
from drift_monitor.report import ReportContext
from drift_monitor.storage import Storage, StorageError, join
from drift_monitor.window import Window, parse_time

MERGED_FILE = "driftgate_merged.json"
ENDED = ("Completed", "Failed", "Stopped")


def merge_job(
    job: dict[str, Any], storage: Storage, publisher: Publisher, kms_key: str | None = None
) -> dict[str, Any]:
    """Finish the window of a DescribeProcessingJob answer; see ``merge_handler``."""
    name = job["ProcessingJobName"]
    env: dict[str, str] = job.get("Environment") or {}
    if OUTPUT_KEY not in env:
        raise ValueError(f"Processing job {name} was not started by driftgate (no {OUTPUT_KEY})")
    window = Window(parse_time(env["start_time"]), parse_time(env["end_time"]))
    endpoint = env.get("sagemaker_endpoint_name", "")
    schedule = env.get("sagemaker_monitoring_schedule_name", "")
    try:
        return _merge(job, env, window, endpoint, schedule, storage, publisher, kms_key)
    except Exception:
        publish_run_error(publisher, endpoint, schedule, window)
        raise


def _merge(
    job: dict[str, Any],
    env: dict[str, str],
    window: Window,
    endpoint: str,
    schedule: str,
    storage: Storage,
    publisher: Publisher,
    kms_key: str | None,
) -> dict[str, Any]:
    name, status = job["ProcessingJobName"], job["ProcessingJobStatus"]
    output = env[OUTPUT_KEY]
    base = {"job": name, "job_status": status, "window_end": window.end_iso}
    if status not in ENDED:
        return {"status": "ignored", **base}  # InProgress / Stopping: wait for the end
    done = join(output, MERGED_FILE)
    try:
        earlier = json.loads(storage.read_bytes(done))
    except StorageError:
        earlier = None
    if earlier and earlier.get("job") == name:
        return {"status": "already_merged", **base}
    if status != "Completed":
        publish_run_error(publisher, endpoint, schedule, window)
        reason = str(job.get("FailureReason", ""))[:500]
        record = {**base, "status": "job_failed", "failure_reason": reason}
        storage.write_bytes(
            done, json.dumps(record, sort_keys=True).encode(), "application/json", kms_key
        )
        return record
    # The job's own inputs and output say where the files are (not its Environment,
    # whose values CreateProcessingJob caps at 256 characters).
    where = job_locations(job)
    missing = [
        n for n in (MANIFEST_INPUT, STATS_INPUT, CONSTRAINTS_INPUT, STATE_OUTPUT) if n not in where
    ]
    if missing:
        raise ValueError(f"Processing job {name} has no {', '.join(missing)} input or output")
    stats_uri, constraints_uri = where[STATS_INPUT], where[CONSTRAINTS_INPUT]
    baseline = load_baseline_files(stats_uri, constraints_uri, storage)
    profile = WindowProfile.for_baseline(baseline)
    states = storage.list_files(where[STATE_OUTPUT])
    for uri in states:
        profile.merge(WindowProfile.from_dict(json.loads(storage.read_bytes(uri)), baseline))
    result = finish_run(
        baseline,
        profile,
        output,
        window=window,
        min_records=int(env.get("DRIFTGATE_MIN_RECORDS", "1") or 1),
        endpoint=endpoint,
        schedule=schedule,
        publisher=publisher,
        kms_key=kms_key,
        storage=storage,
        # As the Lambda path reports it: the window's capture files (the manifest's keys).
        extra={"files": len(json.loads(storage.read_bytes(where[MANIFEST_INPUT]))) - 1},
        report_context=ReportContext(
            capture_uri=env.get(MERGE_CAPTURE_KEY, ""),
            baseline_statistics_uri=stats_uri,
            baseline_constraints_uri=constraints_uri,
            model_package_arn=env.get(MERGE_PACKAGE_ARN_KEY, ""),
            model_package_version=env.get(MERGE_PACKAGE_VERSION_KEY, ""),
            period_minutes=int(env[MERGE_PERIOD_KEY]) if env.get(MERGE_PERIOD_KEY) else None,
        ),
        latest=env.get(MERGE_LATEST_KEY) or None,
    )
    record = {**base, "status": result.status, "shards": len(states)}
    storage.write_bytes(
        done, json.dumps(record, sort_keys=True).encode(), "application/json", kms_key
    )
    return {**result.summary, **record}
