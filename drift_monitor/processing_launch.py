"""Start the sharded SageMaker Processing job for a window one Lambda cannot finish.

The job runs this package on a maintained prebuilt image (SageMaker's scikit-learn
image: a Python runtime, nothing to build). Its code arrives as a processing input (the
``drift_monitor_processing.zip`` bundle, run by ``python3 <zip>``), so the container
needs no network: the job runs with network isolation, and SageMaker itself moves the
inputs and outputs (docs: "CreateProcessingJob", "NetworkConfig"). Each instance
writes the mergeable state of its share of the window's files; the merge function
(``merge_handler``) evaluates the whole window when the job ends.

Where things go, under the window's output folder ``<output>/``:
- ``driftgate_route.json``: the claim (which job analyses the window), written before
  the job starts, so a retried or late scheduled run never starts a second analysis;
- ``processing/<job>/manifest.json``: the window's capture files (a ``ManifestFile``
  input, sharded by key), exactly the files the Lambda path would read;
- ``processing/<job>/state/``: the shards' states (the job's output).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from drift_monitor.routing import Route
from drift_monitor.storage import Storage, StorageError, join, split_s3
from drift_monitor.window import Window

ROUTE_FILE = "driftgate_route.json"
CODE_LOCAL = "/opt/ml/processing/input/code"
DATA_LOCAL = "/opt/ml/processing/endpointdata"
STATS_LOCAL = "/opt/ml/processing/baseline/stats"
CONSTRAINTS_LOCAL = "/opt/ml/processing/baseline/constraints"
STATE_LOCAL = "/opt/ml/processing/resultdata"
MAX_ATTEMPTS = 3
VOLUME_GB = 30  # capture is streamed from the instance's volume: a shard's files fit
MAX_RUNTIME_S = 6 * 3600
# Environment keys the merge function reads back from DescribeProcessingJob. The S3
# locations of the manifest, the baseline files and the states are not among them: the
# merge reads those from the job's own ProcessingInputs and ProcessingOutputConfig, as
# an Environment value is at most 256 characters (CreateProcessingJob, Environment) and
# ``<output>/processing/<job>/manifest.json`` can pass that with long bucket, endpoint
# and schedule names.
OUTPUT_KEY = "DRIFTGATE_OUTPUT_S3_URI"
ENV_MAX_ENTRIES, ENV_MAX_CHARS = 100, 256
# Input and output names in the request, by which the merge finds their S3 locations.
MANIFEST_INPUT, STATS_INPUT, CONSTRAINTS_INPUT = "endpointdata", "statistics", "constraints"
STATE_OUTPUT = "state"
MERGE_CAPTURE_KEY = "DRIFTGATE_CAPTURE_FOLDER_S3_URI"
MERGE_LATEST_KEY = "DRIFTGATE_LATEST_S3_URI"  # empty: a re-run leaves latest/ alone
MERGE_PERIOD_KEY = "DRIFTGATE_PERIOD_MINUTES"
MERGE_PACKAGE_ARN_KEY = "DRIFTGATE_MODEL_PACKAGE_ARN"
MERGE_PACKAGE_VERSION_KEY = "DRIFTGATE_MODEL_PACKAGE_VERSION"


@dataclass(frozen=True)
class ProcessingConfig:
    role_arn: str
    image_uri: str
    instance_type: str
    max_instances: int
    # s3://<templates bucket>/<prefix>functions/drift_monitor_processing-<hash>.zip: the
    # packaged key is content-hashed (scripts/package.py), so the entrypoint takes its name
    # from here.
    code_uri: str
    kms_key: str | None


# The longest suffix job_name adds: "-yyyymmddhhmm-a<attempt>" (attempts are 1 digit).
JOB_SUFFIX_MAX = len("-202601010000-a9")
# CreateProcessingJob's ProcessingJobName is at most 63 characters; the schedule name
# must fit whole before the suffix, because the monitor's IAM grant
# (processing-job/<schedule>-*) and the merge rule's prefix match it whole.
# monitoring.yml's ScheduleName has this MaxLength.
SCHEDULE_NAME_MAX = 63 - JOB_SUFFIX_MAX
assert MAX_ATTEMPTS < 10


def job_name(schedule: str, window: Window, attempt: int = 1) -> str:
    """Deterministic per window (and attempt): ``<schedule>-<yyyymmddhhmm>[-a<n>]``, at
    most 63 characters of ``[a-zA-Z0-9](-*[a-zA-Z0-9])*``, as CreateProcessingJob
    requires. A schedule name that would need shortening is refused: a shortened name
    would no longer start with ``<schedule>-``, so the role could not create the job
    and the merge rule would never see it end."""
    if not re.fullmatch(r"[a-zA-Z0-9](-*[a-zA-Z0-9])*", schedule):
        raise ValueError(f"schedule name {schedule!r} is not a valid job name prefix")
    if len(schedule) > SCHEDULE_NAME_MAX:
        raise ValueError(
            f"schedule name {schedule!r} is longer than {SCHEDULE_NAME_MAX} characters: "
            "its Processing job names would pass CreateProcessingJob's 63"
        )
    stamp = window.end.strftime("%Y%m%d%H%M")
    return f"{schedule}-{stamp}" + (f"-a{attempt}" if attempt > 1 else "")


def _input(
    name: str, uri: str, local: str, *, sharded: bool = False, manifest: bool = False
) -> dict[str, Any]:
    return {
        "InputName": name,
        "S3Input": {
            "S3Uri": uri,
            "LocalPath": local,
            "S3DataType": "ManifestFile" if manifest else "S3Prefix",
            "S3InputMode": "File",
            "S3DataDistributionType": "ShardedByS3Key" if sharded else "FullyReplicated",
        },
    }


def _basename(uri: str) -> str:
    return split_s3(uri)[1].rsplit("/", 1)[-1]


def processing_request(
    config: ProcessingConfig,
    *,
    name: str,
    window: Window,
    route: Route,
    output: str,
    statistics_uri: str,
    constraints_uri: str,
    endpoint: str,
    schedule: str,
    min_records: int,
    merge_env: dict[str, str] | None = None,
) -> dict[str, Any]:
    """The CreateProcessingJob request of one window's sharded analysis; ``merge_env``
    rides along in its Environment for the merge function (the shards ignore it)."""
    work = join(output, "processing", name)
    cluster: dict[str, Any] = {
        "InstanceCount": route.instances,
        "InstanceType": config.instance_type,
        "VolumeSizeInGB": VOLUME_GB,
    }
    output_config: dict[str, Any] = {
        "Outputs": [
            {
                "OutputName": STATE_OUTPUT,
                "S3Output": {
                    "S3Uri": join(work, "state"),
                    "LocalPath": STATE_LOCAL,
                    "S3UploadMode": "EndOfJob",
                },
            }
        ]
    }
    if config.kms_key:
        cluster["VolumeKmsKeyId"] = config.kms_key
        output_config["KmsKeyId"] = config.kms_key
    environment = {
        "driftgate_mode": "shard",
        "dataset_source": DATA_LOCAL,
        "output_path": STATE_LOCAL,
        "baseline_statistics": f"{STATS_LOCAL}/{_basename(statistics_uri)}",
        "baseline_constraints": f"{CONSTRAINTS_LOCAL}/{_basename(constraints_uri)}",
        "start_time": window.start_iso,
        "end_time": window.end_iso,
        "publish_cloudwatch_metrics": "Disabled",
        "sagemaker_endpoint_name": endpoint,
        "sagemaker_monitoring_schedule_name": schedule,
        "DRIFTGATE_MIN_RECORDS": str(min_records),
        "DRIFTGATE_RESOURCE_CONFIG": "/opt/ml/config/resourceconfig.json",
        OUTPUT_KEY: output,
        **(merge_env or {}),
    }
    _check_environment(environment)
    return {
        "ProcessingJobName": name,
        "RoleArn": config.role_arn,
        "AppSpecification": {
            "ImageUri": config.image_uri,
            # Python runs a zip's __main__.py: the bundle's bootstrap. An S3Prefix input
            # naming one object puts it at LocalPath under its own file name
            # (ProcessingS3Input; the SageMaker Python SDK's ScriptProcessor relies on it).
            "ContainerEntrypoint": ["python3", f"{CODE_LOCAL}/{_basename(config.code_uri)}"],
        },
        "ProcessingInputs": [
            _input("code", config.code_uri, CODE_LOCAL),
            _input(
                MANIFEST_INPUT, join(work, "manifest.json"), DATA_LOCAL, sharded=True, manifest=True
            ),
            _input(STATS_INPUT, statistics_uri, STATS_LOCAL),
            _input(CONSTRAINTS_INPUT, constraints_uri, CONSTRAINTS_LOCAL),
        ],
        "ProcessingOutputConfig": output_config,
        "ProcessingResources": {"ClusterConfig": cluster},
        "StoppingCondition": {"MaxRuntimeInSeconds": MAX_RUNTIME_S},
        "NetworkConfig": {
            "EnableNetworkIsolation": True,
            "EnableInterContainerTrafficEncryption": True,
        },
        "Environment": environment,
    }


def _check_environment(environment: dict[str, str]) -> None:
    """CreateProcessingJob's Environment limits (at most 100 entries, keys
    ``[a-zA-Z_][a-zA-Z0-9_]*`` and values of at most 256 characters): refused here by
    name, before the claim is written, rather than as a ValidationException."""
    if len(environment) > ENV_MAX_ENTRIES:
        raise ValueError(f"{len(environment)} environment entries; CreateProcessingJob allows 100")
    for key, value in environment.items():
        if not re.fullmatch(r"[a-zA-Z_][a-zA-Z0-9_]{0,255}", key):
            raise ValueError(f"environment key {key!r} is not accepted by CreateProcessingJob")
        if len(value) > ENV_MAX_CHARS:
            raise ValueError(
                f"environment value {key} is {len(value)} characters; CreateProcessingJob "
                f"allows {ENV_MAX_CHARS}: {value[:80]}..."
            )


def job_locations(job: dict[str, Any]) -> dict[str, str]:
    """The S3 locations of a DescribeProcessingJob answer's inputs and outputs, by name."""
    found = {
        item["InputName"]: item["S3Input"]["S3Uri"]
        for item in job.get("ProcessingInputs") or []
        if "S3Input" in item
    }
    for item in (job.get("ProcessingOutputConfig") or {}).get("Outputs") or []:
        if "S3Output" in item:
            found[item["OutputName"]] = item["S3Output"]["S3Uri"]
    return found


def manifest(files: list[str]) -> bytes:
    """A ManifestFile input: a common prefix, then every key relative to it."""
    bucket = {split_s3(f)[0] for f in files}
    if len(bucket) != 1:
        raise ValueError("a window's capture files must be in one bucket")
    keys = [split_s3(f)[1] for f in files]
    prefix = keys[0].rsplit("/", 1)[0] + "/" if "/" in keys[0] else ""
    while prefix and not all(k.startswith(prefix) for k in keys):
        prefix = prefix[:-1].rsplit("/", 1)[0] + "/" if "/" in prefix[:-1] else ""
    entries: list[Any] = [{"prefix": f"s3://{bucket.pop()}/{prefix}"}]
    return json.dumps(entries + [k[len(prefix) :] for k in keys], indent=0).encode("utf-8")


def read_claim(storage: Storage, output: str) -> dict[str, Any] | None:
    try:
        return json.loads(storage.read_bytes(join(output, ROUTE_FILE)))
    except StorageError:
        return None


def write_claim(storage: Storage, output: str, claim: dict[str, Any], kms_key: str | None) -> None:
    data = json.dumps(claim, sort_keys=True).encode("utf-8")
    storage.write_bytes(join(output, ROUTE_FILE), data, "application/json", kms_key)
