"""Where a window runs, and the Processing job's name, manifest and request."""

import json
import re
from datetime import UTC, datetime

import pytest

from drift_monitor.processing_launch import (
    ProcessingConfig,
    job_name,
    manifest,
    processing_request,
)
from drift_monitor.routing import INSTANCE_TARGET_S, LAMBDA, PROCESSING, plan_route
from drift_monitor.scheduled import ConfigError, ScheduledConfig
from drift_monitor.window import Window

WINDOW = Window(datetime(2026, 11, 23, 10, tzinfo=UTC), datetime(2026, 11, 23, 11, tzinfo=UTC))
MB = 1_000_000


@pytest.mark.parametrize(
    ("mb", "timeout", "expected"),
    [(449, 900, LAMBDA), (450, 900, LAMBDA), (451, 900, PROCESSING), (100, 60, PROCESSING)],
)
def test_a_window_goes_to_processing_past_half_the_timeout(mb, timeout, expected):
    route = plan_route(mb * MB, files=100, timeout_s=timeout, max_instances=10, bytes_per_second=MB)
    assert route.target == expected
    assert route.estimated_s == pytest.approx(mb)


def test_instances_follow_the_estimate_capped_by_the_parameter_and_the_files():
    rate = MB
    assert plan_route(int(3.5 * INSTANCE_TARGET_S) * MB, 100, 900, 10, rate).instances == 4
    assert plan_route(100 * INSTANCE_TARGET_S * MB, 100, 900, 10, rate).instances == 10
    assert plan_route(100 * INSTANCE_TARGET_S * MB, 3, 900, 10, rate).instances == 3


def test_no_processing_when_it_is_switched_off():
    route = plan_route(10**12, 100, 900, max_instances=0, bytes_per_second=MB)
    assert (route.target, route.instances) == (LAMBDA, 1)


def test_a_rate_must_be_positive():
    with pytest.raises(ValueError, match="positive"):
        plan_route(1, 1, 900, 1, bytes_per_second=0)


def test_job_names_are_valid_deterministic_and_numbered_per_attempt():
    longest_schedule = "a" * 47  # monitoring.yml's ScheduleName MaxLength
    for schedule in ("demo-staging-data-quality", longest_schedule, "x--y"):
        for attempt in (1, 2, 3):
            name = job_name(schedule, WINDOW, attempt)
            assert re.fullmatch(r"[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}", name), name
    for refused in ("a" * 48, "x_y.z", "-a"):  # never shortened or rewritten: refused
        with pytest.raises(ValueError, match="schedule name"):
            job_name(refused, WINDOW)
    assert job_name("demo-staging-data-quality", WINDOW) == "demo-staging-data-quality-202611231100"
    assert job_name("s", WINDOW, 2) == "s-202611231100-a2"


def test_the_manifest_lists_every_file_once_relative_to_a_common_prefix():
    files = [
        "s3://data/capture/ep/AllTraffic/2026/11/23/10/a.jsonl",
        "s3://data/capture/ep/AllTraffic/2026/11/23/11/b.jsonl",
    ]
    document = json.loads(manifest(files))
    prefix = document[0]["prefix"]
    assert prefix == "s3://data/capture/ep/AllTraffic/2026/11/23/"
    assert [prefix + key for key in document[1:]] == [
        f.replace("s3://data/capture/ep/AllTraffic/2026/11/23/", prefix) for f in files
    ]
    with pytest.raises(ValueError, match="one bucket"):
        manifest(["s3://a/x", "s3://b/y"])


def test_the_request_isolates_the_network_and_encrypts_volumes_and_outputs():
    config = ProcessingConfig("arn:role", "image:1", "ml.m5.xlarge", 4, "s3://h/code.zip", "key")
    request = request_for(config)
    cluster = request["ProcessingResources"]["ClusterConfig"]
    assert (cluster["InstanceCount"], cluster["VolumeKmsKeyId"]) == (4, "key")
    # The code input names one object, which SageMaker puts under its own file name.
    assert request["AppSpecification"]["ContainerEntrypoint"] == [
        "python3",
        "/opt/ml/processing/input/code/code.zip",
    ]
    assert request["ProcessingOutputConfig"]["KmsKeyId"] == "key"
    assert request["NetworkConfig"]["EnableNetworkIsolation"] is True
    distributions = {
        i["InputName"]: i["S3Input"]["S3DataDistributionType"] for i in request["ProcessingInputs"]
    }
    assert distributions == {
        "code": "FullyReplicated",
        "endpointdata": "ShardedByS3Key",
        "statistics": "FullyReplicated",
        "constraints": "FullyReplicated",
    }
    env = request["Environment"]
    assert env["baseline_statistics"] == "/opt/ml/processing/baseline/stats/statistics.json"
    assert (env["driftgate_mode"], env["publish_cloudwatch_metrics"]) == ("shard", "Disabled")
    assert len(env) <= 100  # CreateProcessingJob's limit on Environment entries


# The scheduled run's environment without Processing settings.
BASE_ENV = {
    "DRIFTGATE_ENDPOINT_NAME": "ep",
    "DRIFTGATE_SCHEDULE_NAME": "s",
    "DRIFTGATE_CAPTURE_S3_URI": "s3://d/capture",
    "DRIFTGATE_BASELINE_STATISTICS_S3_URI": "s3://a/s.json",
    "DRIFTGATE_BASELINE_CONSTRAINTS_S3_URI": "s3://a/c.json",
    "DRIFTGATE_OUTPUT_S3_URI": "s3://d/monitoring/ep",
}


def request_for(config: ProcessingConfig, instances: int = 4) -> dict:
    return processing_request(
        config,
        name="job",
        window=WINDOW,
        route=plan_route(10**12, 10, 900, instances, MB),
        output="s3://data/out",
        statistics_uri="s3://art/b/statistics.json",
        constraints_uri="s3://art/b/constraints.json",
        endpoint="ep",
        schedule="sched",
        min_records=5,
    )


def test_processing_settings_are_required_once_it_is_switched_on():
    env = BASE_ENV
    assert ScheduledConfig.from_env(env).processing is None
    with pytest.raises(ConfigError, match="DRIFTGATE_PROCESSING_ROLE_ARN"):
        ScheduledConfig.from_env({**env, "DRIFTGATE_PROCESSING_MAX_INSTANCES": "2"})
    with pytest.raises(ConfigError, match="DRIFTGATE_BYTES_PER_SECOND must be positive"):
        ScheduledConfig.from_env({**env, "DRIFTGATE_BYTES_PER_SECOND": "0"})


def test_the_entrypoint_runs_the_bundle_under_its_published_content_hashed_name():
    """`make publish` uploads functions/drift_monitor_processing-<hash>.zip; the job
    downloads that object to the code folder under that name, so that is what runs."""
    code = "s3://hosting/driftgate/functions/drift_monitor_processing-0123456789abcdef.zip"
    request = request_for(ProcessingConfig("arn:role", "image:1", "ml.m5.xlarge", 2, code, None), 2)
    (code_input,) = [i for i in request["ProcessingInputs"] if i["InputName"] == "code"]
    assert code_input["S3Input"]["S3Uri"] == code
    assert request["AppSpecification"]["ContainerEntrypoint"][-1] == (
        "/opt/ml/processing/input/code/drift_monitor_processing-0123456789abcdef.zip"
    )


@pytest.mark.parametrize(
    "code",
    ["s3://hosting/driftgate/functions/", "https://hosting/x.zip", "s3:///x.zip", "s3://h/x.tar"],
)
def test_a_processing_code_uri_that_is_not_one_zip_object_is_refused_by_name(code):
    env = {
        **BASE_ENV,
        "DRIFTGATE_PROCESSING_MAX_INSTANCES": "2",
        "DRIFTGATE_PROCESSING_ROLE_ARN": "arn:role",
        "DRIFTGATE_PROCESSING_IMAGE_URI": "image:1",
        "DRIFTGATE_PROCESSING_INSTANCE_TYPE": "ml.m5.xlarge",
        "DRIFTGATE_PROCESSING_CODE_S3_URI": code,
    }
    refused = r"DRIFTGATE_PROCESSING_CODE_S3_URI must be .*\(a \.zip\)"
    with pytest.raises(ConfigError, match=refused):
        ScheduledConfig.from_env(env)
