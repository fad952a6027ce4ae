"""The sharded path's CreateProcessingJob request against the SageMaker API model.

botocore checks only required members, types and minimum lengths before sending; the
service refuses the rest (maximum lengths, patterns, entry counts) with a
ValidationException after the window's claim is written. So the request is checked
here against every constraint of botocore's service model for CreateProcessingJob,
with the longest names the templates let through.
"""

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from unittest.mock import MagicMock

import botocore.session
import pytest
from cfnlint.decode import cfn_yaml

from drift_monitor.merge import merge_job
from drift_monitor.processing_launch import (
    SCHEDULE_NAME_MAX,
    ProcessingConfig,
    job_locations,
    job_name,
    processing_request,
)
from drift_monitor.routing import plan_route
from drift_monitor.storage import StorageError
from drift_monitor.window import Window, output_folder

ROOT = Path(__file__).resolve().parents[3]
WINDOW = Window(datetime(2026, 12, 31, 22, tzinfo=UTC), datetime(2026, 12, 31, 23, tzinfo=UTC))
MODEL = botocore.session.get_session().get_service_model("sagemaker")


def problems(value: Any, shape: Any, path: str = "") -> list[str]:
    """Every constraint of ``shape`` (botocore model) that ``value`` breaks."""
    found: list[str] = []
    meta = shape.metadata
    if shape.type_name == "structure":
        for name in shape.required_members:
            if name not in value:
                found.append(f"{path}.{name}: required")
        for name, item in value.items():
            if name not in shape.members:
                found.append(f"{path}.{name}: unknown member")
            else:
                found += problems(item, shape.members[name], f"{path}.{name}")
        return found
    if shape.type_name == "list":
        if not meta.get("min", 0) <= len(value) <= meta.get("max", 10**9):
            found.append(f"{path}: {len(value)} items")
        for index, item in enumerate(value):
            found += problems(item, shape.member, f"{path}[{index}]")
        return found
    if shape.type_name == "map":
        if len(value) > meta.get("max", 10**9):
            found.append(f"{path}: {len(value)} entries")
        for key, item in value.items():
            found += problems(key, shape.key, f"{path} key {key}")
            found += problems(item, shape.value, f"{path}.{key}")
        return found
    if shape.type_name == "string":
        if not meta.get("min", 0) <= len(value) <= meta.get("max", 10**9):
            found.append(f"{path}: {len(value)} characters (max {meta.get('max')})")
        if "pattern" in meta and not re.fullmatch(meta["pattern"], value):
            found.append(f"{path}: {value!r} does not match {meta['pattern']}")
        if shape.enum and value not in shape.enum:
            found.append(f"{path}: {value!r} not one of {shape.enum}")
    if shape.type_name == "integer" and not meta.get("min", -(10**18)) <= value <= meta.get(
        "max", 10**18
    ):
        found.append(f"{path}: {value} out of range")
    return found


def longest(pattern: str) -> int:
    """Width of a `^x[class]{a,b}$` parameter pattern."""
    match = re.fullmatch(r"\^\[[^\]]+\]\[[^\]]+\]\{\d+,(\d+)\}\$", pattern)
    assert match, pattern
    return 1 + int(match.group(1))


def stage_parameter(name: str) -> dict[str, Any]:
    return cfn_yaml.load(str(ROOT / "templates" / "stage.yml"))["Parameters"][name]


def monitoring_parameter(name: str) -> dict[str, Any]:
    return cfn_yaml.load(str(ROOT / "templates" / "monitoring.yml"))["Parameters"][name]


def worst_request(endpoint: str, schedule: str, attempt: int) -> dict[str, Any]:
    """The request with the longest values a deployed monitor can pass."""
    bucket = "b" * 63  # a generated data bucket name is at most 63 characters
    # as long as monitoring.yml lets a baseline URI be
    longest_uri = int(monitoring_parameter("BaselineStatisticsS3Uri")["MaxLength"])
    baseline = "s3://" + "a" * 63 + "/" + "k" * (longest_uri - 5 - 63 - 1 - 16) + "/statistics.json"
    assert len(baseline) == longest_uri
    output_uri = f"s3://{bucket}/monitoring/{endpoint}"
    output = f"{output_uri}/{schedule}/{output_folder(WINDOW)}"
    name = job_name(schedule, WINDOW, attempt)
    config = ProcessingConfig(
        "arn:aws-us-gov:iam::123456789012:role/" + "r" * 64,
        "123456789012.dkr.ecr.ap-southeast-3.amazonaws.com/sagemaker-scikit-learn:1.4-2-cpu-py3",
        "ml.m5.4xlarge",
        20,
        "s3://" + "t" * 63 + "/" + "p" * 64 + "/functions/drift_monitor_processing.zip",
        "arn:aws-us-gov:kms:us-gov-west-1:123456789012:key/" + "0" * 36,
    )
    package = "arn:aws-us-gov:sagemaker:us-gov-west-1:123456789012:model-package/" + "g" * 63
    return processing_request(
        config,
        name=name,
        window=WINDOW,
        route=plan_route(10**13, 10_000, 900, 20, 1_000_000),
        output=output,
        statistics_uri=baseline,
        constraints_uri=baseline.replace("statistics", "constraints").replace("kk", "k", 1),
        endpoint=endpoint,
        schedule=schedule,
        min_records=10**9,
        merge_env={
            "DRIFTGATE_CAPTURE_FOLDER_S3_URI": f"s3://{bucket}/capture/{endpoint}/AllTraffic",
            "DRIFTGATE_LATEST_S3_URI": f"{output_uri}/{schedule}/latest",
            "DRIFTGATE_PERIOD_MINUTES": "1440",
            "DRIFTGATE_MODEL_PACKAGE_ARN": f"{package}/99999",
            "DRIFTGATE_MODEL_PACKAGE_VERSION": "99999",
        },
    )


def test_the_stages_longest_names_make_a_request_sagemaker_accepts():
    project = longest(stage_parameter("ProjectName")["AllowedPattern"])
    stage = longest(stage_parameter("StageName")["AllowedPattern"])
    endpoint = "e" * project + "-" + "s" * stage  # stage.yml: ${ProjectName}-${StageName}
    schedule = f"{endpoint}-data-quality"  # stage.yml's ScheduleName
    request = worst_request(endpoint, schedule, attempt=3)
    shape = MODEL.operation_model("CreateProcessingJob").input_shape
    assert problems(request, shape) == []


def test_the_longest_standalone_names_make_a_request_sagemaker_accepts():
    monitoring = cfn_yaml.load(str(ROOT / "templates" / "monitoring.yml"))["Parameters"]
    schedule_max = int(monitoring["ScheduleName"]["MaxLength"])
    request = worst_request("e" * 63, "s" * schedule_max, attempt=3)
    shape = MODEL.operation_model("CreateProcessingJob").input_shape
    assert problems(request, shape) == []


def test_the_checker_notices_what_sagemaker_refuses():
    shape = MODEL.operation_model("CreateProcessingJob").input_shape
    request = worst_request("e" * 32, "s" * 20, attempt=1)
    request["Environment"]["X"] = "v" * 257
    request["ProcessingJobName"] = "-bad"
    request["StoppingCondition"]["MaxRuntimeInSeconds"] = 777_601
    found = problems(request, shape)
    assert any("Environment.X: 257" in p for p in found)
    assert any("ProcessingJobName" in p for p in found)
    assert any("MaxRuntimeInSeconds" in p for p in found)


def test_an_environment_value_sagemaker_would_refuse_is_refused_by_name():
    with pytest.raises(ValueError, match="DRIFTGATE_LATEST_S3_URI is 300 characters"):
        processing_request(
            ProcessingConfig("r", "i", "ml.m5.large", 1, "s3://c/x.zip", None),
            name="n",
            window=WINDOW,
            route=plan_route(10**13, 10, 900, 2, 1_000_000),
            output="s3://o/x",
            statistics_uri="s3://a/statistics.json",
            constraints_uri="s3://a/constraints.json",
            endpoint="e",
            schedule="s",
            min_records=1,
            merge_env={"DRIFTGATE_LATEST_S3_URI": "s3://" + "x" * 295},
        )


def test_every_job_name_starts_with_the_whole_schedule_name():
    """The job role may create only processing-job/<schedule>-* and the merge rule
    matches the prefix <schedule>-: a shortened schedule name would break both."""
    monitoring = cfn_yaml.load(str(ROOT / "templates" / "monitoring.yml"))["Parameters"]
    assert int(monitoring["ScheduleName"]["MaxLength"]) == SCHEDULE_NAME_MAX
    schedule = "s" * SCHEDULE_NAME_MAX
    for attempt in (1, 2, 3):
        name = job_name(schedule, WINDOW, attempt)
        assert name.startswith(schedule + "-") and len(name) <= 63
    with pytest.raises(ValueError, match="longer than 47"):
        job_name("s" * (SCHEDULE_NAME_MAX + 1), WINDOW)


def test_the_merge_finds_its_files_in_the_jobs_inputs_and_outputs():
    request = worst_request("e" * 32, "s" * 20, attempt=1)
    where = job_locations(request)
    work = (
        request["Environment"]["DRIFTGATE_OUTPUT_S3_URI"]
        + "/processing/"
        + request["ProcessingJobName"]
    )
    assert where["endpointdata"] == work + "/manifest.json"
    assert where["state"] == work + "/state"
    assert where["statistics"].endswith("/statistics.json")
    assert where["constraints"].endswith("/constraints.json")


def test_a_job_without_the_inputs_is_refused_by_the_merge():
    request = worst_request("e" * 32, "s" * 20, attempt=1)
    job = {**request, "ProcessingJobStatus": "Completed", "ProcessingInputs": []}
    storage = MagicMock()
    storage.read_bytes.side_effect = StorageError("no merge record yet")
    publisher = MagicMock()
    with pytest.raises(ValueError, match="no endpointdata, statistics, constraints input"):
        merge_job(job, storage, publisher)
    assert publisher.method_calls  # the failed merge published a run error
